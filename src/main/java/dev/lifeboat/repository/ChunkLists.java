package dev.lifeboat.repository;

import dev.lifeboat.core.ErrorCode;
import dev.lifeboat.core.Hex;
import dev.lifeboat.core.LifeboatException;
import dev.lifeboat.storage.Storage;

import java.io.BufferedOutputStream;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

/**
 * The chunk lists of large artifacts (manifest format 3, docs/REPOSITORY-FORMAT.md): an artifact of more than
 * {@value #INLINE_MAX} chunks (a tree of many small files, a large dump) has its list in the backup's blob {@code
 * backups/<id>/chunk-lists.bin} instead of in the manifest, so that neither the manifest nor a reader's memory grows
 * with the chunk count. The blob is the lists of the backup's large artifacts one after the other, each a sequence of
 * {@value #RECORD}-byte records (the chunk id's 32 bytes, its plain size and its stored size as big-endian 32-bit
 * integers), in stream order. The manifest names each list's offset, count and the SHA-256 of each block of {@value
 * #BLOCK} records: the manifest is signed, so every block is authenticated before any record of it is used, and a
 * reader holds one block at a time. The blob is not encrypted, as the manifest is not: chunk ids of an encrypted
 * repository are keyed hashes that say nothing of the data, and prune reads the lists with the public key only.
 */
public final class ChunkLists {
    /** Lists of at most this many chunks stay in the manifest. */
    public static final int INLINE_MAX = 1000;
    /** Bytes of one record. */
    public static final int RECORD = 40;
    /** Records of one block, the unit the manifest hashes. */
    public static final int BLOCK = 4096;
    private static final int READ_ATTEMPTS = 3;
    /** The blob's name beside the manifest. */
    public static final String BLOB = "chunk-lists.bin";

    private ChunkLists() {}

    public static String blobName(String backupId) {
        return BackupBlobs.name(backupId, BLOB);
    }

    /** One artifact's chunks in order, wherever they are listed; {@link #next} gives null after the last. */
    public interface Refs extends Closeable {
        ChunkRef next() throws IOException;

        @Override
        void close();
    }

    /**
     * The chunks of {@code a}: those of its manifest entry, or those its {@link Artifact.ChunkList} names, read block
     * by block from {@code storage}, each block checked against its hash, and their plain sizes checked to add up to
     * the artifact's size at the end. A list that does not check out is a {@link LifeboatException} ({@link
     * ErrorCode#INTEGRITY}) naming the artifact, the backup and the block.
     */
    public static Refs open(Storage storage, Artifact a) {
        if (a.chunks() != null) {
            var it = a.chunks().iterator();
            return new Refs() {
                @Override
                public ChunkRef next() {
                    return it.hasNext() ? it.next() : null;
                }

                @Override
                public void close() {}
            };
        }
        if (a.chunkList() == null) {
            throw new IllegalArgumentException("artifact " + a.name() + " has no chunk list (a manifest read without)");
        }
        return new BlobRefs(storage, a);
    }

    /** Gives every chunk of {@code a} to {@code each}, in order. */
    public static void forEach(Storage storage, Artifact a, IoConsumer<ChunkRef> each) throws IOException {
        try (Refs refs = open(storage, a)) {
            for (ChunkRef c = refs.next(); c != null; c = refs.next()) {
                each.accept(c);
            }
        }
    }

    @FunctionalInterface
    public interface IoConsumer<T> {
        void accept(T t) throws IOException;
    }

    private static final class BlobRefs implements Refs {
        private final Storage storage;
        private final Artifact artifact;
        private final Artifact.ChunkList list;
        private final String blob;
        private ByteBuffer block = ByteBuffer.allocate(0);
        private int nextBlock;
        private long given;
        private long bytes;

        BlobRefs(Storage storage, Artifact artifact) {
            this.storage = storage;
            this.artifact = artifact;
            this.list = artifact.chunkList();
            this.blob = blobName(list.backup());
        }

