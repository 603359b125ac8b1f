package dev.lifeboat.engine;

import dev.lifeboat.core.ErrorCode;
import dev.lifeboat.core.Futures;
import dev.lifeboat.core.LifeboatException;
import dev.lifeboat.core.Version;
import dev.lifeboat.config.Hook;
import dev.lifeboat.source.ArtifactSink;
import dev.lifeboat.source.SourceSpec;
import dev.lifeboat.source.Source;
import dev.lifeboat.source.SourceContext;
import dev.lifeboat.source.Sources;
import dev.lifeboat.source.postgres.PgTools;
import dev.lifeboat.repository.Artifact;
import dev.lifeboat.repository.BackupEntry;
import dev.lifeboat.repository.BackupIds;
import dev.lifeboat.repository.ChunkLists;
import dev.lifeboat.repository.ChunkRef;
import dev.lifeboat.repository.ChunkWriter;
import dev.lifeboat.repository.Keys;
import dev.lifeboat.repository.Manifest;
import dev.lifeboat.repository.Repository;
import dev.lifeboat.repository.RepositoryLock;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.InputStream;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;

/**
 * Takes a backup: every source ({@link Source}, of any type) is prepared (connected, versions checked, snapshot
 * exported) before the first byte is written, then each is streamed into the repository under a shared lock, and
 * the manifest is committed last. Until then, the backup does not exist; a crash leaves only chunks that
 * the next prune removes.
 */
public final class BackupEngine {
    private final Repository repo;
    private final Keys keys;
    private final PgTools tools;
    private final Progress progress;
    private static final Logger LOG = LoggerFactory.getLogger(BackupEngine.class);
    private final Clock clock;
    private final java.util.function.Consumer<String> notice;
    private LastDumpSize lastDumpSize = this::lastDumpSizeInRepository;

    public BackupEngine(Repository repo, Keys keys, PgTools tools, Progress progress, Clock clock) {
        this(repo, keys, tools, progress, clock, LOG::warn);
    }

    /** @param notice told what a person should see that is no failure (a source's leftover removed) */
    public BackupEngine(Repository repo, Keys keys, PgTools tools, Progress progress, Clock clock,
                        java.util.function.Consumer<String> notice) {
        this.notice = notice;
        this.repo = repo;
        this.keys = keys;
        this.tools = tools;
        this.progress = progress;
        this.clock = clock;
    }

    /** Where this host keeps what it cannot read back from an encrypted repository; null: nothing kept. */
    private LocalCopies copies;

    /**
     * Keeps, in {@code keyFolder}, a local copy of what the next backup compares with (a tree's listing) when this
     * host holds the public key of an encrypted repository only ({@link LocalCopies}); without, such a host reads
     * every file of a tree on every backup.
     */
    public BackupEngine withLocalCopies(java.nio.file.Path keyFolder) {
        this.copies = keyFolder == null ? null : new LocalCopies(keyFolder, repo.config().id());
        return this;
    }

    /** Whether this host cannot read its backups back: an encrypted repository, and no identity. */
    private boolean writeOnly() {
        return repo.config().encrypted() && keys.identities().isEmpty();
    }

    public Manifest run(BackupRequest request) throws IOException, InterruptedException {
        SourceContext context = context();
        List<Source> sources = new ArrayList<>();
        if (!request.databases().isEmpty() || request.sources().isEmpty()) { // none at all: the error says what to give
            sources.addAll(Sources.databases(request.databases(), request.allDatabases(), request.globals(), context));
        }
        List<Source> configured = Sources.configure(request.sources(), context);
        for (Source s : configured) {
            if (sources.stream().anyMatch(x -> x.name().equals(s.name()))) {
                throw new LifeboatException(ErrorCode.USAGE, "two sources of this backup are named " + s.name(),
                        "give the folder another name, or back them up separately");
            }
        }
        sources.addAll(configured);
        return run(request, sources, context);
    }

