package dev.lifeboat.repository;

import dev.lifeboat.core.ErrorCode;
import dev.lifeboat.core.Hex;
import dev.lifeboat.core.LifeboatException;
import dev.lifeboat.crypto.Signing;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.PublicKey;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * This host's record of each repository it has used, kept where whoever can write the storage cannot: one 0600
 * file per repository location in {@code <key folder>/repositories/}, taken by {@code init} or on first use.
 * {@code config.json} is written once, by {@code init}, and never rewritten; so a {@code config.json} that differs
 * from the record (other recipients, encryption removed, another signing key, another id) was changed by someone
 * else, and every command refuses the repository before it reads or writes anything else (docs/SECURITY.md).
 *
 * @see #check
 */
public final class LocalTrust {
    private final Path dir;
    private final Clock clock;

    public LocalTrust(Path keyDir) {
        this(keyDir, Clock.systemUTC());
    }

    LocalTrust(Path keyDir, Clock clock) {
        this.dir = keyDir.resolve("repositories");
        this.clock = clock;
    }

    /**
     * The record of one repository location.
     *
     * @param location     the repository's location, as its storage names it
     * @param recorded     when this host first used it (or ran {@code init} there)
     * @param configSha256 SHA-256 of the {@code config.json} bytes seen then
     * @param config       that {@code config.json}: the original, should it be replaced
     */
    public record Record(String location, Instant recorded, String configSha256, RepoConfig config) {}

    /** The outcome of {@link #check}: whether this was the first use, and of which record. */
    public record Checked(boolean firstUse, Path file) {}

    public Path fileFor(String location) {
        byte[] h = ChunkCodec.sha256().digest(location.getBytes(StandardCharsets.UTF_8));
        return dir.resolve(Hex.of(h).substring(0, 32) + ".json");
    }

    /** Records {@code raw} as the configuration of {@code location}, replacing an earlier record ({@code init}). */
    public void record(String location, byte[] raw, RepoConfig config) throws IOException {
        Record r = new Record(location, clock.instant(), Hex.of(ChunkCodec.sha256().digest(raw)), config);
        write(fileFor(location), Json.MAPPER.writeValueAsBytes(r));
    }

    /**
     * Compares {@code raw}, the {@code config.json} just read at {@code location}, with this host's record of it, and
     * records it when there is none (first use, like ssh's known_hosts).
     *
     * @throws LifeboatException when it differs from the record, naming what changed, where the original is, and
     *                           that nothing was read or written
     */
    public Checked check(String location, byte[] raw, RepoConfig config) throws IOException {
        Path file = fileFor(location);
        Optional<Record> known = read(file);
        if (known.isEmpty()) {
            try {
                record(location, raw, config);
            } catch (IOException e) {
                // A host that cannot keep a record (a read-only home) still reads the repository; it is only
                // as protected as a host seeing the repository for the first time.
                org.slf4j.LoggerFactory.getLogger(LocalTrust.class).warn("cannot record the configuration of the "
                        + "repository at {} in {}: {}", location, file, e.toString());
            }
            return new Checked(true, file);
        }
        Record r = known.get();
        String sha = Hex.of(ChunkCodec.sha256().digest(raw));
        if (!sha.equals(r.configSha256())) {
            List<String> changes = differences(r.config(), config);
            throw new LifeboatException(ErrorCode.INTEGRITY, "config.json of the repository at " + location
                    + " is not the one this host recorded on " + r.recorded() + " ("
                    + (changes.isEmpty() ? "its bytes changed" : String.join("; ", changes)) + "). Lifeboat never "
                    + "rewrites config.json: whoever can write the storage changed it. Nothing was read or written",
                    "put the original back (it is in " + file + ", under \"config\"), or, if the repository was "
                            + "replaced on purpose by another one at the same location, check it and delete " + file
                            + " so that this host records the new one");
        }
        return new Checked(false, file);
    }

    /** What differs between two configurations, in the words of someone checking them. */
    static List<String> differences(RepoConfig was, RepoConfig now) {
        List<String> out = new ArrayList<>();
        if (was == null || now == null) {
            return out;
        }
        if (!Objects.equals(was.id(), now.id())) {
            out.add("repository id " + was.id() + " became " + now.id());
        }
        if (was.version() != now.version()) {
            out.add("format version " + was.version() + " became " + now.version());
        }
        if (was.encrypted() && !now.encrypted()) {
            out.add("encryption was removed");
        } else if (!was.encrypted() && now.encrypted()) {
            out.add("encryption was added");
        } else if (was.encrypted()) {
            if (!new HashSet<>(was.encryption().recipients()).equals(new HashSet<>(now.encryption().recipients()))) {
                out.add("the recipients " + was.encryption().recipients() + " became " + now.encryption().recipients());
            }
            if (!Objects.equals(was.encryption().chunkIdKey(), now.encryption().chunkIdKey())) {
                out.add("the chunk-id key blob moved");
            }
        }
        if (!Objects.equals(was.chunkId(), now.chunkId())) {
            out.add("chunk ids '" + was.chunkId() + "' became '" + now.chunkId() + "'");
        }
        if (!Objects.equals(was.signing(), now.signing())) {
            out.add(now.signing() == null ? "the signing key was removed" : "the signing key was replaced");
        }
        if (!Objects.equals(was.chunker(), now.chunker()) || !Objects.equals(was.compression(), now.compression())) {
            out.add("the chunker or compression settings changed");
        }
        return out;
    }

    /** The fingerprint of a configuration's signing key, for messages; null when it has none or a bad one. */
    static String fingerprint(RepoConfig config) {
        if (config.signing() == null) {
            return null;
        }
        try {
            PublicKey k = Signing.parsePublicKey(config.signing().publicKey());
            return Signing.fingerprint(k);
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    private Optional<Record> read(Path file) throws IOException {
        byte[] raw;
        try {
            raw = Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            return Optional.empty();
        }
        try {
            Record r = Json.MAPPER.readValue(raw, Record.class);
            if (r.configSha256() == null) {
                throw new IOException("no configSha256");
            }
            return Optional.of(r);
        } catch (IOException e) {
            throw new LifeboatException(ErrorCode.REPOSITORY, "this host's record of a repository, " + file
                    + ", is unreadable: " + e.getMessage(),
                    "delete it to record the repository's configuration again on next use");
        }
    }

    private void write(Path target, byte[] content) throws IOException {
        LocalKeyCache.writePrivate(target, content);
    }
}
