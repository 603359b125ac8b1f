package dev.lifeboat.source.files;

import dev.lifeboat.core.LifeboatException;
import dev.lifeboat.repository.Artifact;
import dev.lifeboat.repository.Manifest;
import dev.lifeboat.source.Restorer;
import dev.lifeboat.source.RestoreOptions;
import dev.lifeboat.source.SourceContractTest;
import dev.lifeboat.source.SourceSpec;
import dev.lifeboat.source.Sources;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.UserDefinedFileAttributeView;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The {@code files} type against a real tree on this machine's file system. */
class FilesSourceTest extends SourceContractTest {
    private static final LinkOption NOFOLLOW = LinkOption.NOFOLLOW_LINKS;
    Path tree;
    boolean xattrs;

    @Override
    protected void fill() throws Exception {
        tree = Files.createDirectories(work.resolve("tree"));
        Random r = new Random(3);
        byte[] big = new byte[1_500_000];
        r.nextBytes(big);
        write("uploads/big.bin", big, "rw-r--r--");
        for (int i = 0; i < 60; i++) {
            write("uploads/many/f" + i + ".json", ("{\"n\": " + i + "}\n").repeat(400).getBytes(StandardCharsets.UTF_8),
                    "rw-r--r--");
        }
        byte[] key = new byte[600_000];
        r.nextBytes(key);
        write("secrets/jwt.pem", key, "rw-------");
        write("bin/run.sh", "#!/bin/sh\necho run\n".getBytes(StandardCharsets.UTF_8), "rwxr-xr-x");
        write("weird/with space and\nnewline.txt", "nl".getBytes(StandardCharsets.UTF_8), "rw-r-----");
        write("weird/ünïcödé-名前-😀.txt", "utf8".getBytes(StandardCharsets.UTF_8), "rw-r--r--");
        write("uploads/empty", new byte[0], "rw-r--r--");
        Files.createDirectories(tree.resolve("empty-dir/nested-empty"));
        Files.setPosixFilePermissions(tree.resolve("empty-dir"), java.nio.file.attribute.PosixFilePermissions
                .fromString("rwx------"));
        Files.createSymbolicLink(tree.resolve("bin/readme-link"), Path.of("../uploads/empty"));
        Files.createSymbolicLink(tree.resolve("bin/dangling"), Path.of("/nonexistent/target"));
        Files.createLink(tree.resolve("uploads/big-hardlink.bin"), tree.resolve("uploads/big.bin"));
        Files.setLastModifiedTime(tree.resolve("bin/run.sh"), FileTime.from(1_500_000_000_000_000_001L,
                TimeUnit.NANOSECONDS));
        Files.setAttribute(tree.resolve("bin/run.sh"), "unix:mode", 04750);
        try {
            Files.getFileAttributeView(tree.resolve("uploads/empty"), UserDefinedFileAttributeView.class)
                    .write("origin", ByteBuffer.wrap("lifeboat".getBytes(StandardCharsets.UTF_8)));
            xattrs = true;
        } catch (java.io.IOException | UnsupportedOperationException e) {
            xattrs = false; // the file system has none: they are not compared
        }
    }

    private void write(String rel, byte[] data, String mode) throws Exception {
        Path p = tree.resolve(rel);
        Files.createDirectories(p.getParent());
        Files.write(p, data);
        Files.setPosixFilePermissions(p, java.nio.file.attribute.PosixFilePermissions.fromString(mode));
    }

    @Override
    protected SourceSpec spec(String name) {
        return new SourceSpec(name, "files", Map.of("path", tree.toString()));
    }

    @Override
    protected String state() throws Exception {
        return TreeSignature.of(tree);
    }

    @Override
    protected void damage() throws Exception {
        Files.writeString(tree.resolve("uploads/many/f3.json"), "changed");
        deleteTree(tree.resolve("weird"));
        Files.delete(tree.resolve("bin/dangling"));
        Files.setAttribute(tree.resolve("secrets/jwt.pem"), "unix:mode", 0644);
    }

    static void deleteTree(Path p) throws Exception {
        try (Stream<Path> s = Files.walk(p)) {
            for (Path x : s.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.delete(x);
            }
        }
    }

