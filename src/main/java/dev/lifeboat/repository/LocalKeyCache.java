package dev.lifeboat.repository;

import dev.lifeboat.core.Hex;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Optional;

/**
 * The backup host's keys of each repository, 0600 files named by repository id in a folder: {@code Settings.keyDir}
 * ({@code LIFEBOAT_KEY_DIR}, else {@code $XDG_CONFIG_HOME/lifeboat/keys}, else {@code ~/.config/lifeboat/keys}).
 * {@code <id>.chunk-id-key}: an encrypted repository's chunk-id key, which names chunks so that equal data is stored
 * once and cannot decrypt anything. {@code <id>.signing-key}: the private key that signs the repository's manifests
 * (PKCS#8 PEM), made by {@code init} unless it was given one. The same folder holds {@link LocalTrust}'s records.
 * See docs/SECURITY.md.
 */
public final class LocalKeyCache {
    private final Path dir;
    private final Path signingKeyFile;

    public LocalKeyCache(Path dir) {
        this(dir, null);
    }

    /** @param signingKeyFile the signing key to use for every repository ({@code signingKey}, LIFEBOAT_SIGNING_KEY) */
    public LocalKeyCache(Path dir, Path signingKeyFile) {
        this.dir = dir;
        this.signingKeyFile = signingKeyFile;
    }

    public Path dir() {
        return dir;
    }

    public Path fileFor(String repositoryId) {
        return dir.resolve(repositoryId + ".chunk-id-key");
    }

    public Path signingKeyFor(String repositoryId) {
        return signingKeyFile != null ? signingKeyFile : dir.resolve(repositoryId + ".signing-key");
    }

    /** The repository's signing key, empty when this host has none. */
    public Optional<java.security.PrivateKey> loadSigningKey(String repositoryId) throws IOException {
        Path f = signingKeyFor(repositoryId);
        if (!Files.exists(f)) {
            return Optional.empty();
        }
        try {
            return Optional.of(dev.lifeboat.crypto.Signing.parsePrivateKey(Files.readString(f, StandardCharsets.US_ASCII)));
        } catch (IllegalArgumentException e) {
            throw new IOException(f + ": " + e.getMessage());
        }
    }

    /**
     * Where {@code lifeboat keygen} leaves the signing key it made with an age identity, so that {@code init
     * --recipient} of that identity's public key on the same host signs with it: the identity then names the key
     * the repository is signed with, with nothing to pass by hand.
     */
    public Path signingKeyForRecipient(String recipient) {
        byte[] h = ChunkCodec.sha256().digest(recipient.trim().getBytes(StandardCharsets.US_ASCII));
        return dir.resolve("recipient-" + Hex.of(h).substring(0, 32) + ".signing-key");
    }

    public void storeSigningKeyForRecipient(String recipient, java.security.PrivateKey key) throws IOException {
        write(signingKeyForRecipient(recipient), dev.lifeboat.crypto.Signing.privateKeyPem(key));
    }

    /** The signing key {@code keygen} made on this host for one of {@code recipients}, if it made one. */
    public Optional<java.security.PrivateKey> signingKeyMadeFor(java.util.List<String> recipients) throws IOException {
        for (String r : recipients) {
            Path f = signingKeyForRecipient(r);
            if (Files.exists(f)) {
                try {
                    return Optional.of(dev.lifeboat.crypto.Signing.parsePrivateKey(Files.readString(f, StandardCharsets.US_ASCII)));
                } catch (IllegalArgumentException e) {
                    throw new IOException(f + ": " + e.getMessage());
                }
            }
        }
        return Optional.empty();
    }

    public void storeSigningKey(String repositoryId, java.security.PrivateKey key) throws IOException {
        write(dir.resolve(repositoryId + ".signing-key"), dev.lifeboat.crypto.Signing.privateKeyPem(key));
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
        write(fileFor(repositoryId), Hex.of(key) + "\n");
    }

    private void write(Path target, String content) throws IOException {
        writePrivate(target, content.getBytes(StandardCharsets.US_ASCII));
    }

    /**
     * Writes a file of this host's secrets atomically (a temporary file, 0600, renamed over the target), in folders
     * made 0700 from the key folder down: {@link LocalTrust}'s records too.
     */
    static void writePrivate(Path target, byte[] content) throws IOException {
        Path folder = target.getParent();
        Files.createDirectories(folder);
        List<Path> owned = folder.getFileName().toString().equals("repositories")
                ? List.of(folder.getParent(), folder) : List.of(folder);
        for (Path d : owned) {
            try {
                Files.setPosixFilePermissions(d, PosixFilePermissions.fromString("rwx------"));
            } catch (UnsupportedOperationException ignored) {
                // not a POSIX file system
            }
        }
        Path tmp = Files.createTempFile(folder, ".tmp-", ".key");
        try {
            Files.write(tmp, content);
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }
}