        @Override
        public ChunkRef next() throws IOException {
            if (given == list.count()) {
                if (bytes != artifact.size()) {
                    throw bad("its chunks hold " + bytes + " bytes, where the manifest says " + artifact.size());
                }
                return null;
            }
            if (!block.hasRemaining()) {
                readBlock();
            }
            byte[] id = new byte[32];
            block.get(id);
            int size = block.getInt();
            int stored = block.getInt();
            if (size < 0 || stored <= 0) {
                throw bad("record " + given + " has a plain size " + size + " and a stored size " + stored);
            }
            given++;
            bytes += size;
            return new ChunkRef(HexFormat.of().formatHex(id), size, stored);
        }

        /**
         * Reads the next block and checks it against its hash. A read that fails, comes back short or does not
         * check out is tried again (twice): a dropped connection or a short read must not pass for damage.
         */
        private void readBlock() throws IOException {
            int records = (int) Math.min(BLOCK, list.count() - (long) nextBlock * BLOCK);
            long at = list.offset() + (long) nextBlock * BLOCK * RECORD;
            LifeboatException damaged = null;
            for (int attempt = 0; attempt < READ_ATTEMPTS; attempt++) {
                byte[] raw;
                try (InputStream in = storage.read(blob, at, (long) records * RECORD)) {
                    raw = in.readNBytes(records * RECORD);
                } catch (NoSuchFileException e) {
                    throw new LifeboatException(ErrorCode.INTEGRITY, "the chunk list of artifact " + artifact.name()
                            + " is missing: " + blob + " is not in the repository", "restore that blob from a "
                            + "replica; other backups are not affected", e);
                } catch (IOException e) {
                    if (attempt == READ_ATTEMPTS - 1) {
                        throw e;
                    }
                    continue;
                }
                if (raw.length != records * RECORD) {
                    damaged = bad("block " + nextBlock + " at " + at + " is " + raw.length + " bytes, not "
                            + records * RECORD + " (the blob is shorter)");
                    continue;
                }
                String sha = Hex.of(sha256().digest(raw));
                if (!sha.equals(list.blocks().get(nextBlock))) {
                    damaged = bad("block " + nextBlock + " at " + at + " has SHA-256 " + sha + " where the manifest "
                            + "says " + list.blocks().get(nextBlock));
                    continue;
                }
                nextBlock++;
                block = ByteBuffer.wrap(raw);
                return;
            }
            throw damaged;
        }

        private LifeboatException bad(String what) {
            return new LifeboatException(ErrorCode.INTEGRITY, "the chunk list of artifact " + artifact.name() + " ("
                    + blob + ") is damaged: " + what, "restore that blob from a replica; other backups are not "
                    + "affected");
        }

        @Override
        public void close() {}
    }

    /** What a manifest's {@link Artifact.ChunkList} must be for backup {@code backupId}; null when it is that. */
    static String problem(Artifact.ChunkList l, String backupId) {
        if (l.backup() == null || !l.backup().equals(backupId)) {
            return "has a chunk list of backup '" + FormatCheck.shorten(String.valueOf(l.backup())) + "', not "
                    + backupId;
        }
        if (l.offset() < 0 || l.offset() % RECORD != 0) {
            return "has a chunk list at offset " + l.offset() + ", not a multiple of " + RECORD;
        }
        if (l.count() <= 0 || l.count() > Integer.MAX_VALUE) {
            return "has a chunk list of " + l.count() + " chunks, not 1 to " + Integer.MAX_VALUE;
        }
        long blocks = (l.count() + BLOCK - 1) / BLOCK;
        if (l.blocks() == null || l.blocks().size() != blocks) {
            return "has a chunk list of " + l.count() + " chunks with " + (l.blocks() == null ? "no" : l.blocks().size())
                    + " block hashes, not " + blocks;
        }
        for (String h : l.blocks()) {
            if (h == null || !ChunkIndex.isId(h)) {
                return "has a chunk list with a block hash that is not 64 lower-case hex digits";
            }
        }
        return null;
    }

    static MessageDigest sha256() {
        return ChunkCodec.sha256();
    }

    /**
     * The chunk lists of one backup as it runs: each large list spooled to a file of this user's only as its chunks
     * come, placed in the blob when it is built, and the blob written from those files before the manifest that
     * points into it. Sources that run at once build their lists at once: each builder has its own file.
     */
    public static final class Spool implements Closeable {
        private final String backupId;
        private final List<Path> files = new ArrayList<>(); // every file made, to delete
        private final List<Path> parts = new ArrayList<>(); // the built lists, in blob order
        private long length;