    @Override
    protected Map<SourceSpec, String> badSpecs() throws Exception {
        Path file = Files.writeString(work.resolve("a-file"), "x");
        Map<SourceSpec, String> bad = new LinkedHashMap<>();
        bad.put(new SourceSpec("up", "files", Map.of()), "no path");
        bad.put(new SourceSpec("up", "files", Map.of("path", "relative/dir")), "absolute");
        bad.put(new SourceSpec("up", "files", Map.of("path", tree.toString(), "exclud", "x")), "unknown field 'exclud'");
        bad.put(new SourceSpec("up", "files", Map.of("path", work.resolve("missing").toString())), "does not exist");
        bad.put(new SourceSpec("up", "files", Map.of("path", file.toString())), "is not a folder");
        bad.put(new SourceSpec("up", "files", Map.of("path", tree.toString(), "exclude", Map.of("a", "b"))),
                "exclude must be a list");
        return bad;
    }

    @Test
    void aSecondBackupAfterChangingOnePercentReadsOnlyThoseFiles() throws Exception {
        Manifest first = backup(repo, spec("up"));
        assertThat(first.sources().get(0).fields().get("read").asLong()).isEqualTo(66);
        Files.writeString(tree.resolve("uploads/many/f7.json"), "new content");
        Manifest second = backup(repo, spec("up"));
        var f = second.sources().get(0).fields();
        assertThat(f.get("read").asLong()).as("files read").isEqualTo(1);
        assertThat(f.get("readBytes").asLong()).as("bytes read").isEqualTo("new content".length());
        assertThat(f.get("files").asLong()).isEqualTo(66);
        damage();
        restore(second, spec("up"));
        assertThat(Files.readString(tree.resolve("uploads/many/f7.json"))).isEqualTo("new content");
        assertThat(Files.readString(tree.resolve("uploads/many/f3.json"))).startsWith("{\"n\": 3}");
    }

