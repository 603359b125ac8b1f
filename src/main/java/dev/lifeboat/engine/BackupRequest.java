package dev.lifeboat.engine;

import dev.lifeboat.source.SourceSpec;

import java.util.List;

/**
 * A backup to take; the CLI and the REST API build the same record.
 *
 * @param databases        connection strings, one per database (URI or libpq keywords)
 * @param allDatabases     every database of the first connection's server
 * @param globals          add {@code pg_dumpall --globals-only} (roles, tablespaces) as an artifact
 * @param label            free text shown by list and show; may be null
 * @param compressionLevel zstd level for new chunks
 * @param threads          chunk workers
 * @param kind             null, or {@link dev.lifeboat.repository.Manifest#SAFETY} for a restore's safety backup
 * @param sources          the configured sources (lifeboat.yml's {@code sources:}); when there are any, they are what
 *                         is backed up, and {@code databases}, {@code allDatabases} and {@code globals} are not used
 */
public record BackupRequest(List<String> databases, boolean allDatabases, boolean globals, String label,
                            int compressionLevel, int threads, String kind, List<SourceSpec> sources) {
    public BackupRequest {
        sources = sources == null ? List.of() : List.copyOf(sources);
    }

    /** A backup of PostgreSQL databases given by their URLs. */
    public BackupRequest(List<String> databases, boolean allDatabases, boolean globals, String label,
                         int compressionLevel, int threads, String kind) {
        this(databases, allDatabases, globals, label, compressionLevel, threads, kind, List.of());
    }
}