    /** Whether this host can commit a backup here: a signed repository needs its signing key. */
    public boolean canSign() {
        return !repo.config().signed() || keys.signingKey() != null;
    }

    /** The context this engine gives sources: the environment, its notices, the PostgreSQL tools. */
    public SourceContext context() {
        return new SourceContext(System.getenv(), notice, Map.of(PgTools.class, tools));
    }

    /**
     * Backs up {@code sources}, already made (a restore's safety backup of its targets), as {@code request} says;
     * its own sources and databases are not used.
     */
    public Manifest run(BackupRequest request, List<Source> sources) throws IOException, InterruptedException {
        return run(request, sources, context());
    }

    private Manifest run(BackupRequest request, List<Source> sources, SourceContext context)
            throws IOException, InterruptedException {
        Map<String, Hook> own = new java.util.HashMap<>(); // checked before anything runs
        for (SourceSpec spec : request.sources()) {
            for (String h : Hook.SOURCE) {
                if (spec.fields().get(h) != null) {
                    own.put(spec.name() + "\0" + h, Hook.parse("source " + spec.name(), h, spec.fields().get(h)));
                }
            }
        }
        Instant started = clock.instant();
        String id = BackupIds.next(started);
        List<Source.Prepared> prepared = new ArrayList<>();
        try {
            for (Source source : sources) { // every source reached before the first byte is written
                // a stack's failures name their source; --db's keep the words users know (they name the database)
                boolean configured = request.sources().stream().anyMatch(sp -> sp.name().equals(source.name()));
                prepared.add(configured ? prepare(source) : source.prepare());
            }
            RepositoryLock lock = repo.lock(RepositoryLock.Kind.SHARED, "backup " + id);
            Manifest committed;
            LifeboatException afterBackupFailed = null;
            try (ChunkWriter writer = repo.chunkWriter(keys, request.compressionLevel(), request.threads());
                 ChunkLists.Spool lists = new ChunkLists.Spool(id)) {
                Run run = new Run(writer, lists, sources, prepared, own, request.parallel(), context);
                List<Integer> outside = new ArrayList<>();
                List<Integer> inside = new ArrayList<>();
                for (int i = 0; i < sources.size(); i++) {
                    (sources.get(i).readWhileStopped() ? inside : outside).add(i);
                }
                run.all(outside); // consistent on their own: read while the stack still runs
                Instant stopped = null;
                Instant resumed = null;
                boolean stack = !request.hooks().isEmpty();
                try {
                    Hook before = request.hooks().get("before-backup");
                    if (before != null) {
                        run.hooks.add(HookRunner.run(before, null, context.environment(), progress));
                    }
                    stopped = clock.instant();
                    run.all(inside);
                } finally {
                    resumed = clock.instant();
                    Hook after = request.hooks().get("after-backup");
                    if (after != null) { // whatever happened: it starts what before-backup stopped
                        try {
                            run.hooks.add(HookRunner.run(after, null, context.environment(), progress));
                        } catch (LifeboatException e) {
                            afterBackupFailed = e; // after a failure, that failure is the one reported
                        }
                    }
                }
                List<Manifest.Source> recorded = new ArrayList<>();
                List<Artifact> artifacts = new ArrayList<>();
                for (int i = 0; i < sources.size(); i++) { // in the configuration's order, whoever ended first
                    recorded.add(run.recorded[i]);
                    artifacts.addAll(run.artifacts.get(i));
                }
                writer.flush(); // the last pack and its index, before the manifest that needs them
                long logical = artifacts.stream().mapToLong(Artifact::size).sum();
                long stored = artifacts.stream().mapToLong(Artifact::storedSize).sum();
                Manifest manifest = new Manifest(Manifest.FORMAT_VERSION, id, request.label(), Manifest.COMPLETED,
                        started, clock.instant(), Version.get(), RepositoryLock.hostname(), recorded, artifacts, logical,
                        stored, writer.addedBytes(), request.kind(), stack || !run.hooks.isEmpty()
                        ? new Manifest.Stack(stack ? stopped : null, stack ? resumed : null, List.copyOf(run.hooks))
                        : null);
                lists.writeTo(repo.storage()); // the large artifacts' chunk lists, before the manifest pointing in
                lock.checkStillHeld(); // a prune may have judged us dead and collected our chunks
                if (lock.brokeExclusive()) {
                    repo.requireChunks(manifest); // that prune may have been paused, not dead, and deleted some
                }
                repo.commit(manifest, keys);
                committed = manifest;
                if (copies != null) {
                    copies.commit(committed.id());
                }
            } catch (Throwable failed) {
                if (copies != null) {
                    copies.discard();
                }
                try {
                    lock.close();
                } catch (IOException | RuntimeException e) {
                    failed.addSuppressed(e);
                }
                throw failed;
            }
            release(lock, committed);
            if (afterBackupFailed != null) {
                throw new LifeboatException(ErrorCode.SOURCE, "backup " + committed.id() + " is complete, but "
                        + afterBackupFailed.getMessage() + ": what before-backup stopped may still be stopped",
                        afterBackupFailed.hint());
            }
            return committed;
        } finally {
            prepared.forEach(Source.Prepared::close);
        }
    }

