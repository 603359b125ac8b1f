package dev.lifeboat.repository;

import com.fasterxml.jackson.databind.JsonNode;
import dev.lifeboat.core.ErrorCode;
import dev.lifeboat.core.LifeboatException;
import dev.lifeboat.core.Version;

import java.util.ArrayList;
import java.util.List;

/**
 * What every reader checks of a blob before it uses it, since storage is not trusted: its format version (a blob
 * newer than this Lifeboat knows is refused, never half-understood: an old prune must never collect chunks a newer
 * format references), then its fields and values: a manifest's ids, times, sources, chunk ids and sizes
 * ({@link #manifest}), a status ({@link #status}), the repository's config ({@link #problems(RepoConfig)}). A blob
 * that fails is a {@link LifeboatException} naming the blob (for a backup's blobs: {@code backup <id>: manifest.json
 * is malformed: ...}) and what is wrong with it, never a NullPointerException later; lock blobs are read by
 * {@link RepositoryLock}, {@code policy.json} by {@link Repository#policy()}.
 */
public final class FormatCheck {
    private FormatCheck() {}

    /**
     * The blob's {@code formatVersion} (absent: 1, the version before the field was written everywhere), refused
     * when newer than {@code known}.
     *
     * @param writtenBy the field naming the Lifeboat release that wrote the blob, or null
     */
    public static int version(JsonNode blob, String blobName, int known, String writtenBy) {
        if (blob == null || !blob.isObject()) {
            throw new LifeboatException(ErrorCode.INTEGRITY, blobName + " is not a JSON object",
                    "restore that blob from a replica or another copy of the repository");
        }
        JsonNode v = blob.get("formatVersion");
        if (v == null || v.isNull()) {
            return 1;
        }
        if (!v.canConvertToInt() || !v.isIntegralNumber() || v.asInt() < 1) {
            throw new LifeboatException(ErrorCode.INTEGRITY, blobName + " has an invalid formatVersion " + v,
                    "restore that blob from a replica or another copy of the repository");
        }
        int found = v.asInt();
        if (found > known) {
            JsonNode by = writtenBy == null ? null : blob.get(writtenBy);
            throw newer(blobName, found, known, by == null || !by.isTextual() ? null : by.asText());
        }
        return found;
    }

    private static final String NEWER = " has format version ";

    /** The refusal of a blob of a newer format: one line naming the blob and both versions. */
    public static LifeboatException newer(String blobName, int found, int known, String writtenBy) {
        return new LifeboatException(ErrorCode.REPOSITORY, blobName + NEWER + found
                + (writtenBy == null ? "" : " (written by Lifeboat " + writtenBy + ")") + "; this Lifeboat ("
                + Version.get() + ") reads format version " + known + " at most",
                "upgrade Lifeboat to the release that wrote it or a newer one; nothing was changed");
    }

    /** Whether {@code error} (a listing's error of a backup) is the refusal of a newer format ({@link #newer}). */
    public static boolean isNewer(String error) {
        return error != null && error.contains(NEWER) && error.contains("reads format version");
    }

    /** The earliest time a stored blob may name: no backup, check or lock is older. */
    static final java.time.Instant EARLIEST = java.time.Instant.parse("1970-01-01T00:00:00Z");
    /** The first time a stored blob may no longer name: beyond it, durations and calendars overflow. */
    static final java.time.Instant LATEST = java.time.Instant.parse("+10000-01-01T00:00:00Z");
    /** Problems named in one message at the most; the count of the others follows. */
    private static final int MOST_PROBLEMS = 5;

    /**
     * Parses {@code backups/<id>/manifest.json}: its version first (a newer format is refused before any other
     * field is interpreted), then its fields, then its values ({@link #problems}). Whatever is wrong is one
     * {@link LifeboatException} ({@link ErrorCode#INTEGRITY}) naming the backup and what is malformed, never a
     * NullPointerException later, so that a caller can list it as that backup's error and go on with the others.
     */
    public static Manifest manifest(byte[] raw, String id) {
        return manifest(raw, id, () -> {});
    }

