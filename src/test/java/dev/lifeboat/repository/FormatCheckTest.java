package dev.lifeboat.repository;

import dev.lifeboat.core.ErrorCode;
import dev.lifeboat.core.LifeboatException;
import dev.lifeboat.engine.PruneEngine;
import dev.lifeboat.engine.PruneRequest;
import dev.lifeboat.retention.RetentionPolicy;
import dev.lifeboat.storage.MemoryStorage;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Format versions and values are checked when read, and nothing is deleted while a manifest is not understood. */
class FormatCheckTest {
    private static final ChunkerParams SMALL = new ChunkerParams(16 * 1024, 64 * 1024, 256 * 1024, 42);
    private static final RetentionPolicy KEEP_ONE = new RetentionPolicy(1, Duration.ZERO, 0, 0, 0, 0, 0, 1);

    @TempDir
    Path keyDir;

    private MemoryStorage storage;
    private Repository repo;
    private String older;
    private String newer;

    private void twoBackups() throws IOException {
        storage = new MemoryStorage();
        repo = Repository.init(storage, List.of(), SMALL, 3, new LocalKeyCache(keyDir));
        Instant t = Instant.parse("2026-11-21T03:00:00Z");
        older = BackupIds.next(t);
        newer = BackupIds.next(t.plusSeconds(60));
        int seed = 1;
        for (String id : List.of(older, newer)) {
            Artifact a;
            try (ChunkWriter w = repo.chunkWriter(Keys.PLAIN, 3, 2)) {
                a = w.write("a.dump", "a", Artifact.PG_DUMP_CUSTOM,
                        new ByteArrayInputStream(RepositoryTest.data(200_000, seed++)), n -> {});
                w.flush();
            }
            repo.commit(new Manifest(1, id, null, Manifest.COMPLETED, t, t, "test", "h", List.of(), List.of(a),
                    a.size(), a.storedSize(), 0, null));
        }
    }

    /**
     * Edits a blob; a manifest is signed again with the repository's key, as a writer's bug would sign what it wrote,
     * so that these tests reach the checks behind the signature's.
     */
    private void edit(String blob, String from, String to) throws IOException {
        String json = new String(storage.readAllBytes(blob), StandardCharsets.UTF_8);
        assertThat(json).contains(from);
        byte[] edited = json.replaceFirst(java.util.regex.Pattern.quote(from), java.util.regex.Matcher.quoteReplacement(to))
                .getBytes(StandardCharsets.UTF_8);
        storage.write(blob, edited);
        if (blob.endsWith("/manifest.json")) {
            var key = new LocalKeyCache(keyDir).loadSigningKey(repo.config().id()).orElseThrow();
            storage.write(blob.replace("/manifest.json", "/manifest.sig"), dev.lifeboat.crypto.Signing.sign(key, edited));
        }
    }

    private Map<String, String> snapshot() throws IOException {
        Map<String, String> all = new TreeMap<>();
        for (var b : storage.list("")) {
            all.put(b.name(), new String(storage.readAllBytes(b.name()), StandardCharsets.ISO_8859_1));
        }
        return all;
    }

    @Test
    void aManifestOfANewerFormatIsRefusedNamingTheBlobBothVersionsAndTheWriter() throws IOException {
        twoBackups();
        edit(Manifest.blobName(newer), "\"formatVersion\" : 1", "\"formatVersion\" : 7");
        edit(Manifest.blobName(newer), "\"toolVersion\" : \"test\"", "\"toolVersion\" : \"9.1.0\"");
        assertThatThrownBy(() -> repo.manifest(newer)).isInstanceOf(LifeboatException.class)
                .hasMessageContaining(Manifest.blobName(newer)).hasMessageContaining("format version 7")
                .hasMessageContaining("reads format version " + Manifest.FORMAT_VERSION).hasMessageContaining("9.1.0")
                .satisfies(e -> assertThat(((LifeboatException) e).hint()).contains("upgrade Lifeboat"));
        // A newer manifest whose fields no longer parse as today's is refused by its version, not by a parser error.
        edit(Manifest.blobName(newer), "\"sources\" : [ ]", "\"sources\" : {\"app\": {\"type\": \"postgres\"}}");
        assertThatThrownBy(() -> repo.manifest(newer)).hasMessageContaining("format version 7");
        // One such manifest never stops the others from being listed; latest skips it.
        List<BackupEntry> entries = repo.entries();
        assertThat(entries).extracting(BackupEntry::id).containsExactly(older, newer);
        assertThat(entries.get(1).manifestError()).contains("format version 7");
        assertThat(repo.resolve("latest")).isEqualTo(older);
    }

