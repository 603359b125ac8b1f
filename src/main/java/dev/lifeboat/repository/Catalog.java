package dev.lifeboat.repository;

import dev.lifeboat.core.Futures;
import dev.lifeboat.storage.BlobInfo;
import dev.lifeboat.storage.Storage;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SortedMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionService;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorCompletionService;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The repository's backups in memory, as {@link Repository#entries()} lists them, kept up to date incrementally
 * for a long-running process (the service) that lists often.
 *
 * <p>A refresh lists {@code backups/} once and reads only what changed since the last one:
 * <ul>
 *   <li>a manifest once per backup id: manifests are never rewritten (docs/REPOSITORY-FORMAT.md, "the manifest
 *       itself is never rewritten"), so it is read again only if its blob's size or time changed anyway, or if
 *       it could not be parsed last time (a replica may have restored it);</li>
 *   <li>{@code status.json} when its size or time changed, or when it appeared; when it disappears the entry
 *       has no status;</li>
 *   <li>{@code pin.json} never: pinned is its presence in the listing;</li>
 *   <li>a backup whose manifest is no longer listed disappears.</li>
 * </ul>
 * Change detection relies on {@link BlobInfo} (size and time): a status rewritten with the same size within
 * the backend's time resolution (one second on S3) is seen at the next change, or by a new {@code Catalog}.
 * A refresh that reads many blobs (the first one) reads them on a small pool of threads (default
 * {@value #DEFAULT_THREADS}), since on S3 latency, not bandwidth, dominates. When a read fails, the refresh
 * fails with it and the snapshot stays as it was; what was read is kept for the next attempt.
 *
 * <p>{@link #entries(Duration)} answers from the last snapshot, without touching storage, while it is younger
 * than the given age and no {@link #invalidate()} came after it. Callers that find it stale share the refresh
 * in progress (no thundering herd); a snapshot is an immutable list swapped atomically. {@link #entries()}
 * always reflects the repository as of the call: it waits for a refresh that started after it was called.
 * This class is safe for concurrent use.
 *
 * <p><b>Time.</b> A refresh costs at least the listing of {@code backups/}: on a local repository of 10,001
 * backups (made by bench/fabricate-backups.sh; 2 CPUs, warm page cache) the first load took 0.7 s, a refresh
 * with nothing changed 150 ms, of which the listing 140 ms, and an answer from the snapshot 0.1 µs. On S3 the
 * listing is one request per 1,000 blobs, one after the other, so a service should list with
 * {@code entries(maxAge)} and {@link #invalidate()} after its own jobs.
 *
 * <p><b>Memory.</b> Entries hold each manifest {@linkplain Manifest#withoutChunks() without its chunk lists}
 * ({@code Artifact.chunks()} is null; {@link #manifest(String)} reads the full one for restore or verify), with
 * the names that repeat between backups (hosts, versions, tables, indexes) shared. Measured with JOL (retained
 * object graph, 64-bit JVM with compressed oops) for 10,000 backups of one PostgreSQL database each, row counts
 * and hashes differing between backups:
 * <pre>
 * each backup                                          full Manifest   kept here, with bookkeeping
 * 2 tables, 6 MB dump (3 chunks; 1.7 KB of JSON)           2.7 KB          0.9 KB
 * 20 tables, ~100 MB dump (50 chunks; 12 KB of JSON)      16.0 KB          1.7 KB
 * 30 tables, ~1 GB dump (500 chunks; 76 KB of JSON)       79.3 KB          2.2 KB
 * </pre>
 * A full manifest grows by about 140 bytes per chunk (2 MiB of dump on average), so 10,000 of a 1 GB database
 * would take 790 MB of heap; as kept here the 10,000 take 9 to 22 MB whatever the size of the database.
 */
public final class Catalog {
    /** Reads in flight at once when a refresh reads many blobs. */
    public static final int DEFAULT_THREADS = 8;
    /** A refresh with fewer reads than this reads in its own thread. */
    private static final int PARALLEL_FROM = 4;

    private final Repository repo;
    private final int threads;
    private final Interner interner = new Interner();

    // What earlier refreshes read, by backup id. Refreshes run one at a time (see await), so only the refresh
    // in progress touches these; the lock orders one refresh's writes before the next one's reads.
    private final Map<String, KnownManifest> manifests = new HashMap<>();
    private final Map<String, KnownStatus> statuses = new HashMap<>();

    private final Object lock = new Object();
    /** Refreshes started so far; each refresh is numbered by it. Guarded by lock. */
    private long started;
    /** Snapshots numbered up to this one are invalid. Written under lock. */
    private volatile long invalidUpTo;
    /** The refresh in progress, or null. Guarded by lock. */
    private Refresh running;
    private volatile Snapshot snapshot;

    private record KnownManifest(BlobInfo blob, Manifest manifest, String error) {}

    private record KnownStatus(BlobInfo blob, BackupStatus status) {}

    private record Refresh(long number, CompletableFuture<Snapshot> result) {}

    private record Snapshot(long number, long finishedNanos, List<BackupEntry> entries, Map<String, BackupEntry> byId) {}

    /** A blob read on the pool; what it returns is applied by the refreshing thread. */
    @FunctionalInterface
    private interface Read {
        Runnable call() throws IOException;
    }

    public Catalog(Repository repo) {
        this(repo, DEFAULT_THREADS);
    }

    /** @param threads reads in flight at once during a refresh that reads many blobs */
    public Catalog(Repository repo, int threads) {
        if (threads < 1) {
            throw new IllegalArgumentException("threads must be at least 1, not " + threads);
        }
        this.repo = repo;
        this.threads = threads;
    }

    /**
     * Every committed backup, as {@link Repository#entries()} lists them (same order; an unreadable manifest is
     * an entry with its error), with manifests {@linkplain Manifest#withoutChunks() without chunk lists}.
     * Refreshes first: the result reflects the repository as of this call. The list is immutable.
     */
    public List<BackupEntry> entries() throws IOException {
        long after;
        synchronized (lock) {
            after = started; // a refresh numbered above this one starts after this call
        }
        return await(after).entries();
    }

    /**
     * {@link #entries()}, answered from the last snapshot without touching storage when that finished less than
     * {@code maxAge} ago and nothing {@linkplain #invalidate() invalidated} it since; otherwise refreshed, sharing
     * a refresh already in progress.
     */
    public List<BackupEntry> entries(Duration maxAge) throws IOException {
        long now = System.nanoTime();
        long invalid = invalidUpTo;
        Snapshot s = snapshot;
        if (s != null && s.number() > invalid && maxAge.compareTo(Duration.ofNanos(now - s.finishedNanos())) > 0) {
            return s.entries();
        }
        return await(Math.max(invalid, s == null ? 0 : s.number())).entries();
    }

    /** Makes the next {@link #entries(Duration)} refresh, whatever its age: for after a job changed the repository. */
    public void invalidate() {
        synchronized (lock) {
            invalidUpTo = started;
        }
    }

    /** The backup of this exact id in the last snapshot (loaded first if there is none yet). */
    public Optional<BackupEntry> find(String id) throws IOException {
        Snapshot s = snapshot;
        if (s == null) {
            s = await(0);
        }
        return Optional.ofNullable(s.byId().get(id));
    }

    /** The full manifest of a backup, with its chunk lists, read from the repository. */
    public Manifest manifest(String id) throws IOException {
        return repo.manifest(id);
    }

    /**
     * A snapshot from a refresh numbered above {@code after}: the last one if it is, else the one in progress if
     * it is, else a new one, started once the one in progress (too old for this caller) has ended. Refreshes thus
     * run one at a time, and concurrent callers share them.
     */
    private Snapshot await(long after) throws IOException {
        while (true) {
            Refresh mine = null;
            Refresh other;
            synchronized (lock) {
                Snapshot s = snapshot;
                if (s != null && s.number() > after) {
                    return s;
                }
                other = running;
                if (other == null) {
                    mine = running = new Refresh(++started, new CompletableFuture<>());
                }
            }
            if (mine != null) {
                return run(mine);
            }
            if (other.number() > after) {
                return join(other);
            }
            other.result().handle((s, e) -> null).join(); // whatever its outcome, the next one is ours to share
        }
    }

    private Snapshot run(Refresh r) throws IOException {
        try {
            Snapshot s = refresh(r.number());
            synchronized (lock) {
                snapshot = s;
                running = null;
            }
            r.result().complete(s);
            return s;
        } catch (IOException | RuntimeException | Error e) {
            synchronized (lock) {
                running = null;
            }
            r.result().completeExceptionally(e);
            throw e;
        }
    }

    private static Snapshot join(Refresh r) throws IOException {
        try {
            return r.result().get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while waiting for the backup listing");
        } catch (ExecutionException e) {
            throw Futures.rethrow(e.getCause());
        }
    }

    /** Lists backups/ and reads what changed since the last refresh. Runs in one thread at a time. */
    private Snapshot refresh(long number) throws IOException {
        SortedMap<String, BackupBlobs.Listed> listed = BackupBlobs.list(repo.storage());
        manifests.keySet().retainAll(listed.keySet());
        statuses.keySet().retainAll(listed.keySet());
        List<Read> reads = new ArrayList<>();
        for (BackupBlobs.Listed b : listed.values()) {
            KnownManifest m = manifests.get(b.id());
            if (m == null || m.error() != null || !m.blob().equals(b.manifest())) {
                reads.add(readManifest(b));
            }
            KnownStatus st = statuses.get(b.id());
            if (b.status() == null) {
                statuses.remove(b.id());
            } else if (st == null || !st.blob().equals(b.status())) {
                reads.add(readStatus(b));
            }
        }
        readAll(reads);
        List<BackupEntry> entries = new ArrayList<>(listed.size());
        Map<String, BackupEntry> byId = new HashMap<>();
        for (BackupBlobs.Listed b : listed.values()) {
            KnownManifest m = manifests.get(b.id());
            if (m == null) {
                continue; // deleted between listing and reading
            }
            KnownStatus st = statuses.get(b.id());
            BackupEntry e = new BackupEntry(b.id(), m.manifest(), m.error(), st == null ? null : st.status(),
                    b.pin() != null);
            entries.add(e);
            byId.put(e.id(), e);
        }
        entries.sort(BackupEntry.ORDER);
        return new Snapshot(number, System.nanoTime(), List.copyOf(entries), Map.copyOf(byId));
    }

    private Read readManifest(BackupBlobs.Listed b) {
        return () -> {
            Repository.ListedManifest r = repo.readForListing(b.id());
            if (r == null) {
                return () -> manifests.remove(b.id());
            }
            KnownManifest known = new KnownManifest(b.manifest(),
                    r.manifest() == null ? null : compact(r.manifest()), r.error());
            return () -> manifests.put(b.id(), known);
        };
    }

    private Read readStatus(BackupBlobs.Listed b) {
        return () -> {
            BackupStatus s = repo.status(b.id());
            KnownStatus known = new KnownStatus(b.status(), s == null ? null : compact(s));
            return () -> statuses.put(b.id(), known);
        };
    }

    /** Runs the reads, on a pool when there are several, applying each result as it comes. */
    private void readAll(List<Read> reads) throws IOException {
        if (reads.size() < PARALLEL_FROM || threads == 1) {
            for (Read r : reads) {
                r.call().run();
            }
            return;
        }
        ExecutorService pool = Executors.newFixedThreadPool(Math.min(threads, reads.size()), THREADS);
        try {
            CompletionService<Runnable> done = new ExecutorCompletionService<>(pool);
            for (Read r : reads) {
                done.submit(() -> {
                    try {
                        return r.call();
                    } catch (IOException e) {
                        throw new UncheckedIOException(e);
                    }
                });
            }
            for (int i = 0; i < reads.size(); i++) {
                try {
                    done.take().get().run();
                } catch (ExecutionException e) {
                    Throwable cause = e.getCause();
                    throw Futures.rethrow(cause instanceof UncheckedIOException u ? u.getCause() : cause);
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while reading the backups' manifests");
        } finally {
            pool.shutdownNow(); // after a failure, the reads still queued are not needed
        }
    }

    private static final ThreadFactory THREADS = new ThreadFactory() {
        private final AtomicInteger n = new AtomicInteger();

        @Override
        public Thread newThread(Runnable r) {
            Thread t = new Thread(r, "lifeboat-catalog-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        }
    };

    /** The manifest without chunk lists, with the names that repeat between backups shared. */
    private Manifest compact(Manifest m) {
        Interner in = interner;
        List<Manifest.Source> sources = m.sources() == null ? null : m.sources().stream()
                .map(s -> new Manifest.Source(in.of(s.type()), in.of(s.name()), s.fields()))
                .toList();
        List<Artifact> artifacts = m.artifacts() == null ? null : m.artifacts().stream()
                .map(a -> new Artifact(in.of(a.name()), in.of(a.source()), in.of(a.format()), a.size(), a.storedSize(),
                        a.sha256(), null))
                .toList();
        return new Manifest(m.formatVersion(), m.id(), m.label(), in.of(m.status()), m.started(), m.finished(),
                in.of(m.toolVersion()), in.of(m.host()), sources, artifacts, m.logicalBytes(), m.storedBytes(),
                m.addedBytes(), in.of(m.kind()), m.stack());
    }

    /** The status with its few distinct words (status, level) shared. */
    private BackupStatus compact(BackupStatus s) {
        List<BackupStatus> history = s.history() == null ? null : s.history().stream().map(this::compact).toList();
        return new BackupStatus(interner.of(s.status()), s.checked(), interner.of(s.level()), s.problems(), s.drill(),
                history);
    }

    /**
     * Shares equal values between manifests. It holds only names, which repeat (hosts, versions, tables, indexes):
     * never ids, times, labels or hashes, so it grows with the distinct names seen, not with the backups.
     */
    private static final class Interner {
        private final Map<Object, Object> values = new ConcurrentHashMap<>();

        @SuppressWarnings("unchecked")
        <T> T of(T value) {
            if (value == null) {
                return null;
            }
            Object known = values.putIfAbsent(value, value);
            return known == null ? value : (T) known;
        }

        List<String> list(List<String> strings) {
            return strings == null ? null : of(strings.stream().map(this::of).toList());
        }
    }
}
