package dev.lifeboat.it;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.lifeboat.testing.LifeboatCli;
import dev.lifeboat.testing.PgCluster;
import dev.lifeboat.testing.S3ProxyServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.nio.file.Files;
import java.util.List;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

/** Backup and restore through the packaged CLI, to local disk and to a real S3 server, plain and encrypted. */
class BackupRestoreIT {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path work;

    @ParameterizedTest(name = "{0} storage, encrypted={1}")
    @CsvSource({"local,false", "local,true", "s3,false", "s3,true"})
    void roundTripAndDedup(String storageKind, boolean encrypted) throws Exception {
        PgCluster pg = PgCluster.shared();
        String db = "rt_" + storageKind + "_" + encrypted;
        String copy = db + "_copy";
        pg.dropDatabase(db);
        pg.dropDatabase(copy);
        pg.createDatabase(db);
        // About 40 MB of dump: enough for ~20 chunks, so dedup can be measured.
        pg.psql(db, """
                create table events(id bigint primary key, at timestamptz not null, kind text, payload jsonb, note text);
                insert into events select g, timestamptz '2026-01-01' + g * interval '1 second', 'kind' || (g % 17),
                  jsonb_build_object('n', g, 'h', md5(g::text)), repeat(md5((g * 7)::text), 3)
                from generate_series(1, 200000) g;
                create index on events(at);
                create table users(id int generated always as identity primary key, name text unique, bio text);
                insert into users(name, bio) select 'user ' || g, case when g % 5 = 0 then null else 'bio ' || g end
                from generate_series(1, 1000) g;
                """);

        LifeboatCli cli = new LifeboatCli(work);
        String repo;
        if (storageKind.equals("s3")) {
            S3ProxyServer s3 = S3ProxyServer.shared();
            repo = "s3://" + S3ProxyServer.BUCKET + "/" + UUID.randomUUID() + "?endpoint=" + s3.endpoint();
            cli.env("AWS_ACCESS_KEY_ID", s3.accessKey()).env("AWS_SECRET_ACCESS_KEY", s3.secretKey());
        } else {
            repo = work.resolve("repo").toString();
        }
        cli.env("LIFEBOAT_REPOSITORY", repo);
        Path identity = work.resolve("identity.txt");
        if (encrypted) {
            String recipient = cli.run("keygen", "-o", identity.toString()).expectSuccess().stdout().trim();
            assertThat(recipient).startsWith("age1");
            assertThat(Files.getPosixFilePermissions(identity)).isEqualTo(PosixFilePermissions.fromString("rw-------"));
            cli.run("init", "--recipient", recipient).expectSuccess();
        } else {
            cli.run("init").expectSuccess();
        }
        // The password travels in PGPASSWORD, not in the URL.
        cli.env("PGPASSWORD", pg.password());
        String url = "postgres://" + pg.superuser() + "@127.0.0.1:" + pg.port() + "/" + db;
        cli.env("DATABASE_URL", url);

        JsonNode first = JSON.readTree(cli.run("backup", "--label", "first", "--json").expectSuccess().stdout());
        JsonNode second = JSON.readTree(cli.run("backup", "--label", "second", "--json").expectSuccess().stdout());
        long firstStored = first.get("addedBytes").asLong();
        assertThat(first.get("logicalBytes").asLong()).isGreaterThan(30_000_000L);
        assertThat(firstStored).isLessThan(first.get("logicalBytes").asLong() / 2);
        // An unchanged database: only the chunk holding the dump's header (with its timestamp) is new.
        assertThat(second.get("addedBytes").asLong()).isLessThan(firstStored / 8);

        JsonNode list = JSON.readTree(cli.run("list", "--json").expectSuccess().stdout());
        assertThat(list).hasSize(2);
        assertThat(list.get(0).get("label").asText()).isEqualTo("first");
        for (String field : new String[] {"id", "status", "label", "started", "finished", "logicalBytes", "storedBytes"}) {
            assertThat(list.get(1).has(field)).as(field).isTrue();
        }
        JsonNode shown = JSON.readTree(cli.run("show", second.get("id").asText(), "--json").expectSuccess().stdout());
        JsonNode source = shown.get("sources").get(0);
        assertThat(source.get("serverVersion").asText()).startsWith(Integer.toString(pg.majorVersion()));
        assertThat(source.get("dumpTool").asText()).startsWith("pg_dump " + pg.majorVersion());
        assertThat(source.get("tables").findValuesAsText("name")).contains("events", "users");
        assertThat(shown.get("artifacts").get(0).get("sha256").asText()).hasSize(64);
        assertThat(shown.toString()).doesNotContain(pg.password());

        if (encrypted) {
            LifeboatCli.Result noIdentity = cli.run("restore", "latest", "--to", url.replace(db, copy), "--create", "--yes");
            assertThat(noIdentity.exitCode()).isEqualTo(7);
            assertThat(noIdentity.stderr()).contains("no identity was given").contains("Try:");
            Path wrong = work.resolve("wrong.txt");
            cli.run("keygen", "-o", wrong.toString()).expectSuccess();
            LifeboatCli.Result wrongIdentity = cli.run("restore", "latest", "--to", url.replace(db, copy), "--create",
                    "--yes", "--identity", wrong.toString());
            assertThat(wrongIdentity.exitCode()).isEqualTo(7);
            assertThat(wrongIdentity.stderr()).contains("does not open repository").contains("age1");
            cli.env("LIFEBOAT_IDENTITY_FILE", identity.toString());
        }
        LifeboatCli.Result restored = cli.run("restore", "latest", "--to", url.replace(db, copy), "--create", "--yes")
                .expectSuccess();
        assertThat(restored.stdout()).contains("Restored " + db + ".dump");
        assertThat(pg.tableRows(copy)).isEqualTo(pg.tableRows(db));

        // cat gives back the exact pg_dump archive: pg_restore can read it.
        Path dump = work.resolve("app.dump");
        Process cat = cli.command("cat", "latest", db + ".dump").redirectOutput(dump.toFile())
                .redirectError(ProcessBuilder.Redirect.INHERIT).start();
        assertThat(cat.waitFor()).isZero();
        assertThat(Files.size(dump)).isEqualTo(shown.get("artifacts").get(0).get("size").asLong());
        assertThat(pg.runTool("pg_restore", "--list", dump.toString())).contains("TABLE DATA public events");
        // a binary artifact is not written to a terminal; -o writes a new owner-only file, whole or not at all
        LifeboatCli.Result toTerminal = cli.env("JAVA_TOOL_OPTIONS", "-Dlifeboat.stdout.tty=true")
                .run("cat", "latest", db + ".dump");
        cli.env("JAVA_TOOL_OPTIONS", null);
        assertThat(toTerminal.exitCode()).as(toTerminal.stderr()).isEqualTo(2);
        assertThat(toTerminal.stderr()).contains(db + ".dump is binary").contains("-o " + db + ".dump");
        assertThat(toTerminal.stdout()).isEmpty();
        Path copyFile = work.resolve("copy.dump");
        cli.run("cat", "latest", db + ".dump", "-o", copyFile.toString()).expectSuccess();
        assertThat(Files.readAllBytes(copyFile)).isEqualTo(Files.readAllBytes(dump));
        assertThat(java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(copyFile)))
                .isEqualTo("rw-------");
        LifeboatCli.Result again = cli.run("cat", "latest", db + ".dump", "-o", copyFile.toString());
        assertThat(again.exitCode()).isEqualTo(2);
        assertThat(again.stderr()).contains("already exists");
        try (var left = Files.list(work)) {
            assertThat(left.map(p -> p.getFileName().toString())).noneMatch(n -> n.endsWith(".partial"));
        }
        pg.dropDatabase(db);
        pg.dropDatabase(copy);
    }

    @org.junit.jupiter.api.Test
    void anUnchangedSmallDatabaseStoresOnlyItsArchiveHeaderAgain() throws Exception {
        PgCluster pg = PgCluster.shared();
        pg.dropDatabase("dedup_small");
        pg.createDatabase("dedup_small");
        // a dump of about 400 KiB: smaller than the 512 KiB minimum chunk of the default chunker
        pg.psql("dedup_small", "create table t as select g, md5(g::text) as v from generate_series(1, 9000) g");
        LifeboatCli cli = new LifeboatCli(work).env("LIFEBOAT_REPOSITORY", work.resolve("dedup").toString())
                .env("PGPASSWORD", pg.password())
                .env("DATABASE_URL", "postgres://" + pg.superuser() + "@127.0.0.1:" + pg.port() + "/dedup_small");
        cli.run("init").expectSuccess();
        cli.run("backup").expectSuccess();
        Thread.sleep(1100); // a dump of another second: its header differs
        String evil = "evil\u001b[2J\u001b]0;owned\u0007\nSTATUS completed";
        cli.run("backup", "--label", evil).expectSuccess();
        // a label is printed, never obeyed as terminal escapes or taken for another line
        for (String out : List.of(cli.run("list").expectSuccess().stdout(),
                cli.run("show", "latest").expectSuccess().stdout())) {
            assertThat(out).doesNotContain("\u001b").doesNotContain("\u0007")
                    .contains("evil\\x1b[2J\\x1b]0;owned\\x07\\x0aSTATUS completed");
        }
        JsonNode list = new ObjectMapper().readTree(cli.run("list", "--json").expectSuccess().stdout());
        long size = list.get(1).get("logicalBytes").asLong();
        long added = list.get(1).get("addedBytes").asLong();
        assertThat(size).isBetween(300_000L, 512L * 1024);
        assertThat(added).as("new bytes of the second backup, of " + size).isLessThan(size / 10);
        pg.dropDatabase("dedup_small");
    }

    @org.junit.jupiter.api.Test
    void severalDatabasesAndGlobalsInOneBackup() throws Exception {
        PgCluster pg = PgCluster.shared();
        for (String db : new String[] {"multi_a", "multi_b", "multi_b_copy"}) {
            pg.dropDatabase(db);
        }
        pg.createDatabase("multi_a");
        pg.createDatabase("multi_b");
        pg.psql("multi_a", "create table a as select g from generate_series(1, 1000) g");
        pg.psql("multi_b", "create table b as select g, 'b' || g as t from generate_series(1, 2000) g");
        LifeboatCli cli = new LifeboatCli(work).env("LIFEBOAT_REPOSITORY", work.resolve("repo").toString())
                .env("PGPASSWORD", pg.password());
        String base = "postgres://" + pg.superuser() + "@127.0.0.1:" + pg.port() + "/";
        cli.run("init").expectSuccess();
        JsonNode m = JSON.readTree(cli.run("backup", "--db", base + "multi_a", "--db", base + "multi_b", "--globals",
                "--json").expectSuccess().stdout());
        // each source's artifacts together, in the sources' order: the globals were read through the first
        assertThat(names(m.get("artifacts"))).containsExactly("multi_a.dump", "globals.sql", "multi_b.dump");
        assertThat(names(m.get("sources"))).containsExactly("multi_a", "multi_b");

        LifeboatCli.Result ambiguous = cli.run("restore", "latest", "--to", base + "multi_b_copy", "--create", "--yes");
        assertThat(ambiguous.exitCode()).isEqualTo(2);
        assertThat(ambiguous.stderr()).contains("holds 2 database dumps").contains("--database");
        cli.run("restore", "latest", "--database", "multi_b", "--to", base + "multi_b_copy", "--create", "--yes")
                .expectSuccess();
        assertThat(pg.tableRows("multi_b_copy")).isEqualTo(pg.tableRows("multi_b"));

        JsonNode all = JSON.readTree(cli.run("backup", "--db", base + "postgres", "--all-databases", "--json")
                .expectSuccess().stdout());
        assertThat(names(all.get("sources"))).contains("multi_a", "multi_b", "postgres");
        assertThat(names(all.get("artifacts"))).contains("globals.sql");
        for (String db : new String[] {"multi_a", "multi_b", "multi_b_copy"}) {
            pg.dropDatabase(db);
        }
    }

    @Test
    void aServerWithoutTheGrantedRoleGetsItFromGlobalsOrARestoreWithoutPrivileges(@TempDir Path work) throws Exception {
        PgCluster pg = PgCluster.shared();
        pg.dropDatabase("roles_src");
        pg.createDatabase("roles_src");
        pg.psql("postgres", "drop role if exists lb_it_reader; drop role if exists lb_it_reader_old; create role lb_it_reader");
        pg.psql("roles_src", "create table t as select g from generate_series(1, 500) g; grant select on t to lb_it_reader");
        LifeboatCli cli = new LifeboatCli(work).env("LIFEBOAT_REPOSITORY", work.resolve("repo").toString())
                .env("PGPASSWORD", pg.password());
        String base = "postgres://" + pg.superuser() + "@127.0.0.1:" + pg.port() + "/";
        cli.run("init").expectSuccess();
        String id = JSON.readTree(cli.run("backup", "--db", base + "roles_src", "--globals", "--json").expectSuccess()
                .stdout()).get("id").asText();
        // as on a new server: the role the dump grants to is not there
        pg.psql("roles_src", "revoke select on t from lb_it_reader");
        pg.psql("postgres", "alter role lb_it_reader rename to lb_it_reader_old");
        pg.dropDatabase("roles_copy");

        LifeboatCli.Result r = cli.run("restore", id, "--database", "roles_src", "--to", base + "roles_copy", "--create", "--yes");
        assertThat(r.exitCode()).as(r.stderr()).isEqualTo(6);
        assertThat(r.stderr()).contains("role \"lb_it_reader\" does not exist")
                .contains("Try: create role lb_it_reader on this server first (or every role of the backup: lifeboat cat "
                        + id + " globals.sql | psql -d postgres), or restore without GRANTs (--no-privileges)")
                .contains("the database it created was dropped");
        assertThat(pg.psql("postgres", "select count(*) from pg_database where datname = 'roles_copy'")).isEqualTo("0");

        // either way out works: without GRANTs ...
        cli.run("restore", id, "--database", "roles_src", "--to", base + "roles_copy", "--create", "--yes",
                "--no-privileges").expectSuccess();
        assertThat(pg.tableRows("roles_copy")).isEqualTo(pg.tableRows("roles_src"));
        pg.dropDatabase("roles_copy");
        // ... or with the roles from the backup's globals.sql, as the hint says
        Path globals = work.resolve("globals.sql");
        Files.writeString(globals, cli.run("cat", id, "globals.sql").expectSuccess().stdout());
        ProcessBuilder recipe = new ProcessBuilder(pg.binDir().resolve("psql").toString(), "-X", "-q", "-d", "postgres",
                "-f", globals.toString()).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD);
        recipe.environment().putAll(pg.clientEnvironment()); // roles that exist already are reported and skipped
        Process psql = recipe.start();
        psql.getOutputStream().close();
        assertThat(psql.waitFor()).isZero();
        cli.run("restore", id, "--database", "roles_src", "--to", base + "roles_copy", "--create", "--yes").expectSuccess();
        assertThat(pg.psql("roles_copy", "select has_table_privilege('lb_it_reader', 'public.t', 'select')")).isEqualTo("t");

        pg.dropDatabase("roles_copy");
        pg.dropDatabase("roles_src");
        pg.psql("postgres", "drop role lb_it_reader; drop role lb_it_reader_old");
    }

    private static java.util.List<String> names(JsonNode array) {
        java.util.List<String> out = new java.util.ArrayList<>();
        array.forEach(n -> out.add(n.get("name").asText()));
        return out;
    }

    /**
     * A migration that starts while a backup runs waits for pg_dump's locks, as for any pg_dump, and nothing else:
     * Lifeboat's own session takes no lock on a table (the row counts come from the archive), so it cannot queue
     * behind the migration and deadlock it. The counts are those of the dump's snapshot.
     */
    @Test
    void aMigrationDuringABackupWaitsForPgDumpAloneAndGoesThrough() throws Exception {
        PgCluster pg = PgCluster.shared();
        pg.dropDatabase("mig_src");
        pg.createDatabase("mig_src");
        pg.psql("mig_src", "create table a as select g, md5(g::text) v from generate_series(1, 300000) g;"
                + " create table b as select g from generate_series(1, 1000) g");
        LifeboatCli cli = new LifeboatCli(work).env("LIFEBOAT_REPOSITORY", work.resolve("repo").toString())
                .env("PGPASSWORD", pg.password()).env("LIFEBOAT_THREADS", "1");
        cli.run("init").expectSuccess();
        String url = "postgres://" + pg.superuser() + "@127.0.0.1:" + pg.port() + "/mig_src";
        Process backup = cli.command("backup", "--db", url, "--json").redirectError(ProcessBuilder.Redirect.DISCARD)
                .start();
        java.util.concurrent.CompletableFuture<Void> migration = null;
        try {
            // hold the backup while pg_dump sends table a: it soon blocks on the full pipe, its locks held
            org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(60))
                    .pollInterval(java.time.Duration.ofMillis(20)).until(() -> "1".equals(pg.psql("postgres",
                            "select count(*) from pg_stat_activity where query like 'COPY public.a %'")));
            signal("STOP", backup.pid());
            assertThat(pg.psql("mig_src", "select count(distinct l.pid) from pg_locks l join pg_stat_activity s "
                    + "on s.pid = l.pid where s.application_name like 'lifeboat-backup-%' and l.relation in "
                    + "('a'::regclass, 'b'::regclass)")).as("sessions of the backup holding locks on the tables")
                    .isEqualTo("1");
            migration = java.util.concurrent.CompletableFuture.runAsync(() -> {
                try (java.sql.Connection c = java.sql.DriverManager.getConnection("jdbc:postgresql://127.0.0.1:"
                        + pg.port() + "/mig_src", pg.superuser(), pg.password())) {
                    c.setAutoCommit(false);
                    c.createStatement().execute("alter table b add column note text");
                    c.createStatement().execute("alter table a add column note text");
                    c.createStatement().execute("delete from b where g <= 10");
                    c.commit();
                } catch (java.sql.SQLException e) {
                    throw new IllegalStateException(e);
                }
            });
            org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(30)).until(() -> "1".equals(
                    pg.psql("postgres", "select count(*) from pg_stat_activity where wait_event_type = 'Lock' "
                            + "and query like 'alter table b%'")));
        } finally {
            signal("CONT", backup.pid());
        }
        assertThat(backup.waitFor(2, java.util.concurrent.TimeUnit.MINUTES)).isTrue();
        String out = new String(backup.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        assertThat(backup.exitValue()).as(out).isZero();
        migration.get(60, java.util.concurrent.TimeUnit.SECONDS); // went through once pg_dump let go
        assertThat(pg.psql("mig_src", "select count(*) from b")).isEqualTo("990");

        JsonNode tables = JSON.readTree(cli.run("show", JSON.readTree(out).get("id").asText(), "--json")
                .expectSuccess().stdout()).get("sources").get(0).get("tables");
        assertThat(tables.get(0).get("name").asText()).isEqualTo("a");
        assertThat(tables.get(0).get("rows").asLong()).isEqualTo(300000);
        assertThat(tables.get(1).get("rows").asLong()).as("b in the snapshot, before the delete").isEqualTo(1000);
        pg.dropDatabase("mig_src");
    }

    private static void signal(String signal, long pid) throws Exception {
        Process kill = new ProcessBuilder("kill", "-" + signal, Long.toString(pid)).inheritIO().start();
        assertThat(kill.waitFor()).isZero();
    }
}
