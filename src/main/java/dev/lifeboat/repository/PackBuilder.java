package dev.lifeboat.repository;

import dev.lifeboat.core.Hex;
import dev.lifeboat.storage.Storage;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Fills one pack at a time with the stored bytes of small chunks ({@link Packs}) for a {@link ChunkWriter}, whose
 * workers add to it at once. The worker whose chunk closes a pack uploads it ({@link Closed#upload}) while the others
 * fill the next one, so a writer holds at most two packs in memory per uploading worker: one filling, one going out.
 */
final class PackBuilder {
    final RepoConfig.Packs packs;
    private byte[] buffer = new byte[256 * 1024];
    private int length;
    private List<Packs.Entry> entries = new ArrayList<>();

    PackBuilder(RepoConfig.Packs packs) {
        this.packs = packs;
    }

    /** A pack no longer filled: its bytes and what its index lists. */
    record Closed(byte[] bytes, List<Packs.Entry> entries) {
        /**
         * Writes the pack, then its index: an index never names a pack that is not whole in the repository, and a
         * pack without an index is debris that prune removes.
         */
        void upload(Storage storage) throws IOException {
            String id = Hex.of(ChunkCodec.sha256().digest(bytes));
            storage.write(Packs.packBlob(id), bytes);
            Packs.Index index = new Packs.Index(Packs.INDEX_VERSION, id, bytes.length, entries);
            storage.write(Packs.indexBlob(id), Json.COMPACT.writeValueAsBytes(index));
        }
    }

    /** Adds a chunk; answers the pack it closed, which the caller uploads, or null while the pack has room. */
    synchronized Closed add(String id, byte[] blob, int plainSize) {
        if (length + blob.length > buffer.length) {
            long want = Math.max((long) buffer.length * 2, (long) length + blob.length);
            buffer = Arrays.copyOf(buffer, (int) Math.min(Math.max(want, length + blob.length), packs.maxBytes()));
        }
        System.arraycopy(blob, 0, buffer, length, blob.length);
        entries.add(new Packs.Entry(id, length, blob.length, plainSize));
        length += blob.length;
        return length >= packs.size() || entries.size() >= packs.chunks() ? take() : null;
    }

    /** The pack being filled, or null when it holds nothing. */
    synchronized Closed close() {
        return entries.isEmpty() ? null : take();
    }

    private Closed take() {
        Closed c = new Closed(Arrays.copyOf(buffer, length), entries);
        buffer = new byte[256 * 1024];
        length = 0;
        entries = new ArrayList<>();
        return c;
    }
}
