package dev.lifeboat.repository;

import java.time.Instant;
import java.util.List;

/**
 * {@code backups/<id>/manifest.json}: everything about one backup, readable by people and written last.
 * A backup without a committed manifest does not exist.
 */
public record Manifest(int formatVersion, String id, String label, String status, Instant started,
                       Instant finished, String toolVersion, String host, List<Source> sources,
                       List<Artifact> artifacts, long logicalBytes, long storedBytes, long addedBytes, String kind) {
    public static final int FORMAT_VERSION = 1;
    public static final String COMPLETED = "completed";
    /** {@link #kind()} of the backup a restore takes of its target first; null for ordinary backups. */
    public static final String SAFETY = "pre-restore";

    /** Whether this is a restore's safety backup, which {@code latest} never means. */
    public boolean safety() {
        return SAFETY.equals(kind);
    }

    public static String blobName(String id) {
        return BackupBlobs.name(id, BackupBlobs.MANIFEST);
    }

    /** {@code backups/<id>/manifest.sig}: the manifest's signature, in repositories of format 2 on. */
    public static String signatureBlobName(String id) {
        return BackupBlobs.name(id, BackupBlobs.SIGNATURE);
    }

    /**
     * What every listing shows of a backup (CLI {@code list --json}, the REST API, a job's result): id,
     * status, kind, label, times, source names and sizes, in this order.
     */
    public java.util.Map<String, Object> summary() {
        java.util.Map<String, Object> row = new java.util.LinkedHashMap<>();
        row.put("id", id);
        row.put("status", status);
        row.put("kind", safety() ? SAFETY : "backup");
        row.put("label", label);
        row.put("started", started);
        row.put("finished", finished);
        row.put("sources", sources.stream().map(Source::name).toList());
        row.put("logicalBytes", logicalBytes);
        row.put("storedBytes", storedBytes);
        row.put("addedBytes", addedBytes);
        return row;
    }

    /**
     * This manifest with its artifacts' chunk lists left out ({@code null}): what a {@link Catalog} keeps of it.
     * Chunk lists are most of a manifest's size and grow with the database; restore and verify read the full
     * manifest with {@link Repository#manifest(String)}.
     */
    public Manifest withoutChunks() {
        return new Manifest(formatVersion, id, label, status, started, finished, toolVersion, host, sources,
                artifacts == null ? null : artifacts.stream().map(Artifact::withoutChunks).toList(), logicalBytes,
                storedBytes, addedBytes, kind);
    }

    public Artifact artifact(String name) {
        return artifacts.stream().filter(a -> a.name().equals(name)).findFirst().orElse(null);
    }

    /**
     * The databases' dumps, in the manifest's order: the one place that decides which artifacts a restore,
     * a verify's archive check, a drill or a progress estimate take (by {@link Artifact#format()}, never by
     * name); the globals and any other artifact are not among them. Empty when the artifacts are unknown.
     */
    public List<Artifact> databaseDumps() {
        return artifacts == null ? List.of() : artifacts.stream().filter(Artifact::databaseDump).toList();
    }

    /**
     * The dump of {@code database}: the dump from that source, else the dump of that name, with or without
     * {@code .dump} (as {@code restore --database} and {@code lifeboat cat} name it); null when there is none.
     * The globals are never a database's dump, whatever they are named or came from.
     */
    public Artifact dumpOf(String database) {
        List<Artifact> dumps = databaseDumps();
        return dumps.stream().filter(a -> database.equals(a.source())).findFirst()
                .or(() -> dumps.stream().filter(a -> database.equals(a.name()) || (database + ".dump").equals(a.name()))
                        .findFirst())
                .orElse(null);
    }

    /** The server's globals (roles, tablespaces) when the backup took them; null otherwise. */
    public Artifact globals() {
        return artifacts == null ? null : artifacts.stream().filter(Artifact::globals).findFirst().orElse(null);
    }

    /**
     * A source of the backup.
     *
     * @param type            {@code postgresql}
     * @param name            unique in the backup; the database name for PostgreSQL
     * @param connection      where it was read from, without credentials (e.g. {@code 10.0.0.5:5432/app})
     * @param serverVersion   the server's version string
     * @param dumpTool        the dump program and its version (e.g. {@code pg_dump 15.18})
     * @param tables          per-table row counts taken in the dump's snapshot (for restore drills)
     * @param encoding        the database's encoding, so that a restore can create it alike
     * @param collate         its LC_COLLATE
     * @param ctype           its LC_CTYPE
     * @param conninfo        a libpq connection string to the source without password, so that a restore
     *                        drill can find its server again
     */
    public record Source(String type, String name, String connection, String serverVersion, String dumpTool,
                         List<TableInfo> tables, String encoding, String collate, String ctype, String conninfo) {}

    /**
     * A table as seen in the dump's snapshot: its exact row count, and the names of its indexes and of
     * the sequences it owns (so that restoring a single table can bring them along).
     */
    public record TableInfo(String schema, String name, long rows, List<String> indexes, List<String> sequences) {
        public String qualifiedName() {
            return schema + "." + name;
        }
    }
}
