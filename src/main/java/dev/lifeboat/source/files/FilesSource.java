package dev.lifeboat.source.files;

import dev.lifeboat.core.ErrorCode;
import dev.lifeboat.core.LifeboatException;
import dev.lifeboat.repository.Artifact;
import dev.lifeboat.repository.ChunkLists;
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
        /** The last backup's listing, read along with the walk; null when there is none to reuse. */
        private Before before;
        /** The data artifact's chunks as the files are read or reused; its list is kept out of memory. */
        private ArtifactSink.Assembly data;
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
            before = Before.open(sink, context, label());
            try {
                return walk();
            } finally {
                if (before != null) {
                    before.close();
                }
            }
        }

        private Manifest.Source walk() throws IOException {
            data = sink.assemble(name + ".data", FilesType.DATA);
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
                try (java.io.OutputStream copy = sink.localCopy(name + ".tree")) {
                    if (copy != null) { // for the next backup, on a host that cannot read this one back
                        Files.copy(spool, copy);
                    }
                }
            } finally {
                Files.deleteIfExists(spool);
            }
            data.finish(null);
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
                Entry was = before == null ? null : before.find(rel);
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
                Entry was = before == null ? null : before.find(rel);
                List<ChunkRef> reused = was != null && was.sameFile(now) ? held(before.chunksOf(was)) : null;
                long first = data.count();
                String sha;
                Map<String, String> xattrs;
                long length;
                if (reused != null) {
                    for (ChunkRef c : reused) {
                        data.add(c);
                    }
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
                    for (ChunkRef c : part.chunks()) {
                        data.add(c);
                    }
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
                        first, (int) (data.count() - first), null, xattrs));
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
     * The last backup's listing of the same source, read line by line along with the walk, which visits paths in the
     * same order (each folder's names sorted, depth first; see {@link #walkOrder}): memory stays that of one entry
     * whatever the tree's size, where a map of a million entries would not fit in the heap. An entry is reused only
     * when its path is the one asked for, so a listing in another order costs reading files again, never a wrong
     * file. A listing that cannot be read from some line on is not used from there on, said once.
     */
    static final class Before implements java.io.Closeable {
        private final BufferedReader in;
        private final ChunkLists.Refs chunks;
        private final SourceContext context;
        private final String label;
        private Entry next;
        private boolean done;
        /** The index of the next chunk {@link #chunks} gives. */
        private long at;
        private boolean chunksFailed;

        private Before(BufferedReader in, ChunkLists.Refs chunks, SourceContext context, String label) {
            this.in = in;
            this.chunks = chunks;
            this.context = context;
            this.label = label;
        }

        /** The listing of the newest backup of this source this host can read, or null when there is none. */
        static Before open(ArtifactSink sink, SourceContext context, String label) throws IOException {
            var previous = sink.previous("files");
            if (previous.isEmpty()) {
                return null;
            }
            Artifact tree = previous.get().artifacts().stream().filter(a -> FilesType.TREE.equals(a.format()))
                    .findFirst().orElse(null);
            Artifact data = previous.get().artifacts().stream().filter(a -> FilesType.DATA.equals(a.format()))
                    .findFirst().orElse(null);
            if (tree == null || data == null || (data.chunks() == null && data.chunkList() == null)) {
                return null;
            }
            InputStream listing;
            try {
                listing = previous.get().open(tree);
            } catch (IOException e) {
                context.notice().accept(label + ": the last backup's file list cannot be read (" + e.getMessage()
                        + "): every file is read again");
                return null;
            }
            Before b = new Before(new BufferedReader(new InputStreamReader(listing, StandardCharsets.UTF_8), 1 << 16),
                    previous.get().chunks(data), context, label);
            b.advance();
            return b;
        }

        /** The entry of {@code rel} in the last backup, or null; asked in walk order. */
        Entry find(String rel) {
            while (next != null && walkOrder(next.path(), rel) < 0) {
                advance();
            }
            if (next != null && next.path().equals(rel)) {
                Entry e = next;
                advance();
                return e;
            }
            return null;
        }

        /**
         * The chunks of a file's entry, read on from the last backup's data list (files come in the order of their
         * chunks, so the list is read once, front to back); null when the entry points before what was read already
         * or outside the list, or the list cannot be read (said once): the file is read again.
         */
        List<ChunkRef> chunksOf(Entry e) {
            if (chunksFailed || e.first() < at || e.count() < 0) {
                return null;
            }
            try {
                while (at < e.first()) {
                    if (chunks.next() == null) {
                        return null;
                    }
                    at++;
                }
                List<ChunkRef> out = new ArrayList<>(e.count());
                for (int i = 0; i < e.count(); i++) {
                    ChunkRef c = chunks.next();
                    if (c == null) {
                        return null;
                    }
                    at++;
                    out.add(c);
                }
                return out;
            } catch (IOException | RuntimeException x) {
                chunksFailed = true;
                context.notice().accept(label + ": the last backup's chunk list could not be read (" + x.getMessage()
                        + "): the files from there on are read again");
                return null;
            }
        }

        private void advance() {
            if (done) {
                next = null;
                return;
            }
            try {
                String line = in.readLine();
                next = line == null ? null : Json.MAPPER.readValue(line, Entry.class);
                if (next != null && next.path() == null) {
                    throw new IOException("an entry without a path");
                }
            } catch (IOException | RuntimeException e) {
                // an unreadable last backup only costs reading the files again
                context.notice().accept(label + ": the last backup's file list could not be read (" + e.getMessage()
                        + "): the files from there on are read again");
                next = null;
            }
            if (next == null) {
                done = true;
            }
        }

        @Override
        public void close() throws IOException {
            chunks.close();
            in.close();
        }
    }

    /**
     * The walk's order of two listing paths ({@code .} for the root, else names joined by {@code /}): the root first,
     * then name by name, as each folder's sorted names are visited depth first ({@code a}, {@code a/b}, {@code a-c}).
     */
    static int walkOrder(String a, String b) {
        if (a.equals(b)) {
            return 0;
        }
        if (a.equals(".")) {
            return -1;
        }
        if (b.equals(".")) {
            return 1;
        }
        int i = 0;
        int j = 0;
        while (i < a.length() && j < b.length()) {
            int ea = a.indexOf('/', i);
            int eb = b.indexOf('/', j);
            ea = ea < 0 ? a.length() : ea;
            eb = eb < 0 ? b.length() : eb;
            int c = a.substring(i, ea).compareTo(b.substring(j, eb));
            if (c != 0) {
                return c;
            }
            i = ea + 1;
            j = eb + 1;
        }
        return i >= a.length() ? -1 : 1; // the shorter is a folder of the other, visited before what it holds
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
