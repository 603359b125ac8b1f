package dev.lifeboat.repository;

import java.time.Instant;
import java.util.List;

/**
 * {@code config.json}, the first blob of a repository: what every reader needs to interpret the rest.
 *
 * @param format      always {@value #FORMAT}
 * @param version     format version; readers refuse versions they do not know
 * @param id          random id of this repository (names the local copy of the chunk-id key)
 * @param chunker     content-defined chunking parameters
 * @param compression {@code zstd}
 * @param chunkId     {@code sha256} (plain repositories) or {@code hmac-sha256} (encrypted ones)
 * @param encryption  null for a plain repository
 */
public record RepoConfig(String format, int version, String id, Instant created, ChunkerParams chunker,
                         Compression compression, String chunkId, Encryption encryption) {
    public static final String FORMAT = "lifeboat-repository";
    public static final int VERSION = 1;
    public static final String BLOB = "config.json";

    public record Compression(String algorithm, int level) {}

    /**
     * @param algorithm   {@code age-x25519}
     * @param recipients  public keys every chunk and key blob is encrypted to
     * @param chunkIdKey  blob holding the HMAC key for chunk ids, encrypted to the recipients
     */
    public record Encryption(String algorithm, List<String> recipients, String chunkIdKey) {}

    public boolean encrypted() {
        return encryption != null;
    }
}
