package dev.lifeboat.crypto;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** An age identity file: lines of {@code AGE-SECRET-KEY-1...}, blank lines and {@code #} comments. */
public final class IdentityFile {
    private IdentityFile() {}

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
