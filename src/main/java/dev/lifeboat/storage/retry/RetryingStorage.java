package dev.lifeboat.storage.retry;

import dev.lifeboat.storage.BlobInfo;
import dev.lifeboat.storage.PermanentStorageException;
import dev.lifeboat.storage.Storage;
import dev.lifeboat.storage.StorageFeature;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.nio.file.NoSuchFileException;
import java.time.Instant;
import java.util.EnumSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Retries transient failures of a backend that does not retry by itself (one without
 * {@link StorageFeature#RETRIES}): each operation is tried up to {@code attempts} times with exponential
 * backoff. What is not transient is not retried: a missing blob, an invalid name, a
 * {@link PermanentStorageException} (permission denied, no space left). A write from a stream
 * is tried once, since the stream cannot be read twice; writes of bytes in memory are retried.
 */
public final class RetryingStorage implements Storage {
    private static final Logger LOG = LoggerFactory.getLogger(RetryingStorage.class);

    @FunctionalInterface
    private interface Call<T> {
        T run() throws IOException;
    }

    private final Storage inner;
    private final int attempts;
    private final long firstPauseMillis;

    public RetryingStorage(Storage inner, int attempts, long firstPauseMillis) {
        this.inner = inner;
        this.attempts = attempts;
        this.firstPauseMillis = firstPauseMillis;
    }

    /** Wraps {@code storage} unless it retries by itself. */
    public static Storage wrap(Storage storage) {
        return storage.features().contains(StorageFeature.RETRIES) ? storage : new RetryingStorage(storage, 4, 200);
    }

    private <T> T retry(String what, String name, Call<T> call) throws IOException {
        long pause = firstPauseMillis;
        for (int attempt = 1; ; attempt++) {
            try {
                return call.run();
            } catch (NoSuchFileException | PermanentStorageException e) {
                throw e;
            } catch (IOException e) {
                // A stopped command interrupts its threads: a write cut short by that is not a storage failure.
                boolean interrupted = (e instanceof InterruptedIOException && !(e instanceof java.net.SocketTimeoutException))
                        || e instanceof java.nio.channels.ClosedByInterruptException || Thread.currentThread().isInterrupted();
                if (interrupted || attempt >= attempts) {
                    throw e;
                }
                LOG.warn("{} {} failed (attempt {} of {}), retrying in {} ms: {}", what, name, attempt, attempts, pause,
                        e.getMessage());
                try {
                    Thread.sleep(pause);
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                    throw new InterruptedIOException("interrupted while retrying " + what + " " + name);
                }
                pause *= 2;
            }
        }
    }

    @Override
    public String location() {
        return inner.location();
    }

    @Override
    public Set<StorageFeature> features() {
        Set<StorageFeature> f = EnumSet.noneOf(StorageFeature.class);
        f.addAll(inner.features());
        f.add(StorageFeature.RETRIES);
        return f;
    }

    @Override
    public InputStream read(String name) throws IOException {
        return retry("read", name, () -> inner.read(name));
    }

    @Override
    public InputStream read(String name, long offset, long length) throws IOException {
        return retry("read", name, () -> inner.read(name, offset, length));
    }

    @Override
    public byte[] readAllBytes(String name) throws IOException {
        return retry("read", name, () -> inner.readAllBytes(name));
    }

    @Override
    public void write(String name, InputStream data) throws IOException {
        inner.write(name, data);
    }

    @Override
    public void write(String name, byte[] data) throws IOException {
        retry("write", name, () -> {
            inner.write(name, data);
            return null;
        });
    }

    @Override
    public Optional<BlobInfo> stat(String name) throws IOException {
        return retry("stat", name, () -> inner.stat(name));
    }

    @Override
    public List<BlobInfo> list(String prefix) throws IOException {
        return retry("list", prefix, () -> inner.list(prefix));
    }

    /** A retry lists again from the start: {@code each} may see some blobs twice, as the contract allows. */
    @Override
    public void forEach(String prefix, java.util.function.Consumer<BlobInfo> each) throws IOException {
        retry("list", prefix, () -> {
            inner.forEach(prefix, each);
            return null;
        });
    }

    @Override
    public void delete(String name) throws IOException {
        retry("delete", name, () -> {
            inner.delete(name);
            return null;
        });
    }

    @Override
    public int removeDebris(Instant olderThan) throws IOException {
        return retry("remove debris", "", () -> inner.removeDebris(olderThan));
    }

    @Override
    public void close() throws IOException {
        inner.close();
    }
}
