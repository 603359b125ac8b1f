package dev.lifeboat.storage;

import java.io.ByteArrayInputStream;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.NoSuchFileException;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Where a repository's blobs live: a flat namespace of names such as {@code chunks/ab/ab12...} or
 * {@code manifests/20261121T030000Z-1a2b3c.json}. The repository format sits one layer above this
 * interface and knows nothing of the backend; each backend knows nothing of the format.
 *
 * <p>The contract every implementation keeps (tested by {@code StorageContractTest}):
 * <ul>
 *   <li>Names are relative, separated by {@code /}, made of {@code [A-Za-z0-9._-]} segments that
 *       start with a letter or digit (so a backend may keep hidden temporary files); see
 *       {@link BlobNames#check(String)}.</li>
 *   <li>{@link #write} is atomic: until it returns, a reader sees the previous blob or none, never a
 *       partial one. A failed or interrupted write leaves no blob under the name (a backend may leave
 *       temporary debris under a name no reader lists, which it cleans itself).</li>
 *   <li>A missing blob is reported with {@link NoSuchFileException}, never with {@code null}.</li>
 *   <li>{@link #stat}, {@link #list} and {@link #forEach} see every write and delete that returned: a written blob,
 *       with its new size, is in the very next listing, and a deleted one is not (a process lists the locks right
 *       after writing its own, and must see the others').</li>
 *   <li>{@link BlobInfo#lastModified()} is the time of the blob's last write by the storage's own clock (the
 *       server's, for a remote one; whole seconds at worst): an overwrite moves it forward, stamped as a new blob
 *       written then would be, and stat and list tell the same time (locks judge a heartbeat by it).</li>
 *   <li>{@link #delete} is idempotent: deleting a missing blob succeeds.</li>
 *   <li>Transient failures (timeouts, 5xx) are retried inside the backend before an
 *       {@link IOException} reaches the caller; an exception means the operation failed. One that trying
 *       again cannot fix (permission denied, no space left) is a {@link PermanentStorageException}.</li>
 *   <li>Implementations are safe for concurrent use by several threads.</li>
 * </ul>
 */
public interface Storage extends Closeable {

    /** Where this storage points, for messages and manifests; never contains a credential. */
    String location();

    /** What this backend can do beyond the contract above. */
    Set<StorageFeature> features();

    /**
     * Opens a blob for reading from its start.
     *
     * @throws NoSuchFileException if no blob has this name
     */
    InputStream read(String name) throws IOException;

    /**
     * Opens {@code length} bytes of a blob from {@code offset} (a chunk inside a pack file). The stream ends early
     * when the blob does: a caller that needs every byte checks how many it got. This default reads from the start
     * and skips; a backend that can seek or ask for a range overrides it.
     *
     * @throws NoSuchFileException if no blob has this name
     */
    default InputStream read(String name, long offset, long length) throws IOException {
        if (offset < 0 || length < 0) {
            throw new IllegalArgumentException("range " + offset + "+" + length + " of " + name);
        }
        return BoundedInputStream.range(read(name), offset, length);
    }

    /**
     * Stores the whole of {@code data} under {@code name}, replacing any blob of that name. The length
     * of the stream need not be known; the stream is read to its end but not closed.
     */
    void write(String name, InputStream data) throws IOException;

    /** {@link #write(String, InputStream)} for data already in memory. */
    default void write(String name, byte[] data) throws IOException {
        write(name, new ByteArrayInputStream(data));
    }

    /** The blob's size and time, or empty when there is no blob of this name. */
    Optional<BlobInfo> stat(String name) throws IOException;

    /** All blobs whose name starts with {@code prefix}, in no particular order. */
    List<BlobInfo> list(String prefix) throws IOException;

    /**
     * Hands {@code each} every blob whose name starts with {@code prefix}, in no particular order, keeping no more
     * than a page of them in memory: for listings that can hold millions of chunks. After a failure midway a
     * retry starts over, so a caller may see a blob twice and must not mind.
     */
    default void forEach(String prefix, java.util.function.Consumer<BlobInfo> each) throws IOException {
        list(prefix).forEach(each);
    }

    /** Removes a blob; succeeds when there is none. */
    void delete(String name) throws IOException;

    /**
     * Removes what interrupted writes of this backend left behind (temporary files, unfinished multipart
     * uploads) that is older than {@code olderThan}; maintenance calls it under an exclusive lock. Part of the
     * contract: it removes no blob, nothing that is not this backend's debris, and no debris younger than
     * {@code olderThan} (it may be the write in progress of a process that holds no lock).
     *
     * @return how many pieces of debris were removed
     */
    default int removeDebris(java.time.Instant olderThan) throws IOException {
        return 0;
    }

    /** Reads a whole blob that is known to be small (manifests, locks, config). */
    default byte[] readAllBytes(String name) throws IOException {
        try (InputStream in = read(name)) {
            return in.readAllBytes();
        }
    }
}
