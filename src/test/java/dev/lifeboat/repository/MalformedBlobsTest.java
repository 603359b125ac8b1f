package dev.lifeboat.repository;

import dev.lifeboat.source.postgres.PgRecord;
import dev.lifeboat.source.postgres.TableInfo;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.lifeboat.core.ErrorCode;
import dev.lifeboat.core.LifeboatException;
import dev.lifeboat.core.Units;
import dev.lifeboat.engine.PolicyInForce;
import dev.lifeboat.engine.Progress;
import dev.lifeboat.engine.PruneEngine;
import dev.lifeboat.engine.PruneRequest;
import dev.lifeboat.engine.VerifyEngine;
import dev.lifeboat.engine.VerifyRequest;
import dev.lifeboat.source.postgres.PgTools;
import dev.lifeboat.retention.RetentionPolicy;
import dev.lifeboat.storage.BlobInfo;
import dev.lifeboat.storage.MemoryStorage;
import dev.lifeboat.storage.Storage;
import dev.lifeboat.storage.Storages;
import dev.lifeboat.testing.InProcessCli;
import dev.lifeboat.testing.MutableClock;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Storage is untrusted (issue 14): a repository of four good backups, one blob of it replaced by a mutation at a
 * time (each field of a manifest, status, pin, lock, policy or config set to null, removed or given another type,
 * chunk ids and sizes that are no chunk's, truncated JSON, empty blobs, {@code null}, {@code []}, and random damage
 * from a fixed seed), run through what {@code list}, {@code show}, {@code verify --all} and {@code prune} call. No
 * unchecked exception may escape, the other backups are still listed and verified, and prune deletes none of the
 * chunks of the backups it keeps, nor a backup it cannot read. Every failure is collected and reported at once.
 */
class MalformedBlobsTest {
    private static final long SEED = 14;
    private static final int RANDOM_MUTATIONS = 60;
    private static final ChunkerParams SMALL = new ChunkerParams(16 * 1024, 64 * 1024, 256 * 1024, 42);
    private static final Instant T0 = Instant.parse("2026-11-20T03:00:00Z");
    private static final Duration STALE = RepositoryLock.DEFAULT_STALE_AFTER;
    /** The policy stored in the repository: prune removes the two oldest (the third is pinned). */
    private static final RetentionPolicy KEEP_ONE = new RetentionPolicy(1, Duration.ZERO, 0, 0, 0, 0, 0, 1);

    @TempDir
    Path keyDir;

    @TempDir
    Path cliDir;

    /** A repository of four backups, oldest first: the second has a status, the third is pinned. */
    private static final class Fixture {
        final Storage storage;
        final MutableClock clock;
        final Repository repo;
        final List<String> ids = new ArrayList<>();
        final Map<String, Set<String>> chunks = new TreeMap<>(); // backup id -> chunk blobs it references
        Map<String, byte[]> pristine;
        final java.security.PrivateKey signingKey;

        Fixture(Storage storage, MutableClock clock, Path keyDir) throws IOException {
            this.storage = storage;
            this.clock = clock;
            Repository r = Repository.init(storage, List.of(), SMALL, 1, new LocalKeyCache(keyDir));
            this.signingKey = new LocalKeyCache(keyDir).loadSigningKey(r.config().id()).orElseThrow();
            this.repo = r.withLockWait(Duration.ZERO);
            Random data = new Random(SEED);
            byte[] globals = text(data, 30_000); // the same in every backup: chunks shared between them
            for (int i = 0; i < 4; i++) {
                Instant t = T0.plus(Duration.ofHours(i));
                String id = BackupIds.next(t);
                Artifact dump = write(repo, "app.dump", "app", Artifact.PG_DUMP_CUSTOM, text(data, 150_000));
                Artifact g = write(repo, "globals.sql", "app", Artifact.PG_DUMPALL_GLOBALS, globals);
                Manifest.Source s = new PgRecord("lifeboat@db:5432/app", "16.4", "pg_dump 16.4", List.of(new TableInfo("public", "account", 40 + i, List.of("account_pkey"),
                                List.of("account_id_seq"))), "UTF8", "C", "C", "host=db port=5432 dbname=app").toSource("app");
                repo.commit(new Manifest(1, id, "nightly " + i, Manifest.COMPLETED, t, t.plusSeconds(30), "0.1.0",
                        "db-host", List.of(s), List.of(dump, g), dump.size() + g.size(),
                        dump.storedSize() + g.storedSize(), dump.storedSize(), null));
                ids.add(id);
                Set<String> refs = new HashSet<>();
                for (Artifact a : List.of(dump, g)) {
                    a.chunks().forEach(c -> refs.add(c.id()));
                }
                chunks.put(id, refs);
            }
            repo.recordStatus(ids.get(1), new BackupStatus(BackupStatus.VERIFIED, T0.plus(Duration.ofHours(5)),
                    "read-data", List.of(), null, null));
            repo.recordStatus(ids.get(1), new BackupStatus(BackupStatus.VERIFIED, T0.plus(Duration.ofHours(6)),
                    "exists", List.of(), null, null));
            repo.pin(ids.get(2), "kept for the audit");
            repo.writePolicy(new RepositoryPolicy(RepositoryPolicy.FORMAT_VERSION, RepositoryPolicy.Rules.of(KEEP_ONE),
                    "UTC", T0, "the test", RepositoryPolicy.FROM_API, null));
            pristine = snapshot();
        }

        Map<String, byte[]> snapshot() throws IOException {
            Map<String, byte[]> all = new TreeMap<>();
            for (BlobInfo b : storage.list("")) {
                all.put(b.name(), storage.readAllBytes(b.name()));
            }
            return all;
        }

