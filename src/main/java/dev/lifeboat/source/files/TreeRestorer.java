package dev.lifeboat.source.files;

import dev.lifeboat.core.ErrorCode;
import dev.lifeboat.core.Hex;
import dev.lifeboat.core.LifeboatException;
import dev.lifeboat.repository.Artifact;
import dev.lifeboat.repository.Json;
import dev.lifeboat.source.Restorer;
import dev.lifeboat.source.RestoreOptions;
import dev.lifeboat.source.Source;
import dev.lifeboat.source.SourceContext;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.PathMatcher;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributeView;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserDefinedFileAttributeView;
import java.security.MessageDigest;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Writes a file tree back. The listing comes from storage, so it is untrusted: every path is checked to stay inside
 * the target (relative, no {@code ..}, no empty part), and no folder on the way to an entry may be a symbolic link
 * (one the restore made, or one already there): nothing is ever written through a link. Files are written to a
 * temporary name beside their place and renamed over it once whole and checked against their SHA-256; folders get
 * their mode and times last, deepest first.
 */
final class TreeRestorer implements Restorer {
    private static final LinkOption NOFOLLOW = LinkOption.NOFOLLOW_LINKS;
    private final String label;
    private final String name;
    private final Path target;
    private final boolean elsewhere;
    private final RestoreOptions options;
    private final SourceContext context;
    private final Excludes excludes;
    private final boolean stop;
    private final List<PathMatcher> parts = new ArrayList<>();

    TreeRestorer(String label, String name, Path target, boolean elsewhere, RestoreOptions options, SourceContext context, Excludes excludes, boolean stop) {
        this.label = label;
        this.name = name;
        this.target = target;
        this.elsewhere = elsewhere;
        this.options = options;
        this.context = context;
        this.excludes = excludes;
        this.stop = stop;
        if (options.create()) {
            throw new LifeboatException(ErrorCode.USAGE, label + ": --create is for databases; a folder is created "
                    + "when it does not exist", "leave out --create");
        }
        for (String p : options.parts()) {
            parts.add(FileSystems.getDefault().getPathMatcher("glob:" + p));
        }
    }

    @Override
    public String target() {
        return "folder " + target;
    }

    @Override
    public Inspection inspect() throws IOException {
        if (Files.exists(target, NOFOLLOW) && !Files.isDirectory(target, NOFOLLOW)) {
            throw new LifeboatException(ErrorCode.USAGE, label + ": " + target + " is not a folder; nothing was changed",
                    "restore into a folder, e.g. --to /tmp/" + name);
        }
        long entries = 0;
        if (Files.isDirectory(target, NOFOLLOW)) {
            try (DirectoryStream<Path> ds = Files.newDirectoryStream(target)) {
                for (Path ignored : ds) {
                    entries++;
                }
            }
        }
        if (entries > 0 && elsewhere && !options.overwrite()) {
            throw new LifeboatException(ErrorCode.USAGE, label + ": " + target + " is not empty; nothing was changed",
                    "restore into an empty or new folder, or pass --overwrite to write over what is there (files the "
                            + "backup does not hold are kept unless --delete)");
        }
        return new Inspection(entries > 0, entries == 0 ? "empty or to be created" : entries + " entries at its top");
    }

    @Override
    public Source safetySource() {
        return new FilesSource(name, target, excludes, stop, context);
    }

