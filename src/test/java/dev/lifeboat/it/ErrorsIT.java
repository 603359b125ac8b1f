package dev.lifeboat.it;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.lifeboat.testing.LifeboatCli;
import dev.lifeboat.testing.PgCluster;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;

import static org.assertj.core.api.Assertions.assertThat;
import static dev.lifeboat.testing.Requirements.require;

/** Bad input and broken repositories: one clear error, a stable exit code, and nothing changed. */
class ErrorsIT {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path work;
    PgCluster pg;
    LifeboatCli cli;
    String base;
    Path repo;

    @BeforeEach
    void setUp() {
        pg = PgCluster.shared();
        pg.dropDatabase("err_src");
        pg.createDatabase("err_src");
        pg.psql("err_src", "create table t as select g, md5(g::text) v from generate_series(1, 100000) g");
        repo = work.resolve("repo");
        base = "postgres://" + pg.superuser() + "@127.0.0.1:" + pg.port() + "/";
        cli = cli();
    }

    /** Lifeboat on this test's repository, with the cluster's password. */
    private LifeboatCli cli() {
        return new LifeboatCli(work).env("LIFEBOAT_REPOSITORY", repo.toString()).env("PGPASSWORD", pg.password());
    }

    private static void assertError(LifeboatCli.Result r, int code, String... fragments) {
        assertThat(r.exitCode()).as("exit code; stderr: " + r.stderr()).isEqualTo(code);
        assertThat(r.stderr()).startsWith("Error: ").contains("Try: ");
        for (String f : fragments) {
            assertThat(r.stderr()).contains(f);
        }
    }

    /** The result without the warnings printed before its error. */
    private static LifeboatCli.Result afterWarnings(LifeboatCli.Result r) {
        return new LifeboatCli.Result(r.exitCode(), r.stdout(), r.stderr().substring(r.stderr().indexOf("Error: ")));
    }

    @Test
    void missingRepositoryUnknownIdAndBadLocations() {
        assertError(cli.run("list"), 4, "no Lifeboat repository at " + repo, "lifeboat init");
        cli.run("init").expectSuccess();
        assertError(cli.run("init"), 4, "already exists");
        assertError(cli.run("show", "20990101T000000Z-abcdef"), 3, "no backup '20990101T000000Z-abcdef'");
        assertError(cli.run("restore", "nope", "--to", base + "x", "--yes"), 3, "no backup 'nope'");
        assertError(cli.run("list", "--repo", "ftp://host/x"), 2, "ftp");
        assertError(cli.run("backup", "--db", "not a url"), 2, "invalid database connection");
        assertError(cli.run("backup"), 2, "no database to back up", "DATABASE_URL");
        assertThat(cli.run("frobnicate").exitCode()).isEqualTo(2);
    }

    @Test
    void unreachableDatabaseAndStorage() throws IOException {
        cli.run("init").expectSuccess();
        int closed;
        try (ServerSocket s = new ServerSocket(0)) {
            closed = s.getLocalPort();
        }
        LifeboatCli.Result r = cli.run("backup", "--db", "postgres://u@127.0.0.1:" + closed + "/app");
        assertError(r, 6, "127.0.0.1:" + closed, "Connection refused");
        assertThat(cli.run("list", "--json").expectSuccess().stdout().trim()).isEqualTo("[ ]");

        LifeboatCli s3 = new LifeboatCli(work).env("AWS_ACCESS_KEY_ID", "x").env("AWS_SECRET_ACCESS_KEY", "y");
        assertError(s3.run("list", "--repo", "s3://bucket/p?endpoint=http://127.0.0.1:" + closed), 5, "127.0.0.1:" + closed);

        // No credentials anywhere (no AWS_* variables, a home without ~/.aws, no instance metadata): one short line
        // saying what to set, not the SDK's list of every provider it tried.
        LifeboatCli anonymous = new LifeboatCli(work).env("HOME", work.toString()).env("AWS_EC2_METADATA_DISABLED", "true");
        LifeboatCli.Result r2 = anonymous.run("list", "--repo", "s3://bucket/p?endpoint=http://127.0.0.1:" + closed);
        assertError(r2, 5, "no AWS credentials found; set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY");
        assertThat(r2.stderr().lines().count()).isEqualTo(2);
        assertThat(r2.stderr()).doesNotContain("Provider").hasSizeLessThan(400);
    }

