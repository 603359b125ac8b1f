package dev.lifeboat.repository;

import java.util.Arrays;

/**
 * A compact set of chunk ids for garbage collection: the first 64 bits of each id, sorted, 8 bytes per
 * chunk whatever the id's length. Two ids sharing a 64-bit prefix make the set answer "present" for
 * both, which can only keep a chunk that could have been deleted, never delete one in use.
 */
public final class ChunkIdSet {
    private long[] keys = new long[1024];
    private int size;
    private boolean sorted = true;

    public void add(String id) {
        if (size == keys.length) {
            keys = Arrays.copyOf(keys, size * 2);
        }
        keys[size++] = key(id);
        sorted = false;
    }

    /** Whether {@code id} may be in the set (no false negatives). */
    public boolean mayContain(String id) {
        if (!sorted) {
            Arrays.sort(keys, 0, size);
            sorted = true;
        }
        return Arrays.binarySearch(keys, 0, size, key(id)) >= 0;
    }

    public int size() {
        return size;
    }

    private static long key(String id) {
        return Long.parseUnsignedLong(id.substring(0, 16), 16);
    }
}
