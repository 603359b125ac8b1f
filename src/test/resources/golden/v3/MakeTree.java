import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.UserDefinedFileAttributeView;
import java.util.concurrent.TimeUnit;

/**
 * The file tree of the golden repository of manifest format 2, made the same way every time (contents, modes,
 * links, times to the nanosecond, an extended attribute): make.sh backed it up once, and GoldenRepositoryIT makes it
 * again to compare with what the old backup restores. Run as: java MakeTree.java DIR
 */
public class MakeTree {
    public static void main(String[] args) throws Exception {
        Path root = Files.createDirectories(Path.of(args[0]));
        file(root, "README.txt", "hello\n".repeat(100), 0644, 1_600_000_000_123_456_789L);
        file(root, "secrets/key.pem", "-----BEGIN KEY-----\n" + "k".repeat(900) + "\n-----END KEY-----\n", 0600,
                1_600_000_100_000_000_001L);
        file(root, "bin/run.sh", "#!/bin/sh\necho run\n", 04750, 1_500_000_000_000_000_001L);
        file(root, "uploads/a.json", "{\"a\": 1}\n".repeat(2000), 0644, 1_600_000_200_000_000_000L);
        file(root, "uploads/b.json", "{\"b\": 2}\n".repeat(3000), 0640, 1_600_000_300_000_000_000L);
        file(root, "weird/with space and\nnewline.txt", "nl", 0640, 1_600_000_400_000_000_000L);
        file(root, "weird/ünïcödé-名前-😀.txt", "utf8", 0644, 1_600_000_500_000_000_000L);
        file(root, "uploads/empty", "", 0644, 1_600_000_600_000_000_000L);
        Files.createLink(root.resolve("uploads/hard.json"), root.resolve("uploads/a.json"));
        Files.createSymbolicLink(root.resolve("bin/readme"), Path.of("../README.txt"));
        Files.createSymbolicLink(root.resolve("bin/dangling"), Path.of("/nonexistent/target"));
        Files.createDirectories(root.resolve("empty-dir/nested"));
        Files.getFileAttributeView(root.resolve("README.txt"), UserDefinedFileAttributeView.class)
                .write("origin", ByteBuffer.wrap("golden".getBytes(StandardCharsets.UTF_8)));
        for (String d : new String[] {"empty-dir/nested", "empty-dir", "bin", "secrets", "uploads", "weird"}) {
            Files.setAttribute(root.resolve(d), "unix:mode", d.equals("secrets") ? 0700 : 0755);
            Files.setLastModifiedTime(root.resolve(d), FileTime.from(1_650_000_000_000_000_000L, TimeUnit.NANOSECONDS));
        }
    }

    static void file(Path root, String rel, String text, int mode, long mtimeNs) throws Exception {
        Path p = root.resolve(rel);
        Files.createDirectories(p.getParent());
        Files.writeString(p, text, StandardCharsets.UTF_8);
        Files.setAttribute(p, "unix:mode", mode, LinkOption.NOFOLLOW_LINKS);
        Files.setLastModifiedTime(p, FileTime.from(mtimeNs, TimeUnit.NANOSECONDS));
    }
}
