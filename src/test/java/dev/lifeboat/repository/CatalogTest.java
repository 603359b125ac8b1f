package dev.lifeboat.repository;

import dev.lifeboat.source.postgres.PgRecord;
import dev.lifeboat.source.postgres.TableInfo;
import dev.lifeboat.storage.BlobInfo;
import dev.lifeboat.storage.MemoryStorage;
import dev.lifeboat.storage.Storage;
import dev.lifeboat.storage.StorageFeature;
import dev.lifeboat.storage.local.LocalStorage;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class CatalogTest {
    private static final ChunkerParams SMALL = new ChunkerParams(16 * 1024, 64 * 1024, 256 * 1024, 42);
    private static final Instant T0 = Instant.parse("2026-01-01T00:00:00.250Z");

    enum Backend { MEMORY, LOCAL }

    @TempDir
    Path tmp;

    private CountingStorage storage;
    private Repository repo;
    private final Random random = new Random(7);

    private void open(Backend backend) throws IOException {
        Storage inner = backend == Backend.MEMORY ? new MemoryStorage() : new LocalStorage(tmp.resolve("repo"));
        storage = new CountingStorage(inner);
        repo = Repository.init(storage, List.of(), SMALL, 3, new LocalKeyCache(tmp.resolve("keys")));
        storage.reset(); // what the catalog lists and reads is counted, not init's look for an empty location
    }

    /** Commits a backup started {@code hour} hours after T0, with a source, tables and a few chunks. */
    private Manifest commit(int hour) throws IOException {
        Instant started = T0.plusSeconds(3600L * hour);
        return commit(BackupIds.next(started), started);
    }

    private Manifest commit(String id, Instant started) throws IOException {
        List<ChunkRef> chunks = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            byte[] h = new byte[32];
            random.nextBytes(h);
            chunks.add(new ChunkRef(HexFormat.of().formatHex(h), 2_000_000 + i, 900_000 + i));
        }
        List<TableInfo> tables = List.of(
                new TableInfo("public", "customers", random.nextInt(1000), List.of("customers_pkey"), List.of()),
                new TableInfo("public", "orders", 500, List.of("orders_pkey", "orders_customer_idx"),
                        List.of("orders_id_seq")));
        Manifest.Source source = new PgRecord("bench@127.0.0.1:5432/app", "15.18", "pg_dump 15.18", tables, "UTF8", "C", "C", "host=127.0.0.1 dbname=app").toSource("app");
        Artifact a = new Artifact("app.dump", "app", "pg_dump-custom", chunks.stream().mapToLong(ChunkRef::size).sum(), 4_500_000, "ab".repeat(32), chunks);
        Manifest m = new Manifest(1, id, "nightly", Manifest.COMPLETED, started, started.plusSeconds(60), "0.1.0", "db1",
                List.of(source), List.of(a), 10_000_000, 4_500_000, 100, null);
        repo.commit(m);
        return m;
    }

    private BackupStatus verified(String level) {
        return new BackupStatus(BackupStatus.VERIFIED, Instant.now(), level, List.of(), null, null);
    }

    /** What the catalog must list: the repository's own listing, manifests without chunk lists. */
    private List<BackupEntry> expected() throws IOException {
        return repo.entries().stream().map(e -> new BackupEntry(e.id(),
                e.manifest() == null ? null : e.manifest().withoutChunks(), e.manifestError(), e.status(), e.pinned()))
                .toList();
    }

    private static List<String> ids(List<BackupEntry> entries) {
        return entries.stream().map(BackupEntry::id).toList();
    }

    @ParameterizedTest
    @EnumSource(Backend.class)
    void listsWhatTheRepositoryLists(Backend backend) throws IOException {
        open(backend);
        List<Manifest> backups = new ArrayList<>();
        for (int i = 0; i < 12; i++) {
            backups.add(commit(-i)); // newest first: the listing must sort
        }
        // Same second, the random suffix of the later one sorting first.
        Instant t = T0.plusSeconds(3600 * 5);
        commit("20260101T050000Z-ffffff", t);
        commit("20260101T050000Z-000000", t.plusMillis(500));
        repo.recordStatus(backups.get(1).id(), verified("exists"));
        repo.recordStatus(backups.get(2).id(), verified("read-data"));
        repo.recordStatus(backups.get(2).id(), new BackupStatus(BackupStatus.CORRUPT, Instant.now(), "read-data",
                List.of("app.dump: chunk x is missing"), null, null));
        repo.pin(backups.get(3).id(), "keep");
        storage.write(Manifest.blobName(backups.get(4).id()), "garbage{".getBytes(StandardCharsets.UTF_8));
        storage.write(BackupStatus.blobName("20250101T000000Z-abcdef"), "{}".getBytes(StandardCharsets.UTF_8)); // orphan
        storage.write("backups/README", "not a backup".getBytes(StandardCharsets.UTF_8));

        Catalog catalog = new Catalog(repo);
        List<BackupEntry> entries = catalog.entries();

        assertThat(entries).isEqualTo(expected()).hasSize(14);
        assertThat(ids(entries)).containsSubsequence("20260101T050000Z-ffffff", "20260101T050000Z-000000");
        assertThat(entries).filteredOn(e -> e.manifest() != null)
                .allSatisfy(e -> assertThat(e.manifest().artifacts()).allSatisfy(a -> assertThat(a.chunks()).isNull()));
        BackupEntry corrupt = catalog.find(backups.get(4).id()).orElseThrow();
        assertThat(corrupt.effectiveStatus()).isEqualTo(BackupStatus.CORRUPT);
        assertThat(corrupt.manifestError()).contains("not valid JSON");
        assertThat(catalog.find(backups.get(2).id()).orElseThrow().status().history()).hasSize(1);
        assertThat(catalog.find(backups.get(3).id()).orElseThrow().pinned()).isTrue();
        assertThat(catalog.find("20250101T000000Z-abcdef")).isEmpty();
        assertThat(catalog.manifest(backups.get(0).id())).isEqualTo(backups.get(0));
        assertThatThrownBy(() -> entries.add(corrupt)).isInstanceOf(UnsupportedOperationException.class);
    }

    @ParameterizedTest
    @EnumSource(Backend.class)
    void aSecondListingReadsNothingThatDidNotChange(Backend backend) throws IOException {
        open(backend);
        for (int i = 0; i < 20; i++) {
            Manifest m = commit(i);
            if (i % 3 == 0) {
                repo.recordStatus(m.id(), verified("exists"));
            }
            if (i % 7 == 0) {
                repo.pin(m.id(), null);
            }
        }
        Catalog catalog = new Catalog(repo);
        storage.reset();
        catalog.entries();
        assertThat(storage.reads()).hasSize(2 * 20 + 7); // every manifest, its signature and status once, no pin

        storage.reset();
        List<BackupEntry> again = catalog.entries();
        assertThat(storage.lists()).isEqualTo(1);
        assertThat(storage.reads()).isEmpty();
        assertThat(again).isEqualTo(expected());
    }

    @ParameterizedTest
    @EnumSource(Backend.class)
    void newBackupsAppearAndDeletedOnesDisappear(Backend backend) throws IOException {
        open(backend);
        List<Manifest> backups = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            backups.add(commit(i));
        }
        repo.recordStatus(backups.get(1).id(), verified("exists"));
        Catalog catalog = new Catalog(repo);
        assertThat(catalog.entries()).hasSize(5);

        storage.reset();
        Manifest added = commit(10);
        List<BackupEntry> entries = catalog.entries();
        assertThat(ids(entries)).endsWith(added.id()).hasSize(6);
        assertThat(storage.reads()).containsExactly(Manifest.blobName(added.id()), Manifest.signatureBlobName(added.id()));

        storage.reset();
        String gone = backups.get(1).id();
        storage.delete(Manifest.blobName(gone)); // as prune does: the manifest first
        assertThat(ids(catalog.entries())).doesNotContain(gone).hasSize(5);
        storage.delete(BackupStatus.blobName(gone));
        assertThat(ids(catalog.entries())).doesNotContain(gone).hasSize(5);
        assertThat(catalog.find(gone)).isEmpty();
        assertThat(storage.reads()).isEmpty();
        assertThat(catalog.entries()).isEqualTo(expected());
    }

    @ParameterizedTest
    @EnumSource(Backend.class)
    void statusAndPinChangesShowUp(Backend backend) throws IOException {
        open(backend);
        String id = commit(0).id();
        commit(1);
        Catalog catalog = new Catalog(repo);
        assertThat(catalog.find(id).orElseThrow().status()).isNull();

        repo.recordStatus(id, verified("exists"));
        storage.reset();
        BackupEntry e = catalog.entries().get(0);
        assertThat(e.status().level()).isEqualTo("exists");
        assertThat(e.effectiveStatus()).isEqualTo(BackupStatus.VERIFIED);
        assertThat(storage.reads()).containsExactly(BackupStatus.blobName(id));

        repo.recordStatus(id, new BackupStatus(BackupStatus.CORRUPT, Instant.now(), "read-data", List.of("bad"), null, null));
        storage.reset();
        e = catalog.entries().get(0);
        assertThat(e.effectiveStatus()).isEqualTo(BackupStatus.CORRUPT);
        assertThat(e.status().history()).extracting(BackupStatus::level).containsExactly("exists");
        assertThat(storage.reads()).containsExactly(BackupStatus.blobName(id));

        storage.reset();
        repo.pin(id, "legal hold");
        assertThat(catalog.entries().get(0).pinned()).isTrue();
        repo.unpin(id);
        assertThat(catalog.entries().get(0).pinned()).isFalse();
        storage.delete(BackupStatus.blobName(id));
        assertThat(catalog.entries().get(0).status()).isNull();
        assertThat(storage.reads()).isEmpty();
        assertThat(catalog.entries()).isEqualTo(expected());
    }

    @ParameterizedTest
    @EnumSource(Backend.class)
    void aCorruptManifestIsListedAsCorruptAndRetriedUntilFixed(Backend backend) throws IOException {
        open(backend);
        Manifest victim = commit(0);
        commit(1);
        Catalog catalog = new Catalog(repo);
        catalog.entries();
        byte[] good = storage.readAllBytes(Manifest.blobName(victim.id()));

        storage.write(Manifest.blobName(victim.id()), "garbage{".getBytes(StandardCharsets.UTF_8));
        List<BackupEntry> entries = catalog.entries();
        assertThat(entries).hasSize(2).isEqualTo(expected());
        assertThat(entries.get(0).manifest()).isNull();
        assertThat(entries.get(0).effectiveStatus()).isEqualTo(BackupStatus.CORRUPT);
        assertThat(entries.get(0).manifestError()).contains(victim.id()).contains("not valid JSON");
        assertThat(entries.get(1).manifest()).isNotNull();

        storage.reset();
        catalog.entries();
        // retried, alone: read three times, since a manifest that does not parse is read again twice before it
        // counts as damaged (a read cut short must not pass for a damaged backup)
        assertThat(storage.reads()).containsExactly(Manifest.blobName(victim.id()), Manifest.blobName(victim.id()),
                Manifest.blobName(victim.id()));

        // Valid JSON that is hardly a manifest (no start time) is listed, not a failure of the listing.
        storage.write(Manifest.blobName(victim.id()), "{\"id\":\"x\"}".getBytes(StandardCharsets.UTF_8));
        assertThat(catalog.entries()).hasSize(2).isEqualTo(expected());

        storage.write(Manifest.blobName(victim.id()), good); // restored from a replica
        entries = catalog.entries();
        assertThat(entries.get(0).manifest()).isEqualTo(victim.withoutChunks());
        assertThat(entries.get(0).effectiveStatus()).isEqualTo(Manifest.COMPLETED);
        storage.reset();
        catalog.entries();
        assertThat(storage.reads()).isEmpty();
    }

    @ParameterizedTest
    @EnumSource(Backend.class)
    void maxAgeAnswersFromTheSnapshotUntilInvalidated(Backend backend) throws IOException {
        open(backend);
        commit(0);
        Catalog catalog = new Catalog(repo);
        List<BackupEntry> first = catalog.entries(Duration.ofHours(1));
        assertThat(storage.lists()).isEqualTo(1);
        assertThat(catalog.entries(Duration.ofHours(1))).isSameAs(first);
        assertThat(catalog.find(first.get(0).id())).isPresent();

        Manifest added = commit(1);
        assertThat(catalog.entries(Duration.ofHours(1))).isSameAs(first); // not looked at: stale by choice
        assertThat(storage.lists()).isEqualTo(1);

        catalog.invalidate();
        assertThat(ids(catalog.entries(Duration.ofHours(1)))).endsWith(added.id());
        assertThat(storage.lists()).isEqualTo(2);
        assertThat(catalog.entries(Duration.ofHours(1))).hasSize(2);
        assertThat(storage.lists()).isEqualTo(2);

        catalog.entries(Duration.ZERO);
        assertThat(storage.lists()).isEqualTo(3);
        catalog.entries();
        assertThat(storage.lists()).isEqualTo(4);
    }

    @ParameterizedTest
    @EnumSource(Backend.class)
    void aFailedRefreshLeavesTheSnapshotAndTheNextOneRecovers(Backend backend) throws IOException {
        open(backend);
        commit(0);
        Catalog catalog = new Catalog(repo);
        List<BackupEntry> before = catalog.entries(Duration.ofHours(1));
        Manifest added = commit(1);
        storage.failReads = true;
        assertThatThrownBy(catalog::entries).isInstanceOf(IOException.class).hasMessageContaining("injected");
        assertThat(catalog.entries(Duration.ofHours(1))).isSameAs(before);
        storage.failReads = false;
        assertThat(ids(catalog.entries())).endsWith(added.id());
    }

    @ParameterizedTest
    @EnumSource(Backend.class)
    void theFirstLoadReadsInParallelOnABoundedPool(Backend backend) throws IOException {
        open(backend);
        for (int i = 0; i < 40; i++) {
            commit(i);
        }
        storage.readDelayMillis = 20;
        Catalog catalog = new Catalog(repo, 4);
        assertThat(catalog.entries()).hasSize(40);
        assertThat(storage.maxReadsInFlight.get()).isBetween(2, 4);
        storage.readDelayMillis = 0;
        assertThat(catalog.entries()).isEqualTo(expected());
    }

    @ParameterizedTest
    @EnumSource(Backend.class)
    void concurrentCallersShareRefreshes(Backend backend) throws Exception {
        open(backend);
        for (int i = 0; i < 10; i++) {
            commit(i);
        }
        Catalog catalog = new Catalog(repo);
        storage.listDelayMillis = 300;
        int n = 16;
        ExecutorService pool = Executors.newFixedThreadPool(n);
        try {
            // Stale callers all share the one refresh in progress.
            CyclicBarrier go = new CyclicBarrier(n);
            List<Future<List<BackupEntry>>> results = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                results.add(pool.submit(() -> {
                    go.await();
                    return catalog.entries(Duration.ZERO);
                }));
            }
            List<BackupEntry> first = results.get(0).get(30, TimeUnit.SECONDS);
            for (Future<List<BackupEntry>> f : results) {
                assertThat(f.get(30, TimeUnit.SECONDS)).isSameAs(first);
            }
            assertThat(storage.lists()).isEqualTo(1);

            // Callers that need a listing as of their call wait for the one in progress and share the next.
            storage.reset();
            results.clear();
            for (int i = 0; i < n; i++) {
                results.add(pool.submit(() -> {
                    go.await();
                    return catalog.entries();
                }));
            }
            for (Future<List<BackupEntry>> f : results) {
                assertThat(f.get(30, TimeUnit.SECONDS)).isEqualTo(first);
            }
            assertThat(storage.lists()).isBetween(1, 2);
        } finally {
            pool.shutdownNow();
        }
    }

    @ParameterizedTest
    @EnumSource(Backend.class)
    void concurrentReadersSeeConsistentSnapshotsWhileBackupsAreAdded(Backend backend) throws Exception {
        open(backend);
        Catalog catalog = new Catalog(repo, 3);
        List<String> committed = new CopyOnWriteArrayList<>();
        ConcurrentLinkedQueue<Throwable> failures = new ConcurrentLinkedQueue<>();
        AtomicInteger calls = new AtomicInteger();
        ExecutorService pool = Executors.newFixedThreadPool(7);
        try {
            Future<?> writer = pool.submit(() -> {
                for (int i = 0; i < 30; i++) {
                    Manifest m = commit(i);
                    if (i % 4 == 0) {
                        repo.recordStatus(m.id(), verified("exists"));
                    }
                    committed.add(m.id());
                    if (i % 5 == 0) {
                        catalog.invalidate();
                    }
                }
                return null;
            });
            List<Future<?>> readers = new ArrayList<>();
            for (int r = 0; r < 6; r++) {
                int kind = r % 3;
                readers.add(pool.submit(() -> {
                    try {
                        while (!writer.isDone() || calls.get() < 60) {
                            List<String> before = List.copyOf(committed);
                            List<BackupEntry> got = switch (kind) {
                                case 0 -> catalog.entries();
                                case 1 -> catalog.entries(Duration.ofMillis(5));
                                default -> catalog.entries(Duration.ZERO);
                            };
                            calls.incrementAndGet();
                            assertThat(got).isSortedAccordingTo(BackupEntry.ORDER).doesNotHaveDuplicates()
                                    .allSatisfy(e -> assertThat(e.manifest()).isNotNull());
                            if (kind == 0) {
                                assertThat(ids(got)).containsAll(before);
                            }
                            for (BackupEntry e : got) {
                                assertThat(catalog.find(e.id())).isPresent();
                            }
                        }
                    } catch (Throwable t) {
                        failures.add(t);
                    }
                    return null;
                }));
            }
            writer.get(60, TimeUnit.SECONDS);
            for (Future<?> f : readers) {
                f.get(60, TimeUnit.SECONDS);
            }
        } finally {
            pool.shutdownNow();
        }
        assertThat(failures).isEmpty();
        assertThat(catalog.entries()).isEqualTo(expected()).hasSize(30);
    }

    /** A storage that counts lists and reads, and can slow them down or fail reads. */
    static final class CountingStorage implements Storage {
        private final Storage inner;
        private final AtomicInteger lists = new AtomicInteger();
        private final List<String> reads = Collections.synchronizedList(new ArrayList<>());
        private final AtomicInteger readsInFlight = new AtomicInteger();
        final AtomicInteger maxReadsInFlight = new AtomicInteger();
        volatile long listDelayMillis;
        volatile long readDelayMillis;
        volatile boolean failReads;

        CountingStorage(Storage inner) {
            this.inner = inner;
        }

        void reset() {
            lists.set(0);
            reads.clear();
            maxReadsInFlight.set(0);
        }

        int lists() {
            return lists.get();
        }

        /** Names read since the last reset, sorted. */
        List<String> reads() {
            synchronized (reads) {
                return reads.stream().sorted().toList();
            }
        }

        @Override
        public String location() {
            return inner.location();
        }

        @Override
        public Set<StorageFeature> features() {
            return inner.features();
        }

        @Override
        public InputStream read(String name) throws IOException {
            int now = readsInFlight.incrementAndGet();
            maxReadsInFlight.accumulateAndGet(now, Math::max);
            try {
                reads.add(name);
                sleep(readDelayMillis);
                if (failReads) {
                    throw new IOException("injected failure reading " + name);
                }
                return inner.read(name);
            } finally {
                readsInFlight.decrementAndGet();
            }
        }

        @Override
        public void write(String name, InputStream data) throws IOException {
            inner.write(name, data);
        }

        @Override
        public Optional<BlobInfo> stat(String name) throws IOException {
            return inner.stat(name);
        }

        @Override
        public List<BlobInfo> list(String prefix) throws IOException {
            lists.incrementAndGet();
            sleep(listDelayMillis);
            return inner.list(prefix);
        }

        @Override
        public void delete(String name) throws IOException {
            inner.delete(name);
        }

        @Override
        public void close() throws IOException {
            inner.close();
        }

        private static void sleep(long millis) throws IOException {
            if (millis > 0) {
                try {
                    Thread.sleep(millis);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new java.io.InterruptedIOException();
                }
            }
        }
    }
}
