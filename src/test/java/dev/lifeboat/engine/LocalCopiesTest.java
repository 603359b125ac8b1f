package dev.lifeboat.engine;

import dev.lifeboat.crypto.Age;
import dev.lifeboat.repository.ChunkerParams;
import dev.lifeboat.repository.Keys;
import dev.lifeboat.repository.LocalKeyCache;
import dev.lifeboat.repository.Manifest;
import dev.lifeboat.repository.Repository;
import dev.lifeboat.source.RestoreOptions;
import dev.lifeboat.source.Restorer;
import dev.lifeboat.source.SourceContext;
import dev.lifeboat.source.SourceSpec;
import dev.lifeboat.source.Sources;
import dev.lifeboat.source.files.TreeSignature;
import dev.lifeboat.source.postgres.PgTools;
import dev.lifeboat.storage.local.LocalStorage;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A backup host of an encrypted repository holds the public key only, so it cannot read a tree's last listing back
 * from the repository: it keeps a local copy of the listing it wrote, and the next backup reuses the unchanged files
 * through it instead of reading the whole tree again. A copy that is stale, altered, or of a backup that is gone only
 * costs reading the files again, and the backups restore byte for byte either way.
 */
class LocalCopiesTest {
    private static final PgTools TOOLS = new PgTools(List.of());
    @TempDir
    Path dir;
    Path tree;
    Path keyFolder;
    Repository repo;
    Keys writeOnly;
    String[] identity;
    Instant now = Instant.parse("2026-12-06T03:00:00Z");

    @BeforeEach
    void setUp() throws Exception {
        identity = Age.generate();
        keyFolder = dir.resolve("keys");
        repo = Repository.init(new LocalStorage(dir.resolve("repo")), List.of(identity[1]),
                new ChunkerParams(16 * 1024, 64 * 1024, 256 * 1024, 42), 3, new LocalKeyCache(keyFolder));
        writeOnly = repo.writeKeys(new LocalKeyCache(keyFolder), List.of());
        assertThat(writeOnly.canDecrypt()).isFalse();
        tree = Files.createDirectories(dir.resolve("tree"));
        Random r = new Random(9);
        for (int i = 0; i < 40; i++) {
            byte[] b = new byte[i % 4 == 0 ? 300_000 : 900 + i];
            r.nextBytes(b);
            Files.createDirectories(tree.resolve("d" + i % 5));
            Files.write(tree.resolve("d" + i % 5).resolve("f" + i), b);
        }
    }

    private SourceSpec spec() {
        return new SourceSpec("uploads", "files", Map.of("path", tree.toString()));
    }

    private Manifest backup(Keys keys) throws Exception {
        now = now.plus(Duration.ofHours(1));
        return new BackupEngine(repo, keys, TOOLS, Progress.NONE, Clock.fixed(now, ZoneOffset.UTC), m -> {})
                .withLocalCopies(keyFolder)
                .run(new BackupRequest(List.of(), false, false, "copies", 3, 2, null).withStack(List.of(spec()),
                        Map.of(), 1));
    }

    private static long read(Manifest m) {
        return m.sources().get(0).fields().get("read").asLong();
    }

    private Path copies() {
        return keyFolder.resolve(repo.config().id() + ".local");
    }

    /** Restores the backup with the identity, which the backup host never had, into a new folder. */
    private String restored(Manifest m) throws Exception {
        Keys read = repo.readKeys(List.of(identity[0]));
        Manifest full = repo.manifest(m.id());
        Path out = dir.resolve("restored-" + m.id());
        var source = Sources.configure(List.of(spec()), new SourceContext(System.getenv(), x -> {},
                Map.of(PgTools.class, TOOLS))).get(0);
        Restorer r = source.restorer(full.sources().get(0), RestoreOptions.DEFAULT, out.toString());
        r.inspect();
        var reader = repo.artifactReader(read);
        r.restore(Restorer.Artifacts.of(full.artifacts(), reader::open));
        return TreeSignature.of(out);
    }

    @Test
    void theNextBackupOfAHostWithThePublicKeyOnlyReusesTheUnchangedFilesThroughItsLocalCopy() throws Exception {
        Manifest first = backup(writeOnly);
        assertThat(read(first)).isEqualTo(40);
        assertThat(Files.getPosixFilePermissions(copies())).isEqualTo(PosixFilePermissions.fromString("rwx------"));
        try (Stream<Path> s = Files.list(copies())) {
            assertThat(s.toList()).hasSize(2).allSatisfy(p -> assertThat(Files.getPosixFilePermissions(p))
                    .isEqualTo(PosixFilePermissions.fromString("rw-------")));
        }

        Manifest second = backup(writeOnly);
        assertThat(read(second)).as("nothing read again").isZero();
        Files.write(tree.resolve("d1/f1"), new byte[] {1, 2, 3});
        String changed = TreeSignature.of(tree);
        Manifest third = backup(writeOnly);
        assertThat(read(third)).as("only the changed file").isEqualTo(1);
        assertThat(restored(third)).isEqualTo(changed);
        assertThat(restored(second)).isNotEqualTo(changed);
    }

    @Test
    void anAlteredOrStaleCopyCostsReadingTheFilesAgainNeverAWrongBackup() throws Exception {
        backup(writeOnly);
        String state = TreeSignature.of(tree);
        // an altered copy: its hash is no longer the one the signed manifest gives the listing
        Path copy;
        try (Stream<Path> s = Files.list(copies())) {
            copy = s.filter(p -> p.toString().endsWith(".copy")).findFirst().orElseThrow();
        }
        String listing = Files.readString(copy);
        Files.writeString(copy, listing.replaceFirst("\"size\":\\d+", "\"size\":1"));
        Manifest altered = backup(writeOnly);
        assertThat(read(altered)).isEqualTo(40);
        assertThat(restored(altered)).isEqualTo(state);
        // a copy of a backup that is gone: read again
        Manifest next = backup(writeOnly);
        assertThat(read(next)).isZero();
        Files.delete(dir.resolve("repo").resolve(Manifest.blobName(next.id())));
        assertThat(read(backup(writeOnly))).isEqualTo(40);
    }

    @Test
    void aHostThatCanReadItsBackupsKeepsNoCopy() throws Exception {
        Keys both = repo.writeKeys(new LocalKeyCache(keyFolder), List.of(identity[0]));
        backup(both);
        assertThat(read(backup(both))).isZero(); // read back from the repository itself
        assertThat(copies()).doesNotExist();
    }
}
