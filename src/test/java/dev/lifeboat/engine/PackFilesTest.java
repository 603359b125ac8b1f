package dev.lifeboat.engine;

import dev.lifeboat.core.ErrorCode;
import dev.lifeboat.core.LifeboatException;
import dev.lifeboat.repository.Artifact;
import dev.lifeboat.repository.BackupIds;
import dev.lifeboat.repository.ChunkRef;
import dev.lifeboat.repository.ChunkWriter;
import dev.lifeboat.repository.ChunkerParams;
import dev.lifeboat.repository.CorruptChunkException;
import dev.lifeboat.repository.Keys;
import dev.lifeboat.repository.LocalKeyCache;
import dev.lifeboat.repository.Manifest;
import dev.lifeboat.repository.Packs;
import dev.lifeboat.repository.Repository;
import dev.lifeboat.retention.RetentionPolicy;
import dev.lifeboat.storage.BlobInfo;
import dev.lifeboat.storage.MemoryStorage;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Pack files (repository format 3): small chunks go into packs with an index, not one blob each; each reads back
 * byte for byte and checked against its id; a damaged pack or index is named and loses nothing else; prune removes a
 * pack only when none of its chunks is referenced, keeps a partly used one whole, and removes a pack left without
 * an index by a backup that died between the two writes.
 */
class PackFilesTest {
    /** Chunks under 16 KiB are packed. */
    private static final ChunkerParams SMALL = new ChunkerParams(16 * 1024, 64 * 1024, 256 * 1024, 42);
    private static final Instant T = Instant.parse("2026-11-20T03:00:00Z");

    @TempDir
    Path keyDir;

    private final MemoryStorage storage = new MemoryStorage();

    private Repository repo() throws IOException {
        return Repository.init(storage, List.of(), SMALL, 1, new LocalKeyCache(keyDir));
    }

    private static byte[] small(int i) {
        byte[] b = new byte[200 + i % 3000];
        new Random(i).nextBytes(b);
        return b;
    }

    /** {@code files} small streams (as a tree's files) as one backup; answers its manifest. */
    private static Manifest backup(Repository repo, Instant t, int from, int files) throws IOException {
        List<Artifact> artifacts = new ArrayList<>();
        try (ChunkWriter w = repo.chunkWriter(Keys.PLAIN, 1, 2)) {
            for (int i = from; i < from + files; i++) {
                artifacts.add(w.write("f" + i, "tree", "exec-stdout", new ByteArrayInputStream(small(i)), n -> {}));
            }
            w.flush();
        }
        long size = artifacts.stream().mapToLong(Artifact::size).sum();
        long stored = artifacts.stream().mapToLong(Artifact::storedSize).sum();
        Manifest m = new Manifest(1, BackupIds.next(t), null, Manifest.COMPLETED, t, t, "test", "h", List.of(),
                artifacts, size, stored, 0, null);
        repo.commit(m);
        return m;
    }

    private List<String> names(String prefix) throws IOException {
        return storage.list(prefix).stream().map(BlobInfo::name).sorted().toList();
    }

    private static void assertRestores(Repository repo, Manifest m, int from) throws IOException {
        for (int i = 0; i < m.artifacts().size(); i++) {
            try (InputStream in = repo.artifactReader(Keys.PLAIN).open(m.artifacts().get(i))) {
                assertThat(in.readAllBytes()).as(m.artifacts().get(i).name()).isEqualTo(small(from + i));
            }
        }
    }

    @Test
    void smallChunksArePackedWithAnIndexAndReadBackByteForByte() throws IOException {
        Repository repo = repo();
        assertThat(repo.config().version()).isEqualTo(3);
        Manifest m = backup(repo, T, 0, 3000);

        assertThat(names("chunks/")).as("no small chunk is a blob of its own").isEmpty();
        // 3,000 chunks of about 1.8 KiB: one pack of 16 MiB would hold them all, but a pack closes at 10,000 chunks
        // or 16 MiB, so there is one pack, and the last one is closed by flush
        assertThat(names("packs/")).hasSize(1);
        assertThat(names("index/")).hasSize(1);
        Packs.Scan scan = repo.packScan();
        assertThat(scan.unreadable()).isEmpty();
        assertThat(scan.indexes().get(0).chunks()).hasSize(3000);
        assertRestores(Repository.open(storage), m, 0);

        // a large chunk is still a blob of its own
        byte[] big = new byte[200_000];
        new Random(9).nextBytes(big);
        try (ChunkWriter w = repo.chunkWriter(Keys.PLAIN, 1, 2)) {
            Artifact a = w.write("big", "b", "exec-stdout", new ByteArrayInputStream(big), n -> {});
            w.flush();
            assertThat(a.chunks()).hasSizeGreaterThan(1);
            for (ChunkRef c : a.chunks()) {
                assertThat(storage.stat(c.blobName()).isPresent()).as("chunk of " + c.size() + " bytes")
                        .isEqualTo(c.size() >= SMALL.minSize());
            }
        }
    }

