package dev.lifeboat.repository;

import dev.lifeboat.core.Futures;
import dev.lifeboat.core.Hex;

import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongConsumer;

/**
 * Stores streams as artifacts for one backup. The calling thread reads and cuts the stream and hashes it
 * whole; worker threads name, compress, encrypt and upload chunks. At most {@code 2 * threads} chunks
 * are in memory at once (fewer when the heap is small, see {@link #inFlightLimit}), so memory does not
 * depend on the stream's size. A chunk already in the repository is not stored again.
 *
 * <p>The repository's chunks are listed once, on a thread of their own that starts when the writer opens, so
 * that the listing (a thousand keys per request on S3) runs while the caller starts its source: pg_dump reads
 * the catalogs meanwhile, and then waits on its full pipe. {@link #write} starts reading once the listing has
 * ended, so memory during the listing is the index alone, as it was when the listing came first.
 */
public final class ChunkWriter implements Closeable {
    private final Repository repo;
    private final ChunkCodec codec;
    private final ExecutorService workers;
    /** Its permits are released when the listing ends, as many as the memory left beside the index allows. */
    private final Semaphore inFlight = new Semaphore(0);
    /** Stored size of every chunk known to exist, or -1 while this writer is uploading it. */
    private final ChunkIndex known = new ChunkIndex();
    /** Completes when {@link #known} holds the listing; fails with the listing's error. */
    private final CompletableFuture<Void> listed = new CompletableFuture<>();
    private final Thread lister;
    private final AtomicLong addedBytes = new AtomicLong();
    /** The pack being filled with small chunks; null in a repository without packs (format 1 and 2). */
    private final PackBuilder packer;

    ChunkWriter(Repository repo, ChunkCodec codec, int threads) {
        this.repo = repo;
        this.codec = codec;
        this.packer = repo.config().packed() ? new PackBuilder(repo.config().packs()) : null;
        this.workers = Executors.newFixedThreadPool(threads, r -> {
            Thread t = new Thread(r, "lifeboat-chunk-writer");
            t.setDaemon(true);
            return t;
        });
        this.lister = new Thread(() -> {
            try {
                repo.forEachChunk((id, stored) -> known.put(id, (int) stored));
                long packBuffers = packer == null ? 0 : 2 * packer.packs.maxBytes(); // one filling, one uploading
                inFlight.release(inFlightLimit(threads, repo.config().chunker().maxSize(), known.bytes() + packBuffers));
                listed.complete(null);
            } catch (Throwable e) { // an Error too (out of memory): workers wait for this, they must not hang
                listed.completeExceptionally(e);
            }
        }, "lifeboat-chunk-listing");
        lister.setDaemon(true);
        lister.start();
    }

    /**
     * How many chunks may be in memory at once: two per worker, but no more than the heap holds with room
     * to spare beside the index of the repository's chunks ({@code indexBytes}), counting a chunk three times
     * (plain, compressed, encrypted) at its maximum size.
     */
    static int inFlightLimit(int threads, int maxChunkSize, long indexBytes) {
        long budget = Runtime.getRuntime().maxMemory() - 48L * 1024 * 1024 - indexBytes;
        long byMemory = budget / (3L * maxChunkSize);
        return (int) Math.max(2, Math.min(threads * 2L, byMemory));
    }

    /** Waits for the listing of the repository's chunks; rethrows its failure. */
    private void awaitListing() throws IOException {
        try {
            listed.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while listing the repository's chunks");
        } catch (ExecutionException e) {
            throw Futures.rethrow(e.getCause());
        }
    }

    /**
     * The stored size of chunk {@code id} when the repository (as listed when this writer opened, or as this writer
     * stored) holds it, else -1: a source may then reference it without storing it again (a file unchanged since the
     * last backup), since the backup's shared lock keeps prune from removing it.
     */
    public int storedSize(String id) throws IOException {
        awaitListing();
        int stored = known.get(id);
        return stored == ChunkIndex.MISSING || stored < 0 ? -1 : stored;
    }

    /** Bytes of new chunks this writer has stored so far. */
    public long addedBytes() {
        return addedBytes.get();
    }

    /**
     * Reads {@code in} to its end and stores it.
     *
     * @param progress told the number of plain bytes read so far, from the calling thread
     */
    public Artifact write(String name, String source, String format, InputStream in, LongConsumer progress)
            throws IOException {
        return write(name, source, format, in, () -> -1, progress);
    }

