package dev.lifeboat.it;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.lifeboat.testing.LifeboatCli;
import dev.lifeboat.testing.PgCluster;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * SIGKILL during a backup, at two points, leaves no backup behind, and the next backup works. SIGTERM (what
 * systemd, cron's timeouts and Ctrl-C's cousins send) stops a backup or a restore cleanly: it says so, exits
 * 143, releases its lock, and keeps nothing half-done.
 */
class CrashIT {
    @TempDir
    Path work;

    @Test
    void killedBackupLeavesNoBackupAndTheNextOneWorks() throws Exception {
        PgCluster pg = PgCluster.shared();
        pg.dropDatabase("crash");
        pg.createDatabase("crash");
        pg.psql("crash", "create table t as select g, md5(g::text) || repeat(md5((g*3)::text), 4) as v "
                + "from generate_series(1, 400000) g");
        Path repo = work.resolve("repo");
        LifeboatCli cli = new LifeboatCli(work).env("LIFEBOAT_REPOSITORY", repo.toString())
                .env("PGPASSWORD", pg.password())
                .env("DATABASE_URL", "postgres://" + pg.superuser() + "@127.0.0.1:" + pg.port() + "/crash")
                // One thread at the slowest level: the backup takes long enough to be caught in the middle.
                .env("LIFEBOAT_THREADS", "1").env("LIFEBOAT_COMPRESSION_LEVEL", "19");
        cli.run("init").expectSuccess();

        // Killed at two points: holding its lock before any chunk is stored, and in the middle of storing chunks.
        killBackupWhen(cli, () -> lockCount(repo) > 0, "its lock is taken");
        killBackupWhen(cli, () -> chunkCount(repo) >= 2, "chunks are being stored");

        assertThat(new ObjectMapper().readTree(cli.run("list", "--json").expectSuccess().stdout())).isEmpty();
        assertThat(repo.resolve("locks")).isNotEmptyDirectory(); // the dead processes' locks are still there
        try (Stream<Path> files = Files.walk(repo)) {
            // Leftovers are at most hidden temporary chunk files, never a manifest.
            assertThat(files.filter(p -> p.getFileName().toString().startsWith(".tmp-"))).allSatisfy(p ->
                    assertThat(p.getParent().getParent().getFileName().toString()).isEqualTo("chunks"));
        }

        LifeboatCli fast = cli.env("LIFEBOAT_COMPRESSION_LEVEL", "3").env("LIFEBOAT_THREADS", "2");
        fast.run("backup").expectSuccess();
        assertThat(new ObjectMapper().readTree(fast.run("list", "--json").expectSuccess().stdout())).hasSize(1);
        assertThat(repo.resolve("locks")).isEmptyDirectory();
        fast.run("restore", "latest", "--to", "postgres://" + pg.superuser() + "@127.0.0.1:" + pg.port() + "/crash_copy",
                "--create", "--yes").expectSuccess();
        assertThat(pg.tableRows("crash_copy")).isEqualTo(pg.tableRows("crash"));
        pg.dropDatabase("crash");
        pg.dropDatabase("crash_copy");
    }

