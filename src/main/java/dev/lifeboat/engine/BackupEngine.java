package dev.lifeboat.engine;

import dev.lifeboat.core.ErrorCode;
import dev.lifeboat.core.LifeboatException;
import dev.lifeboat.core.Version;
import dev.lifeboat.source.postgres.PgAuth;
import dev.lifeboat.source.postgres.PgConnection;
import dev.lifeboat.source.postgres.PgTools;
import dev.lifeboat.source.postgres.PostgresDump;
import dev.lifeboat.source.postgres.StderrTail;
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
import java.util.OptionalLong;

/**
 * Takes a backup: every source is prepared (connected, versions checked, snapshot exported) before the
 * first byte is written, then each is streamed into the repository under a shared lock, and the
 * manifest is committed last. Until then, the backup does not exist; a crash leaves only chunks that
 * the next prune removes.
 */
public final class BackupEngine {
    private final Repository repo;
    private final Keys keys;
    private final PgTools tools;
    private final Progress progress;
    private static final Logger LOG = LoggerFactory.getLogger(BackupEngine.class);
    private final Clock clock;
    private LastDumpSize lastDumpSize = this::lastDumpSizeInRepository;

    public BackupEngine(Repository repo, Keys keys, PgTools tools, Progress progress, Clock clock) {
        this.repo = repo;
        this.keys = keys;
        this.tools = tools;
        this.progress = progress;
        this.clock = clock;
    }

    public Manifest run(BackupRequest request) throws IOException, InterruptedException {
        List<PgConnection> conns = connections(request);
        tools.prefetch("psql", "pg_dump");
        if (request.globals()) {
            tools.prefetch("pg_dumpall");
        }
        Instant started = clock.instant();
        String id = BackupIds.next(started);
        List<PostgresDump> dumps = new ArrayList<>();
        try {
            for (PgConnection c : conns) {
                dumps.add(PostgresDump.prepare(tools, c));
            }
            RepositoryLock lock = repo.lock(RepositoryLock.Kind.SHARED, "backup " + id);
            Manifest committed;
            try (ChunkWriter writer = repo.chunkWriter(keys, request.compressionLevel(), request.threads())) {
                List<Manifest.Source> sources = new ArrayList<>();
                List<Artifact> artifacts = new ArrayList<>();
                for (int i = 0; i < dumps.size(); i++) {
                    PostgresDump dump = dumps.get(i);
                    PgConnection conn = conns.get(i);
                    String name = conn.database();
                    Artifact artifact;
                    try (InputStream in = dump.start()) {
                        // after pg_dump started: finding the estimate may read a manifest from remote storage
                        progress.startEstimated("backup " + name, () -> estimate(name, dump));
                        artifact = writer.write(name + ".dump", name, Artifact.PG_DUMP_CUSTOM, in, dump::dataOffset,
                                progress::update);
                    } finally {
                        progress.finish();
                    }
                    dump.finish();
                    List<Manifest.TableInfo> tables = dump.tables();
                    artifacts.add(artifact);
                    String[] locale = dump.locale();
                    sources.add(new Manifest.Source("postgresql", name, conn.toString(), dump.serverVersion(),
                            dump.pgDump().toString(), tables, locale[0], locale[1], locale[2],
                            conn.withoutPassword(System.getenv())));
                    dump.close();
                }
                if (request.globals()) {
                    artifacts.add(globals(writer, conns.get(0), dumps.get(0)));
                }
                long logical = artifacts.stream().mapToLong(Artifact::size).sum();
                long stored = artifacts.stream().mapToLong(Artifact::storedSize).sum();
                Manifest manifest = new Manifest(Manifest.FORMAT_VERSION, id, request.label(), Manifest.COMPLETED,
                        started, clock.instant(), Version.get(), RepositoryLock.hostname(), sources, artifacts, logical, stored,
                        writer.addedBytes(), request.kind());
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
            dumps.forEach(PostgresDump::close);
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
     * The probable size of {@code database}'s dump, for the progress bar: its size in the newest backup that
     * holds it, else the server's guess ({@link PostgresDump#estimatedBytes}).
     */
    private long estimate(String database, PostgresDump dump) {
        try {
            OptionalLong last = lastDumpSize.of(database);
            if (last.isPresent()) {
                return last.getAsLong();
            }
        } catch (LifeboatException | IOException e) {
            // no earlier backup of it (or none readable): fall back to the server's guess
        }
        return dump.estimatedBytes();
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

    private static OptionalLong dumpSize(Manifest m, String database) {
        Artifact dump = m.dumpOf(database);
        return dump == null ? OptionalLong.empty() : OptionalLong.of(dump.size());
    }

    private List<PgConnection> connections(BackupRequest request) {
        if (request.databases().isEmpty()) {
            throw new LifeboatException(ErrorCode.USAGE, "no database to back up",
                    "pass --db postgres://user@host:5432/dbname or set DATABASE_URL");
        }
        List<PgConnection> conns = new ArrayList<>();
        for (String spec : request.databases()) {
            try {
                conns.add(PgConnection.parse(spec));
            } catch (IllegalArgumentException e) {
                throw new LifeboatException(ErrorCode.USAGE, "invalid database connection: " + e.getMessage(),
                        "use postgres://user@host:5432/dbname or 'host=... dbname=...'");
            }
        }
        if (request.allDatabases()) {
            PgConnection first = conns.get(0);
            PgConnection server = first.database() == null ? first.withDatabase("postgres") : first;
            return PostgresDump.listDatabases(tools, server).stream().map(server::withDatabase).toList();
        }
        for (PgConnection c : conns) {
            if (c.database() == null) {
                throw new LifeboatException(ErrorCode.USAGE, "the connection " + c + " names no database",
                        "add the database name, e.g. postgres://user@host:5432/app, or use --all-databases");
            }
        }
        if (conns.stream().map(PgConnection::database).distinct().count() < conns.size()) {
            throw new LifeboatException(ErrorCode.USAGE, "the same database name is given twice",
                    "back up databases of the same name on different servers in separate backups");
        }
        return conns;
    }

    private Artifact globals(ChunkWriter writer, PgConnection conn, PostgresDump first)
            throws IOException, InterruptedException {
        int major = Integer.parseInt(first.serverVersion().replaceAll("^(\\d+).*", "$1"));
        Process p = PostgresDump.startGlobals(tools, conn, major);
        StderrTail err = new StderrTail(p.getErrorStream(), "pg_dumpall");
        Artifact a;
        try (InputStream in = p.getInputStream()) {
            a = writer.write("globals.sql", conn.database(), Artifact.PG_DUMPALL_GLOBALS, in, b -> {});
        }
        int rc = p.waitFor();
        if (rc != 0) {
            String text = err.text();
            LifeboatException login = PgAuth.error(conn, text);
            throw login != null ? login : new LifeboatException(ErrorCode.DATABASE, "pg_dumpall --globals-only on "
                    + conn + " failed: " + text, "globals need a superuser; back up without --globals if you have none");
        }
        return a;
    }
}