        public Spool(String backupId) {
            this.backupId = backupId;
        }

        /** A list that keeps up to {@value #INLINE_MAX} chunks in memory and spools from the first one beyond. */
        public Builder builder() {
            return new Builder();
        }

        /** Whether any list was placed in the blob, so that it must be written. */
        public synchronized boolean isEmpty() {
            return parts.isEmpty();
        }

        /**
         * Writes the blob (tried up to three times, each from the start), before the manifest that points into it is
         * committed.
         */
        public synchronized void writeTo(Storage storage) throws IOException {
            if (parts.isEmpty()) {
                return;
            }
            IOException last = null;
            for (int attempt = 0; attempt < 3; attempt++) {
                List<InputStream> ins = new ArrayList<>();
                try {
                    for (Path p : parts) {
                        ins.add(Files.newInputStream(p));
                    }
                    storage.write(blobName(backupId), new java.io.SequenceInputStream(
                            java.util.Collections.enumeration(ins)));
                    return;
                } catch (IOException e) {
                    last = e;
                } finally {
                    for (InputStream in : ins) {
                        in.close();
                    }
                }
            }
            throw last;
        }

        private final List<OutputStream> open = new ArrayList<>(); // the builders' streams, closed with the spool

        private synchronized OutputStream newFile(Path[] made) throws IOException {
            Path f = Files.createTempFile("lifeboat-chunk-list-", ".bin",
                    PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            files.add(f);
            made[0] = f;
            OutputStream out = new BufferedOutputStream(Files.newOutputStream(f), 1 << 16);
            open.add(out);
            return out;
        }

        private synchronized long place(Path file, long bytes) {
            long at = length;
            parts.add(file);
            length += bytes;
            return at;
        }

        /** Closes what a builder left open (a backup that failed midway) and deletes every file. */
        @Override
        public synchronized void close() throws IOException {
            for (OutputStream out : open) {
                try {
                    out.close();
                } catch (IOException e) {
                    // the file goes next whatever it holds
                }
            }
            for (Path f : files) {
                Files.deleteIfExists(f);
            }
        }

        /** One artifact's list as its chunks come. */
        public final class Builder {
            private List<ChunkRef> inline = new ArrayList<>();
            private Path file;
            private OutputStream out;
            private long count;
            private long size;
            private long stored;
            private final List<String> blocks = new ArrayList<>();
            private final MessageDigest block = sha256();
            private final byte[] one = new byte[RECORD];

            public void add(ChunkRef c) throws IOException {
                count++;
                size += c.size();
                stored += c.stored();
                if (inline != null) {
                    inline.add(c);
                    if (inline.size() <= INLINE_MAX) {
                        return;
                    }
                    List<ChunkRef> spill = inline;
                    inline = null;
                    Path[] made = new Path[1];
                    out = newFile(made);
                    file = made[0];
                    long n = 0;
                    for (ChunkRef s : spill) {
                        spool(s, ++n);
                    }
                    return;
                }
                spool(c, count);
            }

            private void spool(ChunkRef c, long nth) throws IOException {
                ByteBuffer.wrap(one).put(HexFormat.of().parseHex(c.id())).putInt(c.size()).putInt(c.stored());
                block.update(one);
                out.write(one);
                if (nth % BLOCK == 0) {
                    blocks.add(Hex.of(block.digest()));
                }
            }

            /** How many chunks were added. */
            public long count() {
                return count;
            }

            /** The artifact of the chunks added, listed in the manifest or placed in the blob. */
            public Artifact build(String name, String source, String format, String sha256) throws IOException {
                if (inline != null) {
                    return new Artifact(name, source, format, size, stored, sha256, List.copyOf(inline), null);
                }
                if (count % BLOCK != 0) {
                    blocks.add(Hex.of(block.digest()));
                }
                out.close();
                long at = place(file, count * RECORD);
                return new Artifact(name, source, format, size, stored, sha256, null,
                        new Artifact.ChunkList(backupId, at, count, List.copyOf(blocks)));
            }
        }
    }
}