    @Test
    void corruptOrMissingChunksAreNamedAndTheTargetIsLeftAlone() throws Exception {
        cli.run("init").expectSuccess();
        String id = JSON.readTree(cli.run("backup", "--db", base + "err_src", "--json").expectSuccess().stdout())
                .get("id").asText();
        JsonNode manifest = JSON.readTree(cli.run("show", id, "--json").expectSuccess().stdout());
        String chunk = manifest.get("artifacts").get(0).get("chunks").get(0).get("id").asText();
        dev.lifeboat.testing.StoredChunk blob = dev.lifeboat.testing.StoredChunk.of(repo, chunk);
        byte[] original = blob.read();

        pg.dropDatabase("err_target");
        pg.createDatabase("err_target");
        pg.psql("err_target", "create table keep(x int); insert into keep values (42)");
        var before = pg.tableRows("err_target");

        byte[] flipped = original.clone();
        flipped[flipped.length / 2] ^= 0x01;
        blob.write(flipped);
        assertError(cli.run("restore", id, "--to", base + "err_target", "--yes", "--no-safety-backup"), 10, chunk);
        assertThat(pg.tableRows("err_target")).isEqualTo(before);
        LifeboatCli.Result cat = cli.run("cat", id, "err_src.dump");
        assertError(cat, 10, chunk, id);

        blob.delete();
        assertError(cli.run("restore", id, "--to", base + "err_target", "--yes"), 10, chunk, "missing", id);
        assertThat(pg.tableRows("err_target")).isEqualTo(before);

        blob.write(original);
        assertError(cli.run("restore", id, "--to", base + "err_target"), 9, "err_target", "--yes");
        assertThat(pg.tableRows("err_target")).isEqualTo(before);
        cli.run("restore", id, "--to", base + "err_target", "--yes").expectSuccess();
        assertThat(pg.tableRows("err_target")).containsKey("public.t").containsKey("public.keep");
        pg.dropDatabase("err_target");
    }

    @Test
    void noPasswordInOutputOrManifest() throws Exception {
        cli.run("init").expectSuccess();
        String secretUrl = "postgres://" + pg.superuser() + ":" + java.net.URLEncoder.encode(pg.password(),
                java.nio.charset.StandardCharsets.UTF_8) + "@127.0.0.1:" + pg.port() + "/err_src";
        LifeboatCli noEnvPassword = new LifeboatCli(work).env("LIFEBOAT_REPOSITORY", repo.toString());
        LifeboatCli.Result r = noEnvPassword.run("backup", "--db", secretUrl, "--json").expectSuccess();
        assertThat(r.stdout() + r.stderr()).doesNotContain(pg.password());
        try (var files = Files.walk(repo)) {
            for (Path p : files.filter(Files::isRegularFile).filter(p -> p.toString().endsWith(".json")).toList()) {
                assertThat(Files.readString(p)).doesNotContain(pg.password());
            }
        }
    }

    @Test
    void aRepositoryThisUserCannotReadIsNamedWithTheFixAndNotRetried() throws Exception {
        cli.run("init").expectSuccess();
        var other = PgCluster.otherUser();
        LifeboatCli.Result r;
        String user;
        if (other.isPresent()) {
            // root reads everything: run Lifeboat as another user, as a cron job of the wrong user would
            user = other.get().getKey();
            Path shared = Files.createTempDirectory("lifeboat-other-user-");
            try {
                Files.setPosixFilePermissions(shared, PosixFilePermissions.fromString("rwxr-xr-x"));
                Path jar = Files.copy(LifeboatCli.jar(), shared.resolve("lifeboat.jar"));
                Files.setPosixFilePermissions(jar, PosixFilePermissions.fromString("rw-r--r--"));
                r = new LifeboatCli(shared).env("LIFEBOAT_REPOSITORY", repo.toString())
                        .via(other.get().getValue(), jar).run("list");
            } finally {
                try (var files = Files.walk(shared)) {
                    files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
                }
            }
        } else {
            user = System.getProperty("user.name");
            Path config = repo.resolve("config.json");
            Files.setPosixFilePermissions(config, PosixFilePermissions.fromString("---------"));
            try {
                r = cli.run("list");
            } finally {
                Files.setPosixFilePermissions(config, PosixFilePermissions.fromString("rw-------"));
            }
        }
        assertError(r, 5, "permission denied: cannot read config.json in " + repo + " as user " + user,
                "run Lifeboat as the user that owns " + repo);
        assertThat(r.stderr()).doesNotContain("retrying");
    }

