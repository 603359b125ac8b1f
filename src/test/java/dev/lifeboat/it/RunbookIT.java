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

/** The recipe of docs/RUNBOOK.md restores an encrypted backup with jq, age, zstd and pg_restore alone. */
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
        cli.run("init", "--recipient", recipient).expectSuccess();
        JsonNode backup = new ObjectMapper().readTree(cli.run("backup", "--db",
                "postgres://" + pg.superuser() + "@127.0.0.1:" + pg.port() + "/runbook", "--json").expectSuccess().stdout());

        Path dump = work.resolve("runbook.dump");
        Process recipe = new ProcessBuilder("bash", Path.of("docs/restore-without-lifeboat.sh").toAbsolutePath().toString(),
                work.resolve("repo").toString(), backup.get("id").asText(), "runbook.dump", identity.toString())
                .redirectOutput(dump.toFile()).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        assertThat(recipe.waitFor()).isZero();

        String sha = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(dump)));
        assertThat(sha).isEqualTo(backup.get("artifacts").get(0).get("sha256").asText());
        pg.createDatabase("runbook_copy");
        pg.runTool("pg_restore", "--single-transaction", "--no-owner", "--dbname=runbook_copy", dump.toString());
        assertThat(pg.tableRows("runbook_copy")).isEqualTo(pg.tableRows("runbook"));
        pg.dropDatabase("runbook");
        pg.dropDatabase("runbook_copy");
    }
}