    /**
     * {@link #manifest(byte[], String)}, running {@code authenticate} (the signature's check) once the format version
     * is one this release reads and before any other field is interpreted.
     */
    public static Manifest manifest(byte[] raw, String id, Runnable authenticate) {
        String blob = Manifest.blobName(id);
        if (raw.length == 0) {
            throw malformed(id, List.of("it is empty"), null);
        }
        JsonNode tree;
        try {
            tree = Json.MAPPER.readTree(raw);
        } catch (java.io.IOException e) {
            throw malformed(id, List.of("not valid JSON (" + parserMessage(e) + ")"), e);
        }
        if (tree == null || !tree.isObject()) {
            throw malformed(id, List.of("not a JSON object"), null);
        }
        try {
            version(tree, blob, Manifest.FORMAT_VERSION, "toolVersion");
        } catch (LifeboatException e) {
            if (e.code() != ErrorCode.INTEGRITY) {
                throw e; // a newer format: refused as such, with the upgrade hint
            }
            throw malformed(id, List.of("its formatVersion " + shorten(String.valueOf(tree.get("formatVersion")))
                    + " is not a version"), null);
        }
        authenticate.run();
        List<String> p = new ArrayList<>();
        for (String field : List.of("started", "finished")) {
            JsonNode t = tree.get(field);
            if (t != null && !t.isNull() && !t.isTextual()) {
                p.add("its " + field + " time is " + shorten(t.toString()) + ", not an ISO-8601 string");
            }
        }
        if (!p.isEmpty()) {
            throw malformed(id, p, null);
        }
        Manifest m;
        try {
            m = Json.MAPPER.treeToValue(tree, Manifest.class);
        } catch (java.io.IOException | RuntimeException e) {
            throw malformed(id, List.of(mappingMessage(e)), e);
        }
        p = problems(m, id);
        if (!p.isEmpty()) {
            throw malformed(id, p, null);
        }
        return m;
    }

    /** {@code backup <id>: manifest.json is malformed: <problems>}, with what to do. */
    static LifeboatException malformed(String id, List<String> problems, Throwable cause) {
        String listed = String.join("; ", problems.subList(0, Math.min(MOST_PROBLEMS, problems.size())))
                + (problems.size() > MOST_PROBLEMS ? "; and " + (problems.size() - MOST_PROBLEMS) + " more" : "");
        return new LifeboatException(ErrorCode.INTEGRITY, "backup " + id + ": " + BackupBlobs.MANIFEST
                + " is malformed: " + listed, "restore " + Manifest.blobName(id) + " from a replica; other backups "
                + "are unaffected, and prune keeps this one (and every chunk) until it is readable or removed by hand",
                cause);
    }

    /**
     * What is wrong with a manifest's values, empty when nothing is; {@code id} is the backup it was read for. A
     * manifest without problems has everything its readers use: ids, times in range, sources with names and
     * tables, artifacts with names and chunk lists whose ids are chunk ids and whose sizes add up.
     */
    public static List<String> problems(Manifest m, String id) {
        List<String> p = new ArrayList<>();
        if (m.id() == null || !m.id().equals(id)) {
            p.add(m.id() == null ? "it has no id" : "its id is '" + shorten(m.id()) + "', not its folder's name " + id);
        }
        time(p, "start time", m.started());
        time(p, "finish time", m.finished());
        if (m.status() == null) {
            p.add("it has no status");
        }
        size(p, "its logicalBytes", m.logicalBytes());
        size(p, "its storedBytes", m.storedBytes());
        size(p, "its addedBytes", m.addedBytes());
        if (m.sources() == null) {
            p.add("its sources are missing");
        } else {
            for (int i = 0; i < m.sources().size(); i++) {
                source(p, i + 1, m.sources().get(i));
            }
        }
        if (m.artifacts() == null) {
            p.add("its artifacts are missing");
        } else {
            for (int i = 0; i < m.artifacts().size(); i++) {
                artifact(p, i + 1, m.artifacts().get(i), m.formatVersion(), id);
            }
        }
        return p;
    }