    @Test
    void aFullDiskFailsTheBackupAtOnceAndPruneGivesTheSpaceBack() throws Exception {
        require(PgCluster.otherUser().isPresent(), "root, to mount a small file system,", "run the tests as root (.ci/run runs as root)");
        Path small = Files.createDirectories(work.resolve("small"));
        system("mount", "-t", "tmpfs", "-o", "size=1m,mode=0700", "lifeboat-test", small.toString());
        try {
            Path smallRepo = small.resolve("repo");
            LifeboatCli c = new LifeboatCli(work).env("LIFEBOAT_REPOSITORY", smallRepo.toString())
                    .env("PGPASSWORD", pg.password());
            c.run("init").expectSuccess();
            // err_src stores about 2 MB: more than the file system holds
            LifeboatCli.Result r = c.run("backup", "--db", base + "err_src");
            assertError(r, 5, "in " + smallRepo + ": no space left on its file system", "lifeboat prune");
            assertThat(r.stderr()).doesNotContain("retrying").doesNotContain("Exception");
            assertThat(c.run("list", "--json").expectSuccess().stdout().trim()).isEqualTo("[ ]");

            // prune still runs on the full disk (its lock is a few hundred bytes) and removes what the backup wrote
            assertThat(c.run("prune").expectSuccess().stdout()).containsPattern("Removed 0 backups and [1-9][0-9]* unreferenced chunks");
            var store = Files.getFileStore(small);
            assertThat(store.getTotalSpace() - store.getUsableSpace()).as("bytes still used").isLessThan(64 << 10);

            system("mount", "-o", "remount,size=64m", small.toString());
            String id = JSON.readTree(c.run("backup", "--db", base + "err_src", "--json").expectSuccess().stdout())
                    .get("id").asText();
            assertThat(JSON.readTree(c.run("list", "--json").expectSuccess().stdout())).hasSize(1);

            // full again: the restore's safety backup fails, so the restore does not start, and says how to go on
            pg.dropDatabase("err_full");
            pg.createDatabase("err_full");
            pg.psql("err_full", "create table other as select g, md5((g + 7)::text) v from generate_series(1, 100000) g");
            var before = pg.tableRows("err_full");
            long used = store.getTotalSpace() - store.getUsableSpace();
            system("mount", "-o", "remount,size=" + ((used >> 10) + 128) + "k", small.toString());
            LifeboatCli.Result restore = c.run("restore", id, "--to", base + "err_full", "--yes");
            String error = restore.stderr().substring(Math.max(0, restore.stderr().indexOf("Error: ")));
            assertError(new LifeboatCli.Result(restore.exitCode(), restore.stdout(), error), 5,
                    "the safety backup of err_full failed, so nothing was restored", "no space left",
                    "--no-safety-backup");
            assertThat(pg.tableRows("err_full")).isEqualTo(before);
            c.run("restore", id, "--to", base + "err_full", "--yes", "--no-safety-backup").expectSuccess();
            assertThat(pg.tableRows("err_full")).containsKey("public.t").containsKey("public.other");
            pg.dropDatabase("err_full");
        } finally {
            system("umount", "-l", small.toString());
        }
    }

