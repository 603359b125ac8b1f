package dev.lifeboat.config;

import dev.lifeboat.core.LifeboatException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.ZoneId;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class SettingsTest {
    @TempDir
    Path dir;

    private Path yaml(String text) throws IOException {
        Path f = dir.resolve("lifeboat.yml");
        Files.writeString(f, text);
        return f;
    }

    @Test
    void defaultsThenFileThenEnvironment() throws IOException {
        Settings defaults = Settings.load(yaml(""), Map.of());
        assertThat(defaults.repository).isEqualTo("./backups");
        assertThat(defaults.retention.keepWithin()).isEqualTo(Duration.ofDays(30));
        assertThat(defaults.retention.minimumKeep()).isEqualTo(3);
        assertThat(defaults.timeZone).isEqualTo(ZoneId.of("UTC"));

        Path f = yaml("""
                repository: /srv/backups
                databases: [postgres://a@h/app]
                compressionLevel: 9
                retention:
                  keepWithin: 7d
                  keepDaily: 14
                timeZone: Europe/Zurich
                """);
        Settings s = Settings.load(f, Map.of("LIFEBOAT_RETENTION_KEEP_DAILY", "3", "LIFEBOAT_COMPRESSION_LEVEL", "5",
                "DATABASE_URL", "postgres://b@h/other"));
        assertThat(s.repository).isEqualTo("/srv/backups");
        assertThat(s.retention.keepWithin()).isEqualTo(Duration.ofDays(7));
        assertThat(s.retention.keepDaily()).isEqualTo(3);
        assertThat(s.retention.minimumKeep()).isEqualTo(3);
        assertThat(s.compressionLevel).isEqualTo(5);
        assertThat(s.databases).isEqualTo(List.of("postgres://b@h/other"));
        assertThat(s.timeZone).isEqualTo(ZoneId.of("Europe/Zurich"));
    }

    @Test
    void mistakesAreNamed() throws IOException {
        assertThatThrownBy(() -> Settings.load(yaml("repostory: x\n"), Map.of())).isInstanceOf(LifeboatException.class)
                .hasMessageContaining("unknown setting 'repostory'");
        assertThatThrownBy(() -> Settings.load(yaml("retention:\n  keepWithin: soon\n"), Map.of()))
                .hasMessageContaining("soon");
        assertThatThrownBy(() -> Settings.load(yaml("timeZone: Mars/Olympus\n"), Map.of()))
                .hasMessageContaining("Mars/Olympus");
        assertThatThrownBy(() -> Settings.load(yaml(""), Map.of("LIFEBOAT_COMPRESSION_LEVEL", "99")))
                .hasMessageContaining("LIFEBOAT_COMPRESSION_LEVEL");
        assertThatThrownBy(() -> Settings.load(dir.resolve("missing.yml"), Map.of())).hasMessageContaining("does not exist");
    }
}
