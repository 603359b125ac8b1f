package dev.lifeboat.storage.local;

import dev.lifeboat.storage.BlobInfo;
import dev.lifeboat.storage.BlobNames;
import dev.lifeboat.storage.PermanentStorageException;
import dev.lifeboat.storage.Storage;
import dev.lifeboat.storage.StorageFeature;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.channels.FileChannel;
import java.nio.file.AccessDeniedException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileSystemException;
import java.nio.file.FileSystems;
import java.nio.file.LinkOption;
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
 *
 * <p>No symbolic link inside the root is followed, for any read, write, listing or delete: a blob whose path below
 * the root passes through a link is refused naming the link, and a listing skips links with a warning. (A folder
 * swapped for a link between that check and the use remains a race; the storage's owner is the one who could win
 * it.)
 *
 * <p>A failure names the blob, the root and the system's reason. Those that trying again cannot fix (permission
 * denied, no space left, a read-only file system) are {@link PermanentStorageException}s that say what to do.
 */
public final class LocalStorage implements Storage {
    static final String TEMP_PREFIX = ".tmp-";
    private static final boolean POSIX =
            FileSystems.getDefault().supportedFileAttributeViews().contains("posix");
    private static final Set<PosixFilePermission> FILE_MODE = PosixFilePermissions.fromString("rw-------");
    private static final Set<PosixFilePermission> DIR_MODE = PosixFilePermissions.fromString("rwx------");

    private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(LocalStorage.class);
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

