package dev.lifeboat.source.files;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.UserDefinedFileAttributeView;
import java.security.MessageDigest;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/** A file tree as text, equal exactly when two trees are: what a restore of a {@code files} source must keep. */
public final class TreeSignature {
    private static final LinkOption NOFOLLOW = LinkOption.NOFOLLOW_LINKS;

    private TreeSignature() {}

    /** Every entry's path, type, mode, owner, time, size, content hash, link target, attributes, hard-link group. */
    public static String of(Path root) throws Exception {
        return of(root, 1);
    }

    /** {@link #of(Path)} with times cut to whole {@code unitNs} (a tar's 100 ns). */
    public static String of(Path root, long unitNs) throws Exception {
        return of(root, unitNs, true);
    }

    /** {@link #of(Path, long)}, extended attributes left out unless {@code xattrs}. */
    public static String of(Path root, long unitNs, boolean xattrs) throws Exception {
        StringBuilder out = new StringBuilder();
        Map<Object, String> inodes = new HashMap<>();
        List<Path> all;
        try (Stream<Path> s = Files.walk(root)) {
            all = s.sorted().toList();
        }
        for (Path p : all) {
            Map<String, Object> a = Files.readAttributes(p, "unix:mode,uid,gid,ino,nlink,lastModifiedTime,size", NOFOLLOW);
            int mode = (Integer) a.get("mode");
            boolean link = Files.isSymbolicLink(p);
            boolean dir = Files.isDirectory(p, NOFOLLOW);
            String hash = "";
            if (!link && !dir) {
                hash = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(p)));
            }
            String group = !link && !dir && ((Number) a.get("nlink")).intValue() > 1
                    ? inodes.computeIfAbsent(a.get("ino"), k -> "h" + inodes.size()) : "";
            long mtime = link || p.equals(root) ? 0
                    : ((FileTime) a.get("lastModifiedTime")).to(TimeUnit.NANOSECONDS) / unitNs * unitNs;
            String x = "";
            if (!link && xattrs) {
                UserDefinedFileAttributeView v = Files.getFileAttributeView(p, UserDefinedFileAttributeView.class);
                Map<String, String> xs = new TreeMap<>();
                for (String n : v.list()) {
                    ByteBuffer b = ByteBuffer.allocate(v.size(n));
                    v.read(n, b);
                    xs.put(n, new String(b.array(), 0, b.position(), StandardCharsets.UTF_8));
                }
                x = xs.toString();
            }
            out.append(root.relativize(p)).append(' ').append(link ? "l" : dir ? "d" : "f").append(' ')
                    .append(Integer.toOctalString(mode & 07777)).append(' ').append(a.get("uid")).append(':')
                    .append(a.get("gid")).append(' ').append(mtime).append(' ')
                    .append(dir || link ? 0 : a.get("size")).append(' ').append(hash).append(' ')
                    .append(link ? Files.readSymbolicLink(p) : "").append(' ').append(x).append(' ').append(group)
                    .append('\n');
        }
        return out.toString();
    }

}
