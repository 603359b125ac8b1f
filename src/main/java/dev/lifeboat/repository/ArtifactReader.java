package dev.lifeboat.repository;

import dev.lifeboat.core.Hex;
import dev.lifeboat.storage.Storage;

import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.nio.file.NoSuchFileException;
import java.security.MessageDigest;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Reads artifacts back. Chunks are fetched and decoded a few ahead of the reader on worker threads, and
 * each is checked against its id before a single byte of it is handed out; the whole stream's SHA-256 is
 * checked before end-of-stream is reported. So a consumer such as pg_restore never sees corrupt data,
 * and never sees a clean end of a stream that was not whole.
 */
public final class ArtifactReader {
    private static final int READ_AHEAD = 4;
    private static final int READ_ATTEMPTS = 3;
    private final Storage storage;
    private final ChunkCodec codec;
    /** Where packed chunks are; null in a repository without packs (format 1 and 2). */
    private final ChunkLocations locations;
    private final RepoConfig.Packs packs;

    ArtifactReader(Storage storage, ChunkCodec codec, ChunkLocations locations, RepoConfig.Packs packs) {
        this.storage = storage;
        this.codec = codec;
        this.locations = locations;
        this.packs = packs;
    }

    /**
     * Reads and checks one chunk. A read that fails or does not check out is tried again (twice): a
     * short read or a dropped connection must not pass for corruption. A missing chunk is not retried.
     */
    public byte[] readChunk(ChunkRef ref) throws IOException {
        codec.checkListedSize(ref); // not retried: the manifest says so
        IOException last = null;
        for (int attempt = 0; attempt < READ_ATTEMPTS; attempt++) {
            byte[] stored;
            try {
                stored = readStored(ref);
            } catch (NoSuchFileException e) {
                throw new CorruptChunkException(ref.id(), "is missing from the repository (" + ref.blobName()
                        + (locations == null ? "" : " is not there and no pack index lists it") + ")", e);
            } catch (CorruptChunkException e) {
                throw e; // too large to be a chunk: reading it again would not make it one
            } catch (IOException e) {
                last = e;
                continue;
            }
            try {
                return codec.decode(ref, stored);
            } catch (CorruptChunkException e) {
                last = e;
            }
        }
        throw last;
    }

    /**
     * The chunk's stored bytes: from its pack when the repository packs chunks of its size (the writer's rule), else
     * from its own blob; each place is tried when the other does not hold it.
     */
    private byte[] readStored(ChunkRef ref) throws IOException {
        if (locations == null) {
            return readBounded(ref);
        }
        if (ref.size() < packs.below()) {
            byte[] packed = readPacked(ref);
            return packed != null ? packed : readBounded(ref);
        }
        try {
            return readBounded(ref);
        } catch (NoSuchFileException e) {
            byte[] packed = readPacked(ref);
            if (packed == null) {
                throw e;
            }
            return packed;
        }
    }

    /** The chunk's bytes from the pack an index places it in, or null when no index lists it. */
    private byte[] readPacked(ChunkRef ref) throws IOException {
        ChunkLocations.Location at = locations.find(ref.id());
        if (at == null) {
            return null;
        }
        if (at.length() > codec.maxStoredSize()) {
            throw new CorruptChunkException(ref.id(), "is listed by its pack index as " + at.length() + " bytes, "
                    + "larger than any chunk this repository stores (" + at.pack() + ")", null);
        }
        byte[] b;
        try (InputStream in = storage.read(at.pack(), at.offset(), at.length())) {
            b = in.readNBytes(at.length());
        }
        if (b.length != at.length()) {
            throw new IOException("pack " + at.pack() + " ended " + (at.length() - b.length) + " bytes short of chunk "
                    + ref.id() + " (at " + at.offset() + "+" + at.length() + ")");
        }
        return b;
    }

    /** The stored blob, refused as corrupt when it is larger than any chunk this repository stores. */
    private byte[] readBounded(ChunkRef ref) throws IOException {
        long limit = codec.maxStoredSize();
        try (InputStream in = storage.read(ref.blobName())) {
            byte[] b = in.readNBytes((int) Math.min(Integer.MAX_VALUE - 8, limit + 1));
            if (b.length > limit) {
                throw new CorruptChunkException(ref.id(), "is a blob of more than " + limit + " bytes, larger than any"
                        + " chunk this repository stores (" + ref.blobName() + ")", null);
            }
            return b;
        }
    }

    /**
     * The artifact's bytes, every chunk checked against its id before it is handed out (a chunk swapped for another
     * whole, valid one is caught where it is, not at the end), the whole against its SHA-256 before end-of-stream.
     */
    public InputStream open(Artifact artifact) {
        return new Stream(artifact);
    }

    private final class Stream extends InputStream {
        private final Artifact artifact;
        private final ChunkLists.Refs refs;
        private boolean listed;
        private final ExecutorService pool;
        private final Deque<Future<byte[]>> ahead = new ArrayDeque<>();
        private final MessageDigest digest = ChunkCodec.sha256();
        private byte[] current = new byte[0];
        private int pos;
        private boolean finished;

        Stream(Artifact artifact) {
            this.artifact = artifact;
            this.refs = ChunkLists.open(storage, artifact);
            this.pool = Executors.newFixedThreadPool((int) Math.min(READ_AHEAD, Math.max(1, artifact.chunkCount())), r -> {
                Thread t = new Thread(r, "lifeboat-chunk-reader");
                t.setDaemon(true);
                return t;
            });
        }

        /** Keeps {@link #READ_AHEAD} chunks on their way; the list is read as it goes (a large one block by block). */
        private void schedule() throws IOException {
            while (ahead.size() < READ_AHEAD && !listed) {
                ChunkRef ref = refs.next();
                if (ref == null) {
                    listed = true;
                    return;
                }
                ahead.add(pool.submit(() -> readChunk(ref)));
            }
        }

        private boolean advance() throws IOException {
            schedule();
            if (ahead.isEmpty()) {
                if (!finished) {
                    finished = true;
                    String actual = Hex.of(digest.digest());
                    // null for an artifact whose parts carry hashes of their own (a tree's files); every chunk is
                    // checked against its id all the same
                    if (artifact.sha256() != null && !actual.equals(artifact.sha256())) {
                        throw new IOException("artifact " + artifact.name() + " has SHA-256 " + actual
                                + " where its manifest says " + artifact.sha256());
                    }
                }
                return false;
            }
            try {
                current = ahead.removeFirst().get();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new InterruptedIOException("interrupted reading " + artifact.name());
            } catch (ExecutionException e) {
                if (e.getCause() instanceof IOException io) {
                    throw io;
                }
                throw new IOException("reading " + artifact.name() + " failed: " + e.getCause(), e.getCause());
            }
            pos = 0;
            if (artifact.sha256() != null) { // a tree's data has none: each file is checked by its own
                digest.update(current);
            }
            schedule();
            return true;
        }

        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            int n = read(one, 0, 1);
            return n < 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            if (len == 0) {
                return 0;
            }
            while (pos >= current.length) {
                if (!advance()) {
                    return -1;
                }
            }
            int n = Math.min(len, current.length - pos);
            System.arraycopy(current, pos, b, off, n);
            pos += n;
            return n;
        }

        @Override
        public void close() {
            ahead.forEach(f -> f.cancel(true));
            pool.shutdownNow();
            refs.close();
        }
    }
}
