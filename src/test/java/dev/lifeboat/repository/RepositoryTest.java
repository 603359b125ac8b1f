package dev.lifeboat.repository;

import dev.lifeboat.core.ErrorCode;
import dev.lifeboat.core.LifeboatException;
import dev.lifeboat.crypto.Age;
import dev.lifeboat.storage.MemoryStorage;
import dev.lifeboat.testing.MutableClock;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class RepositoryTest {
    private static final ChunkerParams SMALL = new ChunkerParams(16 * 1024, 64 * 1024, 256 * 1024, 42);

    @TempDir
    Path keyDir;

    static byte[] data(int n, long seed) {
        byte[] b = new byte[n];
        Random r = new Random(seed);
        // Compressible but not trivial: words from a small alphabet.
        for (int i = 0; i < n; i++) {
            b[i] = (byte) ('a' + r.nextInt(20));
        }
        return b;
    }

    private Artifact store(Repository repo, Keys keys, byte[] content) throws IOException {
        try (ChunkWriter w = repo.chunkWriter(keys, 3, 2)) {
            Artifact written = w.write("a.dump", "a", "pg_dump-custom", new ByteArrayInputStream(content), n -> {});
            w.flush();
            return written;
        }
    }

    private static byte[] readBack(Repository repo, Keys keys, Artifact a) throws IOException {
        try (InputStream in = repo.artifactReader(keys).open(a)) {
            return in.readAllBytes();
        }
    }

    @Test
    void plainRoundTripDeduplicatesAndNamesChunksBySha256() throws IOException {
        MemoryStorage storage = new MemoryStorage();
        Repository repo = Repository.init(storage, List.of(), SMALL, 3, new LocalKeyCache(keyDir));
        byte[] content = data(2_000_000, 1);
        Artifact first = store(repo, Keys.PLAIN, content);
        assertThat(readBack(repo, Keys.PLAIN, first)).isEqualTo(content);
        assertThat(first.chunks()).hasSizeGreaterThan(10);
        assertThat(first.storedSize()).isLessThan(content.length * 7L / 10); // ~4.3 bits of entropy a byte
        String id = first.chunks().get(0).id();
        byte[] plainChunk = java.util.Arrays.copyOf(content, first.chunks().get(0).size());
        assertThat(id).isEqualTo(dev.lifeboat.core.Hex.of(ChunkCodec.sha256().digest(plainChunk)));

        try (ChunkWriter w = repo.chunkWriter(Keys.PLAIN, 3, 2)) {
            w.write("b.dump", "a", "pg_dump-custom", new ByteArrayInputStream(content), n -> {});
            w.flush();
            assertThat(w.addedBytes()).isZero();
        }
    }

    @Test
    void encryptedRepositoryHidesPlaintextHashesAndNeedsTheIdentity() throws IOException {
        String[] alice = Age.generate();
        String[] mallory = Age.generate();
        MemoryStorage storage = new MemoryStorage();
        LocalKeyCache cache = new LocalKeyCache(keyDir);
        Repository repo = Repository.init(storage, List.of(alice[1]), SMALL, 3, cache);
        assertThat(repo.config().chunkId()).isEqualTo("hmac-sha256");

        // The backup host needs no identity: the chunk-id key is cached locally.
        Keys write = Repository.open(storage).writeKeys(cache, List.of());
        assertThat(write.canDecrypt()).isFalse();
        byte[] content = data(500_000, 2);
        Artifact a = store(repo, write, content);
        String sha = dev.lifeboat.core.Hex.of(ChunkCodec.sha256().digest(
                java.util.Arrays.copyOf(content, a.chunks().get(0).size())));
        assertThat(a.chunks()).noneMatch(c -> c.id().equals(sha));
        assertThat(storage.list("chunks/")).allSatisfy(b -> assertThat(b.name()).doesNotContain(sha));

        Keys read = repo.readKeys(List.of(alice[0]));
        assertThat(readBack(repo, read, a)).isEqualTo(content);

        assertThatThrownBy(() -> repo.readKeys(List.of(mallory[0])))
                .isInstanceOf(LifeboatException.class)
                .satisfies(e -> assertThat(((LifeboatException) e).code()).isEqualTo(ErrorCode.ENCRYPTION))
                .hasMessageContaining("does not open");
        assertThatThrownBy(() -> repo.readKeys(List.of())).hasMessageContaining("no identity");

        // A new host without the cached key gets it back with the identity.
        LocalKeyCache otherHost = new LocalKeyCache(keyDir.resolve("other"));
        assertThatThrownBy(() -> repo.writeKeys(otherHost, List.of())).hasMessageContaining("chunk-id key");
        // ... and needs the signing key copied, which no identity recovers.
        assertThatThrownBy(() -> repo.writeKeys(otherHost, List.of(alice[0]))).hasMessageContaining("no key to sign");
        java.nio.file.Files.copy(cache.signingKeyFor(repo.config().id()), otherHost.signingKeyFor(repo.config().id()));
        assertThat(repo.writeKeys(otherHost, List.of()).chunkIdKey()).isEqualTo(write.chunkIdKey());
    }

    @Test
    void corruptTruncatedAndMissingChunksAreDetectedAndNamed() throws IOException {
        for (boolean encrypted : new boolean[] {false, true}) {
            String[] key = Age.generate();
            MemoryStorage storage = new MemoryStorage();
            Repository repo = Repository.init(storage, encrypted ? List.of(key[1]) : List.of(), SMALL, 3,
                    new LocalKeyCache(keyDir.resolve(encrypted ? "e" : "p")));
            Keys keys = encrypted ? repo.readKeys(List.of(key[0])) : Keys.PLAIN;
            Artifact a = store(repo, keys, data(600_000, 3));
            ChunkRef victim = a.chunks().get(2);
            byte[] blob = storage.readAllBytes(victim.blobName());

            byte[] flipped = blob.clone();
            flipped[flipped.length / 2] ^= 1;
            storage.write(victim.blobName(), flipped);
            assertThatThrownBy(() -> readBack(repo, keys, a)).isInstanceOf(CorruptChunkException.class)
                    .hasMessageContaining(victim.id());

            storage.write(victim.blobName(), java.util.Arrays.copyOf(blob, blob.length - 10));
            assertThatThrownBy(() -> readBack(repo, keys, a)).isInstanceOf(CorruptChunkException.class)
                    .hasMessageContaining(victim.id());

            storage.delete(victim.blobName());
            assertThatThrownBy(() -> readBack(repo, keys, a)).isInstanceOf(CorruptChunkException.class)
                    .hasMessageContaining("missing").hasMessageContaining(victim.id());

            // a decompression bomb: a small frame that declares 2,000,000,000 bytes, listed so by a forged manifest
            byte[] bomb = com.github.luben.zstd.Zstd.compress(new byte[1 << 20]); // 1 MiB of zeros in a few bytes
            ChunkRef forged = new ChunkRef(victim.id(), 2_000_000_000, bomb.length);
            storage.write(victim.blobName(), bomb);
            Artifact forgedArtifact = new Artifact(a.name(), a.source(), a.format(), 2_000_000_000L, bomb.length,
                    a.sha256(), List.of(forged));
            assertThatThrownBy(() -> readBack(repo, keys, forgedArtifact)).isInstanceOf(CorruptChunkException.class)
                    .hasMessageContaining(victim.id()).hasMessageContaining("refused before decompressing");
            // a blob far larger than any chunk this repository stores is refused without being read whole
            storage.write(victim.blobName(), new byte[(int) (256 * 1024 * 1.1) + 200 * 1024]);
            assertThatThrownBy(() -> readBack(repo, keys, a)).isInstanceOf(CorruptChunkException.class)
                    .hasMessageContaining("larger than any chunk this repository stores");
        }
    }

    @Test
    void initRefusesAFolderThatHoldsSomethingElse() throws IOException {
        MemoryStorage storage = new MemoryStorage();
        storage.write("photos/2026/beach.jpg", new byte[] {1, 2, 3});
        assertThatThrownBy(() -> Repository.init(storage, List.of(), SMALL, 3, new LocalKeyCache(keyDir)))
                .isInstanceOfSatisfying(LifeboatException.class, e -> {
                    assertThat(e.code()).isEqualTo(ErrorCode.REPOSITORY);
                    assertThat(e.getMessage()).contains("is not empty and holds no Lifeboat repository")
                            .contains("photos/2026/beach.jpg");
                    assertThat(e.hint()).contains("another --repo");
                });
        assertThat(storage.list("")).extracting(b -> b.name()).containsExactly("photos/2026/beach.jpg");
        assertThat(Repository.init(new MemoryStorage(), List.of(), SMALL, 3, new LocalKeyCache(keyDir)).config())
                .isNotNull();
    }

    @Test
    void manifestsListResolveAndReportGarbage() throws IOException {
        MemoryStorage storage = new MemoryStorage();
        Repository repo = Repository.init(storage, List.of(), SMALL, 3, new LocalKeyCache(keyDir));
        Artifact a = store(repo, Keys.PLAIN, data(100_000, 4));
        Instant t = Instant.parse("2026-11-21T03:00:00Z");
        String first = BackupIds.next(t);
        String second = BackupIds.next(t.plusSeconds(60));
        for (String id : List.of(second, first)) {
            repo.commit(new Manifest(1, id, null, Manifest.COMPLETED, t, t, "test", "h", List.of(), List.of(a),
                    a.size(), a.storedSize(), 0, null));
        }
        assertThat(repo.backupIds()).containsExactly(first, second);
        assertThat(repo.resolve("latest")).isEqualTo(second);
        assertThat(repo.resolve(second.substring(0, 20))).isEqualTo(second);
        assertThatThrownBy(() -> repo.resolve("2026")).hasMessageContaining("matches 2 backups: " + first + ", "
                + second);
        // the end of an id names it too: ids of one day share their start and differ in their 6 hex digits
        assertThat(repo.resolve(second.substring(second.length() - 6))).isEqualTo(second);
        assertThat(repo.resolve("-" + first.substring(first.length() - 6))).isEqualTo(first);
        assertThat(repo.resolve(first)).isEqualTo(first);
        assertThatThrownBy(() -> repo.resolve("nope")).hasMessageContaining("no backup 'nope'");

        storage.write(Manifest.blobName(first), "garbage{".getBytes());
        assertThatThrownBy(() -> repo.manifest(first)).isInstanceOf(LifeboatException.class)
                .hasMessageContaining(first).hasMessageContaining("not valid JSON");
        assertThat(repo.manifest(second).id()).isEqualTo(second);
    }

    @Test
    void latestAndListingFollowStartTimesWithinOneSecond() throws IOException {
        MemoryStorage storage = new MemoryStorage();
        Repository repo = Repository.init(storage, List.of(), SMALL, 3, new LocalKeyCache(keyDir));
        Instant t = Instant.parse("2026-11-21T03:00:00.100Z");
        // Same second; the random suffix of the later one sorts first.
        String earlier = "20261121T030000Z-ffffff";
        String later = "20261121T030000Z-000000";
        repo.commit(new Manifest(1, earlier, "earlier", Manifest.COMPLETED, t, t, "test", "h", List.of(), List.of(), 0, 0, 0, null));
        repo.commit(new Manifest(1, later, "later", Manifest.COMPLETED, t.plusMillis(500), t.plusMillis(500), "test", "h",
                List.of(), List.of(), 0, 0, 0, null));
        assertThat(repo.resolve("latest")).isEqualTo(later);
        assertThat(repo.entries()).extracting(BackupEntry::id).containsExactly(earlier, later);

        // A restore's safety backup, newer still, is never "latest".
        String safety = "20261121T030500Z-abcdef";
        repo.commit(new Manifest(1, safety, "pre-restore", Manifest.COMPLETED, t.plusSeconds(300), t.plusSeconds(300), "test",
                "h", List.of(), List.of(), 0, 0, 0, Manifest.SAFETY));
        assertThat(repo.resolve("latest")).isEqualTo(later);
        assertThat(repo.resolve(safety)).isEqualTo(safety);
    }

    @Test
    void latestOfADatabaseIsTheNewestBackupHoldingIt() throws IOException {
        MemoryStorage storage = new MemoryStorage();
        Repository repo = Repository.init(storage, List.of(), SMALL, 3, new LocalKeyCache(keyDir));
        Instant t = Instant.parse("2026-11-21T03:00:00Z");
        String billing = "20261121T030000Z-aaaaaa";
        String app = "20261121T040000Z-bbbbbb";
        String appSafety = "20261121T050000Z-cccccc";
        repo.commit(new Manifest(1, billing, null, Manifest.COMPLETED, t, t, "test", "h", List.of(),
                List.of(dump("billing")), 0, 0, 0, null));
        repo.commit(new Manifest(1, app, null, Manifest.COMPLETED, t.plusSeconds(3600), t.plusSeconds(3600), "test", "h",
                List.of(), List.of(dump("app")), 0, 0, 0, null));
        repo.commit(new Manifest(1, appSafety, null, Manifest.COMPLETED, t.plusSeconds(7200), t.plusSeconds(7200), "test",
                "h", List.of(), List.of(dump("app")), 0, 0, 0, Manifest.SAFETY));

        assertThat(repo.resolve("latest")).isEqualTo(app);
        assertThat(repo.resolveHolding("latest", "billing")).isEqualTo(billing);
        assertThat(repo.resolveHolding("latest", "billing.dump")).isEqualTo(billing);
        assertThat(repo.resolveHolding("latest", "app")).isEqualTo(app);
        assertThat(repo.resolveHolding("latest", null)).isEqualTo(app);
        assertThat(repo.resolveHolding(billing.substring(0, 18), "app")).as("an id is taken as given").isEqualTo(billing);
        assertThatThrownBy(() -> repo.resolveHolding("latest", "shop")).isInstanceOf(LifeboatException.class)
                .hasMessageContaining("no backup").hasMessageContaining("'shop'");
    }

    private static Artifact dump(String db) {
        return new Artifact(db + ".dump", db, "pg_dump-custom", 0, 0, "", List.of());
    }

    @Test
    void openingSomethingThatIsNotARepositorySaysSo() {
        assertThatThrownBy(() -> Repository.open(new MemoryStorage())).hasMessageContaining("no Lifeboat repository")
                .hasMessageContaining("config.json");
    }

    @Test
    void exclusiveLocksConflictAndStaleOnesAreBroken() throws IOException {
        MemoryStorage storage = new MemoryStorage();
        Clock clock = Clock.systemUTC();
        try (RepositoryLock a = RepositoryLock.acquire(storage, RepositoryLock.Kind.SHARED, "backup 1", Duration.ofMinutes(5), clock);
             RepositoryLock b = RepositoryLock.acquire(storage, RepositoryLock.Kind.SHARED, "backup 2", Duration.ofMinutes(5), clock)) {
            assertThatThrownBy(() -> RepositoryLock.acquire(storage, RepositoryLock.Kind.EXCLUSIVE, "prune",
                    Duration.ofMinutes(5), clock)).isInstanceOf(LifeboatException.class).hasMessageContaining("locked by backup");
        }
        assertThat(storage.list("locks/")).isEmpty();

        // A fresh one from another host blocks.
        RepositoryLock.Info alive = new RepositoryLock.Info("alive", RepositoryLock.Kind.EXCLUSIVE, "prune", "elsewhere", 1,
                Instant.now(), Instant.now());
        storage.write("locks/alive.json", Json.MAPPER.writeValueAsBytes(alive));
        assertThatThrownBy(() -> RepositoryLock.acquire(storage, RepositoryLock.Kind.SHARED, "backup 4",
                Duration.ofMinutes(5), clock)).hasMessageContaining("locked by prune on host elsewhere");
        assertThat(storage.list("locks/")).hasSize(1);
    }

    @Test
    void aRepositorysLocksWaitAsLongAsItIsTold() throws IOException {
        MemoryStorage storage = new MemoryStorage();
        Repository repo = Repository.init(storage, List.of(), SMALL, 3, new LocalKeyCache(keyDir));
        try (RepositoryLock prune = repo.lock(RepositoryLock.Kind.EXCLUSIVE, "prune")) {
            long start = System.nanoTime();
            assertThatThrownBy(() -> repo.withLockWait(Duration.ZERO).lock(RepositoryLock.Kind.SHARED, "backup"))
                    .isInstanceOfSatisfying(LifeboatException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.LOCKED));
            assertThat(Duration.ofNanos(System.nanoTime() - start)).as("no wait").isLessThan(Duration.ofSeconds(1));

            start = System.nanoTime();
            Repository waiting = Repository.open(storage).withLockWait(Duration.ofSeconds(1));
            assertThatThrownBy(() -> waiting.lock(RepositoryLock.Kind.SHARED, "verify"))
                    .isInstanceOfSatisfying(LifeboatException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.LOCKED));
            assertThat(Duration.ofNanos(System.nanoTime() - start)).as("a second's wait")
                    .isBetween(Duration.ofMillis(900), Duration.ofSeconds(30));
        }
    }

    @Test
    void staleLocksAreJudgedByTheStoragesClockNotTheHostsThatWroteThem() throws IOException {
        MutableClock storageClock = new MutableClock(Instant.parse("2026-11-21T03:00:00Z"));
        MemoryStorage storage = new MemoryStorage(storageClock);
        Clock ours = Clock.systemUTC();
        Duration staleAfter = Duration.ofMinutes(5);

        // A prune on a host whose clock is an hour behind, alive (its blob was just written): not broken.
        Instant behind = storageClock.instant().minus(Duration.ofHours(1));
        storage.write("locks/behind.json", Json.MAPPER.writeValueAsBytes(new RepositoryLock.Info("behind",
                RepositoryLock.Kind.EXCLUSIVE, "prune", "skewed", 1, behind, behind)));
        assertThatThrownBy(() -> RepositoryLock.acquire(storage, RepositoryLock.Kind.SHARED, "backup", staleAfter, ours))
                .hasMessageContaining("locked by prune on host skewed");
        assertThat(storage.stat("locks/behind.json")).isPresent();

        // Its process died: once the storage has not seen a heartbeat for longer than staleAfter, it is broken.
        storageClock.advance(Duration.ofMinutes(6));
        try (RepositoryLock c = RepositoryLock.acquire(storage, RepositoryLock.Kind.SHARED, "backup", staleAfter, ours)) {
            assertThat(storage.stat("locks/behind.json")).isEmpty();
        }

        // A dead lock from a host whose clock ran an hour ahead (a heartbeat "in the future") is broken all the same.
        Instant ahead = storageClock.instant().plus(Duration.ofHours(1));
        storage.write("locks/ahead.json", Json.MAPPER.writeValueAsBytes(new RepositoryLock.Info("ahead",
                RepositoryLock.Kind.EXCLUSIVE, "prune", "skewed", 1, ahead, ahead)));
        storageClock.advance(Duration.ofMinutes(6));
        try (RepositoryLock c = RepositoryLock.acquire(storage, RepositoryLock.Kind.SHARED, "backup", staleAfter, ours)) {
            assertThat(storage.stat("locks/ahead.json")).isEmpty();
        }
    }

    @Test
    void aStoppedProcessReleasesTheLocksItStillHoldsEvenFromInterruptedThreads() throws Exception {
        MemoryStorage storage = new MemoryStorage();
        Clock clock = Clock.systemUTC();
        RepositoryLock held = RepositoryLock.acquire(storage, RepositoryLock.Kind.SHARED, "backup 1", Duration.ofMinutes(5), clock);
        try (RepositoryLock released = RepositoryLock.acquire(storage, RepositoryLock.Kind.SHARED, "backup 2",
                Duration.ofMinutes(5), clock)) {
            assertThat(storage.list("locks/")).hasSize(2);
        }
        // What a stop on SIGTERM does when the command is stuck: only the lock still held is left to release.
        Thread.currentThread().interrupt();
        try {
            RepositoryLock.releaseAll();
            assertThat(Thread.currentThread().isInterrupted()).as("the interrupt is kept for the caller").isTrue();
        } finally {
            Thread.interrupted();
        }
        assertThat(storage.list("locks/")).isEmpty();
        held.close(); // and the command's own close, if it comes after all, does no harm
        assertThat(storage.list("locks/")).isEmpty();
    }

    @Test
    void orphanSideBlobsAreThoseOfGoneBackupsButNeverAManifest() throws IOException {
        MemoryStorage storage = new MemoryStorage();
        Repository repo = Repository.init(storage, List.of(), SMALL, 3, new LocalKeyCache(keyDir));
        String live = "20260101T000000Z-aaaaaa";
        String gone = "20260102T000000Z-bbbbbb";
        String fresh = "20260103T000000Z-cccccc"; // committed after the caller listed what is live
        byte[] x = "{}".getBytes(java.nio.charset.StandardCharsets.UTF_8);
        for (String name : List.of(Manifest.blobName(live), BackupStatus.blobName(live), Repository.Pin.blobName(live),
                BackupStatus.blobName(gone), Repository.Pin.blobName(gone), Manifest.blobName(fresh))) {
            storage.write(name, x);
        }
        assertThat(repo.orphanSideBlobs(java.util.Set.of(live)))
                .containsExactlyInAnyOrder(BackupStatus.blobName(gone), Repository.Pin.blobName(gone));
        assertThat(repo.orphanSideBlobs(java.util.Set.of()))
                .doesNotContain(Manifest.blobName(live), Manifest.blobName(fresh))
                .contains(BackupStatus.blobName(live));
    }
}
