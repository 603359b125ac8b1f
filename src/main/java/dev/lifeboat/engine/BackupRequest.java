package dev.lifeboat.engine;

import dev.lifeboat.config.Hook;
import dev.lifeboat.source.SourceSpec;

import java.util.List;
import java.util.Map;

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
 * @param sources          sources given by their configuration (lifeboat.yml's {@code sources:}, or {@code --files}),
 *                         backed up after the databases of {@code databases} (of which there are none in a stack's
 *                         backup: {@link #withStack} clears them)
 * @param hooks            the stack's hooks by name; a backup runs before-backup and after-backup
 * @param parallel         how many sources are read at once
 */
public record BackupRequest(List<String> databases, boolean allDatabases, boolean globals, String label,
                            int compressionLevel, int threads, String kind, List<SourceSpec> sources,
                            Map<String, Hook> hooks, int parallel) {
    public BackupRequest {
        sources = sources == null ? List.of() : List.copyOf(sources);
        hooks = hooks == null ? Map.of() : Map.copyOf(hooks);
        parallel = Math.max(1, parallel);
    }

    /** A backup of PostgreSQL databases given by their URLs. */
    public BackupRequest(List<String> databases, boolean allDatabases, boolean globals, String label,
                         int compressionLevel, int threads, String kind) {
        this(databases, allDatabases, globals, label, compressionLevel, threads, kind, List.of(), Map.of(), 1);
    }

    /** This backup as the stack's: {@code sources} (and no databases of their own) with {@code hooks}. */
    public BackupRequest withStack(List<SourceSpec> sources, Map<String, Hook> hooks, int parallel) {
        return new BackupRequest(List.of(), false, false, label, compressionLevel, threads, kind, sources, hooks,
                parallel);
    }

    /** This backup with {@code sources} (a {@code --files} tree) after its databases, without hooks. */
    public BackupRequest withSources(List<SourceSpec> sources) {
        return new BackupRequest(databases, allDatabases, globals, label, compressionLevel, threads, kind, sources,
                Map.of(), 1);
    }
}
