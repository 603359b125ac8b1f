package dev.lifeboat.repository;

import com.github.luben.zstd.Zstd;
import com.github.luben.zstd.ZstdCompressCtx;
import com.github.luben.zstd.ZstdDecompressCtx;
import com.github.luben.zstd.ZstdException;
import dev.lifeboat.core.Hex;
import dev.lifeboat.crypto.Age;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.io.IOException;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/**
 * Turns a chunk's plain bytes into its id and stored form and back: a standard zstd frame (with its
 * content checksum), wrapped in a standard age file when the repository is encrypted. Thread-safe.
 */
public final class ChunkCodec {
    private final RepoConfig config;
    private final Keys keys;
    private final int level;

    public ChunkCodec(RepoConfig config, Keys keys, int compressionLevel) {
        this.config = config;
        this.keys = keys;
        this.level = compressionLevel;
    }

    /** The chunk's id; in an encrypted repository this needs the chunk-id key. */
    public String id(byte[] plain) {
        if (!config.encrypted()) {
            return Hex.of(sha256().digest(plain));
        }
        if (keys.chunkIdKey() == null) {
            throw new IllegalStateException("chunk-id key not loaded");
        }
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(keys.chunkIdKey(), "HmacSHA256"));
            return Hex.of(mac.doFinal(plain));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 unavailable", e);
        }
    }

    /** Whether ids can be recomputed to check chunks read back. */
    public boolean canCheckIds() {
        return !config.encrypted() || keys.chunkIdKey() != null;
    }

    /**
     * zstd contexts, made once and reused: making one per chunk took a tenth of a file tree's backup. At most as many
     * as chunks were ever coded at once (the writer's and reader's threads), kept for the process's life.
     */
    private static final java.util.concurrent.ConcurrentLinkedQueue<ZstdCompressCtx> COMPRESSORS =
            new java.util.concurrent.ConcurrentLinkedQueue<>();
    private static final java.util.concurrent.ConcurrentLinkedQueue<ZstdDecompressCtx> DECOMPRESSORS =
            new java.util.concurrent.ConcurrentLinkedQueue<>();

    public byte[] encode(byte[] plain) throws IOException {
        byte[] compressed;
        ZstdCompressCtx ctx = COMPRESSORS.poll();
        if (ctx == null) {
            ctx = new ZstdCompressCtx();
        }
        try {
            ctx.setLevel(level); // every parameter set again: a context keeps those of its last use
            ctx.setChecksum(true);
            ctx.setContentSize(true);
            compressed = ctx.compress(plain);
        } catch (RuntimeException failed) {
            ctx.close();
            throw failed;
        }
        COMPRESSORS.offer(ctx);
        return config.encrypted() ? Age.encrypt(compressed, keys.recipients()) : compressed;
    }

    /**
     * Decodes a stored chunk and checks that it is the chunk {@code ref} names.
     *
     * @throws CorruptChunkException when the blob cannot be decrypted, decompressed, or does not match
     */
    public byte[] decode(ChunkRef ref, byte[] stored) throws IOException {
        checkListedSize(ref);
        byte[] compressed = stored;
        if (config.encrypted()) {
            if (!keys.canDecrypt()) {
                throw new IllegalStateException("no identity loaded");
            }
            try {
                compressed = Age.decrypt(stored, keys.identities());
            } catch (GeneralSecurityException | IOException e) {
                throw new CorruptChunkException(ref.id(), "cannot be decrypted (" + e.getMessage()
                        + "): the blob was altered or truncated", e);
            }
        }
        byte[] plain;
        try {
            long size = Zstd.getFrameContentSize(compressed);
            if (size != ref.size()) {
                throw new CorruptChunkException(ref.id(), "has a zstd frame of " + size
                        + " bytes where the manifest says " + ref.size(), null);
            }
            ZstdDecompressCtx ctx = DECOMPRESSORS.poll();
            if (ctx == null) {
                ctx = new ZstdDecompressCtx();
            }
            try {
                plain = ctx.decompress(compressed, ref.size());
            } catch (RuntimeException bad) {
                ctx.close(); // a context that failed on a damaged frame is not used again
                throw bad;
            }
            DECOMPRESSORS.offer(ctx);
        } catch (ZstdException | IllegalArgumentException e) {
            throw new CorruptChunkException(ref.id(), "is not a valid zstd frame (" + e.getMessage() + ")", e);
        }
        if (plain.length != ref.size()) {
            throw new CorruptChunkException(ref.id(), "decompresses to " + plain.length + " bytes, expected "
                    + ref.size(), null);
        }
        if (canCheckIds() && !id(plain).equals(ref.id())) {
            throw new CorruptChunkException(ref.id(), "does not match its checksum", null);
        }
        return plain;
    }

    /**
     * Refuses a chunk the manifest lists as larger than any this repository's chunker cuts: decompressing it would
     * allocate what the manifest says (a decompression bomb), so it is corrupt before anything is allocated.
     */
    public void checkListedSize(ChunkRef ref) throws CorruptChunkException {
        int max = config.chunker().maxSize();
        if (ref.size() < 0 || ref.size() > max) {
            throw new CorruptChunkException(ref.id(), "is listed as " + ref.size() + " bytes, more than the "
                    + max + " of the largest chunk this repository cuts; refused before decompressing it", null);
        }
    }

    /** The most bytes a stored chunk can take: the largest chunk compressed at worst, plus age's framing. */
    public long maxStoredSize() {
        long max = config.chunker().maxSize();
        return Zstd.compressBound(max) + (max / 65536 + 1) * 16 + 64 * 1024;
    }

    static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
