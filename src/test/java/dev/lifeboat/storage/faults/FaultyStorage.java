package dev.lifeboat.storage.faults;

import dev.lifeboat.storage.BlobInfo;
import dev.lifeboat.storage.PermanentStorageException;
import dev.lifeboat.storage.Storage;
import dev.lifeboat.storage.StorageFeature;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.SocketTimeoutException;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Wraps a storage and makes a share of its calls fail as real storage fails: an error before anything
 * happens, a timeout, a read that ends early (a short read), or a failure retrying cannot fix (a full disk). Deterministic for a given seed.
 */
public final class FaultyStorage implements Storage {
    public enum Fault { ERROR, TIMEOUT, SHORT_READ, FULL }

    private final Storage inner;
    private final Random random;
    private final double rate;
    private final Set<Fault> faults;
    private final AtomicInteger injected = new AtomicInteger();
    private volatile boolean enabled = true;

    public FaultyStorage(Storage inner, long seed, double rate, Set<Fault> faults) {
        this.inner = inner;
        this.random = new Random(seed);
        this.rate = rate;
        this.faults = faults;
    }

    public int injected() {
        return injected.get();
    }

    public void enabled(boolean on) {
        enabled = on;
    }

    private synchronized Fault next(boolean reading) {
        if (!enabled || random.nextDouble() >= rate) {
            return null;
        }
        List<Fault> possible = faults.stream().filter(f -> reading || f != Fault.SHORT_READ).toList();
        if (possible.isEmpty()) {
            return null;
        }
        injected.incrementAndGet();
        return possible.get(random.nextInt(possible.size()));
    }

    private void maybeFail(String op, String name) throws IOException {
        Fault f = next(false);
        if (f == Fault.ERROR) {
            throw new IOException("injected error: " + op + " " + name);
        }
        if (f == Fault.TIMEOUT) {
            throw new SocketTimeoutException("injected timeout: " + op + " " + name);
        }
        if (f == Fault.FULL) {
            throw new PermanentStorageException("injected: cannot " + op + " " + name + ": no space left", "free space", null);
        }
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
        Fault f = next(true);
        if (f == Fault.SHORT_READ) {
            byte[] all = inner.readAllBytes(name);
            return new ByteArrayInputStream(all, 0, all.length / 2);
        }
        if (f != null) {
            throw f == Fault.TIMEOUT ? new SocketTimeoutException("injected timeout: read " + name)
                    : new IOException("injected error: read " + name);
        }
        return inner.read(name);
    }

    @Override
    public byte[] readAllBytes(String name) throws IOException {
        try (InputStream in = read(name)) {
            return in.readAllBytes();
        }
    }

    @Override
    public void write(String name, InputStream data) throws IOException {
        maybeFail("write", name);
        inner.write(name, data);
    }

    @Override
    public void write(String name, byte[] data) throws IOException {
        maybeFail("write", name);
        inner.write(name, data);
    }

    @Override
    public Optional<BlobInfo> stat(String name) throws IOException {
        maybeFail("stat", name);
        return inner.stat(name);
    }

    @Override
    public List<BlobInfo> list(String prefix) throws IOException {
        maybeFail("list", prefix);
        return inner.list(prefix);
    }

    @Override
    public void forEach(String prefix, java.util.function.Consumer<BlobInfo> each) throws IOException {
        maybeFail("list", prefix);
        inner.forEach(prefix, each);
    }

    @Override
    public void delete(String name) throws IOException {
        maybeFail("delete", name);
        inner.delete(name);
    }

    @Override
    public void close() throws IOException {
        inner.close();
    }
}
