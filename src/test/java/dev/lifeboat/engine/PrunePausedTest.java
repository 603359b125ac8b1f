package dev.lifeboat.engine;

import dev.lifeboat.core.LifeboatException;
import dev.lifeboat.repository.Artifact;
import dev.lifeboat.repository.BackupIds;
import dev.lifeboat.repository.ChunkerParams;
import dev.lifeboat.repository.ChunkWriter;
import dev.lifeboat.repository.Keys;
import dev.lifeboat.repository.LocalKeyCache;
import dev.lifeboat.repository.Manifest;
import dev.lifeboat.repository.Repository;
import dev.lifeboat.repository.RepositoryLock;
import dev.lifeboat.retention.RetentionPolicy;
import dev.lifeboat.storage.BlobInfo;
import dev.lifeboat.storage.MemoryStorage;
import dev.lifeboat.storage.Storage;
import dev.lifeboat.storage.StorageFeature;
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
import java.time.ZoneOffset;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A prune paused past the stale time (a stopped VM) while a backup breaks its lock and reuses the chunks the prune
 * found unreferenced: the prune must stop before deleting them, and the backup must restore.
 */
class PrunePausedTest {
    private static final ChunkerParams SMALL = new ChunkerParams(16 * 1024, 64 * 1024, 256 * 1024, 42);

    @TempDir
    Path keyDir;

    /** The storage, with the prune's listing of chunks held until {@code resume} opens. */
    private static final class PausingStorage implements Storage {
        final Storage inner;
        volatile Thread paused;
        final CountDownLatch reached = new CountDownLatch(1);
        final CountDownLatch resume = new CountDownLatch(1);

        PausingStorage(Storage inner) {
            this.inner = inner;
        }

        @Override public String location() { return inner.location(); }
        @Override public Set<StorageFeature> features() { return inner.features(); }
        @Override public InputStream read(String name) throws IOException { return inner.read(name); }
        @Override public void write(String name, InputStream data) throws IOException { inner.write(name, data); }
        @Override public Optional<BlobInfo> stat(String name) throws IOException { return inner.stat(name); }
        @Override public List<BlobInfo> list(String prefix) throws IOException { return inner.list(prefix); }
        @Override public void delete(String name) throws IOException { inner.delete(name); }
        @Override public int removeDebris(Instant olderThan) throws IOException { return inner.removeDebris(olderThan); }
        @Override public void close() throws IOException { inner.close(); }