    @Test
    void aPackClosesAtItsChunkLimitAndAnUnchangedSecondBackupAddsNothing() throws IOException {
        Repository repo = repo();
        backup(repo, T, 0, 10_001);
        assertThat(names("packs/")).hasSize(2);
        assertThat(repo.packScan().indexes()).extracting(i -> i.chunks().size()).containsExactlyInAnyOrder(10_000, 1);
        Manifest again = backup(repo, T.plusSeconds(60), 0, 10_001);
        assertThat(names("packs/")).as("every chunk found in the packs, none stored again").hasSize(2);
        assertRestores(repo, again, 0);
    }

    @Test
    void aWriterClosedWithoutFlushLeavesNothingAndAFailedOneNothingReadable() throws IOException {
        Repository repo = repo();
        try (ChunkWriter w = repo.chunkWriter(Keys.PLAIN, 1, 2)) {
            w.write("f", "tree", "exec-stdout", new ByteArrayInputStream(small(1)), n -> {});
        }
        assertThat(names("packs/")).isEmpty();
        assertThat(names("index/")).isEmpty();
    }

    @Test
    void aDamagedPackIsCaughtAtTheChunkItHitsAndTheOthersStillRead() throws IOException {
        Repository repo = repo();
        Manifest m = backup(repo, T, 0, 50);
        Packs.Index index = repo.packScan().indexes().get(0);
        Packs.Entry victim = index.chunks().get(17);
        byte[] pack = storage.readAllBytes(index.packBlob());
        pack[(int) victim.offset() + victim.length() / 2] ^= 0x40;
        storage.write(index.packBlob(), pack);

        Repository fresh = Repository.open(storage);
        Artifact hit = m.artifacts().stream().filter(a -> a.chunks().get(0).id().equals(victim.id())).findFirst()
                .orElseThrow();
        assertThatThrownBy(() -> fresh.artifactReader(Keys.PLAIN).open(hit).readAllBytes())
                .isInstanceOf(CorruptChunkException.class).hasMessageContaining(victim.id());
        try (InputStream in = fresh.artifactReader(Keys.PLAIN).open(m.artifacts().get(3))) {
            assertThat(in.readAllBytes()).isEqualTo(small(3));
        }
    }

    @Test
    void aMalformedIndexIsNamedAndItsChunksCountAsMissingNeverAsOthers() throws IOException {
        Repository repo = repo();
        Manifest m = backup(repo, T, 0, 20);
        Packs.Index index = repo.packScan().indexes().get(0);
        backup(repo, T.plusSeconds(60), 0, 20); // nothing new: a second backup for prune to remove the first of
        String name = Packs.indexBlob(index.pack());
        String good = new String(storage.readAllBytes(name), StandardCharsets.UTF_8);
        String firstId = index.chunks().get(0).id();
        String secondOffset = "\"offset\":" + index.chunks().get(1).offset() + ",";
        List<String> bad = List.of("", "[]", "{\"formatVersion\":1}", good.replace(index.pack(), "ab".repeat(32)),
                good.replace(secondOffset, "\"offset\":0,"), // overlaps the first chunk
                good.replace("\"size\":" + index.size(), "\"size\":3"), // chunks outside the pack
                good.replace(firstId, "zz" + firstId.substring(2)));
        for (String b : bad) {
            storage.write(name, b.getBytes(StandardCharsets.UTF_8));
            Repository fresh = Repository.open(storage);
            Packs.Scan scan = fresh.packScan();
            assertThat(scan.indexes()).as(b).isEmpty();
            assertThat(scan.unreadable()).as(b).singleElement().asString().contains(name);
            Set<String> present = new HashSet<>();
            fresh.forEachChunk((id, stored) -> present.add(id));
            assertThat(present).as(b).doesNotContain(firstId);
            assertThatThrownBy(() -> fresh.artifactReader(Keys.PLAIN).open(m.artifacts().get(0)).readAllBytes())
                    .isInstanceOf(CorruptChunkException.class).hasMessageContaining("missing");
        }
        storage.write(name, good.replace("\"formatVersion\":1", "\"formatVersion\":2").getBytes(StandardCharsets.UTF_8));
        assertThatThrownBy(() -> Repository.open(storage).packScan()).isInstanceOf(LifeboatException.class)
                .hasMessageContaining(name).hasMessageContaining("format version 2")
                .satisfies(e -> assertThat(((LifeboatException) e).code()).isEqualTo(ErrorCode.REPOSITORY));
        // and prune deletes nothing while it cannot read an index of a newer format
        Set<String> before = new HashSet<>(names(""));
        RetentionPolicy keepNone = new RetentionPolicy(1, Duration.ZERO, 0, 0, 0, 0, 0, 1);
        assertThatThrownBy(() -> new PruneEngine(Repository.open(storage), Clock.systemUTC())
                .run(new PruneRequest(keepNone, ZoneOffset.UTC, false))).hasMessageContaining("format version 2");
        assertThat(names("packs/")).hasSize(1);
        assertThat(new HashSet<>(names(""))).containsAll(before.stream().filter(n -> !n.startsWith("locks/")).toList());
    }