        /** Back to the four good backups. */
        void reset() throws IOException {
            for (BlobInfo b : storage.list("")) {
                if (!pristine.containsKey(b.name())) {
                    storage.delete(b.name());
                }
            }
            for (Map.Entry<String, byte[]> e : pristine.entrySet()) {
                byte[] now = storage.stat(e.getKey()).isPresent() ? storage.readAllBytes(e.getKey()) : null;
                if (!Arrays.equals(now, e.getValue())) {
                    storage.write(e.getKey(), e.getValue());
                }
            }
        }

        String manifest(int i) {
            return Manifest.blobName(ids.get(i));
        }

        /**
         * Writes a blob; a manifest is signed with the repository's key, as a writer's bug would sign what it wrote,
         * so that the mutations reach the checks behind the signature's (UntrustedStorageTest tests the signature).
         */
        void writeSigned(String blob, byte[] bytes) throws IOException {
            storage.write(blob, bytes);
            if (blob.endsWith("/" + BackupBlobs.MANIFEST)) {
                storage.write(blob.substring(0, blob.length() - BackupBlobs.MANIFEST.length()) + BackupBlobs.SIGNATURE,
                        dev.lifeboat.crypto.Signing.sign(signingKey, bytes));
            }
        }
    }

    private static byte[] text(Random r, int n) {
        byte[] b = new byte[n];
        for (int i = 0; i < n; i++) {
            b[i] = (byte) ('a' + r.nextInt(20));
        }
        return b;
    }

    private static Artifact write(Repository repo, String name, String source, String format, byte[] content)
            throws IOException {
        try (ChunkWriter w = repo.chunkWriter(Keys.PLAIN, 1, 2)) {
            Artifact written = w.write(name, source, format, new ByteArrayInputStream(content), n -> {});
            w.flush();
            return written;
        }
    }

    // ---- mutations

    /** One blob replaced (or deleted, when {@code bytes} is null). */
    record Mutation(String blob, String what, byte[] bytes) {
        @Override
        public String toString() {
            return blob + ": " + what;
        }
    }

    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
    private static final List<String> TIME_FIELDS = List.of("started", "finished", "checked", "created", "heartbeat",
            "pinnedAt", "set");

    /** The whole blob replaced: what a crash of the disk, a truncation or a careless hand leaves. */
    static List<Mutation> whole(String blob, byte[] original, Random random) {
        List<Mutation> out = new ArrayList<>();
        for (String s : new String[]{"", "null", "[]", "{}", "\"x\"", "42", "true", "[{}]", "{\"formatVersion\": 1}",
                "\u0000\u0000\u0000", "{\"formatVersion\": null}", "{\"formatVersion\": \"1\"}"}) {
            out.add(new Mutation(blob, "replaced by '" + s + "'", s.getBytes(StandardCharsets.UTF_8)));
        }
        for (int cut : new int[]{1, original.length / 3, original.length / 2, original.length - 2}) {
            out.add(new Mutation(blob, "truncated to " + cut + " bytes", Arrays.copyOf(original, cut)));
        }
        byte[] garbage = new byte[257];
        random.nextBytes(garbage);
        out.add(new Mutation(blob, "replaced by 257 random bytes", garbage));
        byte[] bom = new byte[original.length + 3];
        bom[0] = (byte) 0xEF;
        bom[1] = (byte) 0xBB;
        bom[2] = (byte) 0xBF;
        System.arraycopy(original, 0, bom, 3, original.length);
        out.add(new Mutation(blob, "with a byte order mark", bom));
        return out;
    }

    /** Every field and element of the blob's JSON, in turn: null, removed, of another type, out of range. */
    static List<Mutation> fields(String blob, byte[] original) throws IOException {
        JsonNode root = Json.MAPPER.readTree(original);
        List<Mutation> out = new ArrayList<>();
        List<List<Object>> paths = new ArrayList<>();
        collect(root, new ArrayList<>(), paths);
        for (List<Object> path : paths) {
            JsonNode node = at(root, path);
            Object last = path.get(path.size() - 1);
            List<JsonNode> values = new ArrayList<>();
            values.add(NODES.nullNode());
            if (node.isTextual()) {
                values.addAll(List.of(NODES.numberNode(12345), NODES.textNode(""), NODES.arrayNode(), NODES.objectNode(),
                        NODES.textNode(node.asText().toUpperCase(java.util.Locale.ROOT)),
                        NODES.textNode(node.asText() + "\u001b[2J\n")));
            } else if (node.isNumber()) {
                values.addAll(List.of(NODES.textNode("x"), NODES.numberNode(-1), NODES.numberNode(0),
                        NODES.numberNode(2147483648L), NODES.numberNode(Long.MAX_VALUE),
                        NODES.numberNode(new java.math.BigInteger("99999999999999999999999")),
                        NODES.numberNode(1e300), NODES.numberNode(0.5), NODES.booleanNode(true)));
            } else if (node.isObject()) {
                values.addAll(List.of(NODES.arrayNode(), NODES.textNode("x"), NODES.objectNode()));
            } else if (node.isArray()) {
                values.addAll(List.of(NODES.objectNode(), NODES.textNode("x"), NODES.arrayNode().addNull(),
                        NODES.arrayNode().add(NODES.arrayNode()), NODES.arrayNode().add("x")));
            } else if (node.isBoolean()) {
                values.addAll(List.of(NODES.textNode("x"), NODES.numberNode(1)));
            }
            if ("id".equals(last) && path.contains("chunks")) {
                values.addAll(List.of(NODES.textNode("a"), NODES.textNode("../../../../etc/passwd"),
                        NODES.textNode("../" + node.asText().substring(3)), NODES.textNode(node.asText() + "0"),
                        NODES.textNode(node.asText().substring(0, 63) + "g")));
            }
            if (last instanceof String name && TIME_FIELDS.contains(name)) {
                values.addAll(List.of(NODES.textNode("yesterday"), NODES.textNode("+1000000000-12-31T23:59:59Z"),
                        NODES.textNode("-1000000000-01-01T00:00:00Z"), NODES.textNode("2026-11-20T03:00:00+02:00"),
                        NODES.numberNode(1.7e9), NODES.numberNode(-9e18)));
            }
            for (JsonNode v : values) {
                JsonNode copy = root.deepCopy();
                set(copy, path, v);
                out.add(new Mutation(blob, describe(path) + " set to " + abbreviate(v.toString()),
                        Json.MAPPER.writeValueAsBytes(copy)));
            }
            JsonNode copy = root.deepCopy();
            remove(copy, path);
            out.add(new Mutation(blob, describe(path) + " removed", Json.MAPPER.writeValueAsBytes(copy)));
        }
        return out;
    }

