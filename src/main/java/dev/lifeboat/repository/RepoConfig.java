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
 * @param signing     the key every manifest is signed with (version 2 on); null in version 1, whose manifests are
 *                    unsigned
 */
public record RepoConfig(String format, int version, String id, Instant created, ChunkerParams chunker,
                         Compression compression, String chunkId, Encryption encryption, Signing signing) {
    public static final String FORMAT = "lifeboat-repository";
    /** 2: {@code signing}, and a signature beside every manifest. */
    public static final int VERSION = 2;
    public static final String BLOB = "config.json";

    public record Compression(String algorithm, int level) {}

    /**
     * @param algorithm   {@code age-x25519}
     * @param recipients  public keys every chunk and key blob is encrypted to
     * @param chunkIdKey  blob holding the HMAC key for chunk ids, encrypted to the recipients
     */
    public record Encryption(String algorithm, List<String> recipients, String chunkIdKey) {}

    /**
     * @param algorithm {@code ed25519}
     * @param publicKey {@code ed25519:<base64 DER>} ({@link dev.lifeboat.crypto.Signing}): whoever can write the
     *                  storage can replace it, so a reader trusts it only as far as this host's record of the
     *                  repository, or an identity file, vouches for it (docs/SECURITY.md)
     */
    public record Signing(String algorithm, String publicKey) {}

    public boolean signed() {
        return signing != null;
    }

    public boolean encrypted() {
        return encryption != null;
    }
}
