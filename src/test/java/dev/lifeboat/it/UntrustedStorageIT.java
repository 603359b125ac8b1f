package dev.lifeboat.it;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.lifeboat.testing.LifeboatCli;
import dev.lifeboat.testing.PgCluster;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Issue 14's attacks by someone who can write the repository's storage and holds nothing else, played through the
 * packaged CLI: each is refused, says why, and writes nothing.
 */
class UntrustedStorageIT {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path work;

    private static long files(Path dir) throws Exception {
        try (Stream<Path> s = Files.walk(dir)) {
            return s.filter(Files::isRegularFile).count();
        }
    }

    @Test
    void aRewrittenConfigIsRefusedByEveryCommandAndTheOriginalWorksAgain() throws Exception {
        PgCluster pg = PgCluster.shared();
        pg.dropDatabase("untrusted_cfg");
        pg.createDatabase("untrusted_cfg");
        pg.psql("untrusted_cfg", "create table t(id int primary key, v text); insert into t select g, 'secret ' || g "
                + "from generate_series(1, 5000) g");
        Path repo = work.resolve("repo");
        Path identity = work.resolve("identity.txt");
        LifeboatCli cli = new LifeboatCli(work).env("LIFEBOAT_REPOSITORY", repo.toString())
                .env("PGPASSWORD", pg.password())
                .env("DATABASE_URL", "postgres://" + pg.superuser() + "@127.0.0.1:" + pg.port() + "/untrusted_cfg");
        String owner = cli.run("keygen", "-o", identity.toString()).expectSuccess().stdout().trim();
        String attacker = cli.run("keygen", "-o", work.resolve("attacker.txt").toString()).expectSuccess().stdout().trim();
        String init = cli.run("init", "--recipient", owner).expectSuccess().stdout();
        assertThat(init).contains("made with the identity of " + owner);
        assertThat(Files.readString(identity)).contains("# lifeboat signing key: ed25519:");
        cli.run("backup").expectSuccess();

        Path config = repo.resolve("config.json");
        String original = Files.readString(config);
        Files.writeString(config, original.replace(owner, attacker));
        long before = files(repo);
        for (String[] command : new String[][] {{"backup"}, {"list"}, {"verify", "--all"}, {"prune", "--dry-run"}}) {
            LifeboatCli.Result r = cli.run(command);
            assertThat(r.exitCode()).as(String.join(" ", command) + ": " + r.stderr()).isEqualTo(10);
            assertThat(r.stderr()).contains("is not the one this host recorded").contains("the recipients [" + owner
                    + "] became [" + attacker + "]").contains("Try:");
        }
        assertThat(files(repo)).as("nothing written").isEqualTo(before);

        Files.writeString(config, original);
        cli.run("backup").expectSuccess();
        // The configured recipients are held against the repository's too.
        LifeboatCli.Result other = cli.env("LIFEBOAT_RECIPIENTS", attacker).run("backup");
        assertThat(other.exitCode()).as(other.stderr()).isEqualTo(7);
        assertThat(other.stderr()).contains("not to the recipients this host is configured with [" + attacker + "]");
    }

