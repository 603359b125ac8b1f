package dev.lifeboat.engine;

import com.fasterxml.jackson.databind.JsonNode;
import dev.lifeboat.core.Hex;
import dev.lifeboat.repository.Artifact;
import dev.lifeboat.repository.Json;
import dev.lifeboat.repository.Manifest;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The local copies a backup host keeps of what it wrote but cannot read back: on a host with an encrypted
 * repository's public key only, a tree's listing, which the next backup compares with the tree to reuse the unchanged
 * files (without it, that host reads every file again each time). One folder per repository, in the key folder
 * ({@code <key folder>/<repository id>.local/}, 0700, files 0600: a listing names every file of the tree). For each
 * source, {@code <hash of its name>.copy} (the artifact's bytes) and {@code .json} ({@code backup}, {@code artifact}):
 * a copy is used only for the backup it names, while that backup is in the repository, and only when its SHA-256 is
 * the one that backup's signed manifest gives the artifact, so a stale, torn or altered copy costs reading the files
 * again, never a wrong backup. A copy is kept once its backup is committed, never before.
 */
final class LocalCopies {
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(LocalCopies.class);
    private final Path dir;
    private final List<Pending> pending = new ArrayList<>();

    private record Pending(String source, String artifact, Path file) {}

    LocalCopies(Path keyFolder, String repositoryId) {
        this.dir = keyFolder.resolve(repositoryId + ".local");
    }

    private Path base(String source) {
        try {
            byte[] h = MessageDigest.getInstance("SHA-256").digest(source.getBytes(StandardCharsets.UTF_8));
            return dir.resolve(Hex.of(h).substring(0, 32));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A file for the copy of {@code artifact} of {@code source}, kept if {@link #commit} comes. */
    synchronized OutputStream open(String source, String artifact) throws IOException {
        Files.createDirectories(dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        Path tmp = Files.createTempFile(dir, ".copy-", ".tmp",
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        pending.add(new Pending(source, artifact, tmp));
        return Files.newOutputStream(tmp);
    }

    /** Keeps the copies of backup {@code backupId}, just committed; a failure is a warning (it costs a re-read). */
    synchronized void commit(String backupId) {
        for (Pending p : pending) {
            Path base = base(p.source());
            try {
                var meta = Json.MAPPER.createObjectNode();
                meta.put("formatVersion", 1);
                meta.put("backup", backupId);
                meta.put("source", p.source());
                meta.put("artifact", p.artifact());
                Path metaTmp = Files.createTempFile(dir, ".meta-", ".tmp",
                        PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
                Files.write(metaTmp, Json.MAPPER.writeValueAsBytes(meta));
                // the copy first, then what names it: between the two, the old name and the new bytes disagree on
                // their hash, and the copy is not used
                Files.move(p.file(), copyOf(base), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
                Files.move(metaTmp, metaOf(base), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            } catch (IOException e) {
                LOG.warn("could not keep the local copy of {} for the next backup ({}): it will read every file "
                        + "again", p.artifact(), e.toString());
            }
        }
        pending.clear();
    }

    /** Drops the copies of a backup that was not committed. */
    synchronized void discard() {
        for (Pending p : pending) {
            try {
                Files.deleteIfExists(p.file());
            } catch (IOException e) {
                LOG.debug("could not remove {}", p.file(), e);
            }
        }
        pending.clear();
    }

    private static Path copyOf(Path base) {
        return base.resolveSibling(base.getFileName() + ".copy");
    }

    private static Path metaOf(Path base) {
        return base.resolveSibling(base.getFileName() + ".json");
    }

    /** The backup whose copies of {@code source} this host keeps, when it has any. */
    Optional<String> backupOf(String source) {
        Path meta = metaOf(base(source));
        try {
            JsonNode m = Json.MAPPER.readTree(Files.readAllBytes(meta));
            if (m.path("formatVersion").asInt() != 1 || !source.equals(m.path("source").asText())) {
                return Optional.empty();
            }
            return Optional.of(m.path("backup").asText());
        } catch (IOException | RuntimeException e) {
            return Optional.empty(); // none, or unreadable: the files are read again
        }
    }

    /**
     * The kept copy of {@code artifact} of {@code source}, when it is the one the manifest {@code m} (of {@link
     * #backupOf}) gives, byte for byte by its SHA-256; empty otherwise.
     */
    Optional<Path> copy(String source, Manifest m, Artifact artifact) {
        Path meta = metaOf(base(source));
        Path copy = copyOf(base(source));
        try {
            JsonNode n = Json.MAPPER.readTree(Files.readAllBytes(meta));
            if (!m.id().equals(n.path("backup").asText()) || !artifact.name().equals(n.path("artifact").asText())
                    || artifact.sha256() == null || !artifact.sha256().equals(sha256(copy))) {
                return Optional.empty();
            }
            return Optional.of(copy);
        } catch (IOException | RuntimeException e) {
            return Optional.empty();
        }
    }

    private static String sha256(Path file) throws IOException {
        try (InputStream in = Files.newInputStream(file)) {
            MessageDigest d = MessageDigest.getInstance("SHA-256");
            byte[] buf = new byte[1 << 16];
            for (int n; (n = in.read(buf)) > 0; ) {
                d.update(buf, 0, n);
            }
            return Hex.of(d.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
