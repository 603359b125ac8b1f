package dev.lifeboat.it;

import com.fasterxml.jackson.databind.JsonNode;
import dev.lifeboat.testing.LifeboatCli;
import dev.lifeboat.testing.LifeboatService;
import dev.lifeboat.testing.PgCluster;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import static dev.lifeboat.it.ServiceItSupport.JSON;
import static dev.lifeboat.it.ServiceItSupport.createToken;
import static dev.lifeboat.it.ServiceItSupport.get;
import static dev.lifeboat.it.ServiceItSupport.list;
import static dev.lifeboat.it.ServiceItSupport.lockCount;
import static dev.lifeboat.it.ServiceItSupport.post;
import static dev.lifeboat.it.ServiceItSupport.put;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Two {@code lifeboat serve} instances sharing one PostgreSQL state database and one repository, with a
 * backup every minute: each minute slot is backed up once, by one instance or the other; no two jobs run at
 * once, not even a backup asked for through the API of one instance while the other runs the scheduled one;
 * tokens and configuration are shared. Last, a third instance stopped by SIGTERM in the middle of a scheduled
 * backup honours its shutdown grace.
 */
class ClusterIT {
    private static final String APP = "cluster_app";
    private static final String STATE = "cluster_state";
    private static final String SLOW = "cluster_slow";
    private static final String API = "/api/v1/platform";
    /** Scheduled slots to watch the two instances share. */
    private static final int SLOTS = 3;
    private static final int SIGTERM_EXIT = 143;

    @TempDir
    Path work;

    private PgCluster pg;

    /** One row of job_history. */
    record JobRow(String id, String kind, String requestedBy, String status, Instant started, Instant finished,
                  String backupId, String instance, JsonNode details) {
        String slot() {
            return details.path("slot").asText(null);
        }
    }