    @Test
    void pruneRemovesUnusedPacksKeepsPartlyUsedOnesAndCleansPacksWithoutAnIndex() throws IOException {
        Repository repo = repo();
        Manifest old = backup(repo, T, 0, 30);               // pack A: chunks 0-29
        Manifest mixed = backup(repo, T.plusSeconds(60), 20, 30); // pack B: chunks 30-49 (20-29 found in A)
        Manifest last = backup(repo, T.plusSeconds(120), 40, 5);  // nothing new: 40-44 are in B
        assertThat(names("packs/")).hasSize(2);
        // a backup that died between writing its pack and its index
        String orphan = "ef".repeat(32);
        storage.write(Packs.packBlob(orphan), new byte[] {1, 2, 3});

        RetentionPolicy keepLast = new RetentionPolicy(1, Duration.ZERO, 0, 0, 0, 0, 0, 1);
        PruneEngine.Result r = new PruneEngine(repo, Clock.systemUTC()).run(new PruneRequest(keepLast, ZoneOffset.UTC,
                false));
        assertThat(r.removedBackups()).isEqualTo(2);
        // A held 0-29, none referenced by the last backup: removed; B holds 40-44 of the last one: kept whole
        assertThat(r.packs().removed()).isEqualTo(2); // A and the orphan
        assertThat(r.unreferencedChunks()).as("A's 30 chunks, each counted once").isEqualTo(30);
        assertThat(r.packs().partlyUsed()).isEqualTo(1);
        assertThat(r.packs().unusedBytesKept()).isPositive();
        assertThat(names("packs/")).hasSize(1);
        assertThat(names("index/")).hasSize(1);
        assertThat(storage.stat(Packs.packBlob(orphan))).isEmpty();
        assertRestores(Repository.open(storage), last, 40);
        assertThat(old.id()).isNotEqualTo(mixed.id());

        // once the last backup goes too, nothing references B: removed
        Manifest newest = backup(repo, T.plusSeconds(180), 100, 2);
        r = new PruneEngine(repo, Clock.systemUTC()).run(new PruneRequest(keepLast, ZoneOffset.UTC, false));
        assertThat(r.packs().removed()).isEqualTo(1);
        assertThat(names("packs/")).hasSize(1);
        assertRestores(Repository.open(storage), newest, 100);
    }

    @Test
    void aCrashBetweenDeletingAnIndexAndItsPackLeavesDebrisTheNextPruneRemoves() throws IOException {
        Repository repo = repo();
        Manifest gone = backup(repo, T, 0, 10);
        Packs.Index first = repo.packScan().indexes().get(0);
        Manifest kept = backup(repo, T.plusSeconds(60), 500, 10);
        // a prune removed the first backup, then the index of its pack, and died before the pack itself
        storage.delete(Manifest.blobName(gone.id()));
        storage.delete(Manifest.signatureBlobName(gone.id()));
        storage.delete(Packs.indexBlob(first.pack()));
        Repository fresh = Repository.open(storage);
        RetentionPolicy keepAll = new RetentionPolicy(10, Duration.ZERO, 0, 0, 0, 0, 0, 10);
        PruneEngine.Result dry = new PruneEngine(fresh, Clock.systemUTC()).run(new PruneRequest(keepAll, ZoneOffset.UTC,
                true));
        assertThat(dry.packs().removed()).isEqualTo(1);
        assertThat(storage.stat(first.packBlob())).isPresent();
        new PruneEngine(fresh, Clock.systemUTC()).run(new PruneRequest(keepAll, ZoneOffset.UTC, false));
        assertThat(storage.stat(first.packBlob())).isEmpty();
        assertRestores(Repository.open(storage), kept, 500);
    }
}
