package dev.lifeboat.config;

import dev.lifeboat.core.ErrorCode;
import dev.lifeboat.core.LifeboatException;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
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
        assertThatThrownBy(() -> Settings.load(yaml(""), Map.of("LIFEBOAT_THREADS", "0")))
                .hasMessageContaining("LIFEBOAT_THREADS must be a whole number from 1 to 64, not 0");
        assertThatThrownBy(() -> Settings.load(yaml("threads: 65\n"), Map.of()))
                .hasMessageContaining("threads must be a whole number from 1 to 64, not 65");
        assertThatThrownBy(() -> Settings.load(dir.resolve("missing.yml"), Map.of())).hasMessageContaining("does not exist");
    }

    @Test
    void serviceSettingsComeFromTheFileThenTheEnvironment() throws IOException {
        Path f = yaml("""
                service:
                  port: 9090
                  bind: 0.0.0.0
                  instance: backup-1
                  shutdownGraceSeconds: 120
                  confirmationTtlSeconds: 60
                  clusterPollSeconds: 5
                  auditRetentionDays: 90
                  readTimeoutSeconds: 10
                """);
        Settings fromFile = Settings.load(f, Map.of());
        assertThat(fromFile.service.port).isEqualTo(9090);
        assertThat(fromFile.service.bind).isEqualTo("0.0.0.0");
        assertThat(fromFile.service.instance).isEqualTo("backup-1");
        assertThat(fromFile.service.shutdownGrace).isEqualTo(Duration.ofMinutes(2));
        assertThat(fromFile.service.confirmationTtl).isEqualTo(Duration.ofMinutes(1));
        assertThat(fromFile.service.clusterPoll).isEqualTo(Duration.ofSeconds(5));
        assertThat(fromFile.service.auditRetention).isEqualTo(Duration.ofDays(90));
        assertThat(fromFile.service.readTimeout).isEqualTo(Duration.ofSeconds(10));

        Settings fromEnv = Settings.load(f, Map.of("LIFEBOAT_PORT", "8443", "LIFEBOAT_SHUTDOWN_GRACE", "0",
                "LIFEBOAT_INSTANCE", " backup-2 ", "LIFEBOAT_CLUSTER_POLL_SECONDS", "1",
                "LIFEBOAT_AUDIT_RETENTION_DAYS", "30", "LIFEBOAT_HTTP_READ_TIMEOUT", "5"));
        assertThat(fromEnv.service.auditRetention).isEqualTo(Duration.ofDays(30));
        assertThat(fromEnv.service.readTimeout).isEqualTo(Duration.ofSeconds(5));
        assertThat(fromEnv.service.port).isEqualTo(8443);
        assertThat(fromEnv.service.shutdownGrace).isZero();
        assertThat(fromEnv.service.instance).isEqualTo("backup-2");
        assertThat(fromEnv.service.clusterPoll).isEqualTo(Duration.ofSeconds(1));
        assertThat(fromEnv.service.confirmationTtl).isEqualTo(Duration.ofMinutes(1)); // from the file

        Settings defaults = Settings.load(yaml(""), Map.of());
        assertThat(defaults.service.port).isEqualTo(8080);
        assertThat(defaults.service.bind).isEqualTo("127.0.0.1");
        assertThat(defaults.service.instance).isNull();
        assertThat(defaults.service.shutdownGrace).isEqualTo(Duration.ofSeconds(30));
        assertThat(defaults.service.confirmationTtl).isEqualTo(Duration.ofMinutes(5));
        assertThat(defaults.service.clusterPoll).isEqualTo(Duration.ofSeconds(10));
        assertThat(defaults.service.auditRetention).isEqualTo(Duration.ofDays(400));
        assertThat(defaults.service.readTimeout).isEqualTo(Duration.ofSeconds(30));
    }

    @Test
    void badServiceSettingsNameTheSetting() throws IOException {
        assertThatThrownBy(() -> Settings.load(yaml("service:\n  port: 70000\n"), Map.of()))
                .isInstanceOf(LifeboatException.class).hasMessageContaining("service.port must be a whole number from 1 to 65535");
        assertThatThrownBy(() -> Settings.load(yaml("service:\n  prot: 80\n"), Map.of()))
                .isInstanceOf(LifeboatException.class).hasMessageContaining("'prot'");
        assertThatThrownBy(() -> Settings.load(yaml(""), Map.of("LIFEBOAT_PORT", "http")))
                .isInstanceOf(LifeboatException.class).hasMessageContaining("LIFEBOAT_PORT must be a whole number from 1 to 65535, not 'http'");
        assertThatThrownBy(() -> Settings.load(yaml(""), Map.of("LIFEBOAT_CONFIRMATION_TTL", "0")))
                .isInstanceOf(LifeboatException.class).hasMessageContaining("LIFEBOAT_CONFIRMATION_TTL");
        assertThatThrownBy(() -> Settings.load(yaml(""), Map.of("LIFEBOAT_CLUSTER_POLL_SECONDS", "301")))
                .isInstanceOf(LifeboatException.class).hasMessageContaining("LIFEBOAT_CLUSTER_POLL_SECONDS");
        assertThatThrownBy(() -> Settings.load(yaml(""), Map.of("LIFEBOAT_AUDIT_RETENTION_DAYS", "0")))
                .isInstanceOf(LifeboatException.class).hasMessageContaining("LIFEBOAT_AUDIT_RETENTION_DAYS");
        assertThatThrownBy(() -> Settings.load(yaml("service:\n  auditRetentionDays: 36501\n"), Map.of()))
                .isInstanceOf(LifeboatException.class).hasMessageContaining("service.auditRetentionDays");
        assertThatThrownBy(() -> Settings.load(yaml(""), Map.of("LIFEBOAT_HTTP_READ_TIMEOUT", "0")))
                .isInstanceOf(LifeboatException.class).hasMessageContaining("LIFEBOAT_HTTP_READ_TIMEOUT");
    }

    /** A usage error whose message holds every one of {@code parts} (the setting's name, the bad value). */
    private static void usageError(ThrowingCallable load, String hint, String... parts) {
        assertThatThrownBy(load).isInstanceOfSatisfying(LifeboatException.class, e -> {
            assertThat(e.code()).isEqualTo(ErrorCode.USAGE);
            assertThat(e.getMessage()).contains(parts);
            assertThat(e.hint()).contains(hint);
        });
    }

    @Test
    void theRepositoryLockWaitComesFromTheFileThenLifeboatLockWait() throws IOException {
        assertThat(Settings.load(yaml(""), Map.of()).lockWait).isEqualTo(Duration.ofMinutes(5));
        Path f = yaml("lockWaitSeconds: 60\n");
        assertThat(Settings.load(f, Map.of()).lockWait).isEqualTo(Duration.ofSeconds(60));
        assertThat(Settings.load(f, Map.of("LIFEBOAT_LOCK_WAIT", " 0 ")).lockWait).isZero();
        assertThat(Settings.load(f, Map.of("LIFEBOAT_LOCK_WAIT", " ")).lockWait).isEqualTo(Duration.ofSeconds(60));

        usageError(() -> Settings.load(yaml(""), Map.of("LIFEBOAT_LOCK_WAIT", "5m")), "LIFEBOAT_LOCK_WAIT=300",
                "LIFEBOAT_LOCK_WAIT must be a whole number from 0 to 604800, not '5m'");
        usageError(() -> Settings.load(yaml(""), Map.of("LIFEBOAT_LOCK_WAIT", "-1")), "LIFEBOAT_LOCK_WAIT=300",
                "LIFEBOAT_LOCK_WAIT", "not -1");
        usageError(() -> Settings.load(yaml("lockWaitSeconds: 604801\n"), Map.of()), "lockWaitSeconds: 300",
                "lockWaitSeconds must be a whole number from 0 to 604800, not 604801");
    }

    @Test
    void thePostgresLockWaitComesFromTheFileThenLifeboatPgLockWait() throws IOException {
        assertThat(Settings.load(yaml(""), Map.of()).pgLockWait).isEqualTo(Duration.ofMinutes(5));
        Path f = yaml("pgLockWaitSeconds: 30\n");
        assertThat(Settings.load(f, Map.of()).pgLockWait).isEqualTo(Duration.ofSeconds(30));
        assertThat(Settings.load(f, Map.of("LIFEBOAT_PG_LOCK_WAIT", "2")).pgLockWait).isEqualTo(Duration.ofSeconds(2));

        for (String bad : List.of("0", "-5", "5m", "99999999")) {
            usageError(() -> Settings.load(yaml(""), Map.of("LIFEBOAT_PG_LOCK_WAIT", bad)), "e.g. 300",
                    "LIFEBOAT_PG_LOCK_WAIT must be a whole number from 1 to 604800", bad);
        }
        usageError(() -> Settings.load(yaml("pgLockWaitSeconds: 0\n"), Map.of()), "pgLockWaitSeconds: 300",
                "pgLockWaitSeconds must be a whole number from 1 to 604800, not 0");
    }

    @Test
    void theKeyFolderComesFromTheFileThenLifeboatKeyDirElseTheXdgConfigFolder() throws IOException {
        assertThat(Settings.load(yaml(""), Map.of()).keyDir)
                .isEqualTo(Path.of(System.getProperty("user.home"), ".config", "lifeboat", "keys"));
        assertThat(Settings.load(yaml(""), Map.of("XDG_CONFIG_HOME", "/home/b/.cfg")).keyDir)
                .isEqualTo(Path.of("/home/b/.cfg/lifeboat/keys"));
        Path f = yaml("keyDir: /etc/lifeboat/keys\n");
        assertThat(Settings.load(f, Map.of("XDG_CONFIG_HOME", "/home/b/.cfg")).keyDir)
                .isEqualTo(Path.of("/etc/lifeboat/keys"));
        assertThat(Settings.load(f, Map.of("LIFEBOAT_KEY_DIR", "/srv/keys")).keyDir).isEqualTo(Path.of("/srv/keys"));

        usageError(() -> Settings.load(yaml(""), Map.of("LIFEBOAT_KEY_DIR", "/srv/\0keys")), "LIFEBOAT_KEY_DIR=/",
                "LIFEBOAT_KEY_DIR is not a valid path: '/srv/\0keys'");
        usageError(() -> Settings.load(yaml("keyDir: \"a\\0b\"\n"), Map.of()), "keyDir: /",
                "keyDir is not a valid path");
    }

    @Test
    void thePostgresFoldersComeFromTheFileThenLifeboatPgBin() throws IOException {
        assertThat(Settings.load(yaml(""), Map.of()).pgBin).isEmpty();
        Path f = yaml("pgBin: [/opt/pg17/bin, /opt/pg13/bin]\n");
        assertThat(Settings.load(f, Map.of()).pgBin).containsExactly(Path.of("/opt/pg17/bin"), Path.of("/opt/pg13/bin"));
        assertThat(Settings.load(f, Map.of("LIFEBOAT_PG_BIN", "/usr/lib/postgresql/16/bin::/opt/x/bin:")).pgBin)
                .containsExactly(Path.of("/usr/lib/postgresql/16/bin"), Path.of("/opt/x/bin"));

        usageError(() -> Settings.load(yaml(""), Map.of("LIFEBOAT_PG_BIN", "/ok:/b\0d")), "LIFEBOAT_PG_BIN=/usr/lib",
                "LIFEBOAT_PG_BIN is not a valid path: '/b\0d'");
    }

    @Test
    void theServicesStateComesFromLifeboatStateAndLifeboatDataDir() throws IOException {
        Settings defaults = Settings.load(yaml(""), Map.of());
        assertThat(defaults.state.url()).isNull();
        assertThat(defaults.state.dataDir()).isEqualTo(Path.of("lifeboat-data"));
        assertThat(Settings.StateLocation.fromEnvironment(Map.of("LIFEBOAT_DATA_DIR", " "))).isEqualTo(defaults.state);

        Settings s = Settings.load(yaml(""), Map.of("LIFEBOAT_STATE", " postgres://lb@db/state ",
                "LIFEBOAT_DATA_DIR", "/srv/lifeboat"));
        assertThat(s.state).isEqualTo(new Settings.StateLocation("postgres://lb@db/state", Path.of("/srv/lifeboat")));
        assertThat(Settings.StateLocation.fromEnvironment(Map.of("LIFEBOAT_STATE", "jdbc:postgresql://db/state")).url())
                .isEqualTo("jdbc:postgresql://db/state");

        usageError(() -> Settings.load(yaml(""), Map.of("LIFEBOAT_STATE", "mysql://root:hunter2@db/state")),
                "LIFEBOAT_STATE=postgres://", "LIFEBOAT_STATE must be a postgres:// URI, not 'mysql:...'");
        assertThatThrownBy(() -> Settings.StateLocation.fromEnvironment(Map.of("LIFEBOAT_STATE", "postgres//u:hunter2@db")))
                .hasMessageContaining("LIFEBOAT_STATE").hasMessageContaining("without a scheme")
                .hasMessageNotContaining("hunter2");
        usageError(() -> Settings.StateLocation.fromEnvironment(Map.of("LIFEBOAT_DATA_DIR", "/srv/\0")),
                "LIFEBOAT_DATA_DIR=/", "LIFEBOAT_DATA_DIR is not a valid path");
    }

    @Test
    void theLogLevelIsReadOnItsOwnAndWithTheOtherSettings() throws IOException {
        assertThat(Settings.logLevel(Map.of())).isNull();
        assertThat(Settings.logLevel(Map.of("LIFEBOAT_LOG_LEVEL", " "))).isNull();
        assertThat(Settings.logLevel(Map.of("LIFEBOAT_LOG_LEVEL", " debug "))).isEqualTo("DEBUG");
        assertThat(Settings.load(yaml(""), Map.of("LIFEBOAT_LOG_LEVEL", "Info")).logLevel).isEqualTo("INFO");
        assertThat(Settings.load(yaml(""), Map.of()).logLevel).isNull();

        usageError(() -> Settings.logLevel(Map.of("LIFEBOAT_LOG_LEVEL", "verbose")), "LIFEBOAT_LOG_LEVEL=debug",
                "LIFEBOAT_LOG_LEVEL must be one of OFF, ERROR, WARN, INFO, DEBUG, TRACE, ALL, not 'verbose'");
        usageError(() -> Settings.load(yaml(""), Map.of("LIFEBOAT_LOG_LEVEL", "verbose")), "LIFEBOAT_LOG_LEVEL=debug",
                "LIFEBOAT_LOG_LEVEL", "'verbose'");
    }
}
