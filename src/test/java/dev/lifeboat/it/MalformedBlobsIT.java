package dev.lifeboat.it;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.lifeboat.testing.LifeboatCli;
import dev.lifeboat.testing.LifeboatService;
import dev.lifeboat.testing.PgCluster;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

import static dev.lifeboat.it.ServiceItSupport.JSON;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Storage is untrusted (issue 14), through the packaged jar and the service: one manifest with {@code "sources":
 * null}, a lock blob of {@code {}}, then a {@code policy.json} that is not JSON. {@code lifeboat list} prints every
 * backup, the bad one as corrupt with its reason; the API's list answers 200 with it marked; {@code show} of it is
 * an error naming it; the lock is an unknown process's until its file ages out; verify checks every other backup;
 * prune refuses while the policy is unreadable, then keeps the unreadable backup with every chunk.
 */
class MalformedBlobsIT {
    private static final String DB = "malformed_blobs";

    @TempDir(cleanup = CleanupMode.ON_SUCCESS)
    Path work;

    @Test
    void oneMalformedManifestLockAndPolicyNeverHideTheGoodBackups() throws Exception {
        PgCluster pg = PgCluster.shared();
        pg.dropDatabase(DB);
        pg.createDatabase(DB);
        pg.psql(DB, "create table t(id int primary key, v text); insert into t select g, 'v' || g from generate_series(1, 500) g;");
        Path repo = work.resolve("repo");
        LifeboatCli cli = new LifeboatCli(work).env("LIFEBOAT_REPOSITORY", repo.toString())
                .env("LIFEBOAT_DATA_DIR", work.resolve("data").toString())
                .env("DATABASE_URL", pg.url(DB))
                .env("LIFEBOAT_BACKUP_SCHEDULE", "0 3 1 1 *")
                .env("LIFEBOAT_RUN_MISSED_AT_STARTUP", "false")
                .env("LIFEBOAT_LOCK_WAIT", "0");
        try {
            cli.run("init").expectSuccess();
            List<String> ids = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                cli.run("backup", "--label", "b" + i).expectSuccess();
                pg.psql(DB, "insert into t values (" + (1000 + i) + ", 'more');");
            }
            for (JsonNode row : ServiceItSupport.list(cli)) {
                ids.add(row.path("id").asText());
            }
            assertThat(ids).hasSize(3);
            String bad = ids.get(1);
            List<String> good = List.of(ids.get(0), ids.get(2));

            Path manifest = repo.resolve("backups").resolve(bad).resolve("manifest.json");
            ObjectNode m = (ObjectNode) JSON.readTree(manifest.toFile());
            m.putNull("sources");
            byte[] bytes = JSON.writeValueAsBytes(m);
            Files.write(manifest, bytes);
            // signed again with the repository's key, as a writer's bug would be: the damage, not the signature, is
            // what this test is about (UntrustedStorageIT has the forgeries)
            String repositoryId = JSON.readTree(repo.resolve("config.json").toFile()).path("id").asText();
            java.security.PrivateKey key = dev.lifeboat.crypto.Signing.parsePrivateKey(
                    Files.readString(work.resolve("keys").resolve(repositoryId + ".signing-key")));
            Files.write(manifest.resolveSibling("manifest.sig"), dev.lifeboat.crypto.Signing.sign(key, bytes));
            Path lock = repo.resolve("locks").resolve("5e1f0000-0000-4000-8000-00000000000a.json");
            Files.createDirectories(lock.getParent());
            Files.writeString(lock, "{}");
            String error = "backup " + bad + ": manifest.json is malformed: its sources are missing";

            // list: every backup, the bad one as corrupt with its reason; exit 0
            LifeboatCli.Result list = cli.run("list").expectSuccess();
            assertThat(list.stdout()).contains(good);
            assertThat(list.stdout().lines().filter(l -> l.startsWith(bad)).findFirst().orElseThrow())
                    .contains("corrupt (manifest)").contains(error);
            JsonNode json = ServiceItSupport.list(cli);
            assertThat(json).hasSize(3);
            JsonNode badRow = rowOf(json, bad);
            assertThat(badRow.path("status").asText()).isEqualTo("corrupt");
            assertThat(badRow.path("error").asText()).isEqualTo(error);

            LifeboatCli.Result show = cli.run("show", bad);
            assertThat(show.exitCode()).isEqualTo(10);
            assertThat(show.stderr()).startsWith("Error: " + error);
            assertThat(cli.run("show", good.get(0)).expectSuccess().stdout()).contains(DB);

            // the API answers the list for everyone, the bad backup marked
            String viewer = ServiceItSupport.createToken(cli, "viewer", "malformed-viewer");
            try (LifeboatService service = LifeboatService.start(cli)) {
                JsonNode backups = ServiceItSupport.get(service, viewer, "/api/v1/platform/backups").expect(200).body();
                assertThat(backups.path("count").asInt()).isEqualTo(3);
                JsonNode row = rowOf(backups.path("backups"), bad);
                assertThat(row.path("status").asText()).isEqualTo("corrupt");
                assertThat(row.path("error").asText()).isEqualTo(error);
                for (String id : good) {
                    assertThat(rowOf(backups.path("backups"), id).path("status").asText()).isEqualTo("completed");
                }
                JsonNode one = ServiceItSupport.get(service, viewer, "/api/v1/platform/backups/" + bad).expect(200).body();
                assertThat(one.path("error").asText()).isEqualTo(error);
            }

            // a fresh '{}' lock: an unknown process's, named; once its file is older than the stale time, broken
            LifeboatCli.Result locked = cli.run("verify", "--all");
            assertThat(locked.exitCode()).isEqualTo(8);
            assertThat(locked.stderr()).contains("locks/" + lock.getFileName()).contains("cannot be read")
                    .doesNotContain("bug");
            Files.setLastModifiedTime(lock, FileTime.from(Instant.now().minus(Duration.ofMinutes(10))));
            LifeboatCli.Result verify = cli.run("verify", "--all");
            assertThat(verify.exitCode()).as(verify.stderr()).isEqualTo(10);
            for (String id : good) {
                assertThat(verify.stdout()).contains(id + ": verified");
            }
            assertThat(verify.stdout()).contains(bad + ": corrupt").contains(error);
            assertThat(verify.stderr()).contains("breaking lock locks/" + lock.getFileName());
            assertThat(lock).doesNotExist();

            // prune: refused while policy.json cannot be read; then it keeps the bad backup and every chunk
            Path policy = repo.resolve("policy.json");
            Files.writeString(policy, "{\"formatVersion\": 1, \"retention\": ");
            long chunks = ServiceItSupport.chunkCount(repo);
            LifeboatCli.Result refused = cli.run("prune", "--keep-last", "1", "--minimum-keep", "1", "--keep-within", "0");
            assertThat(refused.exitCode()).isEqualTo(10);
            assertThat(refused.stderr()).contains("policy.json").doesNotContain("bug");
            assertThat(ServiceItSupport.list(cli)).hasSize(3);
            Files.delete(policy);
            LifeboatCli.Result pruned = cli.run("prune", "--keep-last", "1", "--minimum-keep", "1", "--keep-within", "0")
                    .expectSuccess();
            assertThat(pruned.stdout()).contains("Removed 1 backups").contains("Chunks were not collected").contains(error);
            assertThat(manifest).exists();
            assertThat(ServiceItSupport.chunkCount(repo)).isEqualTo(chunks);
            assertThat(ServiceItSupport.list(cli)).extracting(r -> r.path("id").asText()).containsExactly(bad, good.get(1));
        } finally {
            pg.dropDatabase(DB);
        }
    }

    private static JsonNode rowOf(JsonNode rows, String id) {
        for (JsonNode r : rows) {
            if (r.path("id").asText().equals(id)) {
                return r;
            }
        }
        throw new AssertionError("no row for " + id + " in " + rows);
    }
}
