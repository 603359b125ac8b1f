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
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static dev.lifeboat.testing.Requirements.require;

class StateStoreTest {
    @TempDir
    Path temp;

    @Test
    void migrationsApplyOnceAndReopeningChangesNothing() throws Exception {
        Path dir = temp.resolve("data");
        try (StateStore store = StateStore.open(dir)) {
            assertThat(store.file()).isEqualTo(dir.resolve("state.db"));
            assertThat(store.tokens().list()).isEmpty();
        }
        List<String> first = history(dir);
        assertThat(first).containsExactly("1:init:true", "2:service:true", "3:scheduled tasks:true",
                "4:job history backup:true");
        try (StateStore store = StateStore.open(dir)) {
            store.tokens().create(Role.VIEWER, "kept");
        }
        try (StateStore store = StateStore.open(dir)) {
            assertThat(store.tokens().list()).extracting(TokenInfo::name).containsExactly("kept");
        }
        assertThat(history(dir)).isEqualTo(first);
        assertThat(tables(dir)).contains("api_token", "job_history", "audit_log", "settings", "confirmation_token",
                "web_session");
    }

    @Test
    void folderIs0700AndFilesAre0600() throws Exception {
        require(FileSystems.getDefault().supportedFileAttributeViews().contains("posix"), "a POSIX file system",
                "run the tests on Linux, as CI does");
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
    void noStateUrlMeansSqliteInTheDataFolder() {
        Path dir = temp.resolve("data");
        try (StateStore store = StateStore.open(" ", dir, Clock.systemUTC())) {
            assertThat(store.isPostgres()).isFalse();
            assertThat(store.file()).isEqualTo(dir.resolve("state.db"));
            assertThat(store.describe()).isEqualTo(dir.resolve("state.db").toString());
            assertThat(store.postgresDataSource()).isEmpty();
        }
        try (StateStore store = StateStore.open(null, dir, Clock.systemUTC())) {
            assertThat(store.file()).isEqualTo(dir.resolve("state.db"));
        }
    }

    @Test
    void otherLocationsAreUsageErrorsThatShowNoPassword() {
        for (String url : new String[] {"mysql://root:hunter2@db/state", "/var/lib/lifeboat/state.db",
                "sqlite:state.db", "postgres//user:hunter2@db"}) {
            assertThatThrownBy(() -> StateStore.open(url, temp, Clock.systemUTC())).as(url)
                    .isInstanceOfSatisfying(LifeboatException.class, e -> {
                        assertThat(e.code()).isEqualTo(ErrorCode.USAGE);
                        assertThat(e.getMessage()).doesNotContain("hunter2");
                        assertThat(e.hint()).contains("postgres://").contains("--data-dir");
                    });
        }
        assertThat(temp.resolve("state.db")).doesNotExist();
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
}
