package dev.lifeboat.state;

import dev.lifeboat.core.ErrorCode;
import dev.lifeboat.core.LifeboatException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

@ParameterizedClass(name = "{0}")
@EnumSource(Backend.class)
class SettingsStoreTest extends StateTestBase {
    @Test
    void putInsertsThenReplaces() throws Exception {
        SettingsStore settings = store.settings();
        assertThat(settings.get("retention.keepDaily")).isEmpty();
        assertThat(settings.all()).isEmpty();

        settings.put("retention.keepDaily", "7", "alice");
        clock.advance(Duration.ofMinutes(1));
        settings.put("backup.schedule", "\"0 3 * * *\"", "alice");
        clock.advance(Duration.ofMinutes(1));
        settings.put("retention.keepDaily", "14", "bob");

        assertThat(settings.get("retention.keepDaily")).contains("14");
        assertThat(settings.all()).containsExactly(
                java.util.Map.entry("backup.schedule", "\"0 3 * * *\""),
                java.util.Map.entry("retention.keepDaily", "14"));
        try (Connection c = fixture.connect(); PreparedStatement ps = c.prepareStatement(
                "SELECT updated, updated_by FROM settings WHERE key = 'retention.keepDaily'")) {
            try (ResultSet rs = ps.executeQuery()) {
                assertThat(rs.next()).isTrue();
                assertThat(rs.getString(1)).isEqualTo("2026-11-21T03:02:00.000Z");
                assertThat(rs.getString(2)).isEqualTo("bob");
                assertThat(rs.next()).as("one row per key").isFalse();
            }
        }
    }

    @Test
    void valuesAreKeptAsGivenAndRemoveForgetsThem() {
        SettingsStore settings = store.settings();
        settings.put("a.object", "{\"b\": [1, 2.5, null], \"c\": \"é\"}", "alice");
        settings.put("a.null", "null", "alice");
        assertThat(settings.get("a.object")).contains("{\"b\": [1, 2.5, null], \"c\": \"é\"}");
        assertThat(settings.get("a.null")).contains("null");

        settings.remove("a.object");
        settings.remove("never.set");
        assertThat(settings.get("a.object")).isEmpty();
        assertThat(settings.all()).containsOnlyKeys("a.null");
    }

    @Test
    void keysMustBeGivenAndValuesMustBeOneJsonValue() {
        SettingsStore settings = store.settings();
        for (String bad : new String[] {"", " ", "{", "1 2", "nope", "'x'"}) {
            assertThatThrownBy(() -> settings.put("k", bad, "alice")).as(bad)
                    .isInstanceOfSatisfying(LifeboatException.class, e -> {
                        assertThat(e.code()).isEqualTo(ErrorCode.USAGE);
                        assertThat(e.getMessage()).contains("'k'");
                    });
        }
        assertThatThrownBy(() -> settings.put(" ", "1", "alice")).isInstanceOf(LifeboatException.class);
        assertThat(settings.all()).isEmpty();
    }
}