    /**
     * Reads {@code in} to its end and stores it, with a chunk boundary at the offset {@code boundary} gives once it
     * knows it (see {@link Chunker#Chunker(ChunkerParams, InputStream, java.util.function.LongSupplier)}).
     */
    public Artifact write(String name, String source, String format, InputStream in,
                          java.util.function.LongSupplier boundary, LongConsumer progress) throws IOException {
        awaitListing(); // before the chunker's buffer: while listing, memory is the index's alone
        MessageDigest whole = ChunkCodec.sha256();
        Chunker chunker = new Chunker(repo.config().chunker(), in, boundary);
        List<Future<ChunkRef>> refs = new ArrayList<>();
        long size = 0;
        // The first chunk is hashed into the whole stream's digest only once a second one comes: in a plain
        // repository a stream of one chunk (most files of a tree) has that chunk's id as its SHA-256, hashed once.
        byte[] first = null;
        try {
            byte[] chunk;
            while ((chunk = chunker.next()) != null) {
                if (refs.isEmpty()) {
                    first = chunk;
                } else {
                    if (first != null) {
                        whole.update(first);
                        first = null;
                    }
                    whole.update(chunk);
                }
                size += chunk.length;
                progress.accept(size);
                inFlight.acquire();
                final byte[] data = chunk;
                try {
                    refs.add(workers.submit(() -> {
                        try {
                            return store(data);
                        } finally {
                            inFlight.release();
                        }
                    }));
                } catch (RuntimeException e) {
                    inFlight.release();
                    throw e;
                }
                failFast(refs);
            }
            List<ChunkRef> chunks = new ArrayList<>(refs.size());
            long stored = 0;
            for (Future<ChunkRef> f : refs) {
                ChunkRef ref = f.get();
                chunks.add(ref);
                stored += ref.stored();
            }
            String sha;
            if (first != null && !repo.config().encrypted()) {
                sha = chunks.get(0).id(); // the SHA-256 of its one chunk, which is the whole stream
            } else {
                if (first != null) {
                    whole.update(first);
                }
                sha = Hex.of(whole.digest());
            }
            return new Artifact(name, source, format, size, stored, sha, chunks);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            refs.forEach(f -> f.cancel(true));
            throw new InterruptedIOException("interrupted while storing " + name);
        } catch (ExecutionException e) {
            refs.forEach(f -> f.cancel(true));
            Throwable cause = e.getCause();
            if (cause instanceof IOException io) {
                throw io;
            }
            throw new IOException("storing " + name + " failed: " + cause, cause);
        } catch (IOException | RuntimeException e) {
            refs.forEach(f -> f.cancel(true));
            throw e;
        }
    }

    /** Surfaces a worker's failure while the stream is still being read, instead of at its end. */
    private static void failFast(List<Future<ChunkRef>> refs) throws ExecutionException, InterruptedException {
        for (int i = Math.max(0, refs.size() - 8); i < refs.size(); i++) {
            Future<ChunkRef> f = refs.get(i);
            if (f.isDone()) {
                f.get();
            }
        }
    }

    private ChunkRef store(byte[] plain) throws IOException {
        String id = codec.id(plain);
        int stored = known.putIfAbsent(id, -1);
        if (stored != ChunkIndex.MISSING) {
            if (stored >= 0) {
                return new ChunkRef(id, plain.length, stored);
            }
            // Another worker of this writer is storing the same chunk: its size is the same.
        }
        byte[] blob = codec.encode(plain);
        if (stored == ChunkIndex.MISSING) {
            if (packer != null && plain.length < packer.packs.below()) {
                PackBuilder.Closed full = packer.add(id, blob, plain.length);
                if (full != null) {
                    full.upload(repo.storage()); // by the worker that filled it: the others go on packing
                    repo.packWritten();
                }
            } else {
                repo.storage().write(ChunkRef.blobName(id), blob);
            }
            known.put(id, blob.length);
            addedBytes.addAndGet(blob.length);
        }
        return new ChunkRef(id, plain.length, blob.length);
    }

    /**
     * Writes the pack being filled, and its index: every chunk this writer stored is in the repository once this
     * returns. Called before the manifest that references them is committed; a writer closed without it leaves
     * nothing of that pack behind.
     */
    public void flush() throws IOException {
        if (packer != null) {
            PackBuilder.Closed last = packer.close();
            if (last != null) {
                last.upload(repo.storage());
                repo.packWritten();
            }
        }
    }

    @Override
    public void close() {
        lister.interrupt();
        workers.shutdownNow();
    }
}