    @Test
    void invalidValuesAreAnIntegrityErrorNamingTheBackupNeverANullPointer() throws IOException {
        for (String[] change : new String[][]{
                {"\"sources\" : [ ]", "\"sources\" : null", "sources are missing"},
                {"\"id\" : \"", "\"id\" : \"x", "its id is"},
                {"\"artifacts\" : [", "\"artifacts\" : null, \"x\": [", "artifacts are missing"}}) {
            twoBackups();
            edit(Manifest.blobName(older), change[0], change[1]);
            assertThatThrownBy(() -> repo.manifest(older)).isInstanceOf(LifeboatException.class)
                    .satisfies(e -> assertThat(((LifeboatException) e).code()).isEqualTo(ErrorCode.INTEGRITY))
                    .hasMessageContaining(older).hasMessageContaining(change[2]);
            assertThat(repo.entries()).hasSize(2);
        }
        for (String bad : new String[]{"null", "\"a\"", "\"../../../../etc/passwd\""}) {
            twoBackups();
            String id = repo.manifest(older).artifacts().get(0).chunks().get(0).id();
            edit(Manifest.blobName(older), "\"" + id + "\"", bad);
            assertThatThrownBy(() -> repo.manifest(older)).isInstanceOf(LifeboatException.class)
                    .hasMessageContaining("backup " + older + ": manifest.json is malformed: chunk 1 of artifact a.dump has id ")
                    .hasMessageContaining("not 64 lower-case hex digits");
        }
    }

    @Test
    void pruneDeletesNothingWhileAManifestIsOfANewerFormatAndKeepsAnUnreadableOneWithEveryChunk() throws IOException {
        twoBackups();
        edit(Manifest.blobName(newer), "\"formatVersion\" : 1", "\"formatVersion\" : " + (Manifest.FORMAT_VERSION + 1));
        Map<String, String> before = snapshot();
        PruneEngine prune = new PruneEngine(repo, Clock.systemUTC());
        assertThatThrownBy(() -> prune.run(new PruneRequest(KEEP_ONE, ZoneOffset.UTC, false)))
                .isInstanceOf(LifeboatException.class).hasMessageContaining(newer)
                .hasMessageContaining("format version " + (Manifest.FORMAT_VERSION + 1))
                .satisfies(e -> assertThat(((LifeboatException) e).hint()).contains("upgrade Lifeboat"));
        assertThat(snapshot()).isEqualTo(before);

        // An unreadable manifest is kept, and no chunk is collected: any of them may be its.
        twoBackups();
        storage.write(Manifest.blobName(older), "{\"formatVersion\": 1, \"id\": null".getBytes(StandardCharsets.UTF_8));
        before = snapshot();
        PruneEngine.Result kept = new PruneEngine(repo, Clock.systemUTC()).run(new PruneRequest(KEEP_ONE,
                ZoneOffset.UTC, false));
        assertThat(kept.removedBackups()).isZero();
        assertThat(kept.chunksCollected()).isFalse();
        assertThat(kept.unreadable()).singleElement().asString().contains(older).contains("not valid JSON");
        assertThat(kept.decisions()).filteredOn(d -> d.id().equals(older)).singleElement()
                .satisfies(d -> assertThat(d.keep()).isTrue());
        assertThat(snapshot()).isEqualTo(before);

        // With every manifest understood, the same prune removes the older backup and its chunks.
        twoBackups();
        PruneEngine.Result r = new PruneEngine(repo, Clock.systemUTC()).run(new PruneRequest(KEEP_ONE, ZoneOffset.UTC, false));
        assertThat(r.removedBackups()).isEqualTo(1);
        assertThat(repo.backupIds()).containsExactly(newer);
    }

    @Test
    void aStatusOfANewerFormatIsNeverOverwrittenAndUnknownValuesAreNoStatus() throws IOException {
        twoBackups();
        BackupStatus ok = new BackupStatus(BackupStatus.VERIFIED, Instant.now(), "read-data", List.of(), null, null);
        repo.recordStatus(older, ok);
        assertThat(repo.status(older).status()).isEqualTo("verified");
        storage.write(BackupStatus.blobName(older), "{\"formatVersion\": 3, \"status\": \"sealed\"}".getBytes());
        assertThat(repo.status(older)).isNull();
        assertThatThrownBy(() -> repo.recordStatus(older, ok)).hasMessageContaining("format version 3");
        storage.write(BackupStatus.blobName(older), "{\"status\": \"fine\", \"level\": \"exists\"}".getBytes());
        assertThat(repo.status(older)).isNull();
        assertThat(repo.recordStatus(older, ok).status()).isEqualTo("verified");
    }

    @Test
    void aRepositoryOfANewerFormatIsRefusedWithTheUpgradeHint() throws IOException {
        twoBackups();
        edit(RepoConfig.BLOB, "\"version\" : 3", "\"version\" : 4");
        assertThatThrownBy(() -> Repository.open(storage)).hasMessageContaining("config.json")
                .hasMessageContaining("format version 4")
                .satisfies(e -> assertThat(((LifeboatException) e).hint()).contains("upgrade Lifeboat"));
    }
}