    @Override
    public void restore(Artifacts artifacts) throws IOException {
        Artifact tree = artifacts.list().stream().filter(a -> FilesType.TREE.equals(a.format())).findFirst()
                .orElseThrow(() -> integrity("its backup holds no file list"));
        Artifact data = artifacts.list().stream().filter(a -> FilesType.DATA.equals(a.format())).findFirst()
                .orElseThrow(() -> integrity("its backup holds no file data"));
        Files.createDirectories(target);
        boolean root = isRoot();
        if (!root) {
            context.notice().accept(label + ": not running as root, so files keep the restoring user as owner");
        }
        Deque<Entry> dirs = new ArrayDeque<>();
        long position = 0;
        try (BufferedReader lines = new BufferedReader(new InputStreamReader(artifacts.open(tree), StandardCharsets.UTF_8));
             InputStream bytes = artifacts.open(data)) {
            String line;
            while ((line = lines.readLine()) != null) {
                Entry e;
                try {
                    e = Json.MAPPER.readValue(line, Entry.class);
                } catch (IOException bad) {
                    throw integrity("its file list has a line that is no entry: " + bad.getMessage());
                }
                Path dest = place(e.path());
                boolean wanted = wanted(e.path());
                if (Entry.FILE.equals(e.type())) {
                    if (e.offset() != position || e.size() < 0) {
                        throw integrity("the file " + FilesSource.escape(e.path()) + " starts at byte " + e.offset()
                                + " of its data, not " + position);
                    }
                    if (wanted) {
                        writeFile(dest, e, bytes, root);
                    } else {
                        bytes.skipNBytes(e.size());
                    }
                    position += e.size();
                } else if (!wanted) {
                    continue;
                } else if (Entry.DIR.equals(e.type())) {
                    if (!Files.isDirectory(dest, NOFOLLOW)) {
                        removeIfThere(dest);
                        Files.createDirectories(dest);
                    }
                    dirs.push(e);
                } else if (Entry.SYMLINK.equals(e.type())) {
                    if (e.target() == null) {
                        throw integrity("the link " + FilesSource.escape(e.path()) + " has no target");
                    }
                    removeIfThere(dest);
                    Files.createSymbolicLink(dest, Path.of(e.target()));
                    owner(dest, e, root);
                    // the link's own time (lutimes), never its target's
                    Files.getFileAttributeView(dest, BasicFileAttributeView.class, NOFOLLOW).setTimes(
                            FileTime.from(e.mtimeNs(), TimeUnit.NANOSECONDS), null, null);
                } else if (Entry.HARDLINK.equals(e.type())) {
                    Path first = place(e.target() == null ? "" : e.target());
                    if (!Files.isRegularFile(first, NOFOLLOW)) {
                        throw integrity("the hard link " + FilesSource.escape(e.path()) + " names "
                                + FilesSource.escape(String.valueOf(e.target())) + ", which is not a file restored before it");
                    }
                    removeIfThere(dest);
                    Files.createLink(dest, first);
                } else {
                    throw integrity("the entry " + FilesSource.escape(e.path()) + " is of unknown type " + e.type());
                }
            }
        }
        if (options.delete() && parts.isEmpty()) { // before the folders' times: a removal moves its folder's
            // the listing read again beside the target's walk, both in order
            try (Listed listed = new Listed(new BufferedReader(new InputStreamReader(artifacts.open(tree),
                    StandardCharsets.UTF_8)))) {
                deleteOthers(target, ".", listed);
            }
        }
        while (!dirs.isEmpty()) { // deepest first: a folder's own time and mode once its content is written
            Entry d = dirs.pop();
            Path dest = d.path().equals(".") ? target : target.resolve(d.path());
            owner(dest, d, root);
            xattrs(dest, d);
            Files.setAttribute(dest, "unix:mode", d.mode(), NOFOLLOW);
            Files.getFileAttributeView(dest, BasicFileAttributeView.class, NOFOLLOW).setTimes(
                    FileTime.from(d.mtimeNs(), TimeUnit.NANOSECONDS), null, null);
        }
    }

    private boolean wanted(String path) {
        if (parts.isEmpty()) {
            return true;
        }
        if (path.equals(".")) {
            return false;
        }
        Path p = Path.of(path);
        return parts.stream().anyMatch(m -> m.matches(p));
    }