    /** {@code source} prepared; its failure named after it, when its own words do not name it already. */
    private static Source.Prepared prepare(Source source) throws IOException, InterruptedException {
        try {
            return source.prepare();
        } catch (LifeboatException e) {
            String named = "source " + source.name() + " ";
            if (e.getMessage() != null && e.getMessage().startsWith(named)) {
                throw e;
            }
            throw new LifeboatException(e.code(), named + "(" + source.type() + "): " + e.getMessage(), e.hint(), e);
        }
    }

    /** The sources of one backup as they are read: their records, artifacts and hooks, filled as each ends. */
    private final class Run {
        final ChunkWriter writer;
        final ChunkLists.Spool lists;
        final List<Source> sources;
        final List<Source.Prepared> prepared;
        final Map<String, Hook> own;
        final int parallel;
        final SourceContext context;
        final Manifest.Source[] recorded;
        final List<List<Artifact>> artifacts = new ArrayList<>();
        final List<Manifest.HookRun> hooks = java.util.Collections.synchronizedList(new ArrayList<>());
        final java.util.Set<String> names = java.util.concurrent.ConcurrentHashMap.newKeySet();

        Run(ChunkWriter writer, ChunkLists.Spool lists, List<Source> sources, List<Source.Prepared> prepared,
            Map<String, Hook> own, int parallel, SourceContext context) {
            this.writer = writer;
            this.lists = lists;
            this.sources = sources;
            this.prepared = prepared;
            this.own = own;
            this.parallel = parallel;
            this.context = context;
            this.recorded = new Manifest.Source[sources.size()];
            for (int i = 0; i < sources.size(); i++) {
                artifacts.add(java.util.Collections.synchronizedList(new ArrayList<>()));
            }
        }

        /** Backs up the sources at {@code indexes}, {@link #parallel} at a time; the first failure stops the rest. */
        void all(List<Integer> indexes) throws IOException, InterruptedException {
            if (indexes.isEmpty()) {
                return;
            }
            List<String> names = indexes.stream().map(i -> sources.get(i).name()).toList();
            SharedProgress shared = new SharedProgress(progress, "backup " + String.join(", ", names),
                    () -> indexes.stream().mapToLong(i -> estimate(sources.get(i).name(), prepared.get(i))).sum());
            if (parallel == 1 || indexes.size() == 1) {
                try {
                    for (int i : indexes) {
                        one(i, shared);
                    }
                } finally {
                    shared.finish();
                }
                return;
            }
            java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(
                    Math.min(parallel, indexes.size()), r -> {
                        Thread t = new Thread(r, "lifeboat-source");
                        t.setDaemon(true);
                        return t;
                    });
            try {
                java.util.concurrent.ExecutorCompletionService<Integer> done =
                        new java.util.concurrent.ExecutorCompletionService<>(pool);
                for (int i : indexes) {
                    done.submit(() -> {
                        one(i, shared);
                        return i;
                    });
                }
                for (int n = 0; n < indexes.size(); n++) {
                    try {
                        done.take().get();
                    } catch (java.util.concurrent.ExecutionException e) {
                        for (int i : indexes) { // stops their programs, so that no thread waits on them
                            prepared.get(i).close();
                        }
                        throw Futures.rethrow(e.getCause());
                    }
                }
            } finally {
                pool.shutdownNow();
                shared.finish();
            }
        }

