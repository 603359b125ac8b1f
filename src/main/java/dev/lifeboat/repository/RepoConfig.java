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
 * @param packs       how small chunks are packed together (version 3 on); null before, where every chunk is a blob
 */
public record RepoConfig(String format, int version, String id, Instant created, ChunkerParams chunker,
                         Compression compression, String chunkId, Encryption encryption, Signing signing,
                         Packs packs) {
    public static final String FORMAT = "lifeboat-repository";
    /** 2: {@code signing}, and a signature beside every manifest. 3: {@code packs}, pack files and their indexes. */
    public static final int VERSION = 3;
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

    /**
     * Pack files (docs/REPOSITORY-FORMAT.md): a chunk of fewer than {@code below} plain bytes is stored in a pack
     * ({@code packs/}, listed by its index in {@code index/}), which is closed at {@code size} bytes or {@code
     * chunks} chunks; larger chunks stay blobs of their own.
     *
     * @param below  plain size under which a chunk is packed
     * @param size   stored bytes at which a pack is closed (it may exceed this by one chunk)
     * @param chunks chunks at which a pack is closed
     */
    public record Packs(int below, int size, int chunks) {
        /** Stored bytes a pack may hold at most: a pack is closed at {@link #size}, plus the chunk that filled it. */
        public long maxBytes() {
            return (long) size + 2L * below + 64 * 1024;
        }
    }

    /** 16 MiB packs of at most 10,000 chunks (docs/BENCHMARKS.md), for chunks the chunker cut short. */
    public static Packs defaultPacks(ChunkerParams chunker) {
        return new Packs(chunker.minSize(), 16 * 1024 * 1024, 10_000);
    }

    public boolean packed() {
        return packs != null;
    }

    public boolean signed() {
        return signing != null;
    }

    public boolean encrypted() {
        return encryption != null;
    }
}