    private void writeFile(Path dest, Entry e, InputStream bytes, boolean root) throws IOException {
        Files.createDirectories(dest.getParent());
        Path tmp = dest.resolveSibling(".lifeboat-restore-" + Long.toHexString(System.nanoTime()));
        try {
            try (OutputStream out = Files.newOutputStream(Files.createFile(tmp,
                    PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------"))))) {
                copyChecked(bytes, out, e, this::integrity);
            }
            owner(tmp, e, root); // before the mode: a change of owner clears setuid and setgid
            xattrs(tmp, e);
            Files.setAttribute(tmp, "unix:mode", e.mode());
            Files.setLastModifiedTime(tmp, FileTime.from(e.mtimeNs(), TimeUnit.NANOSECONDS));
            if (Files.isDirectory(dest, NOFOLLOW)) {
                removeIfThere(dest);
            }
            Files.move(tmp, dest, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    /**
     * Copies the next {@code e.size()} bytes of {@code bytes} (the tree's data, at the file's offset) to {@code out},
     * and checks them against the file's SHA-256; {@code integrity} makes the error of a short or altered file.
     */
    static void copyChecked(InputStream bytes, OutputStream out, Entry e,
                            java.util.function.Function<String, LifeboatException> integrity) throws IOException {
        MessageDigest d = FilesSource.sha256();
        byte[] buf = new byte[1 << 16];
        long left = e.size();
        while (left > 0) {
            int n = bytes.read(buf, 0, (int) Math.min(buf.length, left));
            if (n < 0) {
                throw integrity.apply("its data ends inside " + FilesSource.escape(e.path()));
            }
            d.update(buf, 0, n);
            out.write(buf, 0, n);
            left -= n;
        }
        String sha = Hex.of(d.digest());
        if (e.sha256() != null && !sha.equals(e.sha256())) {
            throw integrity.apply("the file " + FilesSource.escape(e.path()) + " has SHA-256 " + sha + " where its "
                    + "list says " + e.sha256());
        }
    }

    /** Owners and groups of this system by name, looked up once each; empty when the name is not known here. */
    private final Map<String, java.util.Optional<java.nio.file.attribute.UserPrincipal>> users = new HashMap<>();
    private final Map<String, java.util.Optional<java.nio.file.attribute.GroupPrincipal>> groups = new HashMap<>();

    /**
     * As root, gives {@code p} the entry's owner and group as GNU tar does: by name when this system knows the name
     * (a restore on another host, whose ids differ, keeps the same users), else by the recorded id.
     */
    private void owner(Path p, Entry e, boolean root) throws IOException {
        if (!root) {
            return;
        }
        var lookup = p.getFileSystem().getUserPrincipalLookupService();
        var user = known(users, e.user(), lookup::lookupPrincipalByName);
        var group = known(groups, e.group(), lookup::lookupPrincipalByGroupName);
        if (user.isPresent()) {
            Files.setAttribute(p, "posix:owner", user.get(), NOFOLLOW);
        } else {
            Files.setAttribute(p, "unix:uid", e.uid(), NOFOLLOW);
        }
        if (group.isPresent()) {
            Files.setAttribute(p, "posix:group", group.get(), NOFOLLOW);
        } else {
            Files.setAttribute(p, "unix:gid", e.gid(), NOFOLLOW);
        }
    }

    /** What {@code lookup} answers for {@code name}, once per name; empty for no name or one unknown here. */
    private static <T> java.util.Optional<T> known(Map<String, java.util.Optional<T>> seen, String name,
                                                   Lookup<T> lookup) {
        if (name == null) {
            return java.util.Optional.empty();
        }
        return seen.computeIfAbsent(name, n -> {
            try {
                return java.util.Optional.of(lookup.find(n));
            } catch (IOException unknown) {
                return java.util.Optional.empty();
            }
        });
    }

    @FunctionalInterface
    private interface Lookup<T> {
        T find(String name) throws IOException;
    }

    private static void xattrs(Path p, Entry e) throws IOException {
        if (e.xattrs() == null || e.xattrs().isEmpty()) {
            return;
        }
        UserDefinedFileAttributeView v = Files.getFileAttributeView(p, UserDefinedFileAttributeView.class, NOFOLLOW);
        if (v == null) {
            return;
        }
        for (Map.Entry<String, String> x : e.xattrs().entrySet()) {
            if (!x.getKey().startsWith("user.") || x.getKey().length() == 5) {
                continue; // only the user namespace is written back (the JDK reaches no other)
            }
            try {
                v.write(x.getKey().substring(5), ByteBuffer.wrap(Base64.getDecoder().decode(x.getValue())));
            } catch (IllegalArgumentException | IOException | UnsupportedOperationException failed) {
                // a file system without user extended attributes: say which, rather than restore less than was kept
                throw new LifeboatException(ErrorCode.USAGE, "cannot set the extended attribute " + x.getKey()
                        + " of " + p + ": " + failed.getMessage(), "restore onto a file system with user extended "
                        + "attributes (mount option user_xattr)");
            }
        }
    }

    /**
     * Where {@code path} of the listing goes: inside the target, through no symbolic link. An entry that would leave
     * the target, or go through a link, is refused before anything is written there.
     */
    private Path place(String path) {
        if (path.equals(".")) {
            return target;
        }
        if (path.isEmpty() || path.startsWith("/") || path.indexOf('\0') >= 0) {
            throw integrity("its file list names the path '" + FilesSource.escape(path) + "', which is not inside "
                    + "the tree");
        }
        Path here = target;
        String[] parts = path.split("/", -1);
        for (int i = 0; i < parts.length; i++) {
            String s = parts[i];
            if (s.isEmpty() || s.equals(".") || s.equals("..")) {
                throw integrity("its file list names the path '" + FilesSource.escape(path) + "', which is not "
                        + "inside the tree");
            }
            here = here.resolve(s);
            if (i < parts.length - 1 && Files.isSymbolicLink(here)) {
                throw new LifeboatException(ErrorCode.INTEGRITY, label + ": " + FilesSource.escape(path) + " would "
                        + "be written through the symbolic link " + here + "; nothing is written through a link",
                        "restore into an empty folder");
            }
        }
        return here;
    }

    /** Removes what is at {@code p} (a file, a link, or a folder with its content), never following a link. */
    private static void removeIfThere(Path p) throws IOException {
        if (!Files.exists(p, NOFOLLOW)) {
            return;
        }
        if (Files.isDirectory(p, NOFOLLOW)) {
            try (DirectoryStream<Path> ds = Files.newDirectoryStream(p)) {
                for (Path c : ds) {
                    removeIfThere(c);
                }
            }
        }
        Files.delete(p);
    }

    /**
     * The paths of the backup's listing, read line by line and asked in walk order ({@link FilesSource#walkOrder}), so
     * that {@code --delete} keeps no set of a million paths in memory.
     */
    private final class Listed implements java.io.Closeable {
        private final BufferedReader in;
        private String next = "";

        Listed(BufferedReader in) throws IOException {
            this.in = in;
            advance();
        }

        boolean contains(String rel) throws IOException {
            while (next != null && FilesSource.walkOrder(next, rel) < 0) {
                advance();
            }
            return rel.equals(next);
        }

        private void advance() throws IOException {
            String line = in.readLine();
            if (line == null) {
                next = null;
                return;
            }
            try {
                next = Json.MAPPER.readValue(line, Entry.class).path();
            } catch (IOException bad) {
                throw integrity("its file list has a line that is no entry: " + bad.getMessage());
            }
        }

        @Override
        public void close() throws IOException {
            in.close();
        }
    }

    /** Removes what the backup does not hold below {@code dir}, its children visited in the walk's order. */
    private void deleteOthers(Path dir, String rel, Listed keep) throws IOException {
        List<Path> children = new ArrayList<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir)) {
            ds.forEach(children::add);
        }
        children.sort(java.util.Comparator.comparing(c -> c.getFileName().toString()));
        for (Path c : children) {
            String n = c.getFileName().toString();
            String childRel = rel.equals(".") ? n : rel + "/" + n;
            boolean isDir = Files.isDirectory(c, NOFOLLOW);
            if (excludes.excludes(Path.of(childRel), isDir)) {
                continue; // never backed up, so never the backup's to delete
            }
            if (!keep.contains(childRel)) {
                removeIfThere(c);
            } else if (isDir) {
                deleteOthers(c, childRel, keep);
            }
        }
    }

    private static boolean isRoot() {
        try {
            return ((Integer) Files.getAttribute(Path.of("/proc/self"), "unix:uid")) == 0;
        } catch (IOException | RuntimeException e) {
            return "root".equals(System.getProperty("user.name"));
        }
    }

    private LifeboatException integrity(String what) {
        return new LifeboatException(ErrorCode.INTEGRITY, label + ": " + what, "restore another backup");
    }
}