    @Test
    void sigtermStopsABackupAndARestoreCleanly() throws Exception {
        PgCluster pg = PgCluster.shared();
        pg.dropDatabase("term");
        pg.dropDatabase("term_copy");
        pg.createDatabase("term");
        pg.psql("term", "create table t as select g, md5(g::text) || repeat(md5((g*3)::text), 4) as v "
                + "from generate_series(1, 400000) g");
        Path repo = work.resolve("term-repo");
        String copyUrl = "postgres://" + pg.superuser() + "@127.0.0.1:" + pg.port() + "/term_copy";
        LifeboatCli slow = new LifeboatCli(work).env("LIFEBOAT_REPOSITORY", repo.toString())
                .env("PGPASSWORD", pg.password())
                .env("DATABASE_URL", "postgres://" + pg.superuser() + "@127.0.0.1:" + pg.port() + "/term")
                .env("LIFEBOAT_THREADS", "1").env("LIFEBOAT_COMPRESSION_LEVEL", "19");
        slow.run("init").expectSuccess();

        Path err = work.resolve("term-backup.err");
        Process backup = slow.command("backup").redirectOutput(ProcessBuilder.Redirect.DISCARD)
                .redirectError(err.toFile()).start();
        Instant deadline = Instant.now().plus(Duration.ofSeconds(60));
        while (chunkCount(repo) < 2 && backup.isAlive() && Instant.now().isBefore(deadline)) {
            Thread.sleep(5);
        }
        assertThat(backup.isAlive()).as("backup still running while storing chunks").isTrue();
        backup.destroy(); // SIGTERM
        assertThat(backup.waitFor(30, java.util.concurrent.TimeUnit.SECONDS)).as("stopped within 30 s").isTrue();
        assertThat(backup.exitValue()).isEqualTo(143);
        assertThat(Files.readString(err)).contains("Error: stopped on request (SIGTERM or Ctrl-C)")
                .doesNotContain("retrying").doesNotContain("Exception");
        assertThat(lockCount(repo)).as("its lock is released").isZero();
        assertThat(new ObjectMapper().readTree(slow.run("list", "--json").expectSuccess().stdout())).isEmpty();
        await().atMost(Duration.ofSeconds(10)).until(() -> pg.psql("postgres",
                "select count(*) from pg_stat_activity where datname = 'term'").trim().equals("0"));

        LifeboatCli fast = slow.env("LIFEBOAT_COMPRESSION_LEVEL", "3").env("LIFEBOAT_THREADS", "2");
        fast.run("backup").expectSuccess();
        Process restore = fast.command("restore", "latest", "--to", copyUrl, "--create", "--yes")
                .redirectOutput(ProcessBuilder.Redirect.DISCARD).redirectError(err.toFile()).start();
        stopOnceRestoring(restore);
        assertThat(Files.readString(err)).contains("Error: stopped on request").contains("rolled back");
        assertThat(lockCount(repo)).isZero();
        // The restore created the database, its one transaction was rolled back, and it dropped the database again.
        assertThat(pg.psql("postgres", "select count(*) from pg_database where datname = 'term_copy'")).isEqualTo("0");

        // A drill stopped in its restore drops its scratch database and records nothing.
        Process drill = fast.command("verify", "latest", "--drill", "--scratch", pg.url("postgres"))
                .redirectOutput(ProcessBuilder.Redirect.DISCARD).redirectError(err.toFile()).start();
        stopOnceRestoring(drill);
        assertThat(Files.readString(err)).contains("Error: stopped on request");
        assertThat(lockCount(repo)).isZero();
        assertThat(pg.psql("postgres", "select count(*) from pg_database where datname like 'lifeboat_drill%'").trim())
                .as("scratch databases left").isEqualTo("0");
        assertThat(fast.run("list", "--json").expectSuccess().stdout()).doesNotContain("drilled");
        pg.dropDatabase("term");
        pg.dropDatabase("term_copy");
    }

