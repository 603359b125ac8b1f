package dev.lifeboat.engine;

import dev.lifeboat.core.ErrorCode;
import dev.lifeboat.core.LifeboatException;
import dev.lifeboat.core.Version;
import dev.lifeboat.source.ArtifactSink;
import dev.lifeboat.source.Source;
import dev.lifeboat.source.SourceContext;
import dev.lifeboat.source.Sources;
import dev.lifeboat.source.postgres.PgTools;
import dev.lifeboat.repository.Artifact;
import dev.lifeboat.repository.BackupEntry;
import dev.lifeboat.repository.BackupIds;
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

    public Manifest run(BackupRequest request) throws IOException, InterruptedException {
        SourceContext context = new SourceContext(System.getenv(), notice, Map.of(PgTools.class, tools));
        List<Source> sources = request.sources().isEmpty()
                ? Sources.databases(request.databases(), request.allDatabases(), request.globals(), context)
                : Sources.configure(request.sources(), context);
        Instant started = clock.instant();
        String id = BackupIds.next(started);
        List<Source.Prepared> prepared = new ArrayList<>();
        try {
            for (Source source : sources) { // every source reached before the first byte is written
                prepared.add(source.prepare());
            }
            RepositoryLock lock = repo.lock(RepositoryLock.Kind.SHARED, "backup " + id);
            Manifest committed;
            try (ChunkWriter writer = repo.chunkWriter(keys, request.compressionLevel(), request.threads())) {
                List<Manifest.Source> recorded = new ArrayList<>();
                List<Artifact> artifacts = new ArrayList<>();
                for (int i = 0; i < sources.size(); i++) {
                    Source source = sources.get(i);
                    Source.Prepared p = prepared.get(i);
                    Sink sink = new Sink(writer, source.name(), artifacts, () -> estimate(source.name(), p));
                    Manifest.Source r = p.backup(sink);
                    if (r == null || !source.name().equals(r.name())) {
                        throw new IllegalStateException("source " + source.name() + " recorded itself as "
                                + (r == null ? "nothing" : r.name()));
                    }
                    recorded.add(r);
                    p.close();
                }
                long logical = artifacts.stream().mapToLong(Artifact::size).sum();
                long stored = artifacts.stream().mapToLong(Artifact::storedSize).sum();
                Manifest manifest = new Manifest(Manifest.FORMAT_VERSION, id, request.label(), Manifest.COMPLETED,
                        started, clock.instant(), Version.get(), RepositoryLock.hostname(), recorded, artifacts, logical,
                        stored, writer.addedBytes(), request.kind());
                lock.checkStillHeld(); // a prune may have judged us dead and collected our chunks
                if (lock.brokeExclusive()) {
                    repo.requireChunks(manifest); // that prune may have been paused, not dead, and deleted some
                }
                repo.commit(manifest, keys);
                committed = manifest;
            } catch (Throwable failed) {
                try {
                    lock.close();
                } catch (IOException | RuntimeException e) {
                    failed.addSuppressed(e);
                }
                throw failed;
            }
            release(lock, committed);
            return committed;
        } finally {
            prepared.forEach(Source.Prepared::close);
        }
    }

    /**
     * A source's way into the chunk writer: each artifact named once in the backup, its bytes shown on the progress
     * bar (the source's first artifact against its estimate), the artifacts collected for the manifest.
     */
    private final class Sink implements ArtifactSink {
        private final ChunkWriter writer;
        private final String source;
        private final List<Artifact> artifacts;
        private final java.util.function.LongSupplier estimate;
        private boolean first = true;

        Sink(ChunkWriter writer, String source, List<Artifact> artifacts, java.util.function.LongSupplier estimate) {
            this.writer = writer;
            this.source = source;
            this.artifacts = artifacts;
            this.estimate = estimate;
        }

        @Override
        public Artifact write(String name, String format, InputStream in, java.util.function.LongSupplier boundary)
                throws IOException {
            if (artifacts.stream().anyMatch(a -> a.name().equals(name))) {
                throw new LifeboatException(ErrorCode.USAGE, "source " + source + " writes the artifact " + name
                        + ", which another source of this backup wrote already", "rename one of the sources");
            }
            // after the source started its program: finding the estimate may read a manifest from remote storage
            if (first) {
                progress.startEstimated("backup " + source, estimate);
            } else {
                progress.start("backup " + name, -1);
            }
            first = false;
            Artifact a;
            try {
                a = writer.write(name, source, format, in, boundary, progress::update);
            } finally {
                progress.finish();
            }
            artifacts.add(a);
            return a;
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