    @Test
    void twoInstancesShareScheduleLockTokensAndConfiguration() throws Exception {
        pg = PgCluster.shared();
        for (String db : List.of(APP, STATE)) {
            pg.dropDatabase(db);
            pg.createDatabase(db);
        }
        // About 70 MB: a backup takes a few seconds, long enough to ask for another one meanwhile.
        pg.psql(APP, "create table t as select g, md5(g::text) || repeat(md5((g*3)::text), 4) as v "
                + "from generate_series(1, 400000) g");
        // No password in the URL: it comes from PGPASSWORD, as it would in production.
        String stateUrl = "postgres://" + pg.superuser() + "@127.0.0.1:" + pg.port() + "/" + STATE;
        Path repo = work.resolve("repo");

        LifeboatCli cliA = instance("node-a", repo);
        LifeboatCli cliB = instance("node-b", repo);
        cliA.run("init").expectSuccess();
        String admin = createToken(cliA, "admin", "cluster-admin", "--state", stateUrl);

        Instant firstPossibleSlot;
        List<LifeboatService> services = new ArrayList<>();
        try {
            // Not right before a minute boundary: the first slot should find both instances up.
            ServiceItSupport.awayFromMinuteBoundary(Duration.ofSeconds(12));
            firstPossibleSlot = nextMinute(Instant.now());
            LifeboatService a = LifeboatService.start(cliA, "--state", stateUrl);
            services.add(a);
            LifeboatService b = LifeboatService.start(cliB, "--state", stateUrl);
            services.add(b);
            for (LifeboatService s : services) {
                assertThat(s.process().info().commandLine().orElse("")).doesNotContain(pg.password());
                assertThat(s.log()).contains("scheduler (clustered): backups at * * * * *");
            }
            assertThat(work.resolve("data-node-a")).as("SQLite state is not used").doesNotExist();

            // The token made by the CLI in the shared state works on both instances.
            for (LifeboatService s : services) {
                assertThat(get(s, admin, API + "/backups").expect(200).body().get("count").asInt()).isZero();
                get(s, "lb_" + "x".repeat(43), API + "/backups").expect(401);
            }
            // A configuration change made on A is what B reads.
            JsonNode changed = put(a, admin, API + "/backups/config", "{\"retentionDays\": 45}").expect(200).body();
            assertThat(changed.get("retentionDays").asInt()).isEqualTo(45);
            JsonNode seenByB = get(b, admin, API + "/backups/config").expect(200).body();
            assertThat(seenByB.get("retentionDays").asInt()).isEqualTo(45);
            assertThat(seenByB.get("schedule").asText()).isEqualTo("* * * * *");

            // The first scheduled backup: once one instance runs it (its repository lock is taken), ask the
            // other one for a backup through the API. It must wait for the scheduled one.
            JobRow first = await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(100))
                    .until(() -> scheduledRows().stream().filter(r -> r.status().equals("running")).findFirst()
                            .orElse(null), r -> r != null && lockCount(repo) > 0);
            LifeboatService other = first.instance().equals("node-a") ? b : a;
            String apiJob = post(other, admin, API + "/backups?async=true", "{\"label\":\"api\"}").expect(202).body()
                    .get("id").asText();
            await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200)).until(() ->
                    jobRow(apiJob).status().equals("succeeded"));
            assertThat(other.log()).contains("job " + apiJob + " waits: another instance runs a job on ");

            // Watch the next slots come and go.
            Instant firstSlot = Instant.parse(first.slot());
            Instant lastSlot = firstSlot.plus(Duration.ofMinutes(SLOTS - 1));
            await().atMost(Duration.between(Instant.now(), lastSlot.plusSeconds(60)))
                    .pollInterval(Duration.ofSeconds(1)).until(() -> scheduledRows().stream().anyMatch(r ->
                            r.slot().equals(lastSlot.toString()) && !r.status().equals("running")));

            for (LifeboatService s : services) {
                long t0 = System.nanoTime();
                assertThat(s.stop(Duration.ofSeconds(60))).as(s.log()).isEqualTo(SIGTERM_EXIT);
                assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0)).isLessThan(20_000);
            }

            // ---- every slot once, by one instance or the other
            List<JobRow> scheduled = scheduledRows();
            assertThat(scheduled).as("scheduled backups").allSatisfy(r -> {
                assertThat(r.status()).isEqualTo("succeeded");
                assertThat(r.instance()).isIn("node-a", "node-b");
                assertThat(r.backupId()).isNotNull();
            });
            List<String> slots = scheduled.stream().map(JobRow::slot).toList();
            assertThat(slots).doesNotHaveDuplicates();
            assertThat(firstSlot).isIn(firstPossibleSlot, firstPossibleSlot.plus(Duration.ofMinutes(1)));
            List<String> expected = new ArrayList<>();
            for (Instant t = firstSlot; !t.isAfter(lastSlot); t = t.plus(Duration.ofMinutes(1))) {
                expected.add(t.toString());
            }
            assertThat(slots).as("one scheduled backup per minute slot").containsExactlyElementsOf(expected);
            Map<String, String> ranBy = new TreeMap<>();
            scheduled.forEach(r -> ranBy.put(r.slot(), r.instance()));
            System.out.println("ClusterIT: scheduled slots and the instance that ran each: " + ranBy);

            JsonNode backups = list(cliA);
            Map<String, List<String>> byLabel = new TreeMap<>();
            for (JsonNode bk : backups) {
                byLabel.computeIfAbsent(bk.get("label").asText(), k -> new ArrayList<>()).add(bk.get("id").asText());
            }
            assertThat(byLabel.keySet()).containsExactlyInAnyOrder("scheduled", "api");
            assertThat(byLabel.get("scheduled")).containsExactlyInAnyOrderElementsOf(
                    scheduled.stream().map(JobRow::backupId).toList());
            assertThat(byLabel.get("api")).containsExactly(jobRow(apiJob).backupId());

            // ---- no two jobs at once, across both instances
            List<JobRow> all = allRows();
            assertThat(all).allSatisfy(r -> assertThat(r.finished()).as("job %s ended", r.id()).isNotNull());
            List<JobRow> byStart = all.stream().sorted(Comparator.comparing(JobRow::started)).toList();
            for (int i = 1; i < byStart.size(); i++) {
                JobRow prev = byStart.get(i - 1);
                JobRow next = byStart.get(i);
                assertThat(next.started()).as("%s (%s, %s) starts after %s (%s, %s) ended", next.id(),
                        next.requestedBy(), next.instance(), prev.id(), prev.requestedBy(), prev.instance())
                        .isAfterOrEqualTo(prev.finished());
            }
            // Each scheduled job pruned after its backup (auto-purge), inside the interval checked above.
            Map<String, JsonNode> ends = new TreeMap<>();
            try (Connection c = state(); Statement st = c.createStatement(); ResultSet rs = st.executeQuery(
                    "SELECT details FROM audit_log WHERE actor = 'scheduler' AND action = 'backup.end'")) {
                while (rs.next()) {
                    JsonNode d = JSON.readTree(rs.getString(1));
                    ends.put(d.get("job").asText(), d);
                }
            }
            assertThat(scheduled).allSatisfy(r -> {
                assertThat(ends).containsKey(r.id());
                assertThat(ends.get(r.id()).path("prune").has("removedBackups")).as("prune of job %s: %s", r.id(),
                        ends.get(r.id())).isTrue();
            });
            // The repository says the same: the API backup's dump began after the scheduled one was committed.
            Map<String, JsonNode> byId = new LinkedHashMap<>();
            backups.forEach(bk -> byId.put(bk.get("id").asText(), bk));
            JsonNode firstBackup = byId.get(jobRow(first.id()).backupId());
            JsonNode apiBackup = byId.get(jobRow(apiJob).backupId());
            assertThat(Instant.parse(apiBackup.get("started").asText()))
                    .isAfterOrEqualTo(Instant.parse(firstBackup.get("finished").asText()));
        } finally {
            services.forEach(LifeboatService::close);
        }

        // ---- a third instance, stopped in the middle of a scheduled backup, honours its grace of 1 s
        stopDuringAScheduledBackup(repo, stateUrl);
        pg.dropDatabase(APP);
    }

    /**
     * Makes the pending scheduled run due now (as if it fell while every instance was down), starts a
     * slow instance that takes it, and stops that instance with SIGTERM once the backup runs.
     */
    private void stopDuringAScheduledBackup(Path repo, String stateUrl) throws Exception {
        // Data the repository has no chunk of yet, at the slowest level: the backup takes
        // a minute or more, far longer than the grace.
        pg.dropDatabase(SLOW);
        pg.createDatabase(SLOW);
        pg.psql(SLOW, "create table t as select g, md5((g*7)::text) || repeat(md5((g*11)::text), 4) as v "
                + "from generate_series(1, 400000) g");
        LifeboatCli cliC = instance("node-c", repo).env("LIFEBOAT_SHUTDOWN_GRACE", "1")
                .env("DATABASE_URL", "postgres://" + pg.superuser() + "@127.0.0.1:" + pg.port() + "/" + SLOW)
                .env("LIFEBOAT_THREADS", "1").env("LIFEBOAT_COMPRESSION_LEVEL", "19");
        try (Connection c = state(); Statement st = c.createStatement()) {
            assertThat(st.executeUpdate("UPDATE scheduled_tasks SET execution_time = now() "
                    + "WHERE task_name = 'lifeboat-backup' AND NOT picked")).isEqualTo(1);
        }
        try (LifeboatService s = LifeboatService.start(cliC, "--state", stateUrl)) {
            JobRow running = await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(100))
                    .until(() -> scheduledRows().stream().filter(r -> r.instance().equals("node-c")).findFirst()
                            .orElse(null), r -> r != null && r.status().equals("running") && lockCount(repo) > 0);
            Thread.sleep(1000); // into the dump, which takes far longer than the grace at level 19
            long t0 = System.nanoTime();
            int exit = s.stop(Duration.ofSeconds(120));
            long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
            String log = s.log();
            assertThat(ms).as("ms from SIGTERM to exit\n" + log).isLessThan(15_000);
            assertThat(exit).as(log).isEqualTo(SIGTERM_EXIT);
            assertThat(log).contains("a job is still running after 1 s: stopping it", "INFO  stopped");
            assertThat(jobRow(running.id()).status()).isEqualTo("interrupted");
        }
        assertThat(lockCount(repo)).isZero();
        try (Connection c = state(); Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SELECT picked, execution_time > now() FROM scheduled_tasks "
                     + "WHERE task_name = 'lifeboat-backup'")) {
            assertThat(rs.next()).isTrue();
            assertThat(rs.getBoolean(1)).as("the run is not left picked by the stopped instance").isFalse();
            assertThat(rs.getBoolean(2)).as("the next run is scheduled").isTrue();
        }
        pg.dropDatabase(SLOW);
    }

    /** A service instance of the shared repository and state, scheduled every minute, polling every second. */
    private LifeboatCli instance(String name, Path repo) {
        return new LifeboatCli(work).env("LIFEBOAT_REPOSITORY", repo.toString())
                .env("PGPASSWORD", pg.password())
                .env("DATABASE_URL", "postgres://" + pg.superuser() + "@127.0.0.1:" + pg.port() + "/" + APP)
                .env("LIFEBOAT_DATA_DIR", work.resolve("data-" + name).toString())
                .env("LIFEBOAT_INSTANCE", name)
                .env("LIFEBOAT_BACKUP_SCHEDULE", "* * * * *")
                .env("LIFEBOAT_CLUSTER_POLL_SECONDS", "1")
                .env("LIFEBOAT_SHUTDOWN_GRACE", "10")
                .env("LIFEBOAT_THREADS", "2").env("LIFEBOAT_COMPRESSION_LEVEL", "3");
    }

    private Connection state() throws Exception {
        return DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + pg.port() + "/" + STATE, pg.superuser(),
                pg.password());
    }

    private List<JobRow> allRows() throws Exception {
        List<JobRow> out = new ArrayList<>();
        try (Connection c = state(); Statement st = c.createStatement(); ResultSet rs = st.executeQuery(
                "SELECT id, kind, requested_by, status, started, finished, backup_id, instance, details "
                        + "FROM job_history ORDER BY started, seq")) {
            while (rs.next()) {
                out.add(new JobRow(rs.getString(1), rs.getString(2), rs.getString(3), rs.getString(4),
                        instant(rs.getString(5)), instant(rs.getString(6)), rs.getString(7), rs.getString(8),
                        JSON.readTree(rs.getString(9) == null ? "{}" : rs.getString(9))));
            }
        }
        return out;
    }

    /** The backups requested by the scheduler, in start order. */
    private List<JobRow> scheduledRows() throws Exception {
        return allRows().stream().filter(r -> r.kind().equals("backup") && r.requestedBy().equals("scheduler"))
                .collect(Collectors.toList());
    }

    private JobRow jobRow(String id) throws Exception {
        return allRows().stream().filter(r -> r.id().equals(id)).findFirst().orElseThrow();
    }

    private static Instant instant(String s) {
        return s == null ? null : Instant.parse(s);
    }

    private static Instant nextMinute(Instant t) {
        return t.truncatedTo(ChronoUnit.MINUTES).plus(Duration.ofMinutes(1));
    }
}