        private void one(int i, SharedProgress shared) throws IOException, InterruptedException {
            Source source = sources.get(i);
            Hook before = own.get(source.name() + "\0before-backup");
            Hook after = own.get(source.name() + "\0after-backup");
            Manifest.Source r;
            try {
                if (before != null) {
                    hooks.add(HookRunner.run(before, source.name(), context.environment(), progress));
                }
                r = prepared.get(i).backup(new Sink(writer, lists, source.name(), artifacts.get(i), names, shared));
            } finally {
                if (after != null) {
                    hooks.add(HookRunner.run(after, source.name(), context.environment(), progress));
                }
            }
            if (r == null || !source.name().equals(r.name())) {
                throw new IllegalStateException("source " + source.name() + " recorded itself as "
                        + (r == null ? "nothing" : r.name()));
            }
            recorded[i] = r;
            prepared.get(i).close();
        }
    }

    /**
     * One progress task for the sources read at once: their bytes added up against the sum of their estimates, so
     * that a bar and a job show the whole.
     */
    private static final class SharedProgress {
        private final Progress progress;
        private long done;
        private boolean started;
        private final String task;
        private final java.util.function.LongSupplier estimate;

        SharedProgress(Progress progress, String task, java.util.function.LongSupplier estimate) {
            this.progress = progress;
            this.task = task;
            this.estimate = estimate;
        }

        /** Called once a source's program runs: finding the estimate may read a manifest from remote storage. */
        synchronized void start() {
            if (!started) {
                started = true;
                progress.startEstimated(task, estimate);
            }
        }

        synchronized void add(long bytes) {
            done += bytes;
            progress.update(done);
        }

        synchronized void finish() {
            if (started) {
                progress.finish();
            }
        }
    }

    /** A source's way into the chunk writer: each artifact named once in the backup, its bytes on the progress. */
    private final class Sink implements ArtifactSink {
        private final ChunkWriter writer;
        private final ChunkLists.Spool lists;
        private final String source;
        private final List<Artifact> artifacts;
        private final java.util.Set<String> names;
        private final SharedProgress progress;

        Sink(ChunkWriter writer, ChunkLists.Spool lists, String source, List<Artifact> artifacts,
             java.util.Set<String> names, SharedProgress progress) {
            this.writer = writer;
            this.lists = lists;
            this.source = source;
            this.artifacts = artifacts;
            this.names = names;
            this.progress = progress;
        }

        @Override
        public Artifact write(String name, String format, InputStream in, java.util.function.LongSupplier boundary)
                throws IOException {
            claim(name);
            Artifact written = writer.write(name, source, format, in, boundary, tracked());
            ChunkLists.Spool.Builder list = lists.builder(); // a large stream's list goes out of the manifest too
            for (ChunkRef c : written.chunks()) {
                list.add(c);
            }
            Artifact a = list.build(name, source, format, written.sha256());
            artifacts.add(a);
            return a;
        }

        @Override
        public Part chunks(InputStream in) throws IOException {
            Artifact a = writer.write(".part", source, "part", in, () -> -1, tracked());
            return new Part(a.chunks(), a.size(), a.sha256());
        }

        /** The chunk writer's count of one stream's bytes, added to the shared progress as it grows. */
        private java.util.function.LongConsumer tracked() {
            progress.start();
            long[] last = {0};
            return n -> {
                progress.add(n - last[0]);
                last[0] = n;
            };
        }