    @Test
    void aUserWithoutTheRightsIsToldWhichGrantItNeeds() throws Exception {
        cli.run("init").expectSuccess();
        pg.psql("postgres", "drop role if exists err_app");
        pg.psql("postgres", "create role err_app login password '" + pg.password().replace("'", "''") + "'");
        try {
            pg.psql("err_src", "grant select on t to err_app; create table payroll(id int); insert into payroll values (1)");
            String app = "postgres://err_app@127.0.0.1:" + pg.port() + "/";
            // a table added without a grant for the backup's user
            pg.psql("err_src", "create schema hr; create table hr.salaries(x int); create sequence audit_seq");
            assertError(cli.run("backup", "--db", app + "err_src"), 6, "user err_app cannot read 3 objects of "
                    + "err_app@127.0.0.1:" + pg.port() + "/err_src that the backup needs: schema hr, sequence "
                    + "public.audit_seq, table public.payroll", "Try: grant it everything at once (GRANT "
                    + "pg_read_all_data TO err_app) or each of them (GRANT USAGE ON SCHEMA hr TO err_app; GRANT SELECT "
                    + "ON public.audit_seq, ... TO err_app)", "nothing was written");
            assertThat(JSON.readTree(cli.run("list", "--json").expectSuccess().stdout())).isEmpty();
            pg.psql("err_src", "drop schema hr cascade; drop sequence audit_seq");
            assertThat(JSON.readTree(cli.run("list", "--json").expectSuccess().stdout())).isEmpty();

            // restore --create by a user who may not create databases: refused before the question, nothing made
            pg.psql("err_src", "grant select on payroll to err_app");
            String id = JSON.readTree(cli.run("backup", "--db", app + "err_src", "--json").expectSuccess().stdout())
                    .get("id").asText();
            pg.dropDatabase("err_new");
            LifeboatCli.Result r = cli.run("restore", id, "--to", app + "err_new", "--create", "--yes");
            assertError(r, 6, "user err_app may not create databases", "createdb -T template0 -O err_app err_new",
                    "ALTER ROLE err_app CREATEDB");
            assertThat(r.stderr()).doesNotContain("reachable").doesNotContain("WARN");
            assertThat(pg.psql("postgres", "select count(*) from pg_database where datname = 'err_new'").trim())
                    .isEqualTo("0");

            // over a database whose tables another user owns: refused before the question and the safety backup,
            // and the error says who may
            var ownedBefore = pg.tableRows("err_src");
            LifeboatCli.Result notOwner = cli.run("restore", id, "--to", app + "err_src", "--yes");
            assertError(notOwner, 6, "user err_app may not replace 2 tables of err_app@127.0.0.1:" + pg.port()
                    + "/err_src: public.payroll (owned by " + pg.superuser() + "), public.t (owned by "
                    + pg.superuser() + "); nothing was changed", "Try: a restore drops and creates the target's "
                    + "objects, so it must run as their owner", "restore as the database's owner");
            assertThat(notOwner.stderr()).doesNotContain("safety backup");
            assertThat(JSON.readTree(cli.run("list", "--json").expectSuccess().stdout())).hasSize(1);
            assertThat(pg.tableRows("err_src")).isEqualTo(ownedBefore);

            // the hint's own recipe works
            pg.runTool("createdb", "-h", pg.host(), "-p", Integer.toString(pg.port()), "-U", pg.superuser(), "-T",
                    "template0", "-O", "err_app", "err_new");
            cli.run("restore", id, "--to", app + "err_new", "--yes").expectSuccess();
            assertThat(pg.tableRows("err_new")).isEqualTo(pg.tableRows("err_src"));
        } finally {
            pg.dropDatabase("err_new");
            pg.psql("err_src", "drop owned by err_app");
            pg.psql("postgres", "drop role if exists err_app");
        }
    }

