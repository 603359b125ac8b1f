package dev.lifeboat.storage.local;

import dev.lifeboat.storage.BlobInfo;
import dev.lifeboat.storage.BlobNames;
import dev.lifeboat.storage.Storage;
import dev.lifeboat.storage.StorageFeature;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;

/**
 * Blobs as files under a root folder. A write goes to a hidden temporary file beside the target,
 * is fsynced, renamed over the target atomically, and the folder is fsynced, so a crash leaves the old
 * blob or the new one. Files are 0600 and folders 0700: backups hold a whole database.
 */
public final class LocalStorage implements Storage {
    static final String TEMP_PREFIX = ".tmp-";
    private static final boolean POSIX =
            FileSystems.getDefault().supportedFileAttributeViews().contains("posix");
    private static final Set<PosixFilePermission> FILE_MODE = PosixFilePermissions.fromString("rw-------");
    private static final Set<PosixFilePermission> DIR_MODE = PosixFilePermissions.fromString("rwx------");

    private final Path root;

    public LocalStorage(Path root) {
        this.root = root.toAbsolutePath().normalize();
    }

    public Path root() {
        return root;
    }

    @Override
    public String location() {
        return root.toString();
    }

    @Override
    public Set<StorageFeature> features() {
        return POSIX ? EnumSet.of(StorageFeature.OWNER_ONLY_FILES, StorageFeature.MULTIPART_UPLOAD)
                : EnumSet.of(StorageFeature.MULTIPART_UPLOAD);
    }

    private Path path(String name) {
        return root.resolve(BlobNames.check(name));
    }

    @Override
    public InputStream read(String name) throws IOException {
        Path p = path(name);
        try {
            return Files.newInputStream(p);
        } catch (NoSuchFileException e) {
            throw new NoSuchFileException(name, null, "no such blob in " + root);
        }
    }

    @Override
    public void write(String name, InputStream data) throws IOException {
        Path target = path(name);
        Path dir = target.getParent();
        createDirectories(dir);
        Path tmp = dir.resolve(TEMP_PREFIX + target.getFileName() + "-" + UUID.randomUUID());
        try {
            try (FileChannel ch = FileChannel.open(tmp, createOptions(), fileAttributes(FILE_MODE));
                 OutputStream out = java.nio.channels.Channels.newOutputStream(ch)) {
                data.transferTo(out);
                out.flush();
                ch.force(true);
            }
            try {
                Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                throw new IOException("the file system of " + root + " cannot rename atomically; "
                        + "put the repository on a local POSIX file system", e);
            }
            syncDirectory(dir);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    private static Set<StandardOpenOption> createOptions() {
        return EnumSet.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
    }

    private static FileAttribute<?>[] fileAttributes(Set<PosixFilePermission> mode) {
        return POSIX ? new FileAttribute<?>[] {PosixFilePermissions.asFileAttribute(mode)} : new FileAttribute<?>[0];
    }

    private void createDirectories(Path dir) throws IOException {
        if (Files.isDirectory(dir)) {
            return;
        }
        Path parent = dir.getParent();
        if (parent != null && !dir.equals(root)) {
            createDirectories(parent);
        }
        try {
            Files.createDirectory(dir, fileAttributes(DIR_MODE));
            syncDirectory(parent != null ? parent : dir);
        } catch (java.nio.file.FileAlreadyExistsException e) {
            if (!Files.isDirectory(dir)) {
                throw e;
            }
        }
    }

    private static void syncDirectory(Path dir) {
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        } catch (IOException ignored) {
            // Some file systems refuse to open folders; the rename itself is still atomic there.
        }
    }

    @Override
    public Optional<BlobInfo> stat(String name) throws IOException {
        Path p = path(name);
        try {
            BasicFileAttributes a = Files.readAttributes(p, BasicFileAttributes.class);
            return a.isRegularFile() ? Optional.of(new BlobInfo(name, a.size(), a.lastModifiedTime().toInstant()))
                    : Optional.empty();
        } catch (NoSuchFileException e) {
            return Optional.empty();
        }
    }

    @Override
    public List<BlobInfo> list(String prefix) throws IOException {
        List<BlobInfo> out = new ArrayList<>();
        forEach(prefix, out::add);
        return out;
    }

    @Override
    public void forEach(String prefix, java.util.function.Consumer<BlobInfo> each) throws IOException {
        BlobNames.checkPrefix(prefix);
        // Walk only the folder the prefix names, not the whole repository.
        int slash = prefix.lastIndexOf('/');
        String dirPart = slash < 0 ? "" : prefix.substring(0, slash);
        Path start = dirPart.isEmpty() ? root : root.resolve(dirPart);
        if (Files.isDirectory(start)) {
            walk(start, prefix, each);
        }
    }

    private void walk(Path dir, String prefix, java.util.function.Consumer<BlobInfo> out) throws IOException {
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir)) {
            for (Path p : entries) {
                String fileName = p.getFileName().toString();
                if (fileName.startsWith(".")) {
                    continue; // temporary files of writes in progress, never blobs
                }
                String name = root.relativize(p).toString().replace(java.io.File.separatorChar, '/');
                BasicFileAttributes a;
                try {
                    a = Files.readAttributes(p, BasicFileAttributes.class);
                } catch (NoSuchFileException gone) {
                    continue;
                }
                if (a.isDirectory()) {
                    if (prefix.startsWith(name + "/") || (name + "/").startsWith(prefix) || prefix.isEmpty()) {
                        walk(p, prefix, out);
                    }
                } else if (a.isRegularFile() && name.startsWith(prefix)) {
                    out.accept(new BlobInfo(name, a.size(), a.lastModifiedTime().toInstant()));
                }
            }
        }
    }

    @Override
    public void delete(String name) throws IOException {
        Files.deleteIfExists(path(name));
    }

    @Override
    public int removeDebris(java.time.Instant olderThan) throws IOException {
        if (!Files.isDirectory(root)) {
            return 0;
        }
        int[] removed = {0};
        try (java.util.stream.Stream<Path> files = Files.walk(root)) {
            for (Path p : (Iterable<Path>) files::iterator) {
                if (p.getFileName().toString().startsWith(TEMP_PREFIX) && Files.isRegularFile(p)
                        && Files.getLastModifiedTime(p).toInstant().isBefore(olderThan)) {
                    Files.deleteIfExists(p);
                    removed[0]++;
                }
            }
        }
        return removed[0];
    }

    @Override
    public void close() {}
}