        @Override
        public ChunkRef held(ChunkRef ref) throws IOException {
            int stored = writer.storedSize(ref.id());
            if (stored < 0) {
                return null;
            }
            progress.start();
            progress.add(ref.size());
            return new ChunkRef(ref.id(), ref.size(), stored);
        }

        @Override
        public java.io.OutputStream localCopy(String name) throws IOException {
            return copies != null && writeOnly() ? copies.open(source, name) : null;
        }

        /** The backup of which this host kept local copies of {@code source}, with those copies as its bytes. */
        private java.util.Optional<Previous> fromCopies(String type) {
            if (copies == null) {
                return java.util.Optional.empty();
            }
            var id = copies.backupOf(source);
            if (id.isEmpty()) {
                return java.util.Optional.empty();
            }
            Manifest full;
            try {
                full = repo.manifest(id.get());
            } catch (LifeboatException | IOException gone) {
                return java.util.Optional.empty(); // pruned, or unreadable: the files are read again
            }
            var recorded = full.sources().stream().filter(x -> source.equals(x.name()) && type.equals(x.type()))
                    .findFirst();
            if (full.safety() || !Manifest.COMPLETED.equals(full.status()) || recorded.isEmpty()) {
                return java.util.Optional.empty();
            }
            List<Artifact> mine = full.artifacts().stream().filter(a -> source.equals(a.source())).toList();
            Map<String, java.nio.file.Path> kept = new java.util.HashMap<>();
            for (Artifact a : mine) {
                copies.copy(source, full, a).ifPresent(p -> kept.put(a.name(), p));
            }
            if (kept.isEmpty()) {
                return java.util.Optional.empty();
            }
            return java.util.Optional.of(new PreviousBackup(full, recorded.get(), mine, artifact -> {
                java.nio.file.Path p = kept.get(artifact.name());
                if (p == null) {
                    throw new IOException("this host keeps no copy of " + artifact.name() + " of backup "
                            + full.id() + ", and cannot read it from the encrypted repository");
                }
                return java.nio.file.Files.newInputStream(p);
            }));
        }

        @Override
        public java.util.Optional<Previous> previous(String type) throws IOException {
            if (writeOnly()) { // a backup host with the public key only reads nothing back but its own copies
                return fromCopies(type);
            }
            List<String> ids = repo.backupIds();
            for (int i = ids.size() - 1; i >= 0; i--) { // newest first, each manifest read once, until one holds it
                Manifest full;
                try {
                    full = repo.manifest(ids.get(i));
                } catch (LifeboatException unreadable) {
                    continue; // a damaged or newer manifest: an older backup will do, or none
                }
                if (full.safety() || !Manifest.COMPLETED.equals(full.status()) || full.sources().stream()
                        .noneMatch(x -> source.equals(x.name()) && type.equals(x.type()))) {
                    continue;
                }
                Manifest.Source recorded = full.sources().stream().filter(x -> source.equals(x.name())).findFirst()
                        .orElseThrow();
                List<Artifact> mine = full.artifacts().stream().filter(a -> source.equals(a.source())).toList();
                var reader = repo.artifactReader(keys);
                return java.util.Optional.of(new PreviousBackup(full, recorded, mine, reader::open));
            }
            return java.util.Optional.empty();
        }

        @Override
        public Assembly assemble(String name, String format) {
            claim(name);
            ChunkLists.Spool.Builder list = lists.builder();
            return new Assembly() {
                @Override
                public void add(ChunkRef chunk) throws IOException {
                    list.add(chunk);
                }

                @Override
                public long count() {
                    return list.count();
                }

                @Override
                public Artifact finish(String sha256) throws IOException {
                    Artifact a = list.build(name, source, format, sha256);
                    artifacts.add(a);
                    return a;
                }
            };
        }

        private void claim(String name) {
            if (!names.add(name)) {
                throw new LifeboatException(ErrorCode.USAGE, "source " + source + " writes the artifact " + name
                        + ", which another source of this backup wrote already", "rename one of the sources");
            }
        }
    }