    private static void source(List<String> p, int n, Manifest.Source s) {
        if (s == null) {
            p.add("source " + n + " is null");
            return;
        }
        if (s.name() == null || s.name().isBlank()) {
            p.add("source " + n + " has no name");
            return;
        }
        String name = "source " + shorten(s.name());
        if (s.type() == null) {
            p.add(name + " has no type");
        }
        dev.lifeboat.source.Sources.problems(s, name, p); // the type's own fields, by the type
    }

    private static void artifact(List<String> p, int n, Artifact a, int formatVersion, String id) {
        if (a == null) {
            p.add("artifact " + n + " is null");
            return;
        }
        if (a.name() == null || a.name().isBlank()) {
            p.add("artifact " + n + " has no name");
            return;
        }
        String name = "artifact " + shorten(a.name());
        size(p, name + "'s size", a.size());
        size(p, name + "'s storedSize", a.storedSize());
        if (a.chunkList() != null) { // format 3: its records are checked as they are read (ChunkLists)
            String problem = formatVersion < 3 ? "has a chunk list outside the manifest, which format "
                    + formatVersion + " does not have" : a.chunks() != null ? "has two chunk lists"
                    : ChunkLists.problem(a.chunkList(), id);
            if (problem != null) {
                p.add(name + " " + problem);
            }
            return;
        }
        if (a.chunks() == null) {
            p.add(name + " has no chunk list");
            return;
        }
        long sum = 0;
        for (int i = 0; i < a.chunks().size(); i++) {
            ChunkRef c = a.chunks().get(i);
            String chunk = "chunk " + (i + 1) + " of " + name;
            if (c == null) {
                p.add(chunk + " is null");
                return;
            }
            if (c.id() == null || !ChunkIndex.isId(c.id())) {
                p.add(chunk + " has id " + (c.id() == null ? "null" : "'" + shorten(c.id()) + "'")
                        + ", not 64 lower-case hex digits");
                return;
            }
            if (c.size() < 0 || c.stored() < 0) {
                p.add(chunk + " (" + c.id() + ") has a negative size");
                return;
            }
            sum += c.size();
        }
        if (sum != a.size()) {
            p.add(name + " declares " + a.size() + " bytes but its chunks hold " + sum);
        }
    }

    private static void time(List<String> p, String what, java.time.Instant t) {
        if (t == null) {
            p.add("its " + what + " is missing");
        } else if (t.isBefore(EARLIEST) || !t.isBefore(LATEST)) {
            p.add("its " + what + " " + t + " is not between 1970 and 9999");
        }
    }

    private static void size(List<String> p, String what, long n) {
        if (n < 0) {
            p.add(what + " is negative (" + n + ")");
        }
    }

    /**
     * Parses {@code backups/<id>/status.json}: its version first (a newer one is refused, {@link ErrorCode#REPOSITORY},
     * so that verify never overwrites it), then its values. A malformed one is {@link ErrorCode#INTEGRITY}, naming the
     * backup and what is wrong: readers take it for no status, and the next verify rewrites it.
     */
    public static BackupStatus status(byte[] raw, String id) {
        String blob = BackupStatus.blobName(id);
        JsonNode tree;
        try {
            tree = raw.length == 0 ? null : Json.MAPPER.readTree(raw);
        } catch (java.io.IOException e) {
            throw statusMalformed(id, "not valid JSON (" + parserMessage(e) + ")", e);
        }
        if (tree == null || !tree.isObject()) {
            throw statusMalformed(id, raw.length == 0 ? "it is empty" : "not a JSON object", null);
        }
        try {
            version(tree, blob, BackupStatus.FORMAT_VERSION, null);
        } catch (LifeboatException e) {
            if (e.code() != ErrorCode.INTEGRITY) {
                throw e;
            }
            throw statusMalformed(id, "its formatVersion " + shorten(tree.get("formatVersion").toString())
                    + " is not a version", null);
        }
        BackupStatus s;
        try {
            s = Json.MAPPER.treeToValue(tree, BackupStatus.class);
        } catch (java.io.IOException | RuntimeException e) {
            throw statusMalformed(id, mappingMessage(e), e);
        }
        String problem = statusProblem(s, true);
        if (problem != null) {
            throw statusMalformed(id, problem, null);
        }
        return s;
    }

