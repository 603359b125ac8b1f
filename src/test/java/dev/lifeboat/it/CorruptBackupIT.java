package dev.lifeboat.it;

import com.fasterxml.jackson.databind.JsonNode;
import dev.lifeboat.testing.LifeboatCli;
import dev.lifeboat.testing.StoredChunk;
import dev.lifeboat.testing.LifeboatService;
import dev.lifeboat.testing.PgCluster;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SortedMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static dev.lifeboat.it.ServiceItSupport.JSON;
import static dev.lifeboat.it.ServiceItSupport.get;
import static dev.lifeboat.it.ServiceItSupport.post;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Corruption never looks like success, through the packaged CLI and service: a verify that finds a damaged chunk
 * exits 10 and fails its job (HTTP 422, the log, the metrics); list shows which check a status rests on; a restore
 * of a backup recorded as corrupt, or with a missing chunk, is refused before its question and its safety backup,
 * naming the newest good backup; forced, it fails naming the safety backup it took.
 *
 * <p>Two backups of one database: A, then B with a table more, so that B has chunks of its own; one of them is
 * damaged (a flipped byte, same size: only reading it tells).
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class CorruptBackupIT {
    private static final String DB = "corrupt_it";
    private static final String API = "/api/v1/platform";
    private static final Pattern SAFETY = Pattern.compile("Safety backup (\\d{8}T\\d{6}Z-[0-9a-f]{6}) taken");

    @TempDir(cleanup = CleanupMode.ON_SUCCESS)
    static Path work;

    static PgCluster pg;
    static Path repo;
    static LifeboatCli cli;
    static LifeboatService service;
    static String admin;
    static String a;
    static String b;
    static String damagedChunk;
    static SortedMap<String, String> rowsOfB;

    @BeforeAll
    static void twoBackupsAndADamagedChunkOfTheSecond() throws IOException {
        pg = PgCluster.shared();
        pg.dropDatabase(DB);
        pg.createDatabase(DB);
        pg.psql(DB, "create table t as select g, md5(g::text) || md5((g * 7)::text) as v from generate_series(1, 60000) g");
        repo = work.resolve("repo");
        cli = new LifeboatCli(work).env("LIFEBOAT_REPOSITORY", repo.toString())
                .env("LIFEBOAT_DATA_DIR", work.resolve("data").toString())
                .env("PGPASSWORD", pg.password())
                .env("DATABASE_URL", "postgres://" + pg.superuser() + "@127.0.0.1:" + pg.port() + "/" + DB)
                .env("LIFEBOAT_BACKUP_SCHEDULE", "0 3 1 1 *")
                .env("LIFEBOAT_RUN_MISSED_AT_STARTUP", "false");
        cli.run("init", "--avg-chunk-size", "1").expectSuccess();
        a = backup();
        pg.psql(DB, "create table u as select g, md5((g * 3)::text) || md5((g * 11)::text) as w "
                + "from generate_series(1, 60000) g");
        b = backup();
        rowsOfB = pg.tableRows(DB);
        List<String> ofA = chunks(a);
        List<String> ofB = chunks(b);
        // not B's first chunk, which holds the dump's header with its time: a dump of the same data shares the rest
        damagedChunk = ofB.subList(1, ofB.size()).stream().filter(c -> !ofA.contains(c)).reduce((x, y) -> y)
                .orElseThrow(() -> new AssertionError("backup " + b + " has no chunk of its own: " + ofB));
        StoredChunk blob = chunkFile(damagedChunk);
        byte[] bytes = blob.read();
        bytes[bytes.length / 2] ^= 0x5A;
        blob.write(bytes);
        admin = ServiceItSupport.createToken(cli, "admin", "corrupt-admin");
    }

    @AfterAll
    static void stop() {
        if (service != null) {
            service.close();
        }
        if (pg != null) {
            pg.dropDatabase(DB);
        }
    }

    @Test
    @Order(1)
    void verifyExitsTenAndListShowsTheLevelEachStatusRestsOn() throws IOException {
        cli.run("verify", a).expectSuccess();
        assertThat(listLine(a)).contains(" verified (exists) ");
        assertThat(row(a).path("statusLevel").asText()).isEqualTo("exists");

        LifeboatCli.Result r = cli.run("verify", "--all", "--read-data");
        assertThat(r.exitCode()).as(r.stdout() + r.stderr()).isEqualTo(10);
        assertThat(r.stdout()).contains(a + ": verified (read-data)").contains(b + ": corrupt (read-data)")
                .contains(damagedChunk);
        assertThat(r.stderr()).contains("1 of 2 backups failed verification").contains(b);

        // a later check of chunks' existence passes, and keeps what the full read found
        cli.run("verify", a).expectSuccess();
        assertThat(listLine(a)).contains(" verified (read-data) ");
        assertThat(listLine(b)).contains(" corrupt (read-data) ");
        assertThat(row(a).path("statusLevel").asText()).isEqualTo("read-data");
        assertThat(row(b).path("status").asText()).isEqualTo("corrupt");
        assertThat(row(b).path("statusLevel").asText()).isEqualTo("read-data");
        assertThat(cli.run("show", b).expectSuccess().stdout()).contains("corrupt (read-data, ");
    }

    @Test
    @Order(2)
    void aCorruptBackupIsRefusedBeforeTheQuestionAndTheSafetyBackupNamingTheGoodOne() {
        int before = backupCount();
        LifeboatCli.Result r = cli.run("restore", b, "--yes");
        assertThat(r.exitCode()).as(r.stderr()).isEqualTo(10);
        assertThat(r.stderr()).startsWith("Error: backup " + b + " is recorded as corrupt by the read-data check of ")
                .contains(damagedChunk).contains("nothing was changed")
                .contains("Try: restore the newest good backup of " + DB + " instead: " + a).contains("--force")
                .doesNotContain("afety backup");
        // without --yes and without a terminal it is the same refusal, not the question
        LifeboatCli.Result asked = cli.run("restore", b);
        assertThat(asked.exitCode()).as(asked.stderr()).isEqualTo(10);
        assertThat(asked.stderr()).contains("recorded as corrupt").doesNotContain("confirmation");
        assertThat(backupCount()).as("no safety backup").isEqualTo(before);
        assertThat(pg.tableRows(DB)).isEqualTo(rowsOfB);
    }

    @Test
    @Order(3)
    void forcedItTakesTheSafetyBackupFailsOnTheDamagedChunkAndNamesTheSafetyBackup() {
        int before = backupCount();
        LifeboatCli.Result r = cli.run("restore", b, "--yes", "--force");
        assertThat(r.exitCode()).as(r.stderr()).isEqualTo(10);
        assertThat(r.stderr()).contains("Warning: backup " + b + " is recorded as corrupt").contains("instead: " + a);
        Matcher m = SAFETY.matcher(r.stderr());
        assertThat(m.find()).as(r.stderr()).isTrue();
        String safety = m.group(1);
        String error = r.stderr().lines().filter(l -> l.startsWith("Error: ")).findFirst().orElseThrow();
        assertThat(error).contains(damagedChunk).contains("the safety backup taken of " + DB + " first is " + safety);
        assertThat(backupCount()).isEqualTo(before + 1);
        assertThat(pg.tableRows(DB)).as("rolled back").isEqualTo(rowsOfB);
    }

    @Test
    @Order(4)
    void aMissingChunkIsRefusedEvenWhenForcedAndTheSafetyBackupSharingItIsNoGoodBackup() throws IOException {
        StoredChunk blob = chunkFile(damagedChunk);
        blob.delete();
        try {
            int before = backupCount();
            LifeboatCli.Result r = cli.run("restore", b, "--yes", "--force");
            assertThat(r.exitCode()).as(r.stderr()).isEqualTo(10);
            assertThat(r.stderr()).contains("chunk " + damagedChunk + " is missing from the repository")
                    // the safety backup of the last test holds the same data: it needs the same chunk
                    .contains("restore the newest good backup of " + DB + " instead: " + a)
                    .doesNotContain("afety backup");
            assertThat(backupCount()).isEqualTo(before);
        } finally {
            blob.restore();
        }
    }

    @Test
    @Order(5)
    void throughTheApiAVerifyThatFindsDamageFailsItsJobAndTheMetricsCountIt() {
        service = LifeboatService.start(cli);
        ServiceItSupport.Answer v = post(service, admin, API + "/backups/" + b + "/verify", null);
        assertThat(v.status()).as("%s", v.body()).isEqualTo(422);
        JsonNode error = v.body().path("error");
        assertThat(error.path("code").asText()).isEqualTo("integrity");
        assertThat(error.path("message").asText()).startsWith("backup " + b + " is corrupt: ").contains(damagedChunk);
        assertThat(error.path("jobStatus").asText()).isEqualTo("failed");
        JsonNode result = error.path("result");
        assertThat(result.path("status").asText()).isEqualTo("corrupt");
        assertThat(result.path("level").asText()).isEqualTo("read-data");
        assertThat(result.path("ok").asBoolean(true)).isFalse();
        assertThat(result.path("problems").toString()).contains(damagedChunk);

        String jobId = error.path("jobId").asText();
        JsonNode job = get(service, admin, API + "/jobs/" + jobId).expect(200).body();
        assertThat(job.path("status").asText()).isEqualTo("failed");
        assertThat(job.path("result").path("status").asText()).isEqualTo("corrupt");
        String log = service.log();
        assertThat(ServiceItSupport.lines(log, "job " + jobId)).anySatisfy(l -> assertThat(l).contains("verify failed"))
                .noneSatisfy(l -> assertThat(l).contains("succeeded"));

        String metrics = metrics();
        assertThat(metrics).contains("lifeboat_job_failures_total{kind=\"verify\"} 1.0")
                .contains("lifeboat_backups_corrupt 1.0")
                // the safety backup of the forced restore was never read; A and B were
                .contains("lifeboat_backups_unverified 1.0");
        JsonNode list = get(service, admin, API + "/backups").expect(200).body();
        for (JsonNode row : list.path("backups")) {
            if (row.path("id").asText().equals(b)) {
                assertThat(row.path("status").asText()).isEqualTo("corrupt");
                assertThat(row.path("statusLevel").asText()).isEqualTo("read-data");
            }
        }
    }

    @Test
    @Order(6)
    void throughTheApiARestoreOfItIsRefusedWithoutATokenOrASafetyBackup() {
        int before = backupCount();
        ServiceItSupport.Answer r = post(service, admin, API + "/backups/" + b + "/restore", null);
        assertThat(r.status()).as("%s", r.body()).isEqualTo(422);
        JsonNode error = r.body().path("error");
        assertThat(error.path("code").asText()).isEqualTo("integrity");
        assertThat(error.path("message").asText()).contains("recorded as corrupt");
        assertThat(error.path("newestGoodBackupId").asText()).isEqualTo(a);
        assertThat(error.path("forcible").asBoolean()).isTrue();
        assertThat(r.body().toString()).doesNotContain("confirmationToken");
        assertThat(backupCount()).isEqualTo(before);
    }

    @Test
    @Order(7)
    void forcedThroughTheApiTheFailedRestoreNamesItsSafetyBackup() {
        int before = backupCount();
        JsonNode offer = post(service, admin, API + "/backups/" + b + "/restore", "{\"force\": true}").expect(200).body();
        assertThat(offer.path("corrupt").asBoolean()).isTrue();
        assertThat(offer.path("newestGoodBackupId").asText()).isEqualTo(a);
        assertThat(offer.path("warning").asText()).contains("recorded as corrupt");
        String token = offer.path("confirmationToken").asText();

        // the confirmation needs force as well; without, nothing is done and the token stays valid
        ServiceItSupport.Answer unforced = post(service, admin, API + "/backups/" + b + "/restore/confirm",
                "{\"confirmationToken\": \"" + token + "\"}");
        assertThat(unforced.status()).as("%s", unforced.body()).isEqualTo(422);
        assertThat(backupCount()).isEqualTo(before);

        ServiceItSupport.Answer failed = post(service, admin, API + "/backups/" + b + "/restore/confirm",
                "{\"confirmationToken\": \"" + token + "\", \"force\": true}");
        assertThat(failed.status()).as("%s", failed.body()).isEqualTo(422);
        JsonNode error = failed.body().path("error");
        String safety = error.path("result").path("preRestoreBackupId").asText();
        assertThat(safety).matches("\\d{8}T\\d{6}Z-[0-9a-f]{6}");
        assertThat(error.path("message").asText()).contains(damagedChunk)
                .contains("the safety backup taken of " + DB + " first is " + safety);
        assertThat(backupCount()).isEqualTo(before + 1);
        JsonNode job = get(service, admin, API + "/jobs/" + error.path("jobId").asText()).expect(200).body();
        assertThat(job.path("status").asText()).isEqualTo("failed");
        assertThat(job.path("result").path("preRestoreBackupId").asText()).isEqualTo(safety);
        assertThat(pg.tableRows(DB)).as("rolled back").isEqualTo(rowsOfB);
    }

    // ---- helpers

    private static String backup() throws IOException {
        return JSON.readTree(cli.run("backup", "--json").expectSuccess().stdout()).get("id").asText();
    }

    private static List<String> chunks(String id) throws IOException {
        JsonNode manifest = JSON.readTree(repo.resolve("backups").resolve(id).resolve("manifest.json").toFile());
        List<String> out = new ArrayList<>();
        for (JsonNode artifact : manifest.get("artifacts")) {
            artifact.get("chunks").forEach(c -> out.add(c.get("id").asText()));
        }
        return out;
    }

    private static StoredChunk chunkFile(String chunk) throws IOException {
        return StoredChunk.of(repo, chunk);
    }

    private static int backupCount() {
        try (Stream<Path> s = Files.list(repo.resolve("backups"))) {
            return (int) s.count();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String listLine(String id) {
        String out = cli.run("list").expectSuccess().stdout();
        return out.lines().filter(l -> l.startsWith(id)).findFirst().orElseThrow(() -> new AssertionError(out));
    }

    private static JsonNode row(String id) {
        for (JsonNode r : ServiceItSupport.list(cli)) {
            if (r.path("id").asText().equals(id)) {
                return r;
            }
        }
        throw new AssertionError("no backup " + id);
    }

    private static String metrics() {
        try {
            java.net.http.HttpResponse<String> r = java.net.http.HttpClient.newHttpClient().send(
                    java.net.http.HttpRequest.newBuilder(service.uri("/metrics")).header("Authorization", "Bearer "
                            + admin).build(), java.net.http.HttpResponse.BodyHandlers.ofString());
            assertThat(r.statusCode()).isEqualTo(200);
            return r.body();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }
}
