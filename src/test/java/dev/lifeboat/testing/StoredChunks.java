package dev.lifeboat.testing;

import dev.lifeboat.repository.ChunkRef;
import dev.lifeboat.repository.Json;
import dev.lifeboat.repository.Packs;
import dev.lifeboat.storage.BlobInfo;
import dev.lifeboat.storage.Storage;

import java.io.IOException;

/** Damages a stored chunk where it lies: its own blob, or its bytes inside a pack (repository format 3). */
public final class StoredChunks {
    private StoredChunks() {}

    /** Flips one bit in the middle of chunk {@code ref}'s stored bytes; answers the blob it changed. */
    public static String flipByte(Storage storage, ChunkRef ref) throws IOException {
        if (storage.stat(ref.blobName()).isPresent()) {
            byte[] b = storage.readAllBytes(ref.blobName());
            b[b.length / 2] ^= 1;
            storage.write(ref.blobName(), b);
            return ref.blobName();
        }
        for (BlobInfo i : storage.list(Packs.INDEX_PREFIX)) {
            Packs.Index index = Json.MAPPER.readValue(storage.readAllBytes(i.name()), Packs.Index.class);
            for (Packs.Entry e : index.chunks()) {
                if (e.id().equals(ref.id())) {
                    byte[] pack = storage.readAllBytes(index.packBlob());
                    pack[(int) (e.offset() + e.length() / 2)] ^= 1;
                    storage.write(index.packBlob(), pack);
                    return index.packBlob();
                }
            }
        }
        throw new IllegalStateException("chunk " + ref.id() + " is neither a blob nor in any pack");
    }
}