    @Test
    void forgedBackupsAreListedAsSuchAndNeverRestoredOrVerified() throws Exception {
        PgCluster pg = PgCluster.shared();
        pg.dropDatabase("untrusted_src");
        pg.dropDatabase("untrusted_copy");
        pg.dropDatabase("untrusted_forged");
        pg.createDatabase("untrusted_src");
        pg.psql("untrusted_src", "create table t(id int primary key); insert into t select generate_series(1, 100)");
        Path repo = work.resolve("repo");
        String base = "postgres://" + pg.superuser() + "@127.0.0.1:" + pg.port() + "/";
        LifeboatCli cli = new LifeboatCli(work).env("LIFEBOAT_REPOSITORY", repo.toString())
                .env("PGPASSWORD", pg.password()).env("DATABASE_URL", base + "untrusted_src");
        cli.run("init").expectSuccess();
        String good = JSON.readTree(cli.run("backup", "--json").expectSuccess().stdout()).get("id").asText();

        // A manifest planted under a newer id, first unsigned, then with the authentic backup's signature beside it.
        String forged = "29991231T000000Z-abcdef";
        Path folder = Files.createDirectories(repo.resolve("backups").resolve(forged));
        Files.writeString(folder.resolve("manifest.json"), Files.readString(repo.resolve("backups").resolve(good)
                .resolve("manifest.json")).replace(good, forged));
        for (boolean withSignature : new boolean[] {false, true}) {
            if (withSignature) {
                Files.copy(repo.resolve("backups").resolve(good).resolve("manifest.sig"), folder.resolve("manifest.sig"));
            }
            String why = withSignature ? "forged or altered" : "is not signed";
            JsonNode list = JSON.readTree(cli.run("list", "--json").expectSuccess().stdout());
            assertThat(list).hasSize(2);
            assertThat(list.toString()).contains(why);
            LifeboatCli.Result restore = cli.run("restore", forged, "--to", base + "untrusted_forged", "--create", "--yes");
            assertThat(restore.exitCode()).as(restore.stderr()).isEqualTo(10);
            assertThat(restore.stderr()).contains(forged).contains(why);
            LifeboatCli.Result verify = cli.run("verify", "--all", "--read-data");
            assertThat(verify.exitCode()).as(verify.stderr()).isEqualTo(10);
            assertThat(verify.stdout() + verify.stderr()).contains(good + ": verified").contains(forged);
        }
        assertThat(pg.psql("postgres", "select count(*) from pg_database where datname = 'untrusted_forged'"))
                .isEqualTo("0");
        // latest passes over the forgery to the newest authentic backup.
        LifeboatCli.Result latest = cli.run("restore", "latest", "--to", base + "untrusted_copy", "--create", "--yes")
                .expectSuccess();
        assertThat(latest.stdout()).contains("of backup " + good);
        assertThat(pg.tableRows("untrusted_copy")).isEqualTo(pg.tableRows("untrusted_src"));
        pg.dropDatabase("untrusted_src");
        pg.dropDatabase("untrusted_copy");
    }

    @Test
    void linksPlantedInTheRepositoryNeverMakePruneVerifyOrPinTouchWhatTheyPointTo() throws Exception {
        PgCluster pg = PgCluster.shared();
        pg.dropDatabase("untrusted_links");
        pg.createDatabase("untrusted_links");
        pg.psql("untrusted_links", "create table t(id int primary key); insert into t select generate_series(1, 100)");
        Path repo = work.resolve("repo");
        Path victim = Files.createDirectories(work.resolve("victim/sub/deeper")).getParent().getParent();
        Files.writeString(victim.resolve("important.conf"), "keep");
        Files.writeString(victim.resolve("sub/deeper/key.pem"), "keep");
        Files.writeString(victim.resolve("manifest.json"), "{}");
        LifeboatCli cli = new LifeboatCli(work).env("LIFEBOAT_REPOSITORY", repo.toString())
                .env("PGPASSWORD", pg.password())
                .env("DATABASE_URL", "postgres://" + pg.superuser() + "@127.0.0.1:" + pg.port() + "/untrusted_links");
        cli.run("init").expectSuccess();
        for (int i = 0; i < 3; i++) {
            cli.run("backup").expectSuccess();
            Thread.sleep(1100); // ids of different seconds
        }
        Files.createSymbolicLink(repo.resolve("backups/zzz-not-a-backup"), victim);
        Files.createDirectories(repo.resolve("chunks")); // a small database's chunks may all be in packs
        Files.createSymbolicLink(repo.resolve("chunks/zz"), victim);

        cli.run("verify", "--all").expectSuccess();
        assertThat(cli.run("pin", "zzz-not-a-backup").exitCode()).isEqualTo(3);
        LifeboatCli.Result prune = cli.run("prune", "--keep-last", "1", "--minimum-keep", "1", "--keep-within", "0")
                .expectSuccess();
        assertThat(prune.stderr()).contains("is a symbolic link");
        assertThat(JSON.readTree(cli.run("list", "--json").expectSuccess().stdout())).hasSize(1);
        assertThat(Files.readString(victim.resolve("important.conf"))).isEqualTo("keep");
        assertThat(Files.readString(victim.resolve("sub/deeper/key.pem"))).isEqualTo("keep");
        assertThat(Files.readString(victim.resolve("manifest.json"))).isEqualTo("{}");
        try (Stream<Path> s = Files.list(victim)) {
            assertThat(s.map(p -> p.getFileName().toString())).containsExactlyInAnyOrder("important.conf", "sub",
                    "manifest.json");
        }
        pg.dropDatabase("untrusted_links");
    }
}
