package dev.lifeboat.storage.faults;

import dev.lifeboat.storage.BlobInfo;
import dev.lifeboat.storage.PermanentStorageException;
import dev.lifeboat.storage.Storage;
import dev.lifeboat.storage.StorageFeature;

import java.io.ByteArrayInputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.SocketTimeoutException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Wraps a storage and makes its calls fail as real storage fails, in three ways that can be combined:
 * <ul>
 *   <li><b>Transient faults</b> ({@link Fault}): a share {@code rate} of the (operation, blob) pairs fail their first
 *       one or more calls, {@link #inARow} at most, then work, as a flaky link does. {@link Fault#ERROR} fails before
 *       the call reaches the storage. {@link Fault#TIMEOUT} times out: a read before its first byte, a write after
 *       it landed (its answer was lost), a listing midway. {@link Fault#SHORT_READ} ends a read halfway with an
 *       error, as an HTTP client reports a body shorter than its Content-Length. {@link Fault#TRUNCATED} ends a read
 *       halfway without an error, as a truncated file does: beyond the {@link Storage} contract, only checksums
 *       can tell. Which pairs fail, how often and how is decided by the seed and the pair alone, so a run is the
 *       same whatever order threads call in.</li>
 *   <li><b>A storage gone</b> ({@link #unreachableAfter}): after a number of calls every call fails, as a server
 *       that went away or a link that broke for good.</li>
 *   <li><b>A full disk</b> ({@link #fullAfter}): once a number of bytes were written, writes fail with a
 *       {@link PermanentStorageException} (no space left) while reads, listings and deletes go on working.</li>
 *   <li><b>A folder that is not ours</b> ({@link #denyWritesUnder}): writes of blobs under a prefix fail with a
 *       {@link PermanentStorageException} (permission denied), as in a chunk folder that another user created;
 *       all else works.</li>
 * </ul>
 */
public final class FaultyStorage implements Storage {
    public enum Fault { ERROR, TIMEOUT, SHORT_READ, TRUNCATED }

    private final Storage inner;
    private final long seed;
    private final double rate;
    private final Set<Fault> faults;
    private final Map<String, AtomicInteger> callsOf = new ConcurrentHashMap<>();
    private final AtomicInteger injected = new AtomicInteger();
    private final AtomicInteger calls = new AtomicInteger();
    private final AtomicLong written = new AtomicLong();
    private volatile int inARow = 2;
    private volatile long unreachableAfter = Long.MAX_VALUE;
    private volatile long capacity = Long.MAX_VALUE;
    private volatile String denied;
    private volatile String undeletable;
    private volatile boolean enabled = true;

    /** Transient faults of the given kinds on a share {@code rate} (0 to 1) of the (operation, blob) pairs. */
    public FaultyStorage(Storage inner, long seed, double rate, Set<Fault> faults) {
        this.inner = inner;
        this.seed = seed;
        this.rate = rate;
        this.faults = Set.copyOf(faults);
    }

    /** A storage that works, until {@link #unreachableAfter} or {@link #fullAfter} say otherwise. */
    public static FaultyStorage reliable(Storage inner) {
        return new FaultyStorage(inner, 0, 0, Set.of());
    }

    /** An (operation, blob) pair that fails fails at most this many calls in a row (default 2), then works. */
    public FaultyStorage inARow(int times) {
        this.inARow = times;
        return this;
    }

    /** Every call after the next {@code more} calls fails, never reaching the storage. */
    public FaultyStorage unreachableAfter(long more) {
        this.unreachableAfter = calls.get() + more;
        return this;
    }

    /** Writes fail with "no space left" once {@code bytes} more bytes were written. */
    public FaultyStorage fullAfter(long bytes) {
        this.capacity = written.get() + bytes;
        return this;
    }

    /** Writes of blobs whose names start with {@code prefix} fail with "permission denied". */
    public FaultyStorage denyWritesUnder(String prefix) {
        this.denied = prefix;
        return this;
    }

    /** Deletes of blobs whose names start with {@code prefix} fail with "permission denied". */
    public FaultyStorage denyDeletesUnder(String prefix) {
        this.undeletable = prefix;
        return this;
    }

    /** How many faults were injected so far. */
    public int injected() {
        return injected.get();
    }

    /** How many calls were made so far. */
    public int calls() {
        return calls.get();
    }

    /** The bytes written so far. */
    public long written() {
        return written.get();
    }

    /** Turns every fault off or on again (counting goes on). */
    public void enabled(boolean on) {
        enabled = on;
    }

    /** The fault this call of {@code op} on {@code name} meets, or null; throws when the storage is gone. */
    private Fault next(String op, String name) throws IOException {
        long call = calls.incrementAndGet();
        if (!enabled) {
            return null;
        }
        if (call > unreachableAfter) {
            injected.incrementAndGet();
            throw new IOException("injected: storage unreachable: " + op + " " + name);
        }
        List<Fault> possible = faults.stream()
                .filter(f -> (f != Fault.SHORT_READ && f != Fault.TRUNCATED) || op.equals("read")).toList();
        if (possible.isEmpty()) {
            return null;
        }
        String key = op + " " + name;
        long h = mix(seed ^ mix(key.hashCode()));
        if ((h >>> 11) * 0x1.0p-53 >= rate) {
            return null;
        }
        int streak = 1 + (int) Math.floorMod(mix(h), (long) inARow);
        if (callsOf.computeIfAbsent(key, k -> new AtomicInteger()).getAndIncrement() >= streak) {
            return null;
        }
        injected.incrementAndGet();
        return possible.get((int) Math.floorMod(mix(h + 1), (long) possible.size()));
    }

    private static long mix(long z) { // splitmix64's finalizer
        z = (z ^ (z >>> 30)) * 0xbf58476d1ce4e5b9L;
        z = (z ^ (z >>> 27)) * 0x94d049bb133111ebL;
        return z ^ (z >>> 31);
    }

    private static IOException error(String op, String name) {
        return new IOException("injected error: " + op + " " + name);
    }

    private static IOException timeout(String op, String name) {
        return new SocketTimeoutException("injected timeout: " + op + " " + name);
    }

    @Override
    public String location() {
        return "faulty:" + inner.location();
    }

    @Override
    public Set<StorageFeature> features() {
        return inner.features();
    }

    @Override
    public InputStream read(String name) throws IOException {
        Fault f = next("read", name);
        if (f == Fault.ERROR) {
            throw error("read", name);
        }
        if (f == Fault.TIMEOUT) {
            throw timeout("read", name);
        }
        if (f == null) {
            return inner.read(name);
        }
        byte[] all = inner.readAllBytes(name);
        if (f == Fault.TRUNCATED) {
            return new ByteArrayInputStream(all, 0, all.length / 2);
        }
        IOException cut = new IOException("injected short read: " + name + " ended after " + all.length / 2 + " of "
                + all.length + " bytes");
        return new FilterInputStream(new ByteArrayInputStream(all, 0, all.length / 2)) {
            @Override
            public int read() throws IOException {
                int b = super.read();
                if (b < 0) {
                    throw cut;
                }
                return b;
            }

            @Override
            public int read(byte[] buffer, int offset, int length) throws IOException {
                int n = super.read(buffer, offset, length);
                if (n < 0 && length > 0) {
                    throw cut;
                }
                return n;
            }
        };
    }

    @Override
    public byte[] readAllBytes(String name) throws IOException {
        try (InputStream in = read(name)) {
            return in.readAllBytes();
        }
    }

    @Override
    public void write(String name, InputStream data) throws IOException {
        Fault f = next("write", name);
        if (f == Fault.ERROR) {
            throw error("write", name);
        }
        checkAllowed(name);
        inner.write(name, new FilterInputStream(data) {
            @Override
            public int read() throws IOException {
                int b = super.read();
                if (b >= 0) {
                    count(name, 1);
                }
                return b;
            }

            @Override
            public int read(byte[] buffer, int offset, int length) throws IOException {
                int n = super.read(buffer, offset, length);
                if (n > 0) {
                    count(name, n);
                }
                return n;
            }

            @Override
            public void close() {
                // the caller closes its stream, not the storage
            }
        });
        if (f == Fault.TIMEOUT) {
            throw timeout("write", name);
        }
    }

    @Override
    public void write(String name, byte[] data) throws IOException {
        Fault f = next("write", name);
        if (f == Fault.ERROR) {
            throw error("write", name);
        }
        checkAllowed(name);
        count(name, data.length);
        inner.write(name, data);
        if (f == Fault.TIMEOUT) {
            throw timeout("write", name);
        }
    }

    /** Fails, as a folder of another user does, a write that {@link #denyWritesUnder} names. */
    private void checkAllowed(String name) throws IOException {
        String prefix = denied;
        if (enabled && prefix != null && name.startsWith(prefix)) {
            injected.incrementAndGet();
            throw new PermanentStorageException("injected: permission denied: cannot write " + name,
                    "run Lifeboat as the user that owns the repository", null);
        }
    }

    /** Counts {@code n} bytes written to {@code name}; throws, as a full disk does, when there is no room for them. */
    private void count(String name, long n) throws IOException {
        if (enabled && written.get() + n > capacity) {
            injected.incrementAndGet();
            throw new PermanentStorageException("injected: cannot write " + name + ": no space left",
                    "free space, or run 'lifeboat prune'", null);
        }
        written.addAndGet(n);
    }

    @Override
    public Optional<BlobInfo> stat(String name) throws IOException {
        Fault f = next("stat", name);
        if (f != null) {
            throw f == Fault.ERROR ? error("stat", name) : timeout("stat", name);
        }
        return inner.stat(name);
    }

    @Override
    public List<BlobInfo> list(String prefix) throws IOException {
        Fault f = next("list", prefix);
        if (f != null) {
            throw f == Fault.ERROR ? error("list", prefix) : timeout("list", prefix);
        }
        return inner.list(prefix);
    }

    /** A timeout comes midway, after half the blobs were handed out, as a listing's second page can fail. */
    @Override
    public void forEach(String prefix, java.util.function.Consumer<BlobInfo> each) throws IOException {
        Fault f = next("list", prefix);
        if (f == Fault.ERROR) {
            throw error("list", prefix);
        }
        if (f == null) {
            inner.forEach(prefix, each);
            return;
        }
        List<BlobInfo> all = new ArrayList<>();
        inner.forEach(prefix, all::add);
        all.subList(0, all.size() / 2).forEach(each);
        throw timeout("list", prefix);
    }

    @Override
    public void delete(String name) throws IOException {
        Fault f = next("delete", name);
        if (f == Fault.ERROR) {
            throw error("delete", name);
        }
        String prefix = undeletable;
        if (enabled && prefix != null && name.startsWith(prefix)) {
            injected.incrementAndGet();
            throw new PermanentStorageException("injected: permission denied: cannot delete " + name,
                    "run Lifeboat as the user that owns the repository", null);
        }
        inner.delete(name);
        if (f == Fault.TIMEOUT) {
            throw timeout("delete", name);
        }
    }

    @Override
    public int removeDebris(java.time.Instant olderThan) throws IOException {
        Fault f = next("remove debris", "");
        if (f != null) {
            throw f == Fault.ERROR ? error("remove debris", "") : timeout("remove debris", "");
        }
        return inner.removeDebris(olderThan);
    }

    @Override
    public void close() throws IOException {
        inner.close();
    }
}
