package dev.lifeboat.source.files;

import dev.lifeboat.core.ErrorCode;
import dev.lifeboat.core.LifeboatException;
import dev.lifeboat.repository.Artifact;
import dev.lifeboat.repository.ChunkRef;
import dev.lifeboat.repository.Json;
import dev.lifeboat.repository.Manifest;
import dev.lifeboat.source.ArtifactSink;
import dev.lifeboat.source.RestoreOptions;
import dev.lifeboat.source.Restorer;
import dev.lifeboat.source.Source;
import dev.lifeboat.source.SourceContext;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.UserDefinedFileAttributeView;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

/** A file tree as a {@link Source}; see {@link FilesType}. */
final class FilesSource implements Source {
    private static final LinkOption NOFOLLOW = LinkOption.NOFOLLOW_LINKS;
    private final String name;
    private final Path root;
    private final Excludes excludes;
    private final boolean stop;
    private final SourceContext context;

    FilesSource(String name, Path root, Excludes excludes, boolean stop, SourceContext context) {
        this.name = name;
        this.root = root;
        this.excludes = excludes;
        this.stop = stop;
        this.context = context;
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public String type() {
        return "files";
    }

    @Override
    public boolean readWhileStopped() {
        return stop;
    }

    private String label() {
        return "source " + name + " (files)";
    }

    @Override
    public Prepared prepare() {
        if (!Files.isDirectory(root, NOFOLLOW)) {
            throw new LifeboatException(ErrorCode.USAGE, label() + ": " + root + (Files.exists(root, NOFOLLOW)
                    ? " is not a folder" : " does not exist"), "check path: in lifeboat.yml");
        }
        if (!Files.isReadable(root) || !Files.isExecutable(root)) {
            throw new LifeboatException(ErrorCode.USAGE, label() + ": " + root + " cannot be read by this user",
                    "run Lifeboat as a user that may read it");
        }
        return new Prepared() {
            @Override
            public Manifest.Source backup(ArtifactSink sink) throws IOException {
                return new Walk(sink).run();
            }

            @Override
            public void close() {}
        };
    }

    /** One backup of the tree: the walk, the files read or reused, the counts. */
    private final class Walk {
        private final ArtifactSink sink;
        private final Map<String, Entry> before = new HashMap<>();
        /** The chunks of each file of the last backup, by path. */
        private final Map<String, List<ChunkRef>> previousChunks = new HashMap<>();
        private final List<ChunkRef> data = new ArrayList<>();
        /** The listing as it is walked, in a file of this user's only (it names every file of the tree). */
        private java.io.OutputStream listing;
        private final Map<String, String> inodes = new HashMap<>(); // dev:ino -> first path, for hard links
        private final List<String> changed = new ArrayList<>();
        private long offset;
        private long files;
        private long dirs;
        private long links;
        private long read;
        private long readBytes;
        private long skipped;
        private long badNames;

        Walk(ArtifactSink sink) {
            this.sink = sink;
        }

        Manifest.Source run() throws IOException {
            loadPrevious();
            Path spool = Files.createTempFile("lifeboat-tree-", ".jsonl", java.nio.file.attribute.PosixFilePermissions
                    .asFileAttribute(java.nio.file.attribute.PosixFilePermissions.fromString("rw-------")));
            Artifact tree;
            try {
                try (java.io.OutputStream out = new java.io.BufferedOutputStream(Files.newOutputStream(spool), 1 << 16)) {
                    listing = out;
                    visit(root, ".");
                }
                try (InputStream in = Files.newInputStream(spool)) {
                    tree = sink.write(name + ".tree", FilesType.TREE, in);
                }
            } finally {
                Files.deleteIfExists(spool);
            }
            sink.assemble(name + ".data", FilesType.DATA, data, null);
            var f = Json.MAPPER.createObjectNode();
            f.put("path", root.toString());
            f.put("files", files);
            f.put("dirs", dirs);
            f.put("links", links);
            f.put("bytes", offset);
            f.put("read", read);
            f.put("readBytes", readBytes);
            f.put("skipped", skipped);
            if (badNames > 0) {
                f.put("badNames", badNames);
            }
            if (!changed.isEmpty()) {
                f.put("changedWhileRead", changed.size());
                var list = f.putArray("changed");
                changed.stream().limit(100).forEach(list::add);
                context.notice().accept(label() + ": " + changed.size() + " file(s) changed while they were read, "
                        + "e.g. " + changed.get(0) + ": their backup may be torn; stop what writes them with "
                        + "before-backup");
            }
            f.put("treeSha256", tree.sha256());
            return new Manifest.Source("files", name, f);
        }

        /** The last backup's entries, so that unchanged files are not read again. */
        private void loadPrevious() throws IOException {
            var previous = sink.previous("files");
            if (previous.isEmpty()) {
                return;
            }
            Artifact tree = previous.get().artifacts().stream().filter(a -> FilesType.TREE.equals(a.format()))
                    .findFirst().orElse(null);
            Artifact dataArtifact = previous.get().artifacts().stream().filter(a -> FilesType.DATA.equals(a.format()))
                    .findFirst().orElse(null);
            if (tree == null || dataArtifact == null) {
                return;
            }
            List<ChunkRef> chunks = dataArtifact.chunks();
            try (BufferedReader in = new BufferedReader(new InputStreamReader(previous.get().open(tree),
                    StandardCharsets.UTF_8))) {
                String line;
                while ((line = in.readLine()) != null) {
                    Entry e = Json.MAPPER.readValue(line, Entry.class);
                    if (Entry.DIR.equals(e.type())) {
                        before.put(e.path(), e);
                    } else if (Entry.FILE.equals(e.type()) && e.first() >= 0 && e.count() >= 0
                            && e.first() + e.count() <= chunks.size()) {
                        before.put(e.path(), e);
                        previousChunks.put(e.path(), chunks.subList((int) e.first(), (int) (e.first() + e.count())));
                    }
                }
            } catch (IOException | RuntimeException e) {
                // an unreadable last backup only costs reading every file again
                before.clear();
                previousChunks.clear();
                context.notice().accept(label() + ": the last backup's file list could not be read ("
                        + e.getMessage() + "): every file is read again");
            }
        }

        private void visit(Path p, String rel) throws IOException {
            Map<String, Object> a;
            try {
                a = Files.readAttributes(p, "unix:mode,uid,gid,ino,dev,nlink,ctime,lastModifiedTime,size", NOFOLLOW);
            } catch (NoSuchFileException gone) {
                return; // removed while the tree was walked: it is not in the backup, as if walked a moment later
            }
            int mode = (Integer) a.get("mode");
            int kind = mode & 0170000;
            PosixFileAttributes posix = Files.readAttributes(p, PosixFileAttributes.class, NOFOLLOW);
            String user = posix.owner().getName();
            String group = posix.group().getName();
            long mtime = ((FileTime) a.get("lastModifiedTime")).to(TimeUnit.NANOSECONDS);
            long ctime = ((FileTime) a.get("ctime")).to(TimeUnit.NANOSECONDS);
            long ino = (Long) a.get("ino");
            int uid = (Integer) a.get("uid");
            int gid = (Integer) a.get("gid");
            int perm = mode & 07777;
            if (kind == 0040000) { // folder
                dirs++;
                Entry was = before.get(rel);
                // reading extended attributes opens the folder; a changed one would have moved its change time
                boolean same = was != null && Entry.DIR.equals(was.type()) && was.ctimeNs() == ctime && was.ino() == ino;
                emit(new Entry(rel, Entry.DIR, perm, uid, gid, user, group, mtime, ctime, ino, 0, null, 0, 0, 0, null,
                        same ? was.xattrs() : xattrs(p)));
                // java.io.File lists with opendir (O_DIRECTORY); a DirectoryStream opens the folder as a file first
                String[] names = p.toFile().list();
                if (names == null) {
                    if (!Files.isDirectory(p, NOFOLLOW)) {
                        return; // removed while the tree was walked
                    }
                    throw new LifeboatException(ErrorCode.SOURCE, label() + ": cannot list the folder "
                            + escape(rel), "check that this user may read it");
                }
                java.util.Arrays.sort(names);
                for (String n : names) {
                    Path c = p.resolve(n);
                    if (n.indexOf('\uFFFD') >= 0) { // the JDK's stand-in for bytes that are no UTF-8
                        badNames++;
                        skipped++;
                        context.notice().accept(label() + ": skipped " + escape(rel.equals(".") ? n : rel + "/" + n)
                                + ": its name is not valid UTF-8");
                        continue;
                    }
                    String childRel = rel.equals(".") ? n : rel + "/" + n;
                    boolean dir = Files.isDirectory(c, NOFOLLOW);
                    if (excludes.excludes(Path.of(childRel), dir)) {
                        continue;
                    }
                    visit(c, childRel);
                }
            } else if (kind == 0120000) { // symbolic link: kept as a link, never followed
                links++;
                String target = Files.readSymbolicLink(p).toString();
                emit(new Entry(rel, Entry.SYMLINK, perm, uid, gid, user, group, mtime, ctime, ino, 0, null, 0, 0, 0,
                        target, null));
            } else if (kind == 0100000) { // regular file
                long nlink = ((Number) a.get("nlink")).longValue();
                String key = a.get("dev") + ":" + ino;
                if (nlink > 1 && inodes.containsKey(key)) {
                    links++;
                    emit(new Entry(rel, Entry.HARDLINK, perm, uid, gid, user, group, mtime, ctime, ino, 0, null, 0, 0,
                            0, inodes.get(key), null));
                    return;
                }
                if (nlink > 1) {
                    inodes.put(key, rel);
                }
                files++;
                long size = (Long) a.get("size");
                Entry now = new Entry(rel, Entry.FILE, perm, uid, gid, user, group, mtime, ctime, ino, size, null, 0,
                        0, 0, null, null);
                Entry was = before.get(rel);
                List<ChunkRef> reused = was != null && was.sameFile(now) ? held(previousChunks.get(rel)) : null;
                long first = data.size();
                String sha;
                Map<String, String> xattrs;
                long length;
                if (reused != null) {
                    data.addAll(reused);
                    sha = was.sha256();
                    xattrs = was.xattrs(); // a changed attribute would have moved the change time
                    length = was.size();
                } else {
                    read++;
                    xattrs = xattrs(p);
                    ArtifactSink.Part part;
                    try (InputStream in = Files.newInputStream(p, NOFOLLOW)) {
                        part = sink.chunks(in); // hashed as it is chunked: read once
                    } catch (NoSuchFileException gone) {
                        files--;
                        return;
                    }
                    data.addAll(part.chunks());
                    sha = part.sha256();
                    length = part.size();
                    readBytes += length;
                    Map<String, Object> after = Files.readAttributes(p, "unix:ctime,lastModifiedTime,size", NOFOLLOW);
                    if (length != size || ((FileTime) after.get("lastModifiedTime")).to(TimeUnit.NANOSECONDS) != mtime
                            || ((FileTime) after.get("ctime")).to(TimeUnit.NANOSECONDS) != ctime) {
                        changed.add(rel);
                        ctime = -1; // never taken for unchanged next time
                    }
                }
                emit(new Entry(rel, Entry.FILE, perm, uid, gid, user, group, mtime, ctime, ino, length, sha, offset,
                        first, data.size() - (int) first, null, xattrs));
                offset += length;
            } else {
                skipped++; // a socket, a FIFO, a device: nothing a restore could give back
            }
        }

        /** The chunks of an unchanged file, when the repository still holds every one of them; else null. */
        private List<ChunkRef> held(List<ChunkRef> chunks) throws IOException {
            if (chunks == null) {
                return null;
            }
            List<ChunkRef> out = new ArrayList<>(chunks.size());
            for (ChunkRef c : chunks) {
                ChunkRef h = sink.held(c);
                if (h == null) {
                    return null;
                }
                out.add(h);
            }
            return out;
        }

        private void emit(Entry e) throws IOException {
            listing.write(Json.COMPACT.writeValueAsBytes(e));
            listing.write('\n');
        }
    }

    /**
     * The {@code user.} extended attributes of {@code p} by their full names ({@code user.origin}), values in base64;
     * null when it has none or the file system has no support.
     */
    static Map<String, String> xattrs(Path p) {
        try {
            UserDefinedFileAttributeView v = Files.getFileAttributeView(p, UserDefinedFileAttributeView.class, NOFOLLOW);
            if (v == null) {
                return null;
            }
            List<String> names = v.list();
            if (names.isEmpty()) {
                return null;
            }
            Map<String, String> out = new TreeMap<>();
            for (String n : names) {
                ByteBuffer b = ByteBuffer.allocate(v.size(n));
                v.read(n, b);
                // the JDK names them without their namespace, which the listing keeps: user.origin
                out.put("user." + n, Base64.getEncoder().encodeToString(java.util.Arrays.copyOf(b.array(),
                        b.position())));
            }
            return out;
        } catch (IOException | UnsupportedOperationException e) {
            return null;
        }
    }

    static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A name as people can read it: control characters as {@code \xNN}. */
    static String escape(String s) {
        StringBuilder b = new StringBuilder();
        s.codePoints().forEach(c -> {
            if (c < 0x20 || c == 0x7f || c == 0xFFFD) {
                b.append(c == 0xFFFD ? "\\x??" : String.format("\\x%02x", c));
            } else {
                b.appendCodePoint(c);
            }
        });
        return b.toString();
    }

    @Override
    public Restorer restorer(Manifest.Source recorded, RestoreOptions options, String to) {
        Path target = to == null ? root : Path.of(to).toAbsolutePath().normalize();
        return new TreeRestorer(label(), name, target, to != null, options, context, excludes, stop);
    }
}
