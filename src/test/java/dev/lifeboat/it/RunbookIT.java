package dev.lifeboat.it;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.lifeboat.testing.LifeboatCli;
import dev.lifeboat.testing.PgCluster;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The recipe of docs/RUNBOOK.md restores an encrypted backup with jq, openssl, age, zstd and pg_restore alone, after
 * checking its signature against the key the identity file names, and refuses an altered manifest.
 */
class RunbookIT {
    @TempDir
    Path work;

    @Test
    void recipeRestoresAnEncryptedBackupWithoutLifeboat() throws Exception {
        PgCluster pg = PgCluster.shared();
        pg.dropDatabase("runbook");
        pg.dropDatabase("runbook_copy");
        pg.createDatabase("runbook");
        pg.psql("runbook", "create table notes(id int primary key, body text, data bytea);"
                + "insert into notes select g, 'note ' || g || ' ✓', decode(md5(g::text), 'hex') from generate_series(1, 300000) g");
        Path identity = work.resolve("key.txt");
        LifeboatCli cli = new LifeboatCli(work).env("LIFEBOAT_REPOSITORY", work.resolve("repo").toString())
                .env("PGPASSWORD", pg.password());
        // The identity comes from the age tools themselves, as an operator would make it.
        Process keygen = new ProcessBuilder("age-keygen", "-o", identity.toString()).redirectErrorStream(true).start();
        String keygenOut = new String(keygen.getInputStream().readAllBytes());
        assertThat(keygen.waitFor()).as(keygenOut).isZero();
        String recipient = keygenOut.replaceAll("(?s).*(age1[0-9a-z]+).*", "$1");
        String init = cli.run("init", "--recipient", recipient).expectSuccess().stdout();
        // As init says: keep the signing key's public half with the identity.
        String line = init.lines().map(String::strip).filter(l -> l.startsWith("# lifeboat signing key: ")).findFirst()
                .orElseThrow(() -> new AssertionError("init printed no signing key line: " + init));
        Files.writeString(identity, line + "\n", java.nio.file.StandardOpenOption.APPEND);
        JsonNode backup = new ObjectMapper().readTree(cli.run("backup", "--db",
                "postgres://" + pg.superuser() + "@127.0.0.1:" + pg.port() + "/runbook", "--json").expectSuccess().stdout());

        Path dump = work.resolve("runbook.dump");
        Process recipe = new ProcessBuilder("bash", Path.of("docs/restore-without-lifeboat.sh").toAbsolutePath().toString(),
                work.resolve("repo").toString(), backup.get("id").asText(), "runbook.dump", identity.toString())
                .redirectOutput(dump.toFile()).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        assertThat(recipe.waitFor()).isZero();

        // A manifest altered in the repository is refused by the recipe before any chunk is read.
        Path manifest = work.resolve("repo/backups").resolve(backup.get("id").asText()).resolve("manifest.json");
        byte[] original = Files.readAllBytes(manifest);
        Files.writeString(manifest, new String(original, java.nio.charset.StandardCharsets.UTF_8)
                .replace("\"runbook.dump\"", "\"runbook.dump\" "));
        Process refused = new ProcessBuilder("bash", Path.of("docs/restore-without-lifeboat.sh").toAbsolutePath().toString(),
                work.resolve("repo").toString(), backup.get("id").asText(), "runbook.dump", identity.toString())
                .redirectErrorStream(true).start();
        String refusal = new String(refused.getInputStream().readAllBytes());
        assertThat(refused.waitFor()).as(refusal).isEqualTo(10);
        assertThat(refusal).contains("does not verify");
        Files.write(manifest, original);

        String sha = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(dump)));
        assertThat(sha).isEqualTo(backup.get("artifacts").get(0).get("sha256").asText());
        pg.createDatabase("runbook_copy");
        pg.runTool("pg_restore", "--single-transaction", "--no-owner", "--dbname=runbook_copy", dump.toString());
        assertThat(pg.tableRows("runbook_copy")).isEqualTo(pg.tableRows("runbook"));
        pg.dropDatabase("runbook");
        pg.dropDatabase("runbook_copy");
    }

    /**
     * The tree recipe of docs/RUNBOOK.md rebuilds a files source of an encrypted backup without Lifeboat, its data's
     * chunks listed in chunk-lists.bin.
     */
    @Test
    void treeRecipeRebuildsAFilesSourceWithoutLifeboat() throws Exception {
        Path tree = work.resolve("tree");
        Process make = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                Path.of("src/test/resources/golden/v3/MakeTree.java").toAbsolutePath().toString(), tree.toString())
                .inheritIO().start();
        assertThat(make.waitFor()).isZero();
        // and 1,200 small files more, so that the data's chunk list is in chunk-lists.bin (manifest format 3)
        Process many = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                Path.of("src/test/resources/golden/v5/MakeTree.java").toAbsolutePath().toString(),
                tree.resolve("many").toString()).inheritIO().start();
        assertThat(many.waitFor()).isZero();
        Path identity = work.resolve("key.txt");
        Path config = work.resolve("lifeboat.yml");
        Files.writeString(config, "repository: " + work.resolve("repo") + "\nsources:\n  uploads: { type: files, path: \""
                + tree + "\" }\n");
        LifeboatCli cli = new LifeboatCli(work);
        String recipient = cli.run("keygen", "-o", identity.toString()).expectSuccess().stdout().strip();
        cli.run("init", "--config", config.toString(), "--recipient", recipient).expectSuccess();
        JsonNode backup = new ObjectMapper().readTree(cli.run("backup", "--config", config.toString(), "--json")
                .expectSuccess().stdout());
        assertThat(work.resolve("repo/backups").resolve(backup.get("id").asText()).resolve("chunk-lists.bin"))
                .isRegularFile();

        Path rebuilt = work.resolve("rebuilt");
        Process recipe = new ProcessBuilder("bash",
                Path.of("docs/rebuild-tree-without-lifeboat.sh").toAbsolutePath().toString(),
                work.resolve("repo").toString(), backup.get("id").asText(), "uploads", rebuilt.toString(),
                identity.toString()).inheritIO().start();
        assertThat(recipe.waitFor()).isZero();
        // everything but extended attributes, which the recipe leaves out (setfattr needs the attr package)
        assertThat(dev.lifeboat.source.files.TreeSignature.of(rebuilt, 1, false))
                .isEqualTo(dev.lifeboat.source.files.TreeSignature.of(tree, 1, false));
    }
}
