package dev.lifeboat.service;

import com.fasterxml.jackson.databind.JsonNode;
import dev.lifeboat.config.Settings;
import dev.lifeboat.repository.Json;
import dev.lifeboat.state.StateStore;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.nio.file.Path;
import java.time.Duration;
import java.time.ZoneId;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Schedule and retention in layers, and the API's changes: validated field by field, all or nothing. */
class ServiceConfigTest {
    @TempDir
    Path dir;
    StateStore state;

    @BeforeEach
    void open() {
        state = StateStore.open(dir);
    }

    @AfterEach
    void close() {
        state.close();
    }

    private static JsonNode json(String text) throws Exception {
        return Json.MAPPER.readTree(text);
    }

    @Test
    void defaultsAreTheSeedsDailyAtThreeUtcKeepingThirtyDays() {
        ServiceConfig c = ServiceConfig.load(Settings.load(null, Map.of()), state.settings());
        assertThat(c.schedule().expression()).isEqualTo("0 3 * * *");
        assertThat(c.schedule().zone()).isEqualTo(ZoneId.of("UTC"));
        assertThat(c.retentionDays()).isEqualTo(30);
        assertThat(c.runMissedAtStartup()).isTrue();
    }

    @Test
    void theScheduleIsParsedOncePerChangeNotEachTimeTheConfigurationIsRead() {
        // the service reads its configuration every 2 s; a long expression parsed each time took a core (issue 14)
        Settings s = Settings.load(null, Map.of("LIFEBOAT_BACKUP_SCHEDULE", "17 4 * * 1-5"));
        var first = ServiceConfig.load(s, state.settings()).schedule();
        assertThat(ServiceConfig.load(s, state.settings()).schedule()).isSameAs(first);
        Settings other = Settings.load(null, Map.of("LIFEBOAT_BACKUP_SCHEDULE", "17 4 * * 1-5",
                "LIFEBOAT_TIMEZONE", "Europe/Zurich"));
        var changed = ServiceConfig.load(other, state.settings()).schedule();
        assertThat(changed).isNotSameAs(first);
        assertThat(changed.zone()).isEqualTo(ZoneId.of("Europe/Zurich"));
        assertThat(ServiceConfig.load(other, state.settings()).schedule()).isSameAs(changed);
    }

    @Test
    void theEnvironmentSetsScheduleRetentionDaysAndMissedRuns() {
        Settings s = Settings.load(null, Map.of("LIFEBOAT_BACKUP_SCHEDULE", "0 */6 * * *",
                "LIFEBOAT_BACKUP_RETENTION_DAYS", "60", "LIFEBOAT_TIMEZONE", "Europe/Zurich",
                "LIFEBOAT_RUN_MISSED_AT_STARTUP", "false"));
        ServiceConfig c = ServiceConfig.load(s, state.settings());
        assertThat(c.schedule().expression()).isEqualTo("0 */6 * * *");
        assertThat(c.schedule().zone()).isEqualTo(ZoneId.of("Europe/Zurich"));
        assertThat(c.retention().keepWithin()).isEqualTo(Duration.ofDays(60));
        assertThat(c.runMissedAtStartup()).isFalse();
    }

    @Test
    void anInvalidScheduleInTheEnvironmentIsRefusedNamingTheVariable() {
        assertThatThrownBy(() -> Settings.load(null, Map.of("LIFEBOAT_BACKUP_SCHEDULE", "every day")))
                .hasMessageContaining("LIFEBOAT_BACKUP_SCHEDULE");
        assertThatThrownBy(() -> Settings.load(null, Map.of("LIFEBOAT_BACKUP_RETENTION_DAYS", "0")))
                .hasMessageContaining("LIFEBOAT_BACKUP_RETENTION_DAYS");
    }