    /** A source's last backup, its artifacts opened by {@code opener}; chunk lists read from the repository. */
    private final class PreviousBackup implements ArtifactSink.Previous {
        private final Manifest full;
        private final Manifest.Source recorded;
        private final List<Artifact> mine;
        private final dev.lifeboat.source.Restorer.Opener opener;

        PreviousBackup(Manifest full, Manifest.Source recorded, List<Artifact> mine,
                       dev.lifeboat.source.Restorer.Opener opener) {
            this.full = full;
            this.recorded = recorded;
            this.mine = mine;
            this.opener = opener;
        }

        @Override
        public String backupId() {
            return full.id();
        }

        @Override
        public Manifest.Source recorded() {
            return recorded;
        }

        @Override
        public List<Artifact> artifacts() {
            return mine;
        }

        @Override
        public InputStream open(Artifact artifact) throws IOException {
            return opener.open(artifact);
        }

        @Override
        public ChunkLists.Refs chunks(Artifact artifact) {
            return repo.chunks(artifact); // chunk lists are not encrypted: a host with the public key reads them
        }
    }

    /**
     * Releases the lock of a committed backup. The backup is done whatever happens here: a lock that cannot be
     * removed is a warning (it stops being refreshed, goes stale and is broken by the next exclusive command), not
     * a failed backup that a caller would retry.
     */
    private static void release(RepositoryLock lock, Manifest committed) {
        try {
            lock.close();
        } catch (IOException | RuntimeException e) {
            LOG.warn("backup {} is committed, but its lock {} could not be removed ({}): it is no longer refreshed, "
                    + "and the next prune breaks it once it is stale; or delete that blob by hand",
                    committed.id(), lock.blob(), e.toString());
        }
    }

    /** Where the size of a database's dump in its last backup comes from, for the progress bar's estimate. */
    @FunctionalInterface
    public interface LastDumpSize {
        /** The size of {@code database}'s dump in the newest backup holding it; empty when there is none. */
        OptionalLong of(String database) throws IOException;
    }

    /**
     * Takes the sizes of earlier dumps from {@code source} (the service's catalog of backups, already in memory)
     * instead of reading manifests from the repository, newest first, until one holds the database.
     */
    public BackupEngine withLastDumpSize(LastDumpSize source) {
        this.lastDumpSize = source;
        return this;
    }

    /**
     * The probable size of what {@code source} writes, for the progress bar: its size in the newest backup that
     * holds it, else the source's own guess ({@link Source.Prepared#estimatedBytes}).
     */
    private long estimate(String source, Source.Prepared prepared) {
        try {
            OptionalLong last = lastDumpSize.of(source);
            if (last.isPresent()) {
                return last.getAsLong();
            }
        } catch (LifeboatException | IOException e) {
            // no earlier backup of it (or none readable): fall back to the source's guess
        }
        return prepared.estimatedBytes();
    }

    private OptionalLong lastDumpSizeInRepository(String database) throws IOException {
        return dumpSize(repo.resolveManifest("latest", database), database);
    }

    /** The size of {@code database}'s dump in the newest of {@code entries} (oldest first) holding one. */
    public static OptionalLong lastDumpSize(List<BackupEntry> entries, String database) {
        for (int i = entries.size() - 1; i >= 0; i--) {
            Manifest m = entries.get(i).manifest();
            OptionalLong size = m == null || m.artifacts() == null ? OptionalLong.empty() : dumpSize(m, database);
            if (size.isPresent()) {
                return size;
            }
        }
        return OptionalLong.empty();
    }

    /** The size of what {@code source} wrote into {@code m}: its first artifact (a database's dump). */
    private static OptionalLong dumpSize(Manifest m, String source) {
        Artifact dump = m.dumpOf(source);
        if (dump != null) {
            return OptionalLong.of(dump.size());
        }
        return m.artifacts() == null ? OptionalLong.empty() : m.artifacts().stream()
                .filter(a -> source.equals(a.source())).mapToLong(Artifact::size).findFirst();
    }
}
