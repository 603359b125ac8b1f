package dev.lifeboat.repository;

/**
 * Chunk ids (64 hex digits: SHA-256, or HMAC-SHA-256 in an encrypted repository) mapped to a stored size, in
 * open-addressed arrays: 36 bytes a slot (the id's 32 bytes and an int), so 48 to 96 bytes a chunk with the
 * table's free slots, where a {@code HashMap<String, Integer>} takes about 160. A backup holds every chunk of
 * the repository in one, to store each chunk once, so this is what its memory grows with.
 *
 * <p>Whole ids are compared, never a prefix: a false "present" would skip storing a chunk. Thread-safe.
 */
public final class ChunkIndex {
    /** What {@link #get} and {@link #putIfAbsent} answer for an id that is not in the index. */
    public static final int MISSING = Integer.MIN_VALUE;
    private static final int ID_HEX = 64;

    private long[] keys; // 4 longs a slot
    private int[] values; // MISSING marks a free slot
    private int count;

    public ChunkIndex() {
        allocate(1024);
    }

    /** Whether {@code name} (a blob's last path element) is a chunk id this index can hold. */
    public static boolean isId(String name) {
        if (name.length() != ID_HEX) {
            return false;
        }
        for (int i = 0; i < ID_HEX; i++) {
            char c = name.charAt(i);
            if (!(c >= '0' && c <= '9' || c >= 'a' && c <= 'f')) {
                return false;
            }
        }
        return true;
    }

    public synchronized int get(String id) {
        return values[find(parse(id))];
    }

    public synchronized void put(String id, int value) {
        checkValue(value);
        long[] k = parse(id);
        int slot = find(k);
        if (values[slot] == MISSING) {
            slot = claim(slot, k);
        }
        values[slot] = value;
    }

    /** Adds {@code id} with {@code value} unless present; answers the value it had, or {@link #MISSING}. */
    public synchronized int putIfAbsent(String id, int value) {
        checkValue(value);
        long[] k = parse(id);
        int slot = find(k);
        int old = values[slot];
        if (old == MISSING) {
            int claimed = claim(slot, k); // before indexing: claiming may grow the table, replacing the array
            values[claimed] = value;
        }
        return old;
    }

    public synchronized int size() {
        return count;
    }

    /** The heap its arrays take. */
    public synchronized long bytes() {
        return 8L * keys.length + 4L * values.length;
    }

    private static void checkValue(int value) {
        if (value == MISSING) {
            throw new IllegalArgumentException("value " + value + " is reserved");
        }
    }

    private static long[] parse(String id) {
        if (!isId(id)) {
            throw new IllegalArgumentException("not a chunk id: '" + id + "'");
        }
        long[] k = new long[4];
        for (int i = 0; i < 4; i++) {
            k[i] = Long.parseUnsignedLong(id, 16 * i, 16 * i + 16, 16);
        }
        return k;
    }

    /** The slot holding {@code k}, or the free slot where it would go. */
    private int find(long[] k) {
        int mask = values.length - 1;
        int slot = (int) (k[0] ^ (k[0] >>> 32)) & mask; // ids are hash values: their bits are already mixed
        while (values[slot] != MISSING) {
            int b = 4 * slot;
            if (keys[b] == k[0] && keys[b + 1] == k[1] && keys[b + 2] == k[2] && keys[b + 3] == k[3]) {
                return slot;
            }
            slot = (slot + 1) & mask;
        }
        return slot;
    }

    /** Takes the free slot {@code slot} for {@code k}, growing the table first when it is 3/4 full. */
    private int claim(int slot, long[] k) {
        if ((count + 1) * 4L > values.length * 3L) {
            grow();
            slot = find(k);
        }
        System.arraycopy(k, 0, keys, 4 * slot, 4);
        count++;
        return slot;
    }

    private void grow() {
        long[] oldKeys = keys;
        int[] oldValues = values;
        allocate(oldValues.length * 2);
        for (int s = 0; s < oldValues.length; s++) {
            if (oldValues[s] != MISSING) {
                long[] k = {oldKeys[4 * s], oldKeys[4 * s + 1], oldKeys[4 * s + 2], oldKeys[4 * s + 3]};
                int slot = find(k);
                System.arraycopy(k, 0, keys, 4 * slot, 4);
                values[slot] = oldValues[s];
            }
        }
    }

    private void allocate(int slots) {
        keys = new long[4 * slots];
        values = new int[slots];
        java.util.Arrays.fill(values, MISSING);
    }
}