    /** What is wrong with a status (or, not {@code top}, an earlier result in its history), or null. */
    private static String statusProblem(BackupStatus s, boolean top) {
        if (s == null) {
            return "an earlier result is null";
        }
        String what = top ? "it" : "an earlier result";
        if (s.status() == null || top && !BackupStatus.VALUES.contains(s.status())) {
            return what + " has status " + (s.status() == null ? "null" : "'" + shorten(s.status()) + "'")
                    + ", not one of " + String.join(", ", new java.util.TreeSet<>(BackupStatus.VALUES));
        }
        if (s.checked() == null || s.checked().isBefore(EARLIEST) || !s.checked().isBefore(LATEST)) {
            return what + " has " + (s.checked() == null ? "no time" : "the time " + s.checked() + ", not between "
                    + "1970 and 9999");
        }
        if (s.level() == null) {
            return what + " has no level";
        }
        if (s.problems() == null || s.problems().contains(null)) {
            return what + " has " + (s.problems() == null ? "no list of problems" : "a null problem");
        }
        if (s.drill() != null && (s.drill().mismatches() == null || s.drill().mismatches().contains(null))) {
            return what + " has a drill without its list of mismatches";
        }
        if (s.drill() != null && s.drill().sources() != null) {
            for (BackupStatus.SourceDrill d : s.drill().sources()) {
                if (d == null || d.name() == null || d.type() == null || d.mismatches() == null
                        || d.mismatches().contains(null) || d.compared() == null
                        || d.compared().values().stream().anyMatch(n -> n == null || n < 0)) {
                    return what + " has a source drill without its name, type, counts or mismatches";
                }
            }
        }
        if (s.history() != null) {
            if (!top && !s.history().isEmpty()) {
                return "an earlier result has a history of its own";
            }
            for (BackupStatus h : s.history()) {
                String p = statusProblem(h, false);
                if (p != null) {
                    return p;
                }
            }
        }
        return null;
    }

    private static LifeboatException statusMalformed(String id, String problem, Throwable cause) {
        return new LifeboatException(ErrorCode.INTEGRITY, "backup " + id + ": " + BackupBlobs.STATUS
                + " is malformed: " + problem, "nothing to do: it is taken for no status, and the next verify of "
                + "the backup rewrites it", cause);
    }

    /** Names a repository may have: its id names the host's copy of the chunk-id key (a file). */
    private static final java.util.regex.Pattern REPOSITORY_ID = java.util.regex.Pattern.compile("[A-Za-z0-9][A-Za-z0-9-]{0,63}");
    /** The largest chunk a repository's chunker may cut: 4 x the largest average {@code init} offers (8 MiB). */
    static final int MAX_CHUNK = 32 * 1024 * 1024;

