import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.concurrent.TimeUnit;

/**
 * The file tree of the golden repositories of manifest format 3: 1,200 small files, more than a manifest lists
 * itself, so that their data artifact's chunk list is in chunk-lists.bin. Made the same way every time: make.sh backed
 * it up once, and GoldenRepositoryIT makes it again to compare with what the old backups restore.
 * Run as: java MakeTree.java DIR
 */
public class MakeTree {
    public static void main(String[] args) throws Exception {
        Path root = Files.createDirectories(Path.of(args[0]));
        for (int i = 0; i < 1200; i++) {
            Path p = root.resolve("d" + (i / 100)).resolve("f" + i + ".txt");
            Files.createDirectories(p.getParent());
            Files.writeString(p, "golden format 3, file " + i + "\n" + "x".repeat(i % 50) + "\n", StandardCharsets.UTF_8);
            Files.setAttribute(p, "unix:mode", i % 2 == 0 ? 0644 : 0600);
            Files.setLastModifiedTime(p, FileTime.from(1_700_000_000_000_000_000L + i, TimeUnit.NANOSECONDS));
        }
        for (int d = 0; d < 12; d++) {
            Files.setAttribute(root.resolve("d" + d), "unix:mode", 0755);
            Files.setLastModifiedTime(root.resolve("d" + d), FileTime.from(1_700_000_100_000_000_000L,
                    TimeUnit.NANOSECONDS));
        }
        Files.setAttribute(root, "unix:mode", 0755);
        Files.setLastModifiedTime(root, FileTime.from(1_700_000_200_000_000_000L, TimeUnit.NANOSECONDS));
    }
}