    @Test
    void anObjectOnlyTheTargetHasThatDependsOnARestoredTableIsNamed() throws Exception {
        cli.run("init").expectSuccess();
        String id = JSON.readTree(cli.run("backup", "--db", base + "err_src", "--json").expectSuccess().stdout())
                .get("id").asText();
        pg.dropDatabase("err_dep");
        pg.createDatabase("err_dep");
        pg.psql("err_dep", "create table t(g int, v text); create view v_report as select count(*) from t");
        var before = pg.tableRows("err_dep");
        LifeboatCli.Result r = cli.run("restore", id, "--to", base + "err_dep", "--yes", "--no-safety-backup");
        assertError(r, 6, "cannot drop table public.t because other objects depend on it",
                "Try: the target holds view public.v_report, which the backup does not have and which depends on "
                        + "table public.t: restore into a new database (--create)", "the target is as it was");
        assertThat(pg.tableRows("err_dep")).isEqualTo(before);
        pg.dropDatabase("err_dep");
    }

    @Test
    void aTableLockedByAnotherSessionFailsBackupAndRestoreInTimeNamingTheSession() throws Exception {
        cli.run("init").expectSuccess();
        LifeboatCli waiting = cli().env("LIFEBOAT_PG_LOCK_WAIT", "2");
        // a migration holds the table: the backup says so while it waits, and gives up after 4 s instead of waiting
        // for ever
        try (java.sql.Connection migration = jdbc("err_src")) {
            migration.setAutoCommit(false);
            migration.createStatement().execute("lock table t in access exclusive mode");
            int pid = backendPid(migration);
            LifeboatCli.Result r = cli().env("LIFEBOAT_PG_LOCK_WAIT", "4").run("backup", "--db", base + "err_src");
            assertThat(r.stderr()).startsWith("WARN: backing up").contains("waiting for a lock held by pid " + pid);
            assertError(afterWarnings(r), 6, "waited 4.0 s for a lock on", "held by pid " + pid,
                    "public.t AccessExclusiveLock", "pg_terminate_backend(" + pid + ")", "LIFEBOAT_PG_LOCK_WAIT",
                    "nothing was committed");
            assertThat(cli.run("list", "--json").expectSuccess().stdout().trim()).isEqualTo("[ ]");
        }
        String id = JSON.readTree(waiting.run("backup", "--db", base + "err_src", "--json").expectSuccess().stdout())
                .get("id").asText();

        // an application holds the target's table open in a transaction: pg_restore's DROP would wait for ever
        pg.dropDatabase("err_busy");
        pg.createDatabase("err_busy");
        pg.psql("err_busy", "create table t(g int); insert into t values (1), (2)");
        var before = pg.tableRows("err_busy");
        try (java.sql.Connection app = jdbc("err_busy")) {
            app.setAutoCommit(false);
            app.createStatement().execute("select count(*) from t");
            int pid = backendPid(app);
            LifeboatCli.Result r = waiting.run("restore", id, "--to", base + "err_busy", "--yes", "--no-safety-backup");
            // first a warning while it waits, then the error
            assertThat(r.stderr()).startsWith("WARN: restoring into").contains("waiting for a lock held by pid " + pid);
            assertError(afterWarnings(r), 6, "restoring into", "waited 2.0 s for a lock on table public.t", "held by pid " + pid,
                    "idle in transaction", "pg_terminate_backend(" + pid + ")", "the transaction was rolled back");
        }
        assertThat(pg.tableRows("err_busy")).isEqualTo(before);
        // once the application let go, the same restore goes through
        waiting.run("restore", id, "--to", base + "err_busy", "--yes", "--no-safety-backup").expectSuccess();
        assertThat(pg.tableRows("err_busy")).isEqualTo(pg.tableRows("err_src"));
        pg.dropDatabase("err_busy");
    }

    private java.sql.Connection jdbc(String db) throws java.sql.SQLException {
        return java.sql.DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + pg.port() + "/" + db,
                pg.superuser(), pg.password());
    }

    private static int backendPid(java.sql.Connection c) throws java.sql.SQLException {
        try (var rs = c.createStatement().executeQuery("select pg_backend_pid()")) {
            rs.next();
            return rs.getInt(1);
        }
    }

    private static void system(String... command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        assertThat(p.waitFor()).as(String.join(" ", command) + ": " + out).isZero();
    }
}
