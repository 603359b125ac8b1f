package dev.lifeboat.it;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.lifeboat.testing.LifeboatCli;
import dev.lifeboat.testing.PgCluster;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Issue 15: a stack (a PostgreSQL database and a service behind dump/load commands) in one backup, with hooks that
 * record their order, through the packaged CLI and lifeboat.yml; a phased restore; failures as seed 004 asks.
 */
class StackIT {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path work;

    @Test
    void aStackIsBackedUpInOneBackupAndRestoredInPhases() throws Exception {
        PgCluster pg = PgCluster.shared();
        String db = "stack_app";
        pg.dropDatabase(db);
        pg.createDatabase(db);
        pg.psql(db, "create table t(id int primary key, v text); insert into t select g, md5(g::text) "
                + "from generate_series(1, 2000) g");
        Path kv = work.resolve("kv.txt");
        Files.writeString(kv, "kv-state-1\n");
        Path hooks = work.resolve("hooks.log");
        Files.createFile(hooks);
        String url = "postgres://" + pg.superuser() + "@127.0.0.1:" + pg.port() + "/" + db;
        Path ok = config("ok.yml", url, "cat " + kv, "cat > " + kv + ".new && mv " + kv + ".new " + kv, hooks);

        LifeboatCli cli = new LifeboatCli(work).env("PGPASSWORD", pg.password());
        cli.run("init", "--config", ok.toString()).expectSuccess();
        JsonNode backup = JSON.readTree(cli.run("backup", "--config", ok.toString(), "--label", "stack", "--json")
                .expectSuccess().stdout());
        assertThat(Files.readAllLines(hooks)).containsExactly("before-backup", "after-backup");
        String id = backup.get("id").asText();
        assertThat(backup.get("formatVersion").asInt()).isEqualTo(3);
        assertThat(backup.get("sources")).extracting(s -> s.get("name").asText() + ":" + s.get("type").asText())
                .containsExactly("app:postgresql", "kv:exec");
        assertThat(backup.get("stack").get("hooks")).hasSize(2);
        JsonNode shown = JSON.readTree(cli.run("show", id, "--config", ok.toString(), "--json").expectSuccess().stdout());
        assertThat(shown.get("sources").get(0).get("tables")).hasSize(1);
        String text = cli.run("show", id, "--config", ok.toString()).expectSuccess().stdout();
        assertThat(text).contains("Source app (postgresql)").contains("Source kv (exec)").contains("public.t");

        // damage both, then restore the whole stack
        pg.psql(db, "delete from t where id > 5");
        Files.writeString(kv, "kv-state-2\n");
        Files.writeString(hooks, "");
        String restored = cli.run("restore", id, "--config", ok.toString(), "--yes").expectSuccess().stdout();
        assertThat(restored).contains("Restored app, kv of backup " + id).contains("safety backup taken first");
        assertThat(pg.psql(db, "select count(*) from t").strip()).isEqualTo("2000");
        assertThat(Files.readString(kv)).isEqualTo("kv-state-1\n");
        assertThat(Files.readAllLines(hooks)).containsExactly("before-restore", "after-restore");

        // a failing source fails the backup, names it; after-backup ran; nothing listed as complete
        int before = list(cli, ok).size();
        Path bad = config("bad.yml", url, "echo partial; exit 3", "cat > " + kv, hooks);
        Files.writeString(hooks, "");
        LifeboatCli.Result failed = cli.run("backup", "--config", bad.toString());
        assertThat(failed.exitCode()).isEqualTo(12);
        assertThat(failed.stderr()).contains("source kv (exec): the backup command exited with status 3");
        assertThat(Files.readAllLines(hooks)).containsExactly("before-backup", "after-backup");
        assertThat(list(cli, ok)).hasSize(before);

        // a failing source during a restore: after-restore does not run; the error names what was restored and the
        // safety backup, which puts the previous state back
        pg.psql(db, "delete from t where id > 10");
        Path badRestore = config("badrestore.yml", url, "cat " + kv, "cat > /dev/null; exit 4", hooks);
        Files.writeString(hooks, "");
        LifeboatCli.Result r = cli.run("restore", id, "--config", badRestore.toString(), "--yes");
        assertThat(r.exitCode()).as(r.stderr()).isNotZero();
        assertThat(r.stderr()).contains("restoring source kv failed").contains("restored already: app")
                .contains("after-restore did not run").contains("the safety backup is ");
        assertThat(Files.readAllLines(hooks)).containsExactly("before-restore");
        String safety = r.stderr().replaceAll("(?s).*the safety backup is (\\S+?)[.;\\s].*", "$1");
        assertThat(pg.psql(db, "select count(*) from t").strip()).isEqualTo("2000"); // app was restored
        cli.run("restore", safety, "--config", ok.toString(), "--source", "app", "--yes").expectSuccess();
        assertThat(pg.psql(db, "select count(*) from t").strip()).isEqualTo("10"); // the state before that restore

        // one source elsewhere
        pg.dropDatabase(db + "_copy");
        cli.run("restore", id, "--config", ok.toString(), "--source", "app", "--to", url + "_copy", "--create", "--yes")
                .expectSuccess();
        assertThat(pg.psql(db + "_copy", "select count(*) from t").strip()).isEqualTo("2000");
        pg.dropDatabase(db + "_copy");
    }

