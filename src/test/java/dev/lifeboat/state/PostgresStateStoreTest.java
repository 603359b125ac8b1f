package dev.lifeboat.state;

import dev.lifeboat.testing.MutableClock;

import dev.lifeboat.core.ErrorCode;
import dev.lifeboat.core.LifeboatException;
import dev.lifeboat.testing.PgCluster;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import javax.sql.DataSource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** What only PostgreSQL has: opening by URI, the pool, passwords kept out of sight, several instances. */
class PostgresStateStoreTest {
    private static PgCluster pg;

    @TempDir
    Path temp;

    private StateFixture fixture;
    private String prefix;

    @BeforeAll
    static void cluster() {
        pg = StateFixture.cluster();
    }

    @BeforeEach
    void database() {
        fixture = new StateFixture(Backend.POSTGRES, temp);
        prefix = "postgres://" + PgCluster.SUPERUSER;
    }

    @AfterEach
    void drop() {
        fixture.close();
    }

    private String hostPortDb() {
        return pg.host() + ":" + pg.port() + "/" + fixture.database;
    }

    @Test
    void openByUriDescribesItWithoutPassword() throws Exception {
        try (StateStore store = fixture.open(Clock.systemUTC())) {
            assertThat(store.isPostgres()).isTrue();
            assertThat(store.file()).isNull();
            assertThat(store.describe()).isEqualTo(prefix + "@" + hostPortDb());
            assertNoPassword(store.describe());
            assertThat(temp).as("nothing written to the data folder").isEmptyDirectory();

            DataSource ds = store.postgresDataSource().orElseThrow();
            try (Connection c = ds.getConnection(); Statement st = c.createStatement();
                 ResultSet rs = st.executeQuery("SELECT current_database(), current_setting('application_name')")) {
                rs.next();
                assertThat(rs.getString(1)).isEqualTo(fixture.database);
                assertThat(rs.getString(2)).isEqualTo("lifeboat");
            }
        }
    }

    @Test
    void migrationsApplyOnceAndReopeningChangesNothing() throws Exception {
        try (StateStore store = fixture.open(Clock.systemUTC())) {
            store.tokens().create(Role.VIEWER, "kept");
        }
        List<String> first = rows("SELECT version || ':' || description || ':' || success FROM flyway_schema_history "
                + "ORDER BY installed_rank");
        assertThat(first).containsExactly("1:init:true", "2:service:true", "3:scheduled tasks:true",
                "4:job history backup:true");
        try (StateStore store = fixture.open(Clock.systemUTC())) {
            assertThat(store.tokens().list()).extracting(TokenInfo::name).containsExactly("kept");
        }
        assertThat(rows("SELECT version || ':' || description || ':' || success FROM flyway_schema_history "
                + "ORDER BY installed_rank")).isEqualTo(first);
        assertThat(rows("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")).contains("api_token",
                "job_history", "audit_log", "settings", "confirmation_token", "web_session");
    }

    @Test
    void thePasswordMayComeFromPgpassword() {
        String url = prefix + "@" + hostPortDb();
        try (StateStore store = StateStore.open(url, temp, Clock.systemUTC(), Map.of("PGPASSWORD", pg.password()))) {
            assertThat(store.tokens().list()).isEmpty();
        }
        assertThatThrownBy(() -> StateStore.open(url, temp, Clock.systemUTC(), Map.of("PGPASSWORD", "not-it")))
                .isInstanceOfSatisfying(LifeboatException.class, e -> {
                    assertThat(e.code()).isEqualTo(ErrorCode.STORAGE);
                    assertThat(e.getMessage()).contains("password authentication failed").doesNotContain("not-it");
                });
    }

    @Test
    void aJdbcUrlWorksToo() {
        String url = "jdbc:postgresql://" + hostPortDb() + "?user=" + PgCluster.SUPERUSER + "&password="
                + URLEncoder.encode(pg.password(), StandardCharsets.UTF_8);
        try (StateStore store = StateStore.open(url, temp, Clock.systemUTC())) {
            assertThat(store.isPostgres()).isTrue();
            assertThat(store.describe()).isEqualTo("jdbc:postgresql://" + hostPortDb() + "?user="
                    + PgCluster.SUPERUSER);
            assertNoPassword(store.describe());
        }
    }