    @Test
    void aChangeThroughTheApiIsStoredAndWinsOverTheEnvironment() throws Exception {
        Settings s = Settings.load(null, Map.of("LIFEBOAT_BACKUP_SCHEDULE", "0 1 * * *"));
        ServiceConfig before = ServiceConfig.load(s, state.settings());
        ServiceConfig after = before.update(json("{\"schedule\": \"0 */6 * * *\", \"retentionDays\": 60}"),
                state.settings(), "alice");
        assertThat(after.schedule().expression()).isEqualTo("0 */6 * * *");
        assertThat(after.retentionDays()).isEqualTo(60);
        assertThat(after.retention().minimumKeep()).isEqualTo(before.retention().minimumKeep());
        assertThat(after.retentionSource()).isEqualTo("set through the API by alice");
        ServiceConfig reloaded = ServiceConfig.load(s, state.settings());
        assertThat(reloaded.schedule()).isEqualTo(after.schedule());
        // retention is the repository's (the service writes it there), never kept in the state store again
        assertThat(ServiceConfig.legacyRetentionDays(state.settings())).isEmpty();
        assertThat(reloaded.retentionDays()).isEqualTo(30);
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "{\"schedule\": \"0 99 * * *\"}|schedule|hour",
            "{\"schedule\": 5}|schedule|string",
            "{\"schedule\": \"* * * *\"}|schedule|4 fields",
            "{\"retentionDays\": 0}|retentionDays|1 to",
            "{\"retentionDays\": 100000}|retentionDays|1 to",
            "{\"retentionDays\": 18446744073709551646}|retentionDays|1 to",
            "{\"retentionDays\": 18446744073709551616}|retentionDays|1 to",
            "{\"retentionDays\": 1.5}|retentionDays|whole number",
            "{\"retentionDays\": \"30\"}|retentionDays|whole number",
            "{\"timeZone\": \"Mars/Olympus\"}|timeZone|not a time zone",
            "{\"keepDaily\": 3}|keepDaily|unknown setting",
            "[1, 2]|body|JSON object"})
    void aBadFieldIsRefusedNamingItAndNothingIsStored(String body, String field, String says) throws Exception {
        ServiceConfig before = ServiceConfig.load(Settings.load(null, Map.of()), state.settings());
        JsonNode node = json(body);
        assertThatThrownBy(() -> before.update(node, state.settings(), "alice"))
                .isInstanceOfSatisfying(ServiceConfig.InvalidField.class, e -> {
                    assertThat(e.field()).isEqualTo(field);
                    assertThat(e.getMessage()).startsWith(field + ": ").contains(says);
                });
        assertThat(state.settings().all()).isEmpty();
    }

    @Test
    void aScheduleOfAMegabyteIsRefusedAtOnceWithoutEchoingIt() throws Exception {
        ServiceConfig before = ServiceConfig.load(Settings.load(null, Map.of()), state.settings());
        String huge = "0 3 * * " + "1,".repeat(450_000) + "2";
        assertThatThrownBy(() -> before.update(json("{\"schedule\": \"" + huge + "\"}"), state.settings(), "alice"))
                .isInstanceOfSatisfying(ServiceConfig.InvalidField.class, e -> {
                    assertThat(e.field()).isEqualTo("schedule");
                    assertThat(e.getMessage()).contains("characters long").hasSizeLessThan(300);
                });
        assertThat(state.settings().all()).isEmpty();
    }

    @Test
    void aValidFieldBesideAnInvalidOneIsNotStoredEither() throws Exception {
        ServiceConfig before = ServiceConfig.load(Settings.load(null, Map.of()), state.settings());
        assertThatThrownBy(() -> before.update(json("{\"retentionDays\": 45, \"schedule\": \"nope\"}"),
                state.settings(), "alice")).isInstanceOf(ServiceConfig.InvalidField.class);
        assertThat(state.settings().all()).isEmpty();
        assertThat(ServiceConfig.load(Settings.load(null, Map.of()), state.settings()).retentionDays()).isEqualTo(30);
    }

    @Test
    void theScheduleIsReadInTheZoneGivenWithIt() throws Exception {
        ServiceConfig c = ServiceConfig.load(Settings.load(null, Map.of()), state.settings())
                .update(json("{\"schedule\": \"0 3 * * *\", \"timeZone\": \"Europe/Zurich\"}"), state.settings(), "a");
        assertThat(c.schedule().nextRun(java.time.Instant.parse("2026-11-21T00:00:00Z")))
                .contains(java.time.Instant.parse("2026-11-21T02:00:00Z"));
    }
}