    @Test
    void ctrlCAtTheRestoreQuestionStopsAtOnceAndReleasesTheLock() throws Exception {
        PgCluster pg = PgCluster.shared();
        pg.dropDatabase("ask");
        pg.createDatabase("ask");
        pg.psql("ask", "create table t as select g from generate_series(1, 1000) g");
        Path repo = work.resolve("ask-repo");
        LifeboatCli cli = new LifeboatCli(work).env("LIFEBOAT_REPOSITORY", repo.toString())
                .env("PGPASSWORD", pg.password())
                .env("DATABASE_URL", "postgres://" + pg.superuser() + "@127.0.0.1:" + pg.port() + "/ask");
        cli.run("init").expectSuccess();
        cli.run("backup").expectSuccess();

        // Restoring over a database that holds tables asks on the terminal: script(1) gives it one.
        ProcessBuilder restore = cli.command("restore", "latest", "--no-safety-backup");
        String line = restore.command().stream().map(a -> "'" + a.replace("'", "'\\''") + "'")
                .collect(java.util.stream.Collectors.joining(" "));
        Path out = work.resolve("ask.out");
        ProcessBuilder onTerminal = new ProcessBuilder("script", "-qec", line, "/dev/null")
                .directory(restore.directory()).redirectOutput(out.toFile()).redirectErrorStream(true);
        onTerminal.environment().clear();
        onTerminal.environment().putAll(restore.environment());
        Process script = onTerminal.start(); // its stdin stays open: nobody answers
        Instant deadline = Instant.now().plus(Duration.ofSeconds(60));
        while (!Files.readString(out).contains("to confirm:") && script.isAlive() && Instant.now().isBefore(deadline)) {
            Thread.sleep(10);
        }
        assertThat(Files.readString(out)).contains("Type the database name (ask) to confirm:");
        assertThat(lockCount(repo)).as("the restore holds its lock while it asks").isEqualTo(1);
        ProcessHandle jvm = script.descendants().filter(h -> h.info().command().orElse("").endsWith("java"))
                .findFirst().orElseThrow();
        Instant sent = Instant.now();
        new ProcessBuilder("kill", "-INT", Long.toString(jvm.pid())).start().waitFor();
        assertThat(script.waitFor(30, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
        assertThat(Duration.between(sent, Instant.now())).as("stopped at once, not after the stop's grace period")
                .isLessThan(Duration.ofSeconds(5));
        assertThat(script.exitValue()).isEqualTo(130);
        assertThat(Files.readString(out)).contains("Error: stopped on request");
        assertThat(lockCount(repo)).isZero();
        assertThat(pg.psql("ask", "select count(*) from t").trim()).as("the database is untouched").isEqualTo("1000");
        pg.dropDatabase("ask");
    }

    /** Sends SIGTERM to {@code lifeboat} once its pg_restore has started; it must exit 143 within 30 s. */
    private static void stopOnceRestoring(Process lifeboat) throws Exception {
        Instant deadline = Instant.now().plus(Duration.ofSeconds(60));
        while (lifeboat.descendants().noneMatch(p -> p.info().commandLine().orElse("").contains("--single-transaction"))
                && lifeboat.isAlive() && Instant.now().isBefore(deadline)) {
            Thread.sleep(5);
        }
        assertThat(lifeboat.isAlive()).as("still running once pg_restore started").isTrue();
        lifeboat.destroy();
        assertThat(lifeboat.waitFor(30, java.util.concurrent.TimeUnit.SECONDS)).as("stopped within 30 s").isTrue();
        assertThat(lifeboat.exitValue()).isEqualTo(143);
    }

    private static long chunkCount(Path repo) throws Exception {
        Path chunks = repo.resolve("chunks");
        if (!Files.isDirectory(chunks)) {
            return 0;
        }
        try (Stream<Path> s = Files.walk(chunks)) {
            return s.filter(Files::isRegularFile).filter(p -> !p.getFileName().toString().startsWith(".")).count();
        }
    }

    private static void killBackupWhen(LifeboatCli cli, java.util.concurrent.Callable<Boolean> condition, String when)
            throws Exception {
        Process backup = cli.command("backup").redirectOutput(ProcessBuilder.Redirect.DISCARD)
                .redirectError(ProcessBuilder.Redirect.DISCARD).start();
        Instant deadline = Instant.now().plus(Duration.ofSeconds(60));
        while (!condition.call() && backup.isAlive() && Instant.now().isBefore(deadline)) {
            Thread.sleep(5);
        }
        assertThat(backup.isAlive()).as("backup still running when " + when).isTrue();
        backup.toHandle().descendants().forEach(ProcessHandle::destroyForcibly);
        backup.destroyForcibly(); // SIGKILL
        backup.waitFor();
    }

    private static long lockCount(Path repo) throws Exception {
        Path locks = repo.resolve("locks");
        if (!Files.isDirectory(locks)) {
            return 0;
        }
        try (Stream<Path> s = Files.list(locks)) {
            return s.filter(p -> !p.getFileName().toString().startsWith(".")).count();
        }
    }
}