    @Test
    void aFileWrittenWhileItIsReadIsNamedAndReadAgainNextTime() throws Exception {
        Path log = tree.resolve("uploads/growing.log");
        byte[] start = new byte[20_000_000];
        new Random(4).nextBytes(start);
        Files.write(log, start);
        java.util.concurrent.atomic.AtomicBoolean stop = new java.util.concurrent.atomic.AtomicBoolean();
        Thread writer = new Thread(() -> { // an application still writing while the backup reads: one line a ms
            try (var out = Files.newOutputStream(log, java.nio.file.StandardOpenOption.APPEND)) {
                while (!stop.get()) {
                    out.write("a line of the log\n".getBytes(StandardCharsets.UTF_8));
                    out.flush();
                    Thread.sleep(1);
                }
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        writer.start();
        Manifest m;
        try {
            m = backup(repo, spec("up"));
        } finally {
            stop.set(true);
            writer.join();
        }
        var fields = m.sources().get(0).fields();
        assertThat(fields.get("changedWhileRead").asLong()).isEqualTo(1);
        assertThat(fields.get("changed")).singleElement().satisfies(p -> assertThat(p.asText())
                .isEqualTo("uploads/growing.log"));
        // a torn copy is never taken for unchanged: the next backup reads that file again, and only that one
        Manifest next = backup(repo, spec("up"));
        assertThat(next.sources().get(0).fields().get("read").asLong()).isEqualTo(1);
        assertThat(next.sources().get(0).fields().get("changedWhileRead")).isNull();
    }

    @Test
    void aFileGoneSinceTheLastBackupDoesNotMakeTheOthersBeReadAgain() throws Exception {
        // the walk visits each folder's sorted names depth first: a/b comes before a-c, which sorts before it as text
        for (String rel : List.of("x/a/b", "x/a-c", "x/a.d", "x/A", "x/a/b-c/d", "x/a/b.e", "x/\u00e9t\u00e9", "x/z")) {
            write("uploads/" + rel, rel.getBytes(java.nio.charset.StandardCharsets.UTF_8), "rw-r--r--");
        }
        Manifest first = backup(repo, spec("up"));
        long files = first.sources().get(0).fields().get("files").asLong();
        // a file gone since: the last backup's listing is read past it (it is in that listing, not in the walk)
        Files.delete(tree.resolve("uploads/x/a/b.e")); // the last of x/a, before x/a-c, which sorts before it as text
        Manifest second = backup(repo, spec("up"));
        assertThat(second.sources().get(0).fields().get("read").asLong()).as("files read again").isZero();
        assertThat(second.sources().get(0).fields().get("files").asLong()).isEqualTo(files - 1);
        assertThat(FilesSource.walkOrder("a/b", "a-c")).isNegative();
        assertThat(FilesSource.walkOrder("a-c", "a/b")).isPositive();
        assertThat(FilesSource.walkOrder(".", "a")).isNegative();
        assertThat(FilesSource.walkOrder("a", "a/b")).isNegative();
        assertThat(FilesSource.walkOrder("a/b/c", "a/b")).isPositive();
        assertThat(FilesSource.walkOrder("A", "a")).isNegative();
    }

    @Test
    void excludedNamesAndFoldersAreLeftOut() throws Exception {
        write("uploads/x.tmp", "t".getBytes(StandardCharsets.UTF_8), "rw-r--r--");
        write("uploads/cache/c.bin", "c".getBytes(StandardCharsets.UTF_8), "rw-r--r--");
        write("uploads/cache-not/c.bin", "c".getBytes(StandardCharsets.UTF_8), "rw-r--r--");
        SourceSpec spec = new SourceSpec("up", "files", Map.of("path", tree.toString(),
                "exclude", List.of("*.tmp", "cache/")));
        Manifest m = backup(repo, spec);
        Path out = work.resolve("out");
        restoreTo(m, spec, out, RestoreOptions.DEFAULT);
        assertThat(out.resolve("uploads/x.tmp")).doesNotExist();
        assertThat(out.resolve("uploads/cache")).doesNotExist();
        assertThat(out.resolve("uploads/cache-not/c.bin")).exists();
    }

    @Test
    void restoringElsewhereNeedsOverwriteForAFullFolderAndDeletesOnlyWithDelete() throws Exception {
        Manifest m = backup(repo, spec("up"));
        Path out = Files.createDirectories(work.resolve("out"));
        Files.writeString(out.resolve("extra.txt"), "mine");
        assertThatThrownBy(() -> restoreTo(m, spec("up"), out, RestoreOptions.DEFAULT))
                .isInstanceOf(LifeboatException.class).hasMessageContaining("is not empty; nothing was changed")
                .satisfies(e -> assertThat(((LifeboatException) e).hint()).contains("--overwrite"));
        restoreTo(m, spec("up"), out, new RestoreOptions(false, true, false, List.of(), true, true));
        assertThat(out.resolve("extra.txt")).hasContent("mine");
        assertThat(TreeSignature.of(out).replace("extra.txt f 644", "")).contains("uploads/big.bin");
        // strays everywhere, among the backup's names in the walk's order (many/ before many-x/, big.bin before
        // big.bin.old): --delete reads the listing again beside the target's walk, and removes each
        List<String> strays = List.of("uploads/many/f30.json.bak", "uploads/many/zz", "uploads/many-x/y/z",
                "uploads/big.bin.old", "uploads/A", "weird/zzz", "bin/run.sh.d/x", "empty-dir/nested-empty/n");
        for (String rel : strays) {
            Files.createDirectories(out.resolve(rel).getParent());
            Files.writeString(out.resolve(rel), "stray");
        }
        restoreTo(m, spec("up"), out, new RestoreOptions(false, true, true, List.of(), true, true));
        assertThat(out.resolve("extra.txt")).doesNotExist();
        for (String rel : strays) {
            assertThat(out.resolve(rel)).as(rel).doesNotExist();
        }
        assertThat(out.resolve("uploads/many-x")).doesNotExist();
        assertThat(TreeSignature.of(out).lines().filter(l -> !l.startsWith(" d")).toList())
                .isEqualTo(TreeSignature.of(tree).lines().filter(l -> !l.startsWith(" d")).toList());
    }

    @Test
    void aPartOfTheTreeIsRestoredAlone() throws Exception {
        Manifest m = backup(repo, spec("up"));
        Path out = work.resolve("part");
        restoreTo(m, spec("up"), out, new RestoreOptions(false, false, false, List.of("uploads/many/**"), true, true));
        try (Stream<Path> s = Files.walk(out)) {
            assertThat(s.filter(Files::isRegularFile).map(p -> out.relativize(p).toString()))
                    .hasSize(60).allMatch(p -> p.startsWith("uploads/many/"));
        }
    }

    @Test
    void aForgedListingCannotWriteOutsideTheTargetOrThroughALink() throws Exception {
        Path outside = Files.createDirectories(work.resolve("outside"));
        Path out = Files.createDirectories(work.resolve("victim"));
        Files.createSymbolicLink(out.resolve("link"), outside);
        for (String path : List.of("../escaped", "a/../../escaped", "/etc/escaped", "link/escaped", "")) {
            String line = "{\"path\":\"" + path + "\",\"type\":\"file\",\"mode\":420,\"uid\":0,\"gid\":0,"
                    + "\"mtimeNs\":0,\"ctimeNs\":0,\"ino\":1,\"size\":1,\"offset\":0,\"first\":0,\"count\":1}\n";
            TreeRestorer r = new TreeRestorer("source up (files)", "up", out, true, new RestoreOptions(false, true, false, List.of(), true, true), context(),
                    Excludes.of(spec("up"), List.of()), true);
            assertThatThrownBy(() -> r.restore(fake(line, "x"))).as(path).isInstanceOf(LifeboatException.class)
                    .hasMessageContaining("source up (files)");
        }
        try (Stream<Path> s = Files.walk(outside)) {
            assertThat(s.filter(p -> !p.equals(outside))).as("written outside").isEmpty();
        }
        assertThat(work.resolve("escaped")).doesNotExist();
    }

    @Test
    void ownersComeBackByNameWhenThisSystemKnowsItElseByIdAndLinksKeepTheirOwnTime() throws Exception {
        Path out = Files.createDirectories(work.resolve("owners"));
        String listing = entry("known", "nobody", 4242, "nogroup", 4242, 0, 1)
                + entry("unknown", "no-such-user-lifeboat", 4243, "no-such-group-lifeboat", 4244, 1, 1)
                + "{\"path\":\"link\",\"type\":\"symlink\",\"mode\":511,\"uid\":0,\"gid\":0,"
                + "\"mtimeNs\":1600000000123456789,\"ctimeNs\":0,\"ino\":3,\"target\":\"known\"}\n";
        TreeRestorer r = new TreeRestorer("source up (files)", "up", out, true, new RestoreOptions(false, true, false,
                List.of(), true, true), context(), Excludes.of(spec("up"), List.of()), true);
        r.restore(fake(listing, "xy"));
        int me = (Integer) Files.getAttribute(Path.of("/proc/self"), "unix:uid");
        if (me == 0) { // as root, owners are restored: by name first, as GNU tar does
            assertThat(Files.getAttribute(out.resolve("known"), "unix:uid")).isEqualTo(uidOf("nobody"));
            assertThat(Files.getOwner(out.resolve("known")).getName()).isEqualTo("nobody");
            assertThat(Files.getAttribute(out.resolve("unknown"), "unix:uid")).isEqualTo(4243);
            assertThat(Files.getAttribute(out.resolve("unknown"), "unix:gid")).isEqualTo(4244);
        } else { // otherwise every file belongs to the restoring user
            assertThat(Files.getAttribute(out.resolve("known"), "unix:uid")).isEqualTo(me);
            assertThat(Files.getAttribute(out.resolve("unknown"), "unix:uid")).isEqualTo(me);
        }
        assertThat(Files.readSymbolicLink(out.resolve("link"))).isEqualTo(Path.of("known"));
        // a link's own time, to the microsecond: the JDK sets it with lutimes, which takes no nanoseconds
        assertThat(((FileTime) Files.getAttribute(out.resolve("link"), "lastModifiedTime", NOFOLLOW))
                .to(TimeUnit.NANOSECONDS)).isEqualTo(1_600_000_000_123_456_000L);
    }

    private static String entry(String path, String user, int uid, String group, int gid, long offset, long size) {
        return "{\"path\":\"" + path + "\",\"type\":\"file\",\"mode\":420,\"uid\":" + uid + ",\"gid\":" + gid
                + ",\"user\":\"" + user + "\",\"group\":\"" + group + "\",\"mtimeNs\":0,\"ctimeNs\":0,\"ino\":1,"
                + "\"size\":" + size + ",\"offset\":" + offset + ",\"first\":0,\"count\":0}\n";
    }

    private static int uidOf(String user) throws Exception {
        Process id = new ProcessBuilder("id", "-u", user).start();
        String out = new String(id.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        assertThat(id.waitFor()).as("id -u " + user).isZero();
        return Integer.parseInt(out);
    }

    @Test
    void theTarOfABackupRebuildsTheTreeWithGnuTar() throws Exception {
        Manifest m = backup(repo, spec("up"));
        Manifest full = repo.manifest(m.id());
        Path tarFile = work.resolve("up.tar");
        try (var out = Files.newOutputStream(tarFile)) {
            TreeTar.write(Restorer.Artifacts.of(full.artifacts(), repo.artifactReader(keys)::open), out);
        }
        Path out = Files.createDirectories(work.resolve("from-tar"));
        Process tar = new ProcessBuilder("tar", "-x", "--xattrs", "--xattrs-include=user.*", "--same-owner",
                "--numeric-owner", "-C", out.toString(), "-f", tarFile.toString()).redirectErrorStream(true).start();
        String said = new String(tar.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(tar.waitFor()).as(said).isZero();
        assertThat(TreeSignature.of(out, 100)).isEqualTo(TreeSignature.of(tree, 100));
    }

    @Test
    void verifyReadsEveryFileAndADrillRestoresTheTreeAndComparesItsCounts() throws Exception {
        Manifest m = backup(repo, spec("up"));
        var engine = new dev.lifeboat.engine.VerifyEngine(repo, keys, PG_TOOLS, dev.lifeboat.engine.Progress.NONE,
                java.time.Clock.systemUTC(), r -> {});
        var drilled = engine.run(new dev.lifeboat.engine.VerifyRequest(List.of(m.id()), false, true, null, true, null,
                null, true));
        assertThat(drilled).singleElement().satisfies(r -> {
            assertThat(r.problems()).isEmpty();
            assertThat(r.status()).isEqualTo("drilled");
            // the tree's own drill record: the files and bytes it restored, matched against the manifest
            assertThat(r.drill().sources()).singleElement().satisfies(d -> {
                assertThat(d.name()).isEqualTo("up");
                assertThat(d.type()).isEqualTo("files");
                assertThat(d.compared()).containsExactly(Map.entry("files", 66L),
                        Map.entry("bytes", m.sources().get(0).fields().get("bytes").asLong()));
                assertThat(d.mismatches()).isEmpty();
                assertThat(d.summary()).startsWith("up (files): 66 files, ").contains(" match in ");
            });
        });
        assertThat(repo.status(m.id()).drill().sources()).as("recorded in status.json").hasSize(1);
        // a manifest that records one file more than the tree holds: the drill's count says so
        Manifest full = repo.manifest(m.id());
        Manifest.Source s = full.sources().get(0);
        var fields = s.fields().deepCopy();
        fields.put("files", fields.get("files").asLong() + 1);
        String id = dev.lifeboat.repository.BackupIds.next(java.time.Instant.now());
        repo.commit(new Manifest(full.formatVersion(), id, "miscounted", full.status(), full.started(),
                full.finished(), full.toolVersion(), full.host(), List.of(new Manifest.Source(s.type(), s.name(),
                fields)), full.artifacts(), full.logicalBytes(), full.storedBytes(), 0, null, full.stack()));
        var miscounted = engine.run(new dev.lifeboat.engine.VerifyRequest(List.of(id), false, true, null, true,
                null, null, true));
        assertThat(miscounted).singleElement().satisfies(r -> {
            assertThat(r.status()).isEqualTo("corrupt");
            assertThat(r.problems()).singleElement().asString().contains("drill: source up: expected 67 files, "
                    + "restored 66");
            assertThat(r.drill().sources()).singleElement().satisfies(d -> {
                assertThat(d.compared()).containsOnlyKeys("bytes");
                assertThat(d.mismatches()).hasSize(1);
            });
        });
    }

    /** Artifacts of a listing and data given here, as a forger with the storage could write them. */
    private static Restorer.Artifacts fake(String listing, String data) {
        Artifact tree = new Artifact("up.tree", "up", FilesType.TREE, listing.length(), 0, null, List.of());
        Artifact bytes = new Artifact("up.data", "up", FilesType.DATA, data.length(), 0, null, List.of());
        return Restorer.Artifacts.of(List.of(tree, bytes),
                a -> new ByteArrayInputStream((a == tree ? listing : data).getBytes(StandardCharsets.UTF_8)));
    }

    private void restoreTo(Manifest m, SourceSpec spec, Path to, RestoreOptions options) throws Exception {
        Manifest full = repo.manifest(m.id());
        var reader = repo.artifactReader(keys);
        List<Artifact> mine = new ArrayList<>(full.artifacts());
        Restorer r = Sources.configure(List.of(spec), context()).get(0).restorer(full.sources().get(0), options,
                to.toString());
        r.inspect();
        r.restore(Restorer.Artifacts.of(mine, reader::open));
    }
}
