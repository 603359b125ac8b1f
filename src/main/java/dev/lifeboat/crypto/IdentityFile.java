package dev.lifeboat.crypto;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * An age identity file: lines of {@code AGE-SECRET-KEY-1...}, blank lines and {@code #} comments. Lifeboat keeps the
 * public half of a repository's signing key with the identity, as a comment age ignores:
 * {@value #SIGNING_KEY_COMMENT}{@code ed25519:...} ({@code lifeboat keygen} writes it; {@code lifeboat init} prints
 * the line to add to an identity made by age-keygen).
 */
public final class IdentityFile {
    public static final String SIGNING_KEY_COMMENT = "# lifeboat signing key: ";

    private IdentityFile() {}

    /** The signing public keys ({@code ed25519:...}) the file's comments name; empty when it names none. */
    public static List<String> signingKeys(Path file) throws IOException {
        List<String> out = new ArrayList<>();
        for (String line : Files.readAllLines(file)) {
            String t = line.trim();
            if (t.startsWith(SIGNING_KEY_COMMENT.trim())) {
                String key = t.substring(SIGNING_KEY_COMMENT.trim().length()).trim();
                try {
                    Signing.parsePublicKey(key);
                } catch (IllegalArgumentException e) {
                    throw new IOException("identity file " + file + " has a 'lifeboat signing key' line that is not "
                            + "one: " + e.getMessage());
                }
                out.add(key);
            }
        }
        return out;
    }

    public static List<String> read(Path file) throws IOException {
        List<String> keys = new ArrayList<>();
        List<String> lines;
        try {
            lines = Files.readAllLines(file);
        } catch (NoSuchFileException e) {
            throw new NoSuchFileException(file.toString(), null, "identity file not found");
        }
        for (String line : lines) {
            String t = line.trim();
            if (t.isEmpty() || t.startsWith("#")) {
                continue;
            }
            if (!t.startsWith("AGE-SECRET-KEY-1")) {
                throw new IOException("identity file " + file + " holds a line that is not an age X25519 "
                        + "identity (AGE-SECRET-KEY-1...); ssh keys and passphrases are not supported");
            }
            keys.add(t);
        }
        if (keys.isEmpty()) {
            throw new IOException("identity file " + file + " holds no AGE-SECRET-KEY-1 line");
        }
        return keys;
    }
}