    /** Random damage: bytes changed, cut out or repeated, at places a seeded random picks. */
    static List<Mutation> random(String blob, byte[] original, Random random, int n) {
        List<Mutation> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            byte[] b = original.clone();
            int at = random.nextInt(b.length);
            String what;
            switch (random.nextInt(4)) {
                case 0 -> {
                    String junk = "{}[]\",:0a-.\\ nx";
                    byte v = (byte) junk.charAt(random.nextInt(junk.length()));
                    what = "byte " + at + " set to '" + (char) v + "'";
                    b[at] = v;
                }
                case 1 -> {
                    int len = 1 + random.nextInt(Math.min(40, b.length - at));
                    what = len + " bytes cut at " + at;
                    byte[] c = new byte[b.length - len];
                    System.arraycopy(b, 0, c, 0, at);
                    System.arraycopy(b, at + len, c, at, b.length - at - len);
                    b = c;
                }
                case 2 -> {
                    int len = 1 + random.nextInt(Math.min(40, b.length - at));
                    what = len + " bytes at " + at + " repeated";
                    byte[] c = new byte[b.length + len];
                    System.arraycopy(b, 0, c, 0, at + len);
                    System.arraycopy(b, at, c, at + len, b.length - at);
                    b = c;
                }
                default -> {
                    what = "byte " + at + " flipped";
                    b[at] = (byte) (b[at] ^ (1 << random.nextInt(8)));
                }
            }
            out.add(new Mutation(blob, what, b));
        }
        return out;
    }

    private static void collect(JsonNode node, List<Object> path, List<List<Object>> out) {
        if (node.isObject()) {
            for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
                String f = it.next();
                List<Object> p = new ArrayList<>(path);
                p.add(f);
                out.add(p);
                collect(node.get(f), p, out);
            }
        } else if (node.isArray()) {
            for (int i = 0; i < node.size(); i++) {
                List<Object> p = new ArrayList<>(path);
                p.add(i);
                out.add(p);
                collect(node.get(i), p, out);
            }
        }
    }

    private static JsonNode at(JsonNode root, List<Object> path) {
        JsonNode n = root;
        for (Object p : path) {
            n = p instanceof String f ? n.get(f) : n.get((Integer) p);
        }
        return n;
    }

    private static void set(JsonNode root, List<Object> path, JsonNode value) {
        JsonNode parent = at(root, path.subList(0, path.size() - 1));
        Object last = path.get(path.size() - 1);
        if (last instanceof String f) {
            ((ObjectNode) parent).set(f, value);
        } else {
            ((ArrayNode) parent).set((Integer) last, value);
        }
    }

    private static void remove(JsonNode root, List<Object> path) {
        JsonNode parent = at(root, path.subList(0, path.size() - 1));
        Object last = path.get(path.size() - 1);
        if (last instanceof String f) {
            ((ObjectNode) parent).remove(f);
        } else {
            ((ArrayNode) parent).remove((int) (Integer) last);
        }
    }

    private static String describe(List<Object> path) {
        StringBuilder b = new StringBuilder();
        for (Object p : path) {
            b.append(p instanceof String ? "." + p : "[" + p + "]");
        }
        return b.substring(1);
    }

    private static String abbreviate(String s) {
        return s.length() > 40 ? s.substring(0, 40) + "..." : s;
    }

    // ---- what the commands call, and what must hold

    /** The failures found, each naming the mutation: reported together at the end. */
    private final List<String> failures = new ArrayList<>();

    private void fail(Mutation m, String op, Object what) {
        String text = what instanceof Throwable t ? stack(t) : String.valueOf(what);
        failures.add(m + " -> " + op + ": " + text);
    }

    private static String stack(Throwable t) {
        StringBuilder b = new StringBuilder(t.toString());
        StackTraceElement[] trace = t.getStackTrace();
        for (int i = 0; i < Math.min(6, trace.length); i++) {
            b.append("\n        at ").append(trace[i]);
        }
        return b.toString();
    }

    @FunctionalInterface
    interface Op {
        void run() throws Exception;
    }

    /**
     * Runs {@code op}: a {@link LifeboatException} is a user error (allowed when {@code allowed} says so), anything
     * else that escapes is a failure.
     */
    private void attempt(Mutation m, String name, Op op, java.util.function.Predicate<LifeboatException> allowed) {
        try {
            op.run();
        } catch (LifeboatException e) {
            if (!allowed.test(e)) {
                fail(m, name, "refused: " + e.getMessage());
            }
        } catch (Throwable e) {
            fail(m, name, e);
        }
    }

    private static final java.util.function.Predicate<LifeboatException> NEVER = e -> false;

    /**
     * What list shows: every backup, the good ones with their manifests; and what it renders of each (the JSON of
     * {@code list --json} and the API, the table's columns).
     */
    private void list(Fixture f, Mutation m, Set<String> bad) {
        for (boolean catalog : new boolean[]{false, true}) {
            attempt(m, catalog ? "list (catalog)" : "list", () -> {
                List<BackupEntry> entries = catalog ? new Catalog(f.repo, 1).entries() : f.repo.entries();
                if (!new HashSet<>(entries.stream().map(BackupEntry::id).toList()).equals(new HashSet<>(f.ids))
                        || entries.size() != f.ids.size()) {
                    fail(m, "list", "listed " + entries.stream().map(BackupEntry::id).toList());
                }
                for (BackupEntry e : entries) {
                    render(e);
                    if (!bad.contains(e.id()) && e.manifest() == null) {
                        fail(m, "list", "good backup " + e.id() + " unreadable: " + e.manifestError());
                    }
                    if (e.manifest() == null && (e.manifestError() == null || !e.manifestError().contains(e.id()))) {
                        fail(m, "list", "the error of " + e.id() + " does not name it: " + e.manifestError());
                    }
                }
            }, NEVER);
        }
    }

    /** What list and show print of an entry, as the CLI and the API do. */
    private static void render(BackupEntry e) throws IOException {
        Json.MAPPER.writeValueAsString(e.summary());
        e.statusWithLevel();
        e.verifiedBeyondExistence();
        e.complete();
        e.safety();
        if (e.status() != null) {
            e.status().checked().toString();
            e.status().problems().forEach(String::valueOf);
            if (e.status().drill() != null) {
                e.status().drill().mismatches().forEach(String::valueOf);
            }
        }
        Manifest m = e.manifest();
        if (m != null) {
            Units.compactDuration(Duration.between(m.started(), m.finished()));
            Units.bytes(m.logicalBytes());
            Units.bytes(m.storedBytes());
            Units.bytes(m.addedBytes());
            m.sources().forEach(s -> {
                String.join(",", s.name(), String.valueOf(s.type()));
                dev.lifeboat.source.Sources.describe(s);
                dev.lifeboat.source.Sources.contents(s);
            });
            m.databaseDumps();
            m.globals();
            Json.MAPPER.writeValueAsString(m);
        }
    }

    /** What show reads: the backup's manifest (a bad one is a clear error naming it), status and pin. */
    private void show(Fixture f, Mutation m, Set<String> bad) {
        for (String id : f.ids) {
            attempt(m, "show " + id, () -> {
                Manifest man = f.repo.resolveManifest(id.substring(id.length() - 6), null);
                render(new BackupEntry(id, man, null, f.repo.status(id), f.repo.pinOf(id).isPresent()));
                for (Artifact a : man.artifacts()) {
                    Units.bytes(a.size());
                    a.chunks().size();
                }
                if (bad.contains(id) && man.id() == null) {
                    fail(m, "show", "no id");
                }
            }, e -> bad.contains(id) && e.getMessage().contains(id) && e.code() != ErrorCode.NOT_FOUND);
        }
        attempt(m, "show latest", () -> f.repo.resolveManifest("latest", null), NEVER);
    }

    /** verify --all, reading every chunk (a 1/1 slice: no PostgreSQL programs needed). */
    private void verify(Fixture f, Mutation m, Set<String> bad) {
        attempt(m, "verify --all", () -> {
            List<VerifyEngine.Result> results = new ArrayList<>();
            new VerifyEngine(f.repo, Keys.PLAIN, new PgTools(List.of()), Progress.NONE, f.clock, results::add)
                    .run(new VerifyRequest(List.of(), true, false, "1/1", false, null, null, true));
            if (!new HashSet<>(results.stream().map(VerifyEngine.Result::id).toList()).equals(new HashSet<>(f.ids))
                    || results.size() != f.ids.size()) {
                fail(m, "verify --all", "verified " + results.stream().map(VerifyEngine.Result::id).toList());
            }
            for (VerifyEngine.Result r : results) {
                if (!bad.contains(r.id()) && !r.ok()) {
                    fail(m, "verify --all", "good backup " + r.id() + " failed: " + r.problems());
                }
            }
            for (String id : f.ids) {
                BackupStatus s = f.repo.status(id);
                if (!bad.contains(id) && (s == null || !BackupStatus.VERIFIED.equals(s.status()))) {
                    fail(m, "verify --all", "good backup " + id + " recorded as " + s);
                }
            }
        }, NEVER);
    }

    /**
     * prune as the CLI runs it (the repository's policy, then the engine): it may refuse, deleting nothing; when it
     * runs, every backup it keeps keeps its chunks, and a backup it cannot read is kept with all of its chunks.
     */
    private void prune(Fixture f, Mutation m, Set<String> bad, java.util.function.Predicate<LifeboatException> mayRefuse)
            throws IOException {
        Map<String, byte[]> before = f.snapshot();
        Set<String> unreadable = new HashSet<>();
        for (BackupEntry e : f.repo.entries()) {
            if (e.manifest() == null) {
                unreadable.add(e.id());
            }
        }
        boolean[] refused = {false};
        attempt(m, "prune", () -> {
            try {
                PolicyInForce p = PolicyInForce.resolve(f.repo, null, null, ZoneOffset.UTC, f.clock);
                PruneEngine.Result r = new PruneEngine(f.repo, f.clock).run(new PruneRequest(p.policy(), p.zone(), false));
                if (!unreadable.isEmpty() && r.chunksCollected()) {
                    fail(m, "prune", "collected chunks while " + unreadable + " cannot be read");
                }
            } catch (LifeboatException e) {
                refused[0] = true;
                throw e;
            }
        }, mayRefuse);
        if (refused[0] && !Arrays.deepEquals(before.keySet().toArray(), f.snapshot().keySet().toArray())) {
            fail(m, "prune", "refused, yet changed the repository");
        }
        Set<String> left = new HashSet<>(f.storage.list("").stream().map(BlobInfo::name).toList());
        Set<String> chunksLeft = new HashSet<>(); // standalone and packed
        f.repo.forEachChunk((id, stored) -> chunksLeft.add(id));
        for (String id : f.ids) {
            boolean present = left.contains(Manifest.blobName(id));
            if (unreadable.contains(id) && !present) {
                fail(m, "prune", "deleted backup " + id + ", which it cannot read");
            }
            if (id.equals(f.ids.get(2)) && !present) {
                fail(m, "prune", "deleted the pinned backup " + id);
            }
            if (id.equals(f.ids.get(3)) && !present && !bad.contains(id)) {
                fail(m, "prune", "deleted the newest backup " + id);
            }
            if (present && (unreadable.contains(id) || !bad.contains(id))) {
                Set<String> missing = new LinkedHashSet<>(f.chunks.get(id));
                missing.removeAll(chunksLeft);
                if (!missing.isEmpty()) {
                    fail(m, "prune", "deleted " + missing.size() + " chunks of kept backup " + id);
                }
            }
        }
    }

    private static final java.util.function.Predicate<LifeboatException> ONLY_NEWER =
            e -> e.code() == ErrorCode.REPOSITORY && e.getMessage().contains("format version");

    /** The four paths, with one blob mutated; the repository reset before each. */
    private void runAll(Fixture f, Mutation m, Set<String> bad,
                        java.util.function.Predicate<LifeboatException> pruneMayRefuse) throws IOException {
        f.reset();
        apply(f, m);
        list(f, m, bad);
        show(f, m, bad);
        f.reset();
        apply(f, m);
        verify(f, m, bad);
        f.reset();
        apply(f, m);
        prune(f, m, bad, pruneMayRefuse);
    }

    private static void apply(Fixture f, Mutation m) throws IOException {
        if (m.bytes() == null) {
            f.storage.delete(m.blob());
        } else {
            f.writeSigned(m.blob(), m.bytes());
        }
    }

    private Fixture memoryFixture() throws IOException {
        MutableClock clock = new MutableClock(T0.plus(Duration.ofDays(1)));
        return new Fixture(new MemoryStorage(clock), clock, keyDir);
    }

    private void assertNoFailures(int cases) {
        assertThat(cases).isGreaterThan(0);
        assertThat(failures).as("%d of %d mutations failed:%n%s", failures.size(), cases,
                String.join("\n", failures.subList(0, Math.min(200, failures.size())))).isEmpty();
    }

    // ---- the tests

    @Test
    void theSecurityReviewsManifestsAreOneBackupsNamedErrorAndTheOthersAreListedVerifiedAndPruned() throws Exception {
        Fixture f = memoryFixture();
        String victim = f.ids.get(1);
        String json = new String(f.pristine.get(f.manifest(1)), StandardCharsets.UTF_8);
        String chunk = f.repo.manifest(victim).artifacts().get(0).chunks().get(0).id();
        String[][] cases = {
                {json.replaceFirst("\"sources\" : \\[", "\"sources\" : null, \"was\" : ["), "its sources are missing"},
                {json.replace("\"" + chunk + "\"", "null"), "chunk 1 of artifact app.dump has id null, not 64 lower-case hex digits"},
                {json.replace("\"" + chunk + "\"", "\"a\""), "chunk 1 of artifact app.dump has id 'a', not 64 lower-case hex digits"},
                {json.replace("\"" + chunk + "\"", "\"../../../../etc/passwd\""),
                        "chunk 1 of artifact app.dump has id '../../../../etc/passwd', not 64 lower-case hex digits"},
        };
        for (String[] c : cases) {
            f.reset();
            f.writeSigned(f.manifest(1), c[0].getBytes(StandardCharsets.UTF_8));
            String error = "backup " + victim + ": manifest.json is malformed: " + c[1];

            List<BackupEntry> listed = new Catalog(f.repo).entries();
            assertThat(listed).extracting(BackupEntry::id).containsExactlyElementsOf(f.ids);
            assertThat(listed.get(1).manifestError()).isEqualTo(error);
            assertThat(listed.get(1).summary()).containsEntry("status", "corrupt").containsEntry("error", error);
            assertThat(listed).filteredOn(e -> !e.id().equals(victim)).allMatch(e -> e.manifest() != null);

            assertThat(org.assertj.core.api.Assertions.catchThrowableOfType(
                    () -> f.repo.resolveManifest(victim.substring(victim.length() - 6), null), LifeboatException.class))
                    .hasMessage(error).satisfies(e -> assertThat(e.code()).isEqualTo(ErrorCode.INTEGRITY));

            List<VerifyEngine.Result> verified = new ArrayList<>();
            new VerifyEngine(f.repo, Keys.PLAIN, new PgTools(List.of()), Progress.NONE, f.clock, verified::add)
                    .run(new VerifyRequest(List.of(), true, false, "1/1", false, null, null, true));
            assertThat(verified).extracting(VerifyEngine.Result::id).containsExactlyElementsOf(f.ids);
            assertThat(verified).filteredOn(r -> !r.id().equals(victim)).allMatch(VerifyEngine.Result::ok);
            assertThat(verified.get(1).status()).isEqualTo(BackupStatus.CORRUPT);
            assertThat(verified.get(1).problems()).containsExactly(error);
            assertThat(f.repo.status(victim).status()).isEqualTo(BackupStatus.CORRUPT);

            // The policy removes all but the newest and the pinned backup: the oldest goes, the unreadable one stays,
            // and no chunk is collected, since any may be the unreadable one's.
            PolicyInForce p = PolicyInForce.resolve(f.repo, null, null, ZoneOffset.UTC, f.clock);
            PruneEngine.Result pruned = new PruneEngine(f.repo, f.clock).run(new PruneRequest(p.policy(), p.zone(), false));
            assertThat(pruned.removedBackups()).isEqualTo(1);
            assertThat(f.repo.backupIds()).containsExactly(victim, f.ids.get(2), f.ids.get(3));
            assertThat(pruned.chunksCollected()).isFalse();
            assertThat(pruned.unreadable()).containsExactly(error);
            assertThat(pruned.decisions()).filteredOn(d -> d.id().equals(victim)).singleElement()
                    .satisfies(d -> assertThat(d.keep()).isTrue())
                    .satisfies(d -> assertThat(d.reasons()).singleElement().asString().contains(error));
            Set<String> chunksLeft = new HashSet<>();
            f.repo.forEachChunk((id, stored) -> chunksLeft.add(id));
            for (String id : f.ids) {
                assertThat(chunksLeft).containsAll(f.chunks.get(id));
            }
        }
    }

    @Test
    void aMalformedManifestIsOneUnreadableBackupNeverAStopForTheOthers() throws IOException {
        Fixture f = memoryFixture();
        Random random = new Random(SEED);
        List<Mutation> mutations = new ArrayList<>();
        byte[] original = f.pristine.get(f.manifest(1));
        mutations.addAll(whole(f.manifest(1), original, random));
        mutations.addAll(fields(f.manifest(1), original));
        for (int i = 0; i < RANDOM_MUTATIONS; i++) {
            int victim = random.nextInt(4);
            mutations.addAll(random(f.manifest(victim), f.pristine.get(f.manifest(victim)), random, 1));
        }
        for (Mutation m : mutations) {
            String victim = m.blob().split("/")[1];
            runAll(f, m, Set.of(victim), ONLY_NEWER);
        }
        assertNoFailures(mutations.size());
    }

    @Test
    void aMalformedStatusOrPinIsNoStatusOrStillAPinAndNeverStopsAnything() throws Exception {
        Fixture f = memoryFixture();
        Random random = new Random(SEED + 1);
        List<Mutation> mutations = new ArrayList<>();
        String status = BackupStatus.blobName(f.ids.get(1));
        String pin = Repository.Pin.blobName(f.ids.get(2));
        for (String blob : List.of(status, pin)) {
            byte[] original = f.pristine.get(blob);
            mutations.addAll(whole(blob, original, random));
            mutations.addAll(fields(blob, original));
            mutations.addAll(random(blob, original, random, RANDOM_MUTATIONS / 2));
        }
        for (Mutation m : mutations) {
            runAll(f, m, Set.of(), NEVER);
            // a pin is its presence: whatever its content, the backup stays pinned
            if (m.blob().equals(pin)) {
                f.reset();
                apply(f, m);
                attempt(m, "pinned", () -> {
                    if (!f.repo.isPinned(f.ids.get(2)) || f.repo.pinOf(f.ids.get(2)).isEmpty()) {
                        fail(m, "pinned", "no longer pinned");
                    }
                }, NEVER);
            }
        }
        // A status of a newer format is never overwritten, and the other backups are still verified.
        int next = BackupStatus.FORMAT_VERSION + 1;
        Mutation newer = new Mutation(status, "of format version " + next,
                ("{\"formatVersion\": " + next + ", \"status\": \"sealed\"}").getBytes(StandardCharsets.UTF_8));
        f.reset();
        apply(f, newer);
        List<VerifyEngine.Result> results = new ArrayList<>();
        new VerifyEngine(f.repo, Keys.PLAIN, new PgTools(List.of()), Progress.NONE, f.clock, results::add)
                .run(new VerifyRequest(List.of(), true, false, null, false, null, null, true));
        assertThat(results).extracting(VerifyEngine.Result::id).containsExactlyElementsOf(f.ids);
        assertThat(results).filteredOn(r -> !r.id().equals(f.ids.get(1))).allMatch(VerifyEngine.Result::ok);
        VerifyEngine.Result refused = results.get(1);
        assertThat(refused.ok()).isFalse();
        assertThat(String.join(" ", refused.problems())).contains(status).contains("format version " + next);
        assertThat(f.storage.readAllBytes(status)).isEqualTo(newer.bytes());
        assertNoFailures(mutations.size());
    }

    @Test
    void aMalformedLockIsAnUnknownOwnersLockThatAgesOutByItsBlobsTime() throws IOException {
        Fixture f = memoryFixture();
        Random random = new Random(SEED + 2);
        String blob = "locks/0b4d1ab5-0000-4000-8000-000000000000.json";
        Instant now = f.clock.instant();
        byte[] original = Json.MAPPER.writeValueAsBytes(new RepositoryLock.Info("0b4d1ab5-0000-4000-8000-000000000000",
                RepositoryLock.Kind.SHARED, "backup", "elsewhere", 4242, now, now, "boot/pid:[1]"));
        List<Mutation> mutations = new ArrayList<>();
        mutations.addAll(whole(blob, original, random));
        mutations.addAll(fields(blob, original));
        mutations.addAll(random(blob, original, random, RANDOM_MUTATIONS / 2));
        java.util.function.Predicate<LifeboatException> namesTheLock = e -> e.code() == ErrorCode.LOCKED
                && (e.getMessage().contains(blob) || e.getMessage().contains("locked by"));
        for (Mutation m : mutations) {
            f.reset();
            f.clock.now = now;
            apply(f, m);
            list(f, m, Set.of()); // takes no lock
            // while fresh it may be a conflict, named; never a NullPointerException
            attempt(m, "verify, lock fresh", () -> new VerifyEngine(f.repo, Keys.PLAIN, new PgTools(List.of()),
                    Progress.NONE, f.clock, r -> {}).run(new VerifyRequest(List.of(), true, false, null, false, null,
                    null, true)), namesTheLock);
            attempt(m, "prune, lock fresh", () -> new PruneEngine(f.repo, f.clock).run(
                    new PruneRequest(KEEP_ONE, ZoneOffset.UTC, true)), namesTheLock);
            // once its blob has gone unwritten for the stale time, it is broken like any dead lock
            f.clock.advance(STALE.plusMinutes(1));
            attempt(m, "verify, lock stale", () -> new VerifyEngine(f.repo, Keys.PLAIN, new PgTools(List.of()),
                    Progress.NONE, f.clock, r -> {}).run(new VerifyRequest(List.of(), true, false, null, false, null,
                    null, true)), NEVER);
            attempt(m, "prune, lock stale", () -> new PruneEngine(f.repo, f.clock).run(
                    new PruneRequest(KEEP_ONE, ZoneOffset.UTC, false)), NEVER);
            if (f.storage.stat(blob).isPresent()) {
                fail(m, "stale", "the stale lock was not broken");
            }
        }
        // A lock of a newer format is a conflict whatever its age, named with what to do.
        f.reset();
        f.clock.now = now;
        f.storage.write(blob, "{\"formatVersion\": 2, \"id\": \"x\"}".getBytes(StandardCharsets.UTF_8));
        f.clock.advance(Duration.ofHours(2));
        Mutation newer = new Mutation(blob, "of format version 2", null);
        attempt(newer, "prune", () -> new PruneEngine(f.repo, f.clock).run(new PruneRequest(KEEP_ONE, ZoneOffset.UTC,
                false)), e -> e.code() == ErrorCode.LOCKED && e.getMessage().contains(blob)
                && e.getMessage().contains("format version 2"));
        assertThat(f.storage.stat(blob)).isPresent();
        assertNoFailures(mutations.size());
    }

    @Test
    void aMalformedPolicyStopsOnlyPruneWhichThenDeletesNothing() throws IOException {
        Fixture f = memoryFixture();
        Random random = new Random(SEED + 3);
        byte[] original = f.pristine.get(RepositoryPolicy.BLOB);
        List<Mutation> mutations = new ArrayList<>();
        mutations.addAll(whole(RepositoryPolicy.BLOB, original, random));
        mutations.addAll(fields(RepositoryPolicy.BLOB, original));
        mutations.addAll(random(RepositoryPolicy.BLOB, original, random, RANDOM_MUTATIONS / 2));
        for (Mutation m : mutations) {
            runAll(f, m, Set.of(), e -> e.getMessage().contains(RepositoryPolicy.BLOB));
        }
        assertNoFailures(mutations.size());
    }

    @Test
    void aMalformedConfigIsRefusedNamingItOrReadSafely() throws IOException {
        Fixture f = memoryFixture();
        Random random = new Random(SEED + 4);
        byte[] original = f.pristine.get(RepoConfig.BLOB);
        List<Mutation> mutations = new ArrayList<>();
        mutations.addAll(whole(RepoConfig.BLOB, original, random));
        mutations.addAll(fields(RepoConfig.BLOB, original));
        mutations.addAll(random(RepoConfig.BLOB, original, random, RANDOM_MUTATIONS / 2));
        for (Mutation m : mutations) {
            f.reset();
            apply(f, m);
            Repository[] opened = {null};
            attempt(m, "open", () -> opened[0] = Repository.open(f.storage).withLockWait(Duration.ZERO),
                    e -> e.getMessage().contains(RepoConfig.BLOB));
            if (opened[0] == null) {
                continue;
            }
            Repository repo = opened[0];
            java.util.function.Predicate<LifeboatException> any = e -> true;
            attempt(m, "list", () -> new Catalog(repo).entries().forEach(e -> {
                try {
                    render(e);
                } catch (IOException x) {
                    throw new java.io.UncheckedIOException(x);
                }
            }), NEVER);
            attempt(m, "verify --all", () -> new VerifyEngine(repo, Keys.PLAIN, new PgTools(List.of()), Progress.NONE,
                    f.clock, r -> {}).run(new VerifyRequest(List.of(), true, false, "1/1", false, null, null, true)), any);
            attempt(m, "prune", () -> new PruneEngine(repo, f.clock).run(new PruneRequest(KEEP_ONE, ZoneOffset.UTC,
                    false)), any);
        }
        assertNoFailures(mutations.size());
    }

    /**
     * The service reads policy.json again every half minute: one that turned malformed meanwhile leaves the backup
     * list served (without retention's decisions, the bad backup marked), and its prune refuses, naming the blob.
     */
    @Test
    void theServicesListOutlivesAPolicyThatTurnedMalformedAndItsPruneRefuses() throws Exception {
        Fixture f = memoryFixture();
        f.writeSigned(f.manifest(1), "{\"formatVersion\": 1, \"sources\": null}".getBytes(StandardCharsets.UTF_8));
        try (dev.lifeboat.state.StateStore state = dev.lifeboat.state.StateStore.open(cliDir.resolve("state"), f.clock);
             dev.lifeboat.service.Service service = new dev.lifeboat.service.Service(new dev.lifeboat.config.Settings(),
                     state, f.repo, dev.lifeboat.service.JobGate.LOCAL, "test", Duration.ofMinutes(5), f.clock)) {
            assertThat(service.backups()).hasSize(4);
            f.storage.write(RepositoryPolicy.BLOB, "{\"formatVersion\": 1, \"retention\": [".getBytes(StandardCharsets.UTF_8));
            f.clock.advance(Duration.ofMinutes(2));
            List<dev.lifeboat.service.BackupView> views = service.backups();
            assertThat(views).extracting(dev.lifeboat.service.BackupView::id).containsExactlyInAnyOrderElementsOf(f.ids);
            assertThat(views).filteredOn(v -> v.id().equals(f.ids.get(1))).singleElement()
                    .satisfies(v -> assertThat(v.summary()).containsEntry("status", "corrupt"));
            Json.MAPPER.writeValueAsString(views.stream().map(dev.lifeboat.service.BackupView::summary).toList());
            org.assertj.core.api.Assertions.assertThatThrownBy(service::config).isInstanceOf(LifeboatException.class)
                    .hasMessageContaining(RepositoryPolicy.BLOB);
        }
    }

    /**
     * The same through the command line itself (in this JVM, on a folder): the cases of the security review, and a
     * seeded sample of the others. list exits 0 and prints every good backup, show of the bad one is an error naming
     * it, verify --all prints every good backup verified, prune runs or refuses; nothing ends as a bug (exit 1).
     */
    @Test
    void theCommandsPrintEveryGoodBackupAndNameTheBadOne() throws IOException {
        Path repoDir = cliDir.resolve("repo");
        Files.createDirectories(repoDir);
        Path config = cliDir.resolve("lifeboat.yml");
        Files.writeString(config, "lockWaitSeconds: 0\n");
        Fixture f;
        try (Storage storage = Storages.open(repoDir.toString())) {
            f = new Fixture(storage, new MutableClock(Instant.now()), keyDir);
            Random random = new Random(SEED + 5);
            byte[] original = f.pristine.get(f.manifest(1));
            String manifest = f.manifest(1);
            String chunk = f.repo.manifest(f.ids.get(1)).artifacts().get(0).chunks().get(0).id();
            String json = new String(original, StandardCharsets.UTF_8);
            List<Mutation> mutations = new ArrayList<>();
            mutations.add(new Mutation(manifest, "sources null", json.replaceFirst("\"sources\" : \\[",
                    "\"sources\" : null, \"was\" : [").getBytes(StandardCharsets.UTF_8)));
            for (String id : List.of("null", "\"a\"", "\"../../../../etc/passwd\"",
                    "\"" + chunk.toUpperCase(java.util.Locale.ROOT) + "\"")) {
                mutations.add(new Mutation(manifest, "chunk id " + id, json.replace("\"" + chunk + "\"", id)
                        .getBytes(StandardCharsets.UTF_8)));
            }
            mutations.add(new Mutation(manifest, "empty", new byte[0]));
            mutations.add(new Mutation(manifest, "null", "null".getBytes(StandardCharsets.UTF_8)));
            List<Mutation> others = new ArrayList<>(fields(manifest, original));
            java.util.Collections.shuffle(others, random);
            mutations.addAll(others.subList(0, 25));
            String status = BackupStatus.blobName(f.ids.get(1));
            List<Mutation> statuses = new ArrayList<>(fields(status, f.pristine.get(status)));
            java.util.Collections.shuffle(statuses, random);
            mutations.addAll(statuses.subList(0, 10));
            mutations.add(new Mutation("locks/junk.json", "a lock of '{}'", "{}".getBytes(StandardCharsets.UTF_8)));
            for (Mutation m : mutations) {
                f.reset();
                apply(f, m);
                String victim = f.ids.get(1);
                boolean unreadable = f.repo.entries().stream().anyMatch(e -> e.manifest() == null);
                boolean locked = m.blob().startsWith("locks/");
                Set<String> good = new LinkedHashSet<>(f.ids);
                if (m.blob().equals(manifest)) {
                    good.remove(victim);
                }
                String[] common = {"--repo", repoDir.toString(), "--config", config.toString()};
                InProcessCli.Run list = cli(m, "list", common);
                if (list.exitCode() != 0 || !good.stream().allMatch(list.out()::contains) || !list.out().contains(victim)
                        || unreadable && !list.out().lines().anyMatch(l -> l.startsWith(victim) && l.contains("corrupt")
                        && l.contains(BackupBlobs.MANIFEST))) {
                    fail(m, "lifeboat list", "exit " + list.exitCode() + "\n" + list.out() + list.err());
                }
                InProcessCli.Run listJson = cli(m, "list", common, "--json");
                if (listJson.exitCode() != 0 || Json.MAPPER.readTree(listJson.out()).size() != 4) {
                    fail(m, "lifeboat list --json", "exit " + listJson.exitCode() + "\n" + listJson.out() + listJson.err());
                }
                InProcessCli.Run show = cli(m, "show", common, victim);
                if (unreadable ? show.exitCode() != ErrorCode.INTEGRITY.exitCode() || !show.err().contains(victim)
                        : show.exitCode() != 0) {
                    fail(m, "lifeboat show", "exit " + show.exitCode() + "\n" + show.err());
                }
                InProcessCli.Run verify = cli(m, "verify", common, "--all");
                if (!locked && (verify.exitCode() != (unreadable ? ErrorCode.INTEGRITY.exitCode() : 0)
                        || !good.stream().allMatch(id -> verify.out().contains(id + ": verified"))
                        || unreadable && !verify.out().contains(victim + ": corrupt"))) {
                    fail(m, "lifeboat verify --all", "exit " + verify.exitCode() + "\n" + verify.out() + verify.err());
                }
                InProcessCli.Run prune = cli(m, "prune", common, "--keep-last", "1", "--minimum-keep", "1",
                        "--keep-within", "0");
                if (locked ? prune.exitCode() != ErrorCode.LOCKED.exitCode() || !prune.err().contains(m.blob())
                        : prune.exitCode() != 0) {
                    fail(m, "lifeboat prune", "exit " + prune.exitCode() + "\n" + prune.out() + prune.err());
                }
                if (unreadable && (!prune.out().lines().anyMatch(l -> l.startsWith("Chunks were not collected")
                        && l.contains(victim)) || storage.stat(manifest).isEmpty())) {
                    fail(m, "lifeboat prune", "removed or did not name the backup it cannot read:\n" + prune.out());
                }
            }
            assertNoFailures(mutations.size());
        }
    }

    /** {@code lifeboat ARGS} in this JVM; a bug (exit 1, or a stack trace) is a failure of its own. */
    private InProcessCli.Run cli(Mutation m, String command, String[] common, String... more) {
        List<String> args = new ArrayList<>(List.of(command));
        args.addAll(List.of(common));
        args.addAll(List.of(more));
        InProcessCli.Run r = InProcessCli.run(args.toArray(String[]::new));
        if (r.exitCode() == ErrorCode.INTERNAL.exitCode() || r.err().contains("this is a bug")) {
            fail(m, "lifeboat " + String.join(" ", args), "a bug:\n" + r.err());
        }
        return r;
    }
}
