package dev.lifeboat.storage.local;

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
import static org.junit.jupiter.api.Assumptions.assumeTrue;

class LocalStorageTest extends StorageContractTest {
    @TempDir
    Path temp;

    private Path root;

    @Override
    protected Storage createStorage() {
        root = temp.resolve("repo");
        return new LocalStorage(root);
    }

    @Test
    void filesAreOwnerOnly() throws IOException {
        assumeTrue(FileSystems.getDefault().supportedFileAttributeViews().contains("posix"), "POSIX file system");
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
