package dev.lifeboat.storage;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.NoSuchFileException;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.SortedSet;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A {@link Storage} in memory, for unit tests of the layers above storage. It keeps the whole contract (checked by
 * {@code MemoryStorageTest}): names are checked, a write is atomic (the blob appears only once its stream has been
 * read to the end), a missing blob is a {@link NoSuchFileException}, delete is idempotent, and it is thread-safe.
 * It declares no {@link StorageFeature}: it holds each blob whole in memory.
 */
public final class MemoryStorage implements Storage {
    private record Blob(byte[] data, Instant lastModified) {}

    private final Map<String, Blob> blobs = new ConcurrentHashMap<>();
    private final String location;
    private final Clock clock;
    private volatile boolean closed;

    /** An empty storage whose blobs are stamped with the system clock. */
    public MemoryStorage() {
        this(Clock.systemUTC());
    }

    /** An empty storage whose blobs are stamped with {@code clock}, for tests of time-based policies. */
    public MemoryStorage(Clock clock) {
        this.clock = clock;
        this.location = "memory:" + Integer.toHexString(System.identityHashCode(this));
    }

    @Override
    public String location() {
        return location;
    }

    @Override
    public Set<StorageFeature> features() {
        return EnumSet.noneOf(StorageFeature.class);
    }

    @Override
    public InputStream read(String name) throws IOException {
        Blob blob = blobs.get(checkOpen(name));
        if (blob == null) {
            throw new NoSuchFileException(name, null, "no such blob in " + location);
        }
        return new ByteArrayInputStream(blob.data());
    }

    @Override
    public void write(String name, InputStream data) throws IOException {
        checkOpen(name);
        byte[] bytes = data.readAllBytes(); // a failure here leaves the previous blob, or none
        blobs.put(name, new Blob(bytes, clock.instant()));
    }

    @Override
    public void write(String name, byte[] data) throws IOException {
        checkOpen(name);
        blobs.put(name, new Blob(data.clone(), clock.instant()));
    }

    @Override
    public Optional<BlobInfo> stat(String name) {
        Blob blob = blobs.get(checkOpen(name));
        return blob == null ? Optional.empty() : Optional.of(info(name, blob));
    }

    @Override
    public List<BlobInfo> list(String prefix) {
        ensureOpen();
        BlobNames.checkPrefix(prefix);
        List<BlobInfo> out = new ArrayList<>();
        blobs.forEach((name, blob) -> {
            if (name.startsWith(prefix)) {
                out.add(info(name, blob));
            }
        });
        return out;
    }

    @Override
    public void delete(String name) {
        blobs.remove(checkOpen(name));
    }

    @Override
    public void close() {
        closed = true;
    }

    /** All names, sorted: handy in assertions about what a layer above wrote. */
    public SortedSet<String> names() {
        return new TreeSet<>(blobs.keySet());
    }

    /** The number of blobs. */
    public int size() {
        return blobs.size();
    }

    /** The bytes of all blobs together. */
    public long totalBytes() {
        return blobs.values().stream().mapToLong(b -> b.data().length).sum();
    }

    /**
     * Replaces a blob's bytes without changing its time, as a disk or a careless operator would: for tests that
     * corrupted or truncated data is detected.
     *
     * @throws NoSuchFileException if no blob has this name
     */
    public void corrupt(String name, byte[] replacement) throws NoSuchFileException {
        Blob old = blobs.get(checkOpen(name));
        if (old == null) {
            throw new NoSuchFileException(name, null, "no such blob in " + location);
        }
        blobs.put(name, new Blob(replacement.clone(), old.lastModified()));
    }

    private static BlobInfo info(String name, Blob blob) {
        return new BlobInfo(name, blob.data().length, blob.lastModified());
    }

    private String checkOpen(String name) {
        ensureOpen();
        return BlobNames.check(name);
    }

    private void ensureOpen() {
        if (closed) {
            throw new IllegalStateException("storage " + location + " is closed");
        }
    }
}
