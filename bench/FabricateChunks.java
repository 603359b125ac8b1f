import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.util.HexFormat;

/**
 * Writes N empty chunk files into a local repository folder, named as Lifeboat names chunks
 * ({@code chunks/<2 hex>/<64 hex>}, the id being SHA-256 of "fabricated <i>"), files 0600 in folders 0700: a
 * repository with many chunks, for measuring what listing them costs. No backup references them, so a prune
 * removes them. Run by bench/large-repo.sh: java bench/FabricateChunks.java REPO N
 */
public final class FabricateChunks {
    public static void main(String[] args) throws Exception {
        Path chunks = Path.of(args[0]).resolve("chunks");
        int n = Integer.parseInt(args[1]);
        MessageDigest sha = MessageDigest.getInstance("SHA-256");
        HexFormat hex = HexFormat.of();
        var dirMode = PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------"));
        var fileMode = PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------"));
        for (int i = 0; i < 256; i++) {
            Path d = chunks.resolve(String.format("%02x", i));
            if (!Files.isDirectory(d)) {
                Files.createDirectories(d, dirMode);
            }
        }
        for (int i = 0; i < n; i++) {
            String id = hex.formatHex(sha.digest(("fabricated " + i).getBytes()));
            Path f = chunks.resolve(id.substring(0, 2)).resolve(id);
            if (!Files.exists(f)) {
                Files.createFile(f, fileMode);
            }
        }
    }
}
