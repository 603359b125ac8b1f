package dev.lifeboat.state;

import dev.lifeboat.testing.MutableClock;

import dev.lifeboat.testing.PgCluster;
import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.configuration.FluentConfiguration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** A state made by V1 (as released) keeps its rows when V2 is applied, on both backends. */
@ParameterizedClass(name = "{0}")
@EnumSource(Backend.class)
class MigrationTest {
    @Parameter
    Backend backend;

    @TempDir
    Path temp;

    private StateFixture fixture;

    @BeforeEach
    void version1() throws Exception {
        fixture = new StateFixture(backend, temp);
        FluentConfiguration flyway = Flyway.configure().target("1").failOnMissingLocations(true);
        if (backend == Backend.SQLITE) {
            flyway.dataSource("jdbc:sqlite:" + temp.resolve(StateStore.FILE_NAME), null, null)
                    .locations(StateStore.MIGRATIONS);
        } else {
            PgCluster pg = StateFixture.cluster();
            flyway.dataSource("jdbc:postgresql://" + pg.host() + ":" + pg.port() + "/" + fixture.database,
                    pg.superuser(), pg.password()).locations(StateStore.POSTGRES_MIGRATIONS);
        }
        flyway.load().migrate();
        try (Connection c = fixture.connect(); Statement st = c.createStatement()) {
            st.executeUpdate("INSERT INTO api_token (id, name, role, token_hash, created, last_used) VALUES "
                    + "('a1a1a1a1a1a1', 'ops', 'admin', '" + "ab".repeat(32) + "', '2026-01-01T00:00:00.000Z', "
                    + "'2026-01-02T00:00:00.000Z')");
            // Three jobs: two started in the same millisecond, so only the insertion order tells them apart.
            st.executeUpdate("INSERT INTO job_history (id, kind, requested_by, status, started, finished, "
                    + "backup_id, error, details) VALUES "
                    + "('000000000003', 'backup', 'scheduler', 'succeeded', '2026-01-01T03:00:00.000Z', "
                    + "'2026-01-01T03:05:00.000Z', 'b1', NULL, '{\"label\":\"nightly\"}')");
            st.executeUpdate("INSERT INTO job_history (id, kind, requested_by, status, started) VALUES "
                    + "('000000000002', 'verify', 'ops', 'running', '2026-01-02T03:00:00.000Z')");
            st.executeUpdate("INSERT INTO job_history (id, kind, requested_by, status, started, error) VALUES "
                    + "('000000000001', 'prune', 'ops', 'failed', '2026-01-02T03:00:00.000Z', 'locked')");
            st.executeUpdate("INSERT INTO audit_log (at, actor, action, target, result) VALUES "
                    + "('2026-01-01T00:00:00.000Z', 'cli', 'token.create', 'a1a1a1a1a1a1', 'ok')");
            st.executeUpdate("INSERT INTO audit_log (at, actor, action, result, details) VALUES "
                    + "('2026-01-01T00:00:01.000Z', 'ops', 'backup.start', 'denied', '{\"why\":\"role\"}')");
            st.executeUpdate("INSERT INTO settings (key, value, updated, updated_by) VALUES "
                    + "('retention.keepDaily', '7', '2026-01-01T00:00:00.000Z', 'ops')");
        }
        assertThat(history()).containsExactly("1");
    }

    @AfterEach
    void drop() {
        fixture.close();
    }

    @Test
    void laterVersionsKeepEveryRow() throws Exception {
        MutableClock clock = new MutableClock("2026-01-03T00:00:00Z");
        try (StateStore store = fixture.open(clock)) {
            assertThat(history()).containsExactly("1", "2", "3", "4");

            assertThat(store.tokens().list()).singleElement().satisfies(t -> {
                assertThat(t.name()).isEqualTo("ops");
                assertThat(t.role()).isEqualTo(Role.ADMIN);
                assertThat(t.lastUsed()).isEqualTo(Instant.parse("2026-01-02T00:00:00Z"));
            });
            assertThat(store.tokens().find("a1a1a1a1a1a1")).isPresent();

            List<JobRecord> jobs = store.jobs().recent(10);
            assertThat(jobs).extracting(JobRecord::id).containsExactly("000000000001", "000000000002", "000000000003");
            assertThat(jobs).extracting(JobRecord::instance).containsOnlyNulls();
            assertThat(jobs.get(2).details()).containsEntry("label", "nightly");
            assertThat(jobs.get(2).backupId()).isEqualTo("b1");
            assertThat(jobs.get(0).error()).isEqualTo("locked");

            assertThat(store.jobs().markInterrupted(null)).as("the V1 job still running").isOne();
            assertThat(store.jobs().find("000000000002").orElseThrow().status()).isEqualTo(JobStatus.INTERRUPTED);
            assertThat(store.jobs().lastStarted("backup", "scheduler")).contains(Instant.parse("2026-01-01T03:00:00Z"));

            List<AuditEntry> audit = store.audit().recent(10);
            assertThat(audit).extracting(AuditEntry::action).containsExactly("backup.start", "token.create");
            assertThat(audit.get(0).details()).containsEntry("why", "role");
            AuditEntry next = store.audit().record("ops", "settings.put", "x", "ok", null);
            assertThat(next.id()).isGreaterThan(audit.get(0).id());

            assertThat(store.settings().all()).containsExactly(java.util.Map.entry("retention.keepDaily", "7"));

            store.sessions().create(store.tokens().find("a1a1a1a1a1a1").orElseThrow(), Duration.ofHours(1));
        }
        try (Connection c = fixture.connect(); Statement st = c.createStatement()) {
            assertThatThrownBy(() -> st.executeUpdate("UPDATE job_history SET status = 'lost'"))
                    .as("the status CHECK survived the rebuild").isInstanceOf(java.sql.SQLException.class);
        }
    }

    private List<String> history() throws Exception {
        List<String> out = new ArrayList<>();
        try (Connection c = fixture.connect(); Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SELECT version FROM flyway_schema_history WHERE success "
                     + "ORDER BY installed_rank")) {
            while (rs.next()) {
                out.add(rs.getString(1));
            }
        }
        return out;
    }
}