        @Override
        public void forEach(String prefix, Consumer<BlobInfo> each) throws IOException {
            if (Thread.currentThread() == paused && prefix.startsWith("chunks")) {
                reached.countDown();
                try {
                    resume.await(30, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            inner.forEach(prefix, each);
        }
    }

    private static byte[] data(long seed) {
        byte[] b = new byte[400_000];
        Random r = new Random(seed);
        r.nextBytes(b);
        return b;
    }

    private static Manifest commit(Repository repo, String id, Instant t, byte[] content) throws IOException {
        Artifact a;
        try (ChunkWriter w = repo.chunkWriter(Keys.PLAIN, 1, 2)) {
            a = w.write("a.dump", "a", Artifact.PG_DUMP_CUSTOM, new ByteArrayInputStream(content), n -> {});
            w.flush();
        }
        Manifest m = new Manifest(1, id, null, Manifest.COMPLETED, t, t, "test", "h", List.of(), List.of(a),
                a.size(), a.storedSize(), 0, null);
        repo.commit(m);
        return m;
    }

    @Test
    void aPrunePausedPastTheStaleTimeStopsBeforeDeletingWhatABackupThatBrokeItsLockReused() throws Exception {
        MutableClock storageClock = new MutableClock(Instant.parse("2026-11-21T03:00:00Z"));
        PausingStorage storage = new PausingStorage(new MemoryStorage(storageClock));
        Repository repo = Repository.init(storage, List.of(), SMALL, 1, new LocalKeyCache(keyDir));
        Instant t = Instant.parse("2026-11-20T03:00:00Z");
        commit(repo, BackupIds.next(t), t, data(1));                      // removed by the policy below
        commit(repo, BackupIds.next(t.plusSeconds(60)), t.plusSeconds(60), data(2));

        RetentionPolicy keepOne = new RetentionPolicy(1, Duration.ZERO, 0, 0, 0, 0, 0, 1);
        CompletableFuture<PruneEngine.Result> prune = new CompletableFuture<>();
        Thread pruner = new Thread(() -> {
            try {
                prune.complete(new PruneEngine(repo, Clock.systemUTC()).run(new PruneRequest(keepOne, ZoneOffset.UTC, false)));
            } catch (Throwable e) {
                prune.completeExceptionally(e);
            }
        });
        storage.paused = pruner;
        pruner.start();
        assertThat(storage.reached.await(30, TimeUnit.SECONDS)).as("prune reached its chunk listing").isTrue();

        // The prune stays stopped for longer than the stale time, by the storage's clock: a backup breaks its lock
        // and stores the first backup's data again, every chunk of it reused from what prune is about to collect.
        storageClock.advance(RepositoryLock.DEFAULT_STALE_AFTER.plusMinutes(1));
        Instant t3 = t.plusSeconds(120);
        Manifest again;
        try (RepositoryLock lock = repo.lock(RepositoryLock.Kind.SHARED, "backup")) {
            assertThat(lock.brokeExclusive()).isTrue();
            Artifact a;
            try (ChunkWriter w = repo.chunkWriter(Keys.PLAIN, 1, 2)) {
                a = w.write("a.dump", "a", Artifact.PG_DUMP_CUSTOM, new ByteArrayInputStream(data(1)), n -> {});
                w.flush();
                assertThat(w.addedBytes()).as("all reused").isZero();
            }
            again = new Manifest(1, BackupIds.next(t3), null, Manifest.COMPLETED, t3, t3, "test", "h", List.of(),
                    List.of(a), a.size(), a.storedSize(), 0, null);
            lock.checkStillHeld();
            repo.requireChunks(again);
            repo.commit(again);
        }

        storage.resume.countDown();
        pruner.join(30_000);
        assertThat(prune).isCompletedExceptionally();
        assertThat(prune.handle((r, e) -> e).get()).isInstanceOf(LifeboatException.class)
                .hasMessageContaining("was broken by another process");
        try (InputStream in = repo.artifactReader(Keys.PLAIN).open(repo.manifest(again.id()).artifacts().get(0))) {
            assertThat(in.readAllBytes()).isEqualTo(data(1));
        }
    }

    @Test
    void aBackupThatBrokeAPrunesLockCommitsNothingWhenAChunkItReusedIsGone() throws Exception {
        MutableClock storageClock = new MutableClock(Instant.parse("2026-11-21T03:00:00Z"));
        MemoryStorage storage = new MemoryStorage(storageClock);
        Repository repo = Repository.init(storage, List.of(), SMALL, 1, new LocalKeyCache(keyDir));
        Instant t = Instant.parse("2026-11-20T03:00:00Z");
        Manifest first = commit(repo, BackupIds.next(t), t, data(1));
        RepositoryLock paused = RepositoryLock.acquire(storage, RepositoryLock.Kind.EXCLUSIVE, "prune",
                RepositoryLock.DEFAULT_STALE_AFTER, Clock.systemUTC());
        storageClock.advance(RepositoryLock.DEFAULT_STALE_AFTER.plusMinutes(1));
        try (RepositoryLock lock = repo.lock(RepositoryLock.Kind.SHARED, "backup")) {
            assertThat(lock.brokeExclusive()).isTrue();
            storage.delete(first.artifacts().get(0).chunks().get(3).blobName()); // the paused prune's one delete
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> repo.requireChunks(first))
                    .hasMessageContaining(first.artifacts().get(0).chunks().get(3).id())
                    .satisfies(e -> assertThat(((LifeboatException) e).hint()).contains("nothing was committed"));
        } finally {
            paused.close();
        }
    }
}
