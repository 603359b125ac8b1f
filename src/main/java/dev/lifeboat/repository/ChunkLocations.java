package dev.lifeboat.repository;

import dev.lifeboat.storage.Storage;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Where each packed chunk of a repository is: read from the pack indexes ({@link Packs#scan}) when first asked, and
 * read again, for indexes written since, when a chunk is not found (a long-running reader and a newer backup). An
 * index whose pack is missing or shorter than it says is left out, so that its chunks count as missing, which they
 * are. {@link Repository} shares one among its readers. Thread-safe.
 */
final class ChunkLocations {
    /** A chunk's place: {@code length} stored bytes at {@code offset} of the blob {@code pack}. */
    record Location(String pack, long offset, int length) {}

    private final Storage storage;
    private final RepoConfig.Packs packs;
    private final ChunkIndex slots = new ChunkIndex(); // chunk id -> entry number
    private final List<String> packIds = new ArrayList<>();
    private int[] packOf = new int[1024];
    private long[] offsetOf = new long[1024];
    private int[] lengthOf = new int[1024];
    private int entries;
    private final Set<String> read = new HashSet<>();
    private boolean loaded;
    private long lastScan;
    /** A miss reads the indexes again at most this often: a damaged repository misses many chunks. */
    private static final long RESCAN_NANOS = 5_000_000_000L;

    ChunkLocations(Storage storage, RepoConfig.Packs packs) {
        this.storage = storage;
        this.packs = packs;
    }

    /** Makes the next miss read the indexes again, however recently they were read: a pack was written here. */
    synchronized void stale() {
        lastScan = System.nanoTime() - RESCAN_NANOS - 1;
    }

    /** Where chunk {@code id} is, or null when no pack holds it (after reading indexes new since the last look). */
    synchronized Location find(String id) throws IOException {
        if (!loaded) {
            refresh();
        }
        int e = slots.get(id);
        if (e == ChunkIndex.MISSING && System.nanoTime() - lastScan > RESCAN_NANOS && refresh() > 0) {
            e = slots.get(id);
        }
        return e == ChunkIndex.MISSING ? null
                : new Location(Packs.packBlob(packIds.get(packOf[e])), offsetOf[e], lengthOf[e]);
    }

    /** Reads the indexes not read yet; answers how many were new. */
    private int refresh() throws IOException {
        loaded = true;
        lastScan = System.nanoTime();
        int[] added = {0};
        Packs.forEachUsable(storage, packs, index -> {
            if (!read.add(index.pack())) {
                return;
            }
            added[0]++;
            int p = packIds.size();
            packIds.add(index.pack());
            for (Packs.Entry c : index.chunks()) {
                if (slots.get(c.id()) != ChunkIndex.MISSING) {
                    continue; // in two packs: either place holds the same chunk
                }
                if (entries == packOf.length) {
                    packOf = Arrays.copyOf(packOf, entries * 2);
                    offsetOf = Arrays.copyOf(offsetOf, entries * 2);
                    lengthOf = Arrays.copyOf(lengthOf, entries * 2);
                }
                packOf[entries] = p;
                offsetOf[entries] = c.offset();
                lengthOf[entries] = c.length();
                slots.put(c.id(), entries++);
            }
        });
        return added[0];
    }
}
