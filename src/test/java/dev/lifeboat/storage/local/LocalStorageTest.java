package dev.lifeboat.storage.local;

import dev.lifeboat.storage.PermanentStorageException;
import dev.lifeboat.storage.Storage;
import dev.lifeboat.storage.StorageContractTest;
import dev.lifeboat.storage.StorageFeature;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static dev.lifeboat.testing.Requirements.require;

class LocalStorageTest extends StorageContractTest {
    @TempDir
    Path temp;

    private Path root;

    @Override
    protected Storage createStorage() {
        root = temp.resolve("repo");
        return new LocalStorage(root);
    }

    /** The temporary file a write killed before its rename leaves beside the blob. */
    @Override
    protected boolean makeDebris(String name) throws IOException {
        Path target = root.resolve(name);
        Files.createDirectories(target.getParent());
        Files.write(target.resolveSibling(LocalStorage.TEMP_PREFIX + target.getFileName() + "-killed"), new byte[7]);
        return true;
    }

    @Override
    protected int countDebris() throws IOException {
        if (!Files.isDirectory(root)) {
            return 0;
        }
        try (Stream<Path> files = Files.walk(root)) {
            return (int) files.filter(Files::isRegularFile)
                    .filter(p -> p.getFileName().toString().startsWith(LocalStorage.TEMP_PREFIX)).count();
        }
    }

    @Test
    void removeDebrisLeavesOtherHiddenFilesAlone() throws IOException {
        storage.write("chunks/ab/ab01", new byte[1]);
        Path foreign = root.resolve("chunks/ab/.nfs0000000000001234");
        Files.write(foreign, new byte[3]);
        Files.setLastModifiedTime(foreign, java.nio.file.attribute.FileTime.from(java.time.Instant.EPOCH));

        assertThat(storage.removeDebris(java.time.Instant.now().plusSeconds(60))).isZero();
        assertThat(foreign).exists();
    }

    @Test
    void filesAreOwnerOnly() throws IOException {
        require(FileSystems.getDefault().supportedFileAttributeViews().contains("posix"), "a POSIX file system",
                "run the tests on Linux, as CI does");
        storage.write("chunks/ab/ab01", new byte[10]);
        storage.write("chunks/ab/ab02", new PseudoRandomStream(1, 3 * MIB));
        storage.write("config", new byte[1]);

        assertThat(storage.features()).contains(StorageFeature.OWNER_ONLY_FILES);
        for (Path file : List.of(root.resolve("chunks/ab/ab01"), root.resolve("chunks/ab/ab02"),
                root.resolve("config"))) {
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file))).as(file.toString())
                    .isEqualTo("rw-------");
        }
        for (Path dir : List.of(root, root.resolve("chunks"), root.resolve("chunks/ab"))) {
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(dir))).as(dir.toString())
                    .isEqualTo("rwx------");
        }
    }

    @Test
    void noTemporaryFilesRemain() throws IOException {
        storage.write("chunks/ab/ab01", new byte[10]);
        storage.write("chunks/ab/ab01", new PseudoRandomStream(2, 2 * MIB));
        storage.write("index/latest", new byte[0]);
        InputStream failing = new PseudoRandomStream(3, MIB).failingAfter(1000);
        assertThatThrownBy(() -> storage.write("chunks/ab/ab02", failing)).isInstanceOf(IOException.class);

        assertThat(allFiles()).containsExactlyInAnyOrder("chunks/ab/ab01", "index/latest");
    }

    @Test
    void failuresNameTheBlobTheFolderAndTheReasonAndTellPermanentOnesApart() {
        Path r = Path.of("/srv/backups");
        String user = System.getProperty("user.name");
        IOException denied = LocalStorage.failure("read", "config.json", r,
                new java.nio.file.AccessDeniedException("/srv/backups/config.json"), -1);
        assertThat(denied).isInstanceOf(PermanentStorageException.class)
                .hasMessage("permission denied: cannot read config.json in /srv/backups as user " + user);
        assertThat(((PermanentStorageException) denied).hint()).contains("the user that owns /srv/backups");

        IOException readOnly = LocalStorage.failure("write", "locks/x.json", r,
                new java.nio.file.FileSystemException("/srv/backups/locks/x.json", null, "Read-only file system"), 5L << 30);
        assertThat(readOnly).isInstanceOf(PermanentStorageException.class)
                .hasMessage("cannot write locks/x.json in /srv/backups: the file system is read-only");

        IOException full = LocalStorage.failure("write", "chunks/ab/ab01", r, new IOException("No space left on device"), -1);
        assertThat(full).isInstanceOf(PermanentStorageException.class)
                .hasMessage("cannot write chunks/ab/ab01 in /srv/backups: no space left on its file system");
        assertThat(((PermanentStorageException) full).hint()).contains("lifeboat prune");
        // whatever the system's words (another language, a quota), a failed write with no room left is a full disk
        assertThat(LocalStorage.failure("write", "chunks/ab/ab01", r, new IOException("Plus d'espace"), 100 << 10))
                .isInstanceOf(PermanentStorageException.class).hasMessageEndingWith("no space left on its file system (100 KiB free)");

        IOException other = LocalStorage.failure("write", "chunks/ab/ab01", r, new IOException("Input/output error"), 5L << 30);
        assertThat(other).isNotInstanceOf(PermanentStorageException.class)
                .hasMessage("cannot write chunks/ab/ab01 in /srv/backups: Input/output error");
        assertThat(LocalStorage.failure("list", "", r, new IOException("Stale file handle"), -1))
                .hasMessage("cannot list /srv/backups: Stale file handle");
    }

    @Test
    void aFailingStreamIsReportedAsItsOwnFailureNotTheDisks() {
        IOException thrown = org.assertj.core.api.Assertions.catchThrowableOfType(
                () -> storage.write("chunks/ab/ab02", new PseudoRandomStream(3, MIB).failingAfter(1000)), IOException.class);
        assertThat(thrown).isNotNull().isNotInstanceOf(PermanentStorageException.class);
        assertThat(thrown).hasMessage("source broke after 1000 bytes");
    }

    @Test
    void listSkipsHiddenDebrisOfInterruptedWrites() throws IOException {
        storage.write("chunks/ab/ab01", new byte[1]);
        Files.write(root.resolve("chunks/ab/" + LocalStorage.TEMP_PREFIX + "ab02-crashed"), new byte[5]);

        assertThat(storage.list("chunks/")).extracting(b -> b.name()).containsExactly("chunks/ab/ab01");
    }

    @Test
    void locationIsTheAbsoluteRoot() {
        assertThat(storage.location()).isEqualTo(root.toAbsolutePath().normalize().toString());
    }

    private List<String> allFiles() throws IOException {
        try (Stream<Path> files = Files.walk(root)) {
            return files.filter(Files::isRegularFile)
                    .map(p -> root.relativize(p).toString().replace(java.io.File.separatorChar, '/'))
                    .collect(Collectors.toList());
        }
    }
}
