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

/** SIGKILL during a backup, at two points, leaves no backup behind, and the next backup works. */
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
