package dev.lifeboat.repository;

import dev.lifeboat.core.Hex;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Optional;

/**
 * The backup host's copy of each encrypted repository's chunk-id key, one 0600 file per repository id
 * in a folder: {@code Settings.keyDir} ({@code LIFEBOAT_KEY_DIR}, else {@code $XDG_CONFIG_HOME/lifeboat/keys},
 * else {@code ~/.config/lifeboat/keys}). The key names chunks so that equal data is stored once; it cannot
 * decrypt anything. See docs/SECURITY.md.
 */
public final class LocalKeyCache {
    private final Path dir;

    public LocalKeyCache(Path dir) {
        this.dir = dir;
    }

    public Path fileFor(String repositoryId) {
        return dir.resolve(repositoryId + ".chunk-id-key");
    }

    public Optional<byte[]> load(String repositoryId) throws IOException {
        Path f = fileFor(repositoryId);
        if (!Files.exists(f)) {
            return Optional.empty();
        }
        String hex = Files.readString(f, StandardCharsets.US_ASCII).trim();
        return Optional.of(Hex.parse(hex));
    }

    public void store(String repositoryId, byte[] key) throws IOException {
        Files.createDirectories(dir);
        try {
            Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx------"));
        } catch (UnsupportedOperationException ignored) {
            // not a POSIX file system
        }
        Path target = fileFor(repositoryId);
        Path tmp = Files.createTempFile(dir, ".tmp-", ".key");
        try {
            Files.writeString(tmp, Hex.of(key) + "\n", StandardCharsets.US_ASCII);
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }
}
