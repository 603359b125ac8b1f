package dev.lifeboat.engine;

import dev.lifeboat.core.LifeboatException;
import dev.lifeboat.repository.Artifact;
import dev.lifeboat.repository.ChunkLists;
import dev.lifeboat.repository.ChunkRef;
import dev.lifeboat.repository.ChunkerParams;
import dev.lifeboat.repository.FormatCheck;
import dev.lifeboat.repository.Keys;
import dev.lifeboat.repository.LocalKeyCache;
import dev.lifeboat.repository.Manifest;
import dev.lifeboat.repository.Repository;
import dev.lifeboat.retention.RetentionPolicy;
import dev.lifeboat.source.RestoreOptions;
import dev.lifeboat.source.Restorer;
import dev.lifeboat.source.Source;
import dev.lifeboat.source.SourceContext;
import dev.lifeboat.source.SourceSpec;
import dev.lifeboat.source.Sources;
import dev.lifeboat.source.files.TreeSignature;
import dev.lifeboat.source.postgres.PgTools;
import dev.lifeboat.storage.local.LocalStorage;
import dev.lifeboat.storage.MemoryStorage;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Manifest format 3: an artifact of more than {@value ChunkLists#INLINE_MAX} chunks (a tree of many small files) lists
 * them in the backup's chunk-lists.bin, block by block under hashes the signed manifest holds. The manifest stays
 * small, a backup restores byte for byte through the list, the next backup reuses unchanged files through it, prune
 * keeps what only a list references and deletes a list with its backup, and a damaged list is named and stops what
 * would act on it.
 */
class ChunkListsTest {
    private static final RetentionPolicy KEEP_ONE = new RetentionPolicy(1, Duration.ZERO, 0, 0, 0, 0, 0, 1);
    private static final PgTools TOOLS = new PgTools(List.of());

    @TempDir
    Path dir;
    Repository repo;
    Keys keys;
    Path a;
    Path b;

    @BeforeEach
    void setUp() throws Exception {
        repo = Repository.init(new LocalStorage(dir.resolve("repo")), List.of(),
                new ChunkerParams(16 * 1024, 64 * 1024, 256 * 1024, 42), 3, new LocalKeyCache(dir.resolve("keys")));
        keys = repo.writeKeys(new LocalKeyCache(dir.resolve("keys")), List.of());
        a = tree("a", 1_500);
        b = tree("b", 5_000); // two blocks of 4,096 records
    }

    /** {@code files} small files of distinct bytes, 100 per folder. */
    private Path tree(String name, int files) throws Exception {
        Path root = Files.createDirectories(dir.resolve(name));
        for (int i = 0; i < files; i++) {
            Path f = root.resolve("d" + i / 100).resolve("f" + i);
            Files.createDirectories(f.getParent());
            Files.writeString(f, name + " file " + i + "\n".repeat(i % 7));
        }
        return root;
    }

    private List<SourceSpec> specs() {
        return List.of(new SourceSpec("a", "files", Map.of("path", a.toString())),
                new SourceSpec("b", "files", Map.of("path", b.toString())));
    }

    /** Each backup an hour after the one before, so that their order is never a tie. */
    private java.time.Instant now = java.time.Instant.parse("2026-12-06T03:00:00Z");

    private Manifest backup() throws Exception {
        now = now.plus(Duration.ofHours(1));
        return new BackupEngine(repo, keys, TOOLS, Progress.NONE, Clock.fixed(now, ZoneOffset.UTC), m -> {})
                .run(new BackupRequest(List.of(), false, false, "lists", 3, 2, null).withStack(specs(), Map.of(), 2));
    }

    private SourceContext context() {
        return new SourceContext(System.getenv(), m -> {}, Map.of(PgTools.class, TOOLS));
    }

    /** Restores source {@code name} of backup {@code id} into its own folder, emptied first. */
    private void restore(String id, String name, Path root) throws Exception {
        empty(root);
        Manifest full = repo.manifest(id);
        SourceSpec spec = specs().stream().filter(s -> s.name().equals(name)).findFirst().orElseThrow();
        Source source = Sources.configure(List.of(spec), context()).get(0);
        Restorer r = source.restorer(full.sources().stream().filter(s -> s.name().equals(name)).findFirst()
                .orElseThrow(), RestoreOptions.DEFAULT, null);
        r.inspect();
        var reader = repo.artifactReader(keys);
        r.restore(Restorer.Artifacts.of(full.artifacts().stream().filter(x -> name.equals(x.source())).toList(),
                reader::open));
    }

    private Artifact data(Manifest m, String source) {
        return m.artifacts().stream().filter(x -> x.name().equals(source + ".data")).findFirst().orElseThrow();
    }

    private Path blob(String id) {
        return dir.resolve("repo").resolve(ChunkLists.blobName(id));
    }

    @Test
    void largeTreesListTheirChunksOutsideTheManifestAndRestoreByteForByte() throws Exception {
        String sigA = TreeSignature.of(a);
        String sigB = TreeSignature.of(b);
        Manifest m = repo.manifest(backup().id());

        assertThat(m.formatVersion()).isEqualTo(3);
        Artifact da = data(m, "a");
        Artifact db = data(m, "b");
        assertThat(da.chunks()).isNull();
        assertThat(da.chunkList().count()).isEqualTo(1_500);
        assertThat(da.chunkList().blocks()).hasSize(1);
        assertThat(db.chunkList().count()).isEqualTo(5_000);
        assertThat(db.chunkList().blocks()).hasSize(2);
        assertThat(da.chunkList().backup()).isEqualTo(m.id());
        // the two lists, built at once by two sources, lie one after the other, whichever ended first
        assertThat(List.of(da.chunkList().offset(), db.chunkList().offset()))
                .containsAnyOf(0L).containsAnyOf(1_500L * ChunkLists.RECORD, 5_000L * ChunkLists.RECORD);
        assertThat(Files.size(blob(m.id()))).isEqualTo(6_500L * ChunkLists.RECORD);
        assertThat(Files.size(dir.resolve("repo").resolve(Manifest.blobName(m.id()))))
                .as("the manifest does not grow with the chunk count").isLessThan(16_000);
        assertThat(ChunkLists.BLOB).isEqualTo("chunk-lists.bin");
        assertThat(Files.getPosixFilePermissions(blob(m.id()))).isEqualTo(java.nio.file.attribute.PosixFilePermissions
                .fromString("rw-------"));

        restore(m.id(), "a", a);
        restore(m.id(), "b", b);
        assertThat(TreeSignature.of(a)).isEqualTo(sigA);
        assertThat(TreeSignature.of(b)).isEqualTo(sigB);

        List<VerifyEngine.Result> results = new ArrayList<>();
        new VerifyEngine(repo, keys, TOOLS, Progress.NONE, Clock.systemUTC(), results::add)
                .run(new VerifyRequest(List.of(m.id()), false, true, null, false, null, null, false));
        assertThat(results).singleElement().satisfies(r -> assertThat(r.problems()).isEmpty());
    }

    @Test
    void theNextBackupReusesUnchangedFilesThroughTheListAndPruneKeepsWhatOnlyAListReferences() throws Exception {
        String first = backup().id();
        Files.writeString(b.resolve("d7/f777"), "changed");
        String sigB = TreeSignature.of(b);
        Manifest second = repo.manifest(backup().id());
        assertThat(second.sources()).allSatisfy(s -> assertThat(s.fields().get("read").asLong())
                .as(s.name()).isEqualTo(s.name().equals("a") ? 0 : 1));

        PruneEngine.Result pruned = new PruneEngine(repo, Clock.fixed(now, ZoneOffset.UTC)).run(new PruneRequest(KEEP_ONE,
                ZoneOffset.UTC, false));
        assertThat(pruned.removedBackups()).isEqualTo(1);
        assertThat(blob(first)).as("the list goes with its backup").doesNotExist();
        assertThat(repo.backupIds()).containsExactly(second.id());
        restore(second.id(), "b", b);
        assertThat(TreeSignature.of(b)).isEqualTo(sigB);
    }

    @Test
    void aDamagedListIsNamedByVerifyAndRestoreAndStopsPruneBeforeItDeletesAnything() throws Exception {
        String first = backup().id();
        String second = backup().id();
        byte[] raw = Files.readAllBytes(blob(second));
        raw[4_100 * ChunkLists.RECORD + 3] ^= 1; // in a's list or in b's second block
        Files.write(blob(second), raw);

        // prune reads the list of the backup it keeps before it deletes anything: it stops, naming it
        Map<String, Long> before = snapshot();
        assertThatThrownBy(() -> new PruneEngine(repo, Clock.fixed(now, ZoneOffset.UTC)).run(new PruneRequest(KEEP_ONE,
                ZoneOffset.UTC, false))).isInstanceOf(LifeboatException.class)
                .hasMessageContaining("the chunk list of artifact ");
        assertThat(snapshot()).as("nothing deleted").isEqualTo(before);
        assertThat(repo.backupIds()).containsExactly(first, second);

        List<VerifyEngine.Result> results = new ArrayList<>();
        new VerifyEngine(repo, keys, TOOLS, Progress.NONE, Clock.systemUTC(), results::add)
                .run(new VerifyRequest(List.of(second), false, false, null, false, null, null, false));
        assertThat(results).singleElement().satisfies(r -> assertThat(r.problems()).singleElement().asString()
                .contains("the chunk list of artifact ").contains(ChunkLists.blobName(second))
                .contains("is damaged: block ").contains("where the manifest says"));

        Manifest m = repo.manifest(second);
        String damagedSource = data(m, "a").chunkList().offset() == 0 ? "b" : "a";
        assertThatThrownBy(() -> restore(second, damagedSource, damagedSource.equals("a") ? a : b))
                .hasMessageContaining("the chunk list of artifact " + damagedSource + ".data");


        Files.delete(blob(second));
        results.clear();
        new VerifyEngine(repo, keys, TOOLS, Progress.NONE, Clock.systemUTC(), results::add)
                .run(new VerifyRequest(List.of(second), false, false, null, false, null, null, false));
        assertThat(results).singleElement().satisfies(r -> assertThat(r.problems()).isNotEmpty()
                .allSatisfy(p -> assertThat(p).contains("is missing: " + ChunkLists.blobName(second))));
    }

    private Map<String, Long> snapshot() throws Exception {
        Map<String, Long> out = new TreeMap<>();
        try (Stream<Path> s = Files.walk(dir.resolve("repo"))) {
            for (Path p : s.filter(Files::isRegularFile).toList()) {
                out.put(dir.resolve("repo").relativize(p).toString(), Files.size(p));
            }
        }
        return out;
    }

    @Test
    void listsBuiltAtOnceReadBackInOrderAndShortOnesStayInTheManifest() throws Exception {
        MemoryStorage storage = new MemoryStorage();
        String id = "20261206T000000Z-000001";
        Random r = new Random(5);
        List<ChunkRef> one = refs(r, 10_000);
        List<ChunkRef> two = refs(r, 4_096);
        Artifact x;
        Artifact y;
        Artifact small;
        Artifact edge;
        try (ChunkLists.Spool spool = new ChunkLists.Spool(id)) {
            ChunkLists.Spool.Builder bx = spool.builder();
            ChunkLists.Spool.Builder by = spool.builder();
            for (int i = 0; i < 10_000; i++) { // interleaved, as two sources add at once
                bx.add(one.get(i));
                if (i < two.size()) {
                    by.add(two.get(i));
                }
            }
            y = by.build("y", "s", "files-data", null);
            x = bx.build("x", "s", "files-data", null);
            ChunkLists.Spool.Builder bs = spool.builder();
            ChunkLists.Spool.Builder be = spool.builder();
            for (int i = 0; i < ChunkLists.INLINE_MAX; i++) {
                bs.add(one.get(i));
                be.add(one.get(i));
            }
            be.add(one.get(ChunkLists.INLINE_MAX));
            small = bs.build("small", "s", "files-data", null);
            edge = be.build("edge", "s", "files-data", null);
            spool.writeTo(storage);
        }
        assertThat(small.chunkList()).isNull();
        assertThat(small.chunks()).isEqualTo(one.subList(0, ChunkLists.INLINE_MAX));
        assertThat(edge.chunks()).isNull();
        assertThat(y.chunkList().offset()).isZero();
        assertThat(x.chunkList().offset()).isEqualTo(4_096L * ChunkLists.RECORD);
        assertThat(x.chunkList().blocks()).hasSize(3);
        assertThat(y.chunkList().blocks()).hasSize(1);
        assertThat(x.size()).isEqualTo(one.stream().mapToLong(ChunkRef::size).sum());
        assertThat(x.storedSize()).isEqualTo(one.stream().mapToLong(ChunkRef::stored).sum());
        assertThat(read(storage, x)).isEqualTo(one);
        assertThat(read(storage, y)).isEqualTo(two);
        assertThat(read(storage, edge)).isEqualTo(one.subList(0, ChunkLists.INLINE_MAX + 1));
        assertThat(storage.readAllBytes(ChunkLists.blobName(id)))
                .hasSize((10_000 + 4_096 + ChunkLists.INLINE_MAX + 1) * ChunkLists.RECORD);
    }

    @Test
    void aManifestListIsCheckedBeforeUse() {
        String id = "20261206T000000Z-000001";
        String h = "ab".repeat(32);
        Artifact fine = new Artifact("t.data", "t", "files-data", 10, 10, null, null,
                new Artifact.ChunkList(id, 0, 5_000, List.of(h, h)));
        assertThat(problems(3, id, fine)).isEmpty();
        assertThat(problems(2, id, fine)).singleElement().asString().contains("format 2 does not have");
        assertThat(problems(3, id, with(fine, new Artifact.ChunkList("20261206T000000Z-000002", 0, 5_000,
                List.of(h, h))))).singleElement().asString().contains("has a chunk list of backup '20261206T000000Z-"
                        + "000002', not " + id);
        assertThat(problems(3, id, with(fine, new Artifact.ChunkList(id, 41, 5_000, List.of(h, h)))))
                .singleElement().asString().contains("not a multiple of 40");
        assertThat(problems(3, id, with(fine, new Artifact.ChunkList(id, 0, 5_000, List.of(h)))))
                .singleElement().asString().contains("with 1 block hashes, not 2");
        assertThat(problems(3, id, with(fine, new Artifact.ChunkList(id, 0, 5_000, List.of(h, "../x")))))
                .singleElement().asString().contains("block hash that is not 64 lower-case hex digits");
    }

    private static Artifact with(Artifact a, Artifact.ChunkList l) {
        return new Artifact(a.name(), a.source(), a.format(), a.size(), a.storedSize(), a.sha256(), null, l);
    }

    private static List<String> problems(int version, String id, Artifact a) {
        java.time.Instant t = java.time.Instant.parse("2026-12-06T00:00:00Z");
        return FormatCheck.problems(new Manifest(version, id, null, Manifest.COMPLETED, t, t, "test", "h", List.of(),
                List.of(a), 10, 10, 0, null), id);
    }

    private static List<ChunkRef> refs(Random r, int n) {
        List<ChunkRef> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            byte[] id = new byte[32];
            r.nextBytes(id);
            out.add(new ChunkRef(HexFormat.of().formatHex(id), r.nextInt(1 << 20), 1 + r.nextInt(1 << 20)));
        }
        return out;
    }

    private static List<ChunkRef> read(MemoryStorage storage, Artifact a) throws Exception {
        List<ChunkRef> out = new ArrayList<>();
        ChunkLists.forEach(storage, a, out::add);
        return out;
    }

    /** Empties a folder, keeping it. */
    private static void empty(Path root) throws Exception {
        try (Stream<Path> s = Files.walk(root)) {
            for (Path p : s.sorted(java.util.Comparator.reverseOrder()).toList()) {
                if (!p.equals(root)) {
                    Files.delete(p);
                }
            }
        }
    }
}