    @Test
    void aDatabaseAndAFolderAreBackedUpTogetherWithoutAConfigFile() throws Exception {
        PgCluster pg = PgCluster.shared();
        String db = "stack_noconf";
        pg.dropDatabase(db);
        pg.createDatabase(db);
        pg.psql(db, "create table t as select g from generate_series(1, 500) g");
        Path uploads = Files.createDirectories(work.resolve("uploads"));
        Files.writeString(uploads.resolve("a.txt"), "a");
        Files.createDirectories(uploads.resolve("sub"));
        Files.writeString(uploads.resolve("sub/b.txt"), "b");
        LifeboatCli cli = new LifeboatCli(work).env("PGPASSWORD", pg.password())
                .env("LIFEBOAT_REPOSITORY", work.resolve("repo").toString());
        cli.run("init").expectSuccess();
        String url = "postgres://" + pg.superuser() + "@127.0.0.1:" + pg.port() + "/" + db;
        JsonNode b = JSON.readTree(cli.run("backup", "--db", url, "--files", uploads.toString(), "--json")
                .expectSuccess().stdout());
        assertThat(b.get("sources")).extracting(s -> s.get("name").asText() + ":" + s.get("type").asText())
                .containsExactly(db + ":postgresql", "uploads:files");
        Path out = work.resolve("restored");
        cli.run("restore", b.get("id").asText(), "--source", "uploads", "--to", out.toString(), "--yes")
                .expectSuccess();
        assertThat(out.resolve("sub/b.txt")).hasContent("b");
        assertThat(cli.run("ls", b.get("id").asText()).expectSuccess().stdout()).contains("sub/b.txt");
        pg.dropDatabase(db);
    }

    private List<JsonNode> list(LifeboatCli cli, Path config) throws Exception {
        JsonNode all = JSON.readTree(cli.run("list", "--config", config.toString(), "--json").expectSuccess().stdout());
        List<JsonNode> complete = new java.util.ArrayList<>();
        all.forEach(b -> {
            if (!"pre-restore".equals(b.path("kind").asText())) {
                complete.add(b);
            }
        });
        return complete;
    }

    private Path config(String name, String url, String backup, String restore, Path hooks) throws Exception {
        Path f = work.resolve(name);
        Files.writeString(f, """
                repository: %s
                sources:
                  app: { type: postgres, url: "%s" }
                  kv:  { type: exec, backup: "%s", restore: "%s" }
                hooks:
                  before-backup: "echo before-backup >> %s"
                  after-backup: "echo after-backup >> %s"
                  before-restore: "echo before-restore >> %s"
                  after-restore: "echo after-restore >> %s"
                """.formatted(work.resolve("repo"), url, backup, restore, hooks, hooks, hooks, hooks));
        return f;
    }
}
