package dev.lifeboat.state;

import dev.lifeboat.core.ErrorCode;
import dev.lifeboat.core.LifeboatException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

class StateStoreTest {
    @TempDir
    Path temp;

    @Test
    void dataDirComesFromOptionThenEnvironmentThenDefault() {
        Map<String, String> env = Map.of("LIFEBOAT_DATA_DIR", "/srv/lifeboat");
        assertThat(StateStore.dataDir(Path.of("/opt/x"), env)).isEqualTo(Path.of("/opt/x"));
        assertThat(StateStore.dataDir(null, env)).isEqualTo(Path.of("/srv/lifeboat"));
        assertThat(StateStore.dataDir(null, Map.of())).isEqualTo(Path.of("lifeboat-data"));
        assertThat(StateStore.dataDir(null, Map.of("LIFEBOAT_DATA_DIR", " "))).isEqualTo(Path.of("lifeboat-data"));
    }

    @Test
    void migrationsApplyOnceAndReopeningChangesNothing() throws Exception {
        Path dir = temp.resolve("data");
        try (StateStore store = StateStore.open(dir)) {
            assertThat(store.file()).isEqualTo(dir.resolve("state.db"));
            assertThat(store.tokens().list()).isEmpty();
        }
        List<String> first = history(dir);
        assertThat(first).containsExactly("1:init:true");
        try (StateStore store = StateStore.open(dir)) {
            store.tokens().create(Role.VIEWER, "kept");
        }
        try (StateStore store = StateStore.open(dir)) {
            assertThat(store.tokens().list()).extracting(TokenInfo::name).containsExactly("kept");
        }
        assertThat(history(dir)).isEqualTo(first);
        assertThat(tables(dir)).contains("api_token", "job_history", "audit_log", "settings");
    }

    @Test
    void folderIs0700AndFilesAre0600() throws Exception {
        assumeTrue(FileSystems.getDefault().supportedFileAttributeViews().contains("posix"), "POSIX file system");
        Path dir = temp.resolve("nested/data");
        try (StateStore store = StateStore.open(dir)) {
            store.tokens().create(Role.ADMIN, "a"); // a write, so the WAL exists
            assertThat(mode(dir)).isEqualTo("rwx------");
            List<Path> files;
            try (var s = Files.list(dir)) {
                files = s.toList();
            }
            assertThat(files).extracting(p -> p.getFileName().toString())
                    .contains("state.db", "state.db-wal", "state.db-shm");
            for (Path f : files) {
                assertThat(mode(f)).as(f.toString()).isEqualTo("rw-------");
            }
        }
        try (StateStore reopened = StateStore.open(dir)) {
            assertThat(mode(reopened.file())).isEqualTo("rw-------");
        }
    }

    @Test
    void aDataDirThatIsAFileIsAUsageError() throws Exception {
        Path notADir = Files.writeString(temp.resolve("file"), "x");
        assertThatThrownBy(() -> StateStore.open(notADir))
                .isInstanceOfSatisfying(LifeboatException.class, e -> {
                    assertThat(e.code()).isEqualTo(ErrorCode.USAGE);
                    assertThat(e.hint()).contains("--data-dir");
                });
    }

    @Test
    void auditLogAppendsAndListsNewestFirst() {
        MutableClock clock = new MutableClock(Instant.parse("2026-11-21T03:00:00.123456Z"));
        try (StateStore store = StateStore.open(temp, clock)) {
            AuditEntry first = store.audit().record("ci", "token.create", "ab12", "ok", Map.of("role", "viewer"));
            clock.now = clock.now.plusSeconds(1);
            store.audit().record("anonymous", "backup.start", null, "denied", null);

            List<AuditEntry> entries = store.audit().recent(10);
            assertThat(entries).hasSize(2);
            assertThat(entries.get(0).action()).isEqualTo("backup.start");
            assertThat(entries.get(0).target()).isNull();
            assertThat(entries.get(0).details()).isEmpty();
            assertThat(entries.get(1)).isEqualTo(first);
            assertThat(entries.get(1).at()).isEqualTo(Instant.parse("2026-11-21T03:00:00.123Z"));
            assertThat(entries.get(1).details()).containsEntry("role", "viewer");
            assertThat(store.audit().recent(1)).hasSize(1);
        }
    }

    @Test
    void jobsStartFinishAndListNewestFirst() {
        MutableClock clock = new MutableClock(Instant.parse("2026-11-21T03:00:00Z"));
        try (StateStore store = StateStore.open(temp, clock)) {
            JobRecord backup = store.jobs().start("backup", "scheduler", Map.of("label", "nightly"));
            assertThat(backup.status()).isEqualTo(JobStatus.RUNNING);
            clock.now = clock.now.plusSeconds(90);
            JobRecord verify = store.jobs().start("verify", "ci", null);

            JobRecord done = store.jobs().finish(backup.id(), JobStatus.SUCCEEDED, "20261121T030000Z-ab12", null);
            assertThat(done.finished()).isEqualTo(Instant.parse("2026-11-21T03:01:30Z"));
            store.jobs().finish(verify.id(), JobStatus.FAILED, null, "chunk ab12 missing");

            List<JobRecord> jobs = store.jobs().recent(10);
            assertThat(jobs).extracting(JobRecord::kind).containsExactly("verify", "backup");
            assertThat(jobs.get(0).status()).isEqualTo(JobStatus.FAILED);
            assertThat(jobs.get(0).error()).isEqualTo("chunk ab12 missing");
            assertThat(jobs.get(1)).isEqualTo(done);
            assertThat(jobs.get(1).details()).containsEntry("label", "nightly");
            assertThat(jobs.get(1).backupId()).isEqualTo("20261121T030000Z-ab12");

            assertThatThrownBy(() -> store.jobs().finish("nope", JobStatus.CANCELLED, null, null))
                    .isInstanceOfSatisfying(LifeboatException.class,
                            e -> assertThat(e.code()).isEqualTo(ErrorCode.NOT_FOUND));
        }
    }

    @Test
    void timesSortAsText() {
        assertThat(Sql.time(Instant.parse("2026-01-01T00:00:00Z"))).isEqualTo("2026-01-01T00:00:00.000Z");
        assertThat(Sql.time(Instant.parse("2026-01-01T00:00:00.5Z")))
                .isGreaterThan(Sql.time(Instant.parse("2026-01-01T00:00:00Z")));
    }

    private static String mode(Path p) throws Exception {
        return PosixFilePermissions.toString(Files.getPosixFilePermissions(p));
    }

    private static List<String> history(Path dir) throws Exception {
        List<String> out = new ArrayList<>();
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + dir.resolve("state.db"));
             Statement st = c.createStatement();
             ResultSet rs = st.executeQuery(
                     "SELECT version, description, success FROM flyway_schema_history ORDER BY installed_rank")) {
            while (rs.next()) {
                out.add(rs.getString(1) + ":" + rs.getString(2) + ":" + rs.getBoolean(3));
            }
        }
        return out;
    }

    private static List<String> tables(Path dir) throws Exception {
        List<String> out = new ArrayList<>();
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + dir.resolve("state.db"));
             Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SELECT name FROM sqlite_master WHERE type = 'table'")) {
            while (rs.next()) {
                out.add(rs.getString(1));
            }
        }
        return out;
    }

    static final class MutableClock extends Clock {
        Instant now;

        MutableClock(Instant now) {
            this.now = now;
        }

        @Override
        public ZoneOffset getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(java.time.ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return now;
        }
    }
}