    /**
     * The file of blob {@code name}, once no folder on the way to it below the root, nor the file itself, is a
     * symbolic link: the storage is not trusted, and a link planted in it must never make Lifeboat read, write or
     * delete anything outside the repository. (The root itself may be a link: the user chose it.)
     */
    private Path path(String name) throws IOException {
        Path p = root.resolve(BlobNames.check(name));
        Path at = root;
        for (Path part : root.relativize(p)) {
            at = at.resolve(part);
            BasicFileAttributes a;
            try {
                a = Files.readAttributes(at, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
            } catch (NoSuchFileException | java.nio.file.NotDirectoryException e) {
                break; // nothing further down exists yet, so nothing further down is a link
            } catch (IOException e) {
                break; // unreadable (permission denied): the operation itself fails on it and says why
            }
            if (a.isSymbolicLink()) {
                throw linkRefused(name, at);
            }
        }
        return p;
    }

    private PermanentStorageException linkRefused(String name, Path link) {
        return new PermanentStorageException("cannot use blob " + name + " in " + root + ": " + root.relativize(link)
                + " is a symbolic link, and Lifeboat follows no link inside a repository (nothing was read, written "
                + "or deleted through it)", "remove the link " + link + " (whoever can write the repository's "
                + "folder put it there), or restore that part of the repository from a replica", null);
    }

    @Override
    public InputStream read(String name) throws IOException {
        Path p = path(name);
        try {
            return Files.newInputStream(p, LinkOption.NOFOLLOW_LINKS);
        } catch (NoSuchFileException e) {
            throw new NoSuchFileException(name, null, "no such blob in " + root);
        } catch (IOException e) {
            throw failure("read", name, e);
        }
    }

    @Override
    public InputStream read(String name, long offset, long length) throws IOException {
        if (offset < 0 || length < 0) {
            throw new IllegalArgumentException("range " + offset + "+" + length + " of " + name);
        }
        Path p = path(name);
        FileChannel ch;
        try {
            ch = FileChannel.open(p, StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS);
        } catch (NoSuchFileException e) {
            throw new NoSuchFileException(name, null, "no such blob in " + root);
        } catch (IOException e) {
            throw failure("read", name, e);
        }
        try {
            ch.position(offset);
        } catch (IOException e) {
            ch.close();
            throw failure("read", name, e);
        }
        return new dev.lifeboat.storage.BoundedInputStream(java.nio.channels.Channels.newInputStream(ch), length);
    }

    @Override
    public void write(String name, InputStream data) throws IOException {
        Path target = path(name);
        Path dir = target.getParent();
        Path tmp = dir.resolve(TEMP_PREFIX + target.getFileName() + "-" + UUID.randomUUID());
        try {
            createDirectories(dir);
            try (FileChannel ch = FileChannel.open(tmp, createOptions(), fileAttributes(FILE_MODE));
                 OutputStream out = java.nio.channels.Channels.newOutputStream(ch)) {
                copy(data, out);
                out.flush();
                ch.force(true);
            }
            try {
                Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                throw new PermanentStorageException("the file system of " + root + " cannot rename atomically",
                        "put the repository on a local POSIX file system", e);
            }
            syncDirectory(dir);
        } catch (SourceFailure e) {
            throw e.source; // the caller's stream failed, not the disk
        } catch (PermanentStorageException e) {
            throw e;
        } catch (IOException e) {
            throw failure("write", name, e);
        } finally {
            try {
                Files.deleteIfExists(tmp);
            } catch (IOException ignored) {
                // left as debris that removeDebris cleans; the write's own outcome matters more
            }
        }
    }

    /** An exception of the stream being written, kept apart from those of the file system. */
    private static final class SourceFailure extends IOException {
        final IOException source;

        SourceFailure(IOException source) {
            super(source);
            this.source = source;
        }
    }

    private static void copy(InputStream data, OutputStream out) throws IOException {
        byte[] buf = new byte[1 << 16];
        while (true) {
            int n;
            try {
                n = data.read(buf);
            } catch (IOException e) {
                throw new SourceFailure(e);
            }
            if (n < 0) {
                return;
            }
            out.write(buf, 0, n);
        }
    }

    /**
     * The exception to report for a failed operation on blob {@code name} ({@code ""} for the root): it names the
     * blob, the root and the reason, and is a {@link PermanentStorageException} with what to do when trying again
     * cannot help.
     */
    IOException failure(String op, String name, IOException e) {
        return failure(op, name, root, e, "write".equals(op) ? usableSpace(root) : -1);
    }

    static IOException failure(String op, String name, Path root, IOException e, long usableBytes) {
        if (e instanceof PermanentStorageException || e instanceof NoSuchFileException) {
            return e;
        }
        String reason = e instanceof FileSystemException f && f.getReason() != null ? f.getReason()
                : String.valueOf(e.getMessage());
        String what = name.isEmpty() ? root.toString() : name + " in " + root;
        String user = System.getProperty("user.name");
        if (e instanceof AccessDeniedException || reason.contains("Permission denied")
                || reason.contains("Operation not permitted")) {
            return new PermanentStorageException("permission denied: cannot " + op + " " + what + " as user " + user,
                    "run Lifeboat as the user that owns " + root + " (its files are readable by their owner only), "
                            + "or make " + user + " the owner of it and everything in it", e);
        }
        if (reason.contains("Read-only file system")) {
            return new PermanentStorageException("cannot " + op + " " + what + ": the file system is read-only",
                    "remount it read-write, or use a repository on a writable file system", e);
        }
        if (reason.contains("No space left on device") || reason.contains("Disk quota exceeded")
                || (usableBytes >= 0 && usableBytes < FULL_BELOW)) {
            String free = usableBytes < 0 ? "" : usableBytes < (1 << 20) ? " (" + (usableBytes >> 10) + " KiB free)"
                    : String.format(" (%.1f MiB free)", usableBytes / 1048576.0);
            return new PermanentStorageException("cannot " + op + " " + what + ": no space left on its file system"
                    + free, "free space there, or run 'lifeboat prune' to apply retention and delete the chunks no "
                    + "backup uses (what a failed backup wrote is among them)", e);
        }
        return new IOException("cannot " + op + " " + what + ": " + reason, e);
    }

    /** Below this much usable space, a failed write is taken to have run out of it, whatever the message. */
    static final long FULL_BELOW = 1 << 20;

    /** The usable space of the file system holding {@code path} (or its nearest existing folder), or -1. */
    private static long usableSpace(Path path) {
        for (Path p = path; p != null; p = p.getParent()) {
            try {
                return Files.getFileStore(p).getUsableSpace();
            } catch (IOException e) {
                // missing or unreadable: try the folder above
            }
        }
        return -1;
    }

    private static Set<java.nio.file.OpenOption> createOptions() {
        return Set.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE, LinkOption.NOFOLLOW_LINKS);
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
            BasicFileAttributes a = Files.readAttributes(p, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
            return a.isRegularFile() ? Optional.of(new BlobInfo(name, a.size(), a.lastModifiedTime().toInstant()))
                    : Optional.empty();
        } catch (NoSuchFileException e) {
            return Optional.empty();
        } catch (IOException e) {
            throw failure("look up", name, e);
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
        try {
            if (!dirPart.isEmpty()) {
                path(dirPart); // refused when the folder, or one above it, is a link
            }
            // the root itself may be a link (the user's choice), so it alone is looked at through links
            LinkOption[] follow = dirPart.isEmpty() ? new LinkOption[0] : new LinkOption[] {LinkOption.NOFOLLOW_LINKS};
            if (!Files.readAttributes(start, BasicFileAttributes.class, follow).isDirectory()) {
                return;
            }
            walk(start, prefix, each);
        } catch (NoSuchFileException e) {
            // nothing stored under this prefix yet
        } catch (IOException e) {
            throw failure("list", dirPart, e);
        }
    }

    private void walk(Path dir, String prefix, java.util.function.Consumer<BlobInfo> out) throws IOException {
        DirectoryStream<Path> opened;
        try {
            opened = Files.newDirectoryStream(dir);
        } catch (NoSuchFileException gone) {
            return; // removed since its parent was read, with its blobs
        }
        try (DirectoryStream<Path> entries = opened) {
            for (Path p : entries) {
                String fileName = p.getFileName().toString();
                if (fileName.startsWith(".")) {
                    continue; // temporary files of writes in progress, never blobs
                }
                String name = root.relativize(p).toString().replace(java.io.File.separatorChar, '/');
                BasicFileAttributes a;
                try {
                    a = Files.readAttributes(p, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
                } catch (NoSuchFileException gone) {
                    continue;
                }
                if (a.isSymbolicLink()) {
                    // never followed: listed as nothing, said once per listing that meets it
                    log.warn("{} in {} is a symbolic link; Lifeboat follows no link inside a repository and "
                            + "leaves it alone: remove it", name, root);
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
        try {
            Files.deleteIfExists(path(name));
        } catch (IOException e) {
            throw failure("delete", name, e);
        }
    }

    @Override
    public int removeDebris(java.time.Instant olderThan) throws IOException {
        if (!Files.isDirectory(root)) {
            return 0;
        }
        int[] removed = {0};
        // from the root's real path: a root that is a link (the user's choice) is walked, no link below it is
        try (java.util.stream.Stream<Path> files = Files.walk(root.toRealPath())) {
            for (Path p : (Iterable<Path>) files::iterator) {
                if (p.getFileName().toString().startsWith(TEMP_PREFIX) && Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)
                        && Files.getLastModifiedTime(p, LinkOption.NOFOLLOW_LINKS).toInstant().isBefore(olderThan)) {
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