    /**
     * What is wrong with {@code config.json}'s values, empty when nothing is (its format and version are checked
     * before): everything a reader takes from it, the chunker, the compression, the chunk-id scheme and encryption.
     */
    public static List<String> problems(RepoConfig c) {
        List<String> p = new ArrayList<>();
        if (c.version() < 1) {
            p.add("its version " + c.version() + " is not a version");
        }
        if (c.id() == null || !REPOSITORY_ID.matcher(c.id()).matches()) {
            p.add("its id " + (c.id() == null ? "is missing" : "'" + shorten(c.id()) + "' is not a repository id"));
        }
        if (c.chunker() == null) {
            p.add("it has no chunker parameters");
        } else if (c.chunker().maxSize() > MAX_CHUNK) {
            p.add("its chunker's maxSize " + c.chunker().maxSize() + " is above " + MAX_CHUNK);
        }
        if (c.compression() == null || !"zstd".equals(c.compression().algorithm())) {
            p.add("its compression is " + (c.compression() == null ? "missing" : "'"
                    + shorten(String.valueOf(c.compression().algorithm())) + "'") + ", not zstd");
        } else if (c.compression().level() < com.github.luben.zstd.Zstd.minCompressionLevel()
                || c.compression().level() > com.github.luben.zstd.Zstd.maxCompressionLevel()) {
            p.add("its compression level " + c.compression().level() + " is not one of zstd's");
        }
        RepoConfig.Packs packs = c.packs();
        if (c.version() >= 3 && packs == null) {
            p.add("it is of version " + c.version() + " and has no packs parameters");
        } else if (c.version() < 3 && packs != null) {
            p.add("it has packs parameters, which version " + c.version() + " does not know");
        } else if (packs != null && (packs.below() < 1 || packs.below() > MAX_CHUNK || packs.size() < 1
                || packs.size() > 256 * 1024 * 1024 || packs.chunks() < 1 || packs.chunks() > 1_000_000)) {
            p.add("its packs parameters " + packs + " are out of range (below 1 to " + MAX_CHUNK
                    + ", size 1 to 256 MiB, chunks 1 to 1,000,000)");
        }
        RepoConfig.Encryption e = c.encryption();
        String expected = e == null ? "sha256" : "hmac-sha256";
        if (!expected.equals(c.chunkId())) {
            p.add("its chunkId is " + (c.chunkId() == null ? "missing" : "'" + shorten(c.chunkId()) + "'") + ", not "
                    + expected + (e == null ? " (it has no encryption)" : " (it is encrypted)"));
        }
        if (e != null) {
            if (!"age-x25519".equals(e.algorithm())) {
                p.add("its encryption is " + (e.algorithm() == null ? "missing its algorithm" : "'"
                        + shorten(e.algorithm()) + "'") + ", not age-x25519");
            }
            if (e.recipients() == null || e.recipients().isEmpty() || e.recipients().contains(null)) {
                p.add("its encryption names no recipients");
            }
            if (e.chunkIdKey() == null || !validBlobName(e.chunkIdKey())) {
                p.add("its encryption's chunkIdKey " + (e.chunkIdKey() == null ? "is missing"
                        : "'" + shorten(e.chunkIdKey()) + "' is not a blob name"));
            }
        }
        return p;
    }

    private static boolean validBlobName(String name) {
        try {
            dev.lifeboat.storage.BlobNames.check(name);
            return true;
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    /** A parser's complaint in one line, with where it stopped: for a blob that is not JSON. */
    static String parserMessage(java.io.IOException e) {
        String message = e instanceof com.fasterxml.jackson.core.JsonProcessingException j ? j.getOriginalMessage()
                : e.getMessage();
        String first = message == null ? e.getClass().getSimpleName() : message.lines().findFirst().orElse("");
        if (e instanceof com.fasterxml.jackson.core.JsonProcessingException j && j.getLocation() != null) {
            first += " at line " + j.getLocation().getLineNr() + ", column " + j.getLocation().getColumnNr();
        }
        return shorten(first);
    }

    /**
     * Why JSON could not become the record it should: the field, as a path ({@code artifacts[0].chunks[2].size}),
     * and the mapper's complaint in one line.
     */
    static String mappingMessage(Exception e) {
        if (e instanceof com.fasterxml.jackson.databind.JsonMappingException j) {
            StringBuilder path = new StringBuilder();
            for (com.fasterxml.jackson.databind.JsonMappingException.Reference r : j.getPath()) {
                if (r.getFieldName() != null) {
                    path.append(path.length() == 0 ? "" : ".").append(r.getFieldName());
                } else if (r.getIndex() >= 0) {
                    path.append('[').append(r.getIndex()).append(']');
                }
            }
            String why = j.getOriginalMessage() == null ? "" : j.getOriginalMessage().lines().findFirst().orElse("");
            Throwable root = j;
            while (root.getCause() != null && root.getCause() != root) {
                root = root.getCause();
            }
            if (root != j && root.getMessage() != null && !(root instanceof com.fasterxml.jackson.core.JsonProcessingException)) {
                why = root.getMessage().lines().findFirst().orElse(why);
            }
            return (path.length() == 0 ? "" : path + ": ") + shorten(why);
        }
        String why = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage().lines().findFirst().orElse("");
        return shorten(why);
    }

    static String shorten(String s) {
        return s.length() <= 80 ? s : s.substring(0, 80) + "...";
    }
}
