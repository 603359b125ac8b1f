package dev.lifeboat.repository;

import java.time.Instant;
import java.util.List;

/**
 * {@code backups/<id>/manifest.json}: everything about one backup, readable by people and written last.
 * A backup without a committed manifest does not exist.
 */
public record Manifest(int formatVersion, String id, String label, String status, Instant started,
                       Instant finished, String toolVersion, String host, List<Source> sources,
                       List<Artifact> artifacts, long logicalBytes, long storedBytes, long addedBytes, String kind,
                       @com.fasterxml.jackson.annotation.JsonInclude(
                               com.fasterxml.jackson.annotation.JsonInclude.Include.NON_NULL) Stack stack) {
    /**
     * 3: an artifact of more than {@value ChunkLists#INLINE_MAX} chunks has its chunk list in the backup's {@code
     * chunk-lists.bin} ({@link Artifact#chunkList()}); 2: sources of any type, each with its type's own fields
     * ({@link Source}), and the stack's hooks and stop ({@link Stack}); 1: PostgreSQL databases only. Readers take
     * all three.
     */
    public static final int FORMAT_VERSION = 3;

    @com.fasterxml.jackson.annotation.JsonCreator
    public Manifest {
    }

    /** A manifest without a stack (no hooks ran): what format 1 wrote. */
    public Manifest(int formatVersion, String id, String label, String status, Instant started, Instant finished,
                    String toolVersion, String host, List<Source> sources, List<Artifact> artifacts, long logicalBytes,
                    long storedBytes, long addedBytes, String kind) {
        this(formatVersion, id, label, status, started, finished, toolVersion, host, sources, artifacts, logicalBytes,
                storedBytes, addedBytes, kind, null);
    }

    /**
     * How the stack was stopped around the backup: the hooks that ran, in order, and the window between the end of
     * before-backup and the start of after-backup, during which the sources read while stopped were read.
     *
     * @param stopped when before-backup ended (the stack stopped); null when the backup had no such phase
     * @param resumed when after-backup started
     * @param hooks   every hook that ran, the sources' own too
     */
    public record Stack(Instant stopped, Instant resumed, List<HookRun> hooks) {
        /** Seconds the stack was stopped; -1 when unknown. */
        public double stoppedSeconds() {
            return stopped == null || resumed == null ? -1 : java.time.Duration.between(stopped, resumed).toMillis() / 1000.0;
        }
    }

    /**
     * A hook that ran.
     *
     * @param name     before-backup or after-backup
     * @param source   the source whose own hook it was; null for the stack's
     * @param exitCode its exit status
     * @param seconds  how long it ran
     */
    public record HookRun(String name, String source, int exitCode, double seconds) {}
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
        List<java.util.Map<String, Object>> each = new java.util.ArrayList<>();
        for (Source s : sources) {
            java.util.Map<String, Object> one = new java.util.LinkedHashMap<>();
            one.put("name", s.name());
            one.put("type", s.type());
            long[] bytes = bytesOf(s.name());
            one.put("logicalBytes", bytes[0]);
            one.put("storedBytes", bytes[1]);
            each.add(one);
        }
        row.put("sources", each);
        row.put("logicalBytes", logicalBytes);
        row.put("storedBytes", storedBytes);
        row.put("addedBytes", addedBytes);
        return row;
    }

    /**
     * What the artifacts of source {@code name} take: {@code [bytes of data, bytes of their stored chunks]} (a chunk
     * shared by two artifacts counts for each); zeros when the artifacts are unknown.
     */
    public long[] bytesOf(String name) {
        long logical = 0;
        long stored = 0;
        for (Artifact a : artifacts == null ? List.<Artifact>of() : artifacts) {
            if (name.equals(a.source())) {
                logical += a.size();
                stored += a.storedSize();
            }
        }
        return new long[] {logical, stored};
    }

    /**
     * This manifest with its artifacts' chunk lists left out ({@code null}): what a {@link Catalog} keeps of it.
     * Chunk lists are most of a manifest's size and grow with the database; restore and verify read the full
     * manifest with {@link Repository#manifest(String)}.
     */
    public Manifest withoutChunks() {
        return new Manifest(formatVersion, id, label, status, started, finished, toolVersion, host, sources,
                artifacts == null ? null : artifacts.stream().map(Artifact::withoutChunks).toList(), logicalBytes,
                storedBytes, addedBytes, kind, stack);
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
     * A source of the backup as the manifest records it: its type, its name, and its type's own fields, written
     * beside them in one flat JSON object (format 1's PostgreSQL sources were already so:
     * {@code {"type":"postgresql","name":"app","connection":...,"tables":[...]}}). What the fields mean is the type's
     * to say ({@code dev.lifeboat.source}); the repository format checks the name and the type, and each type checks
     * its own fields when it reads them (docs/REPOSITORY-FORMAT.md).
     *
     * @param type   the source type that wrote it ({@code postgresql} for a PostgreSQL database, {@code files},
     *               {@code exec})
     * @param name   unique in the backup; for PostgreSQL sources of format 1, the database's name
     * @param fields the type's own fields, never null (an empty object when it has none)
     */
    public record Source(String type, String name, com.fasterxml.jackson.databind.node.ObjectNode fields) {
        public Source {
            fields = fields == null ? Json.MAPPER.createObjectNode() : fields;
        }

        @com.fasterxml.jackson.annotation.JsonCreator(mode = com.fasterxml.jackson.annotation.JsonCreator.Mode.DELEGATING)
        static Source fromJson(java.util.Map<String, com.fasterxml.jackson.databind.JsonNode> json) {
            com.fasterxml.jackson.databind.node.ObjectNode rest = Json.MAPPER.createObjectNode();
            String type = null;
            String name = null;
            for (var e : json.entrySet()) {
                switch (e.getKey()) {
                    case "type" -> type = e.getValue() == null || e.getValue().isNull() ? null : e.getValue().asText();
                    case "name" -> name = e.getValue() == null || e.getValue().isNull() ? null : e.getValue().asText();
                    default -> rest.set(e.getKey(), e.getValue());
                }
            }
            return new Source(type, name, rest);
        }

        /** The fields, flat beside type and name, as JSON writes them. */
        @com.fasterxml.jackson.annotation.JsonAnyGetter
        java.util.Map<String, com.fasterxml.jackson.databind.JsonNode> jsonFields() {
            java.util.Map<String, com.fasterxml.jackson.databind.JsonNode> out = new java.util.LinkedHashMap<>();
            fields.fields().forEachRemaining(e -> out.put(e.getKey(), e.getValue()));
            return out;
        }

        @Override
        @com.fasterxml.jackson.annotation.JsonIgnore
        public com.fasterxml.jackson.databind.node.ObjectNode fields() {
            return fields;
        }

        /** Equal when type, name and fields are, numbers compared by value (an int read back equals the long written). */
        @Override
        public boolean equals(Object o) {
            return o instanceof Source other && java.util.Objects.equals(type, other.type)
                    && java.util.Objects.equals(name, other.name) && fields.equals(BY_VALUE, other.fields);
        }

        @Override
        public int hashCode() {
            return java.util.Objects.hash(type, name, fields.toString());
        }

        private static final java.util.Comparator<com.fasterxml.jackson.databind.JsonNode> BY_VALUE = (a, b) -> {
            if (a.isNumber() && b.isNumber()) {
                return a.decimalValue().compareTo(b.decimalValue());
            }
            return a.equals(b) ? 0 : 1;
        };

        /** The text field {@code key}, or null when it is missing or not text. */
        public String text(String key) {
            com.fasterxml.jackson.databind.JsonNode v = fields.get(key);
            return v == null || !v.isTextual() ? null : v.asText();
        }
    }
}
