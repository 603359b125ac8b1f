package dev.lifeboat.it;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.lifeboat.testing.LifeboatCli;
import dev.lifeboat.testing.PgCluster;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Backups taken from a hot standby, as many operators do to spare the primary: they restore like any other, and
 * a dump that the standby cancels (replaying the primary's cleanup of rows its snapshot still needs) fails with
 * what to change on the server.
 */
class StandbyIT {
    private static PgCluster primary;
    private static PgCluster standby;

    @TempDir
    Path work;

    @BeforeAll
    static void start() {
        primary = PgCluster.start();
        // 0: a conflict cancels the standby's query at once (the default waits 30 s first)
        standby = primary.startStandby(Map.of("max_standby_streaming_delay", "0"));
        primary.createDatabase("app");
        primary.psql("app", "create table t as select g, md5(g::text) || md5((g * 7)::text) as v "
                + "from generate_series(1, 600000) g");
        caughtUp();
    }

    @AfterAll
    static void stop() {
        if (standby != null) {
            standby.close();
        }
        if (primary != null) {
            primary.close();
        }
    }

    /** Waits until the standby has replayed everything the primary wrote so far. */
    private static void caughtUp() {
        String lsn = primary.psql("postgres", "select pg_current_wal_lsn()");
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(100)).until(() -> "t".equals(
                standby.psql("postgres", "select pg_last_wal_replay_lsn() >= '" + lsn + "'::pg_lsn")));
    }

    private LifeboatCli cli() {
        return new LifeboatCli(work).env("LIFEBOAT_REPOSITORY", work.resolve("repo").toString())
                .env("PGPASSWORD", primary.password());
    }

    private static String url(PgCluster pg, String db) {
        return "postgres://" + pg.superuser() + "@127.0.0.1:" + pg.port() + "/" + db;
    }

    @Test
    void aBackupOfTheStandbyRestoresOntoThePrimary() throws Exception {
        assertThat(standby.psql("app", "select pg_is_in_recovery()")).isEqualTo("t");
        LifeboatCli cli = cli();
        cli.run("init").expectSuccess();
        cli.run("backup", "--db", url(standby, "app")).expectSuccess();
        var manifest = new ObjectMapper().readTree(cli.run("show", "latest", "--json").expectSuccess().stdout());
        assertThat(manifest.get("sources").get(0).get("tables").get(0).get("rows").asLong())
                .isEqualTo(Long.parseLong(primary.psql("app", "select count(*) from t")));

        cli.run("restore", "latest", "--to", url(primary, "app_copy"), "--create", "--yes").expectSuccess();
        assertThat(primary.tableRows("app_copy")).isEqualTo(primary.tableRows("app"));
        primary.dropDatabase("app_copy");
    }

    @Test
    void aDumpTheStandbyCancelsSaysWhatToChangeOnTheServer() throws Exception {
        LifeboatCli cli = cli().env("LIFEBOAT_THREADS", "1");
        cli.run("init").expectSuccess();
        Process backup = cli.command("backup", "--db", url(standby, "app")).redirectErrorStream(true).start();
        long javaPid = backup.pid();
        try {
            // Hold the backup in the middle of the dump: stop Lifeboat while the standby is sending the table
            // (pg_dump soon blocks on the full pipe, its COPY still running on the server).
            await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(20)).until(() -> "1".equals(
                    standby.psql("postgres", "select count(*) from pg_stat_activity where query like 'COPY public.t %'")));
            signal("STOP", javaPid);
            // The primary removes rows the dump's snapshot still sees; replaying that cancels the dump. (A query
            // blocked on a full socket takes its cancel once it can write again, so replay may wait for that.)
            primary.psql("app", "delete from t where g % 100 = 0");
            primary.psql("app", "vacuum t");
            // Once the standby has the WAL, replaying it signals the conflicting sessions within milliseconds; the
            // dump's session, blocked on its full socket, keeps the cancel pending until the backup goes on. (The
            // order in which the standby signals them varies, so no counter of its shows the moment reliably.)
            String lsn = primary.psql("postgres", "select pg_current_wal_lsn()");
            await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(50)).until(() -> "t".equals(
                    standby.psql("postgres", "select pg_last_wal_receive_lsn() >= '" + lsn + "'::pg_lsn")));
            Thread.sleep(1000);
        } finally {
            signal("CONT", javaPid);
        }
        assertThat(backup.waitFor(2, TimeUnit.MINUTES)).isTrue();
        String out = new String(backup.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(backup.exitValue()).as(out).isEqualTo(6);
        assertThat(out).contains("conflict with recovery")
                .contains("Try: the server is a standby").contains("hot_standby_feedback = on")
                .contains("nothing was committed");
        assertThat(new ObjectMapper().readTree(cli.run("list", "--json").expectSuccess().stdout())).isEmpty();
        caughtUp();
    }

    private static void signal(String signal, long pid) throws Exception {
        Process kill = new ProcessBuilder("kill", "-" + signal, Long.toString(pid)).inheritIO().start();
        assertThat(kill.waitFor()).isZero();
    }
}
