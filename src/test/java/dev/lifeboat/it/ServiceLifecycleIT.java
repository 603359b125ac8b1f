package dev.lifeboat.it;

import com.fasterxml.jackson.databind.JsonNode;
import dev.lifeboat.testing.LifeboatCli;
import dev.lifeboat.testing.LifeboatService;
import dev.lifeboat.testing.PgCluster;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

import static dev.lifeboat.it.ServiceItSupport.Answer;
import static dev.lifeboat.it.ServiceItSupport.chunkCount;
import static dev.lifeboat.it.ServiceItSupport.createToken;
import static dev.lifeboat.it.ServiceItSupport.get;
import static dev.lifeboat.it.ServiceItSupport.lines;
import static dev.lifeboat.it.ServiceItSupport.list;
import static dev.lifeboat.it.ServiceItSupport.lockCount;
import static dev.lifeboat.it.ServiceItSupport.post;
import static dev.lifeboat.it.ServiceItSupport.sleepUntil;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * {@code lifeboat serve} on SQLite state, started and stopped as a process: SIGTERM during a backup with a
 * short and with the default grace, SIGKILL during a backup and the restart that follows, a scheduled run
 * missed while the service was down (run at start-up, or not), and retention after a scheduled backup.
 *
 * <p>The tests that need a minute slot to pass since a backup run last: the backups they start from are made
 * before the others run, so that the slot has usually passed by the time they start.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ServiceLifecycleIT {
    /** What a JVM ended by SIGTERM exits with once its shutdown hooks have run. */
    private static final int SIGTERM_EXIT = 143;
    private static final String SMALL = "life_small";
    private static final String BIG = "life_big";
    private static final String BACKUPS = "/api/v1/platform/backups";
    private static final String JOBS = "/api/v1/platform/jobs";
    /** A service log line: UTC time with milliseconds, level, message. */
    private static final String LINE = "\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z INFO  ";

    @TempDir
    static Path work;
    private static PgCluster pg;
    /** Repositories with backups made before the first test, for the missed-run tests. */
    private static Path missedRepo;
    private static Path missedOffRepo;
    private static Instant lastCliBackup;

    @BeforeAll
    static void databases() {
        pg = PgCluster.shared();
        for (String db : List.of(SMALL, BIG)) {
            pg.dropDatabase(db);
            pg.createDatabase(db);
        }
        pg.psql(SMALL, "create table t as select g, md5(g::text) as v from generate_series(1, 20000) g");
        // About 70 MB of text: a few seconds at zstd level 3, far longer at level 19 on one thread.
        pg.psql(BIG, "create table t as select g, md5(g::text) || repeat(md5((g*3)::text), 4) as v "
                + "from generate_series(1, 400000) g");

        missedRepo = work.resolve("missed-repo");
        LifeboatCli a = cli(missedRepo, SMALL);
        a.run("init").expectSuccess();
        a.run("backup", "--label", "before").expectSuccess();
        missedOffRepo = work.resolve("missed-off-repo");
        LifeboatCli b = cli(missedOffRepo, SMALL);
        b.run("init").expectSuccess();
        b.run("backup", "--label", "old-1").expectSuccess();
        b.run("backup", "--label", "old-2").expectSuccess();
        lastCliBackup = Instant.now();
    }

    @AfterAll
    static void dropDatabases() {
        pg.dropDatabase(SMALL);
        pg.dropDatabase(BIG);
    }

    private static String dbUrl(String db) {
        return "postgres://" + pg.superuser() + "@127.0.0.1:" + pg.port() + "/" + db;
    }

    /** The CLI (and service) of one repository and database, with its own data folder, password in PGPASSWORD. */
    private static LifeboatCli cli(Path repo, String db) {
        return new LifeboatCli(work).env("LIFEBOAT_REPOSITORY", repo.toString())
                .env("LIFEBOAT_DATA_DIR", repo.resolveSibling(repo.getFileName() + "-data").toString())
                .env("PGPASSWORD", pg.password())
                .env("DATABASE_URL", dbUrl(db))
                .env("LIFEBOAT_LOCK_WAIT", "0"); // a stale lock left behind makes a command fail, not wait
    }

    private static Path stateDb(Path repo) {
        return repo.resolveSibling(repo.getFileName() + "-data").resolve("state.db");
    }

    /** status, requested_by, error of a job, read from the SQLite state file. */
    private static List<String> jobRow(Path repo, String jobId) throws Exception {
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + stateDb(repo));
             PreparedStatement ps = c.prepareStatement(
                     "SELECT status, requested_by, error, backup_id FROM job_history WHERE id = ?")) {
            ps.setString(1, jobId);
            try (ResultSet rs = ps.executeQuery()) {
                assertThat(rs.next()).as("job %s in %s", jobId, stateDb(repo)).isTrue();
                List<String> row = new ArrayList<>();
                for (int i = 1; i <= 4; i++) {
                    row.add(rs.getString(i));
                }
                return row;
            }
        }
    }

    @Test
    @Order(1)
    void sigtermWithShortGraceInterruptsTheBackupAndPruneRemovesWhatItLeft() throws Exception {
        Path repo = work.resolve("grace1-repo");
        LifeboatCli cli = cli(repo, BIG).env("LIFEBOAT_SHUTDOWN_GRACE", "1")
                .env("LIFEBOAT_RUN_MISSED_AT_STARTUP", "false")
                .env("LIFEBOAT_THREADS", "1").env("LIFEBOAT_COMPRESSION_LEVEL", "19");
        cli.run("init").expectSuccess();
        // A backup to keep, of another database: its chunks must survive the prune, and verify must pass.
        cli.run("backup", "--db", dbUrl(SMALL), "--label", "keep").expectSuccess();
        long keptChunks = chunkCount(repo);
        String token = createToken(cli, "operator", "ops");

        String jobId;
        String log;
        long stopMillis;
        int exit;
        try (LifeboatService s = LifeboatService.start(cli)) {
            jobId = post(s, token, BACKUPS + "?async=true", "{\"label\":\"cut-short\"}").expect(202).body()
                    .get("id").asText();
            await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(50))
                    .until(() -> chunkCount(repo) >= keptChunks + 2);
            long t0 = System.nanoTime();
            exit = s.stop(Duration.ofSeconds(60));
            stopMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
            log = s.log();
        }
        // 1 s of grace, then pg_dump is terminated and the job fails fast.
        assertThat(stopMillis).as("ms from SIGTERM to exit\n" + log).isLessThan(15_000);
        assertThat(exit).as(log).isEqualTo(SIGTERM_EXIT);
        assertThat(log).contains("stopping: no new jobs; waiting for the running one",
                "a job is still running after 1 s: stopping it", "job " + jobId + " backup interrupted after");
        assertThat(lines(log, "INFO  stopped")).as(log).hasSize(1);
        // A job cut short by the shutdown is no unexpected failure: one end line, no error, no stack trace.
        assertThat(lines(log, "job " + jobId + " ")).as(log).hasSize(3); // queued, started, interrupted
        assertThat(log).doesNotContain(" ERROR ", "\tat ");
        assertThat(jobRow(repo, jobId).subList(0, 2)).containsExactly("interrupted", "ops");

        assertThat(lockCount(repo)).as("repository locks left by the stopped service").isZero();
        JsonNode backups = list(cli);
        assertThat(backups).hasSize(1);
        assertThat(backups.get(0).get("label").asText()).isEqualTo("keep");

        long before = chunkCount(repo);
        assertThat(before).isGreaterThan(keptChunks);
        LifeboatCli.Result prune = cli.run("prune").expectSuccess();
        assertThat(prune.stderr()).doesNotContain("stale", "waiting");
        assertThat(chunkCount(repo)).as("chunks after prune (%d before, %d of the kept backup)", before, keptChunks)
                .isEqualTo(keptChunks);
        cli.run("verify", "--all", "--read-data").expectSuccess();
    }

    @Test
    @Order(2)
    void sigtermWithTheDefaultGraceLetsTheBackupFinish() throws Exception {
        Path repo = work.resolve("grace30-repo");
        LifeboatCli cli = cli(repo, BIG).env("LIFEBOAT_RUN_MISSED_AT_STARTUP", "false")
                .env("LIFEBOAT_THREADS", "2").env("LIFEBOAT_COMPRESSION_LEVEL", "3");
        cli.run("init").expectSuccess();
        String token = createToken(cli, "operator", "ops");

        String jobId;
        String log;
        long stopMillis;
        int exit;
        try (LifeboatService s = LifeboatService.start(cli)) {
            jobId = post(s, token, BACKUPS + "?async=true", "{\"label\":\"short\"}").expect(202).body()
                    .get("id").asText();
            await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(50)).until(() -> {
                JsonNode j = get(s, token, JOBS + "/" + jobId).expect(200).body();
                return j.get("status").asText().equals("running") && j.path("progress").path("task").isTextual();
            });
            long t0 = System.nanoTime();
            exit = s.stop(Duration.ofSeconds(60));
            stopMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
            log = s.log();
        }
        assertThat(stopMillis).as(log).isLessThan(30_000);
        assertThat(exit).as(log).isEqualTo(SIGTERM_EXIT);
        assertThat(log).doesNotContain("still running after", "ERROR", "Exception");
        // The signal came while the backup ran; the backup ended; then the service stopped.
        int stopping = log.indexOf("stopping: no new jobs; waiting for the running one");
        int succeeded = log.indexOf("job " + jobId + " backup succeeded in ");
        int stopped = log.indexOf("INFO  stopped");
        assertThat(stopping).as(log).isPositive();
        assertThat(succeeded).as(log).isGreaterThan(stopping);
        assertThat(stopped).as(log).isGreaterThan(succeeded);

        JsonNode backups = list(cli);
        assertThat(backups).hasSize(1);
        assertThat(backups.get(0).get("label").asText()).isEqualTo("short");
        String backupId = backups.get(0).get("id").asText();
        assertThat(jobRow(repo, jobId)).containsExactly("succeeded", "ops", null, backupId);

        // One line when the job starts and one when it ends, with a UTC timestamp; the end names the backup.
        assertThat(lines(log, "job " + jobId + " backup started")).singleElement().matches(l ->
                l.matches(LINE + "job " + jobId + " backup started"), "a start line");
        assertThat(lines(log, "job " + jobId + " backup succeeded")).singleElement().matches(l ->
                l.matches(LINE + "job " + jobId + " backup succeeded in \\d+ ms: backup " + Pattern.quote(backupId)),
                "an end line");
        assertThat(lockCount(repo)).isZero();
    }

    @Test
    @Order(3)
    void aJobLeftRunningByAKilledServiceIsRecordedAsInterruptedAtTheNextStart() throws Exception {
        Path repo = work.resolve("killed-repo");
        LifeboatCli cli = cli(repo, BIG).env("LIFEBOAT_RUN_MISSED_AT_STARTUP", "false")
                .env("LIFEBOAT_INSTANCE", "life-killed")
                .env("LIFEBOAT_THREADS", "1").env("LIFEBOAT_COMPRESSION_LEVEL", "19");
        cli.run("init").expectSuccess();
        String token = createToken(cli, "operator", "ops");

        String jobId;
        try (LifeboatService s = LifeboatService.start(cli)) {
            jobId = post(s, token, BACKUPS + "?async=true", "{\"label\":\"killed\"}").expect(202).body()
                    .get("id").asText();
            await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(50)).until(() -> chunkCount(repo) >= 1);
            List<ProcessHandle> children = s.process().descendants().toList();
            s.process().destroyForcibly(); // SIGKILL: no shutdown hook runs
            s.process().waitFor();
            for (ProcessHandle child : children) { // pg_dump ends on its broken pipe
                child.onExit().get(30, TimeUnit.SECONDS);
            }
        }
        assertThat(jobRow(repo, jobId).get(0)).as("the killed service's job").isEqualTo("running");

        // Started again with the same instance name, and a faster level for the backup that follows.
        cli.env("LIFEBOAT_COMPRESSION_LEVEL", "3").env("LIFEBOAT_THREADS", "2");
        try (LifeboatService s = LifeboatService.start(cli)) {
            JsonNode job = get(s, token, JOBS + "/" + jobId).expect(200).body();
            assertThat(job.get("status").asText()).isEqualTo("interrupted");
            assertThat(job.path("error").path("message").asText()).isEqualTo("the service stopped before the job ended");
            assertThat(s.log()).contains("1 job(s) of the last run of this service were cut short; recorded as interrupted");
            // The dead process's repository lock does not stand in the way of the next backup.
            Answer next = post(s, token, BACKUPS, "{\"label\":\"after\"}").expect(201);
            assertThat(next.body().get("status").asText()).isEqualTo("completed");
            assertThat(s.stop(Duration.ofSeconds(60))).isEqualTo(SIGTERM_EXIT);
        }
        JsonNode backups = list(cli);
        assertThat(backups).hasSize(1);
        assertThat(backups.get(0).get("label").asText()).isEqualTo("after");
    }

    @Test
    @Order(4)
    void aSlotMissedWhileTheServiceWasDownRunsAtStartUp() throws Exception {
        // A minute slot has passed since the last backup, and the next is not about to come.
        sleepUntil(lastCliBackup.truncatedTo(ChronoUnit.MINUTES).plus(Duration.ofMinutes(1)).plusMillis(500));
        Instant nextSlot = ServiceItSupport.awayFromMinuteBoundary(Duration.ofSeconds(10));
        LifeboatCli cli = cli(missedRepo, SMALL).env("LIFEBOAT_BACKUP_SCHEDULE", "* * * * *");
        String token = createToken(cli, "viewer", "viewer");

        Instant start = Instant.now();
        try (LifeboatService s = LifeboatService.start(cli)) {
            JsonNode job = await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(200)).until(() ->
                    scheduledJob(s, token), j -> j != null && j.get("status").asText().equals("succeeded"));
            assertThat(Instant.now()).as("the missed run ran at start-up, not at the next slot").isBefore(nextSlot);
            assertThat(Instant.parse(job.get("started").asText())).isBetween(start, start.plusSeconds(15));
            Instant missedSlot = nextSlot.minus(Duration.ofMinutes(1));
            assertThat(job.get("details").get("missed").asBoolean()).isTrue();
            assertThat(Instant.parse(job.get("details").get("slot").asText())).isEqualTo(missedSlot);
            assertThat(s.log()).contains("scheduler: the backup of " + missedSlot
                    + " was missed while the service was down");
            assertThat(s.stop(Duration.ofSeconds(60))).isEqualTo(SIGTERM_EXIT);
        }
        JsonNode backups = list(cli);
        assertThat(backups).hasSize(2);
        assertThat(backups.get(1).get("label").asText()).startsWith("scheduled (missed ");
    }

    @Test
    @Order(5)
    void withRunMissedAtStartupOffTheNextSlotRunsAtItsTimeAndRetentionPrunesAfterIt() throws Exception {
        sleepUntil(lastCliBackup.truncatedTo(ChronoUnit.MINUTES).plus(Duration.ofMinutes(1)).plusMillis(500));
        Instant nextSlot = ServiceItSupport.awayFromMinuteBoundary(Duration.ofSeconds(12));
        // Keep only the newest backup.
        LifeboatCli cli = cli(missedOffRepo, SMALL).env("LIFEBOAT_BACKUP_SCHEDULE", "* * * * *")
                .env("LIFEBOAT_RUN_MISSED_AT_STARTUP", "false")
                .env("LIFEBOAT_RETENTION_MINIMUM_KEEP", "1").env("LIFEBOAT_RETENTION_KEEP_WITHIN", "1s");
        assertThat(list(cli)).hasSize(2);
        String token = createToken(cli, "viewer", "viewer");

        try (LifeboatService s = LifeboatService.start(cli)) {
            assertThat(s.log()).contains("was missed while the service was down; runMissedAtStartup is off");
            sleepUntil(nextSlot.minusSeconds(2));
            assertThat(get(s, token, JOBS).expect(200).body().get("history")).as("jobs before the first slot").isEmpty();

            JsonNode job = await().atMost(Duration.ofSeconds(40)).pollInterval(Duration.ofMillis(200)).until(() ->
                    scheduledJob(s, token), j -> j != null && j.get("status").asText().equals("succeeded"));
            assertThat(job.get("details").get("missed").asBoolean()).isFalse();
            assertThat(Instant.parse(job.get("details").get("slot").asText())).isEqualTo(nextSlot);
            assertThat(Instant.parse(job.get("started").asText())).isBetween(nextSlot, nextSlot.plusSeconds(10));

            JsonNode backups = list(cli);
            assertThat(backups).as("what retention kept after the scheduled backup").hasSize(1);
            assertThat(backups.get(0).get("id").asText()).isEqualTo(job.get("backupId").asText());
            assertThat(backups.get(0).get("label").asText()).isEqualTo("scheduled");
            assertThat(s.stop(Duration.ofSeconds(60))).isEqualTo(SIGTERM_EXIT);
        }
    }

    /** The newest job requested by the scheduler, from the service's job history, or null. */
    private static JsonNode scheduledJob(LifeboatService s, String token) {
        for (JsonNode j : get(s, token, JOBS).expect(200).body().get("history")) {
            if (j.get("requestedBy").asText().equals("scheduler")) {
                return j;
            }
        }
        return null;
    }
}