    @Test
    void aWrongPasswordIsAStorageErrorThatNeverShowsIt() {
        String wrong = "Wr0ng-p@ss:word/" + System.nanoTime();
        String url = prefix + ":" + URLEncoder.encode(wrong, StandardCharsets.UTF_8) + "@" + hostPortDb();
        assertThatThrownBy(() -> StateStore.open(url, temp, Clock.systemUTC()))
                .isInstanceOfSatisfying(LifeboatException.class, e -> {
                    assertThat(e.code()).isEqualTo(ErrorCode.STORAGE);
                    assertThat(e.getMessage()).startsWith("cannot connect to state database " + prefix + "@"
                            + hostPortDb() + ": ").contains("password authentication failed");
                    assertThat(e.hint()).contains("PGPASSWORD");
                    for (Throwable t = e; t != null; t = t.getCause()) {
                        assertThat(String.valueOf(t.getMessage())).doesNotContain(wrong)
                                .doesNotContain(URLEncoder.encode(wrong, StandardCharsets.UTF_8));
                        assertThat(t.toString()).doesNotContain(wrong);
                    }
                });
    }

    @Test
    void aMissingDatabaseOrServerIsAStorageError() throws Exception {
        String noDb = pg.url("no_such_db_" + System.nanoTime());
        assertThatThrownBy(() -> StateStore.open(noDb, temp, Clock.systemUTC()))
                .isInstanceOfSatisfying(LifeboatException.class, e -> {
                    assertThat(e.code()).isEqualTo(ErrorCode.STORAGE);
                    assertThat(e.getMessage()).contains("does not exist");
                    assertNoPassword(e.getMessage());
                });
        int closedPort;
        try (java.net.ServerSocket s = new java.net.ServerSocket(0)) {
            closedPort = s.getLocalPort();
        }
        String noServer = "postgres://" + PgCluster.SUPERUSER + ":secret@127.0.0.1:" + closedPort + "/x";
        assertThatThrownBy(() -> StateStore.open(noServer, temp, Clock.systemUTC()))
                .isInstanceOfSatisfying(LifeboatException.class, e -> {
                    assertThat(e.code()).isEqualTo(ErrorCode.STORAGE);
                    assertThat(e.getMessage()).contains("127.0.0.1:" + closedPort).doesNotContain("secret");
                });
    }

    @Test
    void twoInstancesShareOneState() {
        try (StateStore a = fixture.open(new MutableClock(StateTestBase.START));
             StateStore b = fixture.open(new MutableClock(StateTestBase.START))) {
            CreatedToken t = a.tokens().create(Role.OPERATOR, "ci");
            Principal p = b.tokens().authenticate(t.token()).orElseThrow();
            Session s = a.sessions().create(p, Duration.ofHours(1));
            assertThat(b.sessions().find(s.id())).contains(s);

            JobRecord job = a.jobs().start("backup", "ci", "node-a", null);
            assertThat(b.jobs().markInterrupted("node-b")).isZero();
            assertThat(b.jobs().markInterrupted("node-a")).isOne();
            assertThat(a.jobs().find(job.id()).orElseThrow().status()).isEqualTo(JobStatus.INTERRUPTED);

            String confirm = a.confirmations().issue("b1", p, "app", Duration.ofMinutes(5));
            assertThat(b.confirmations().consume(confirm, "b1", p).backupId()).isEqualTo("b1");
            assertThatThrownBy(() -> a.confirmations().consume(confirm, "b1", p))
                    .isInstanceOfSatisfying(ConfirmationException.class,
                            e -> assertThat(e.failure()).isEqualTo(ConfirmationException.Failure.USED));

            a.settings().put("retention.keepDaily", "7", "ci");
            assertThat(b.settings().get("retention.keepDaily")).contains("7");
            a.audit().record("ci", "backup.start", "b1", "ok", null);
            assertThat(b.audit().recent(1)).extracting(AuditEntry::target).containsExactly("b1");
        }
    }

    @Test
    void closingTheStoreClosesItsPool() throws Exception {
        StateStore store = fixture.open(Clock.systemUTC());
        DataSource ds = store.postgresDataSource().orElseThrow();
        store.close();
        assertThatThrownBy(ds::getConnection).isInstanceOf(java.sql.SQLException.class);
        assertThatThrownBy(() -> store.tokens().list())
                .isInstanceOfSatisfying(LifeboatException.class, e -> assertNoPassword(e.getMessage()));
    }

    private void assertNoPassword(String text) {
        assertThat(text).doesNotContain(pg.password())
                .doesNotContain(URLEncoder.encode(pg.password(), StandardCharsets.UTF_8))
                .doesNotContain(pg.password().substring(0, 24));
    }

    private List<String> rows(String sql) throws Exception {
        List<String> out = new ArrayList<>();
        try (Connection c = fixture.connect(); Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
            while (rs.next()) {
                out.add(rs.getString(1));
            }
        }
        return out;
    }
}
