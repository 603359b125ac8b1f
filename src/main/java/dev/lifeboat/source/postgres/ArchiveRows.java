package dev.lifeboat.source.postgres;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

/**
 * Counts each table's rows in an uncompressed pg_dump custom-format archive as it streams by, so that the
 * manifest's row counts are those of the dump itself, in its snapshot, without a second scan of every table on
 * the server (and without the locks such a scan takes, which could queue behind a migration that waits for
 * pg_dump).
 *
 * <p>The archive (pg_dump's {@code pg_backup_archiver.c} and {@code pg_backup_custom.c}, versions 1.12 to 1.16):
 * a header ({@code PGDMP}, version, integer and offset sizes, format, compression, creation time, names and
 * versions), the table of contents (one entry per object; a {@code TABLE DATA} entry carries the table's OID),
 * then data blocks: a type byte, the entry's dump id, and length-prefixed pieces up to a zero length. A table's
 * data is COPY text, one line per row (newlines inside values are escaped, so each newline byte ends a row),
 * followed by an end marker, a backslash, a period and three newlines.
 * Integers are a sign byte and {@code intSize} bytes, least significant first.
 *
 * <p>Anything this does not understand (another version, compression, an unexpected byte) makes it stop
 * following the archive and say why; the archive itself passes through untouched either way.
 */
public final class ArchiveRows {
    private static final byte[] MAGIC = "PGDMP".getBytes(StandardCharsets.US_ASCII);
    private static final int MIN_VERSION = version(1, 12, 0);
    private static final int MAX_VERSION = version(1, 16, 255);
    private static final int CUSTOM_FORMAT = 1;
    private static final int BLK_DATA = 1;
    private static final int BLK_BLOBS = 3;
    /** pg_dump ends each table's COPY data with {@code \.} and three newlines. */
    private static final long END_OF_COPY = 0x5c2e0a0a0aL;
    private static final VarHandle LONGS = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);

    private enum State { HEAD, BLOCK_TYPE, DUMP_ID, LENGTH, DATA, LO_OID, DONE, FAILED }

    private State state = State.HEAD;
    private String failure;
    // what has arrived of the header and table of contents and is not parsed yet
    private byte[] head = new byte[64 * 1024];
    private int largestHead = head.length;
    private int headLength;
    private int nextAttempt = 1024;
    private int version;
    private int intSize;
    private int offSize;
    private long entriesLeft = -1; // entries of the table of contents still to read; -1 before the header
    private long dataOffset = -1;
    /** The archive offset of {@code head[0]}: parsed entries are dropped from the buffer's front. */
    private long headBase;
    // table data entries: dump id -> table OID
    private final Map<Integer, Long> tableOfDump = new HashMap<>();
    private final Map<Long, Long> rows = new HashMap<>();
    // the data section
    private final byte[] intBytes = new byte[1 + 8];
    private int intHave;
    private int blockType;
    private Long currentTable;
    private long currentRows;
    private long remaining;
    private long tail; // the last five bytes of the current table's data

    private static int version(int major, int minor, int rev) {
        return (major * 256 + minor) * 256 + rev;
    }

    /** Wraps pg_dump's output: every byte read through the returned stream is followed. */
    public InputStream follow(InputStream archive) {
        return new FilterInputStream(archive) {
            @Override
            public int read() throws IOException {
                int b = super.read();
                if (b >= 0) {
                    accept(new byte[] {(byte) b}, 0, 1);
                }
                return b;
            }

            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                int n = super.read(b, off, len);
                if (n > 0) {
                    accept(b, off, n);
                }
                return n;
            }

            @Override
            public long skip(long n) throws IOException {
                fail("the archive was skipped over, not read");
                return super.skip(n);
            }
        };
    }

    /**
     * The offset in the archive where its header and table of contents end and the data begins, once it was seen;
     * -1 before, or when the archive could not be followed. Parsing the table of contents is tried as it grows
     * (amortized: when it has doubled), so the offset is known once about twice as many bytes have been read.
     */
    public long dataOffset() {
        return dataOffset;
    }

    /** The most memory that what had arrived of the table of contents took at once, in bytes. */
    int largestHeadBuffer() {
        return largestHead;
    }

    /** Row counts by table OID, once the whole archive has been followed; empty when it could not be. */
    public Optional<Map<Long, Long>> rowsByTable() {
        drainHead();
        if (state == State.BLOCK_TYPE) { // between blocks: the archive may end here
            return Optional.of(Map.copyOf(rows));
        }
        return Optional.empty();
    }

    /** Why the archive could not be followed; null when what arrived of it ends between two blocks. */
    public String failure() {
        drainHead();
        if (failure == null && state != State.BLOCK_TYPE) {
            return "the archive ended in the middle of " + (state == State.HEAD ? "its table of contents" : "a block");
        }
        return failure;
    }

    private void fail(String why) {
        if (state != State.FAILED) {
            failure = why;
            state = State.FAILED;
            head = null;
        }
    }

    void accept(byte[] b, int off, int len) {
        try {
            while (len > 0 && state != State.FAILED) {
                int used = step(b, off, len);
                off += used;
                len -= used;
            }
        } catch (RuntimeException e) {
            fail("unexpected content: " + e);
        }
    }

    /** Consumes some of the bytes in the current state; returns how many. */
    private int step(byte[] b, int off, int len) {
        switch (state) {
            case HEAD -> {
                if (headLength + len > head.length) {
                    head = Arrays.copyOf(head, Math.max(head.length * 2, headLength + len));
                    largestHead = Math.max(largestHead, head.length);
                }
                System.arraycopy(b, off, head, headLength, len);
                headLength += len;
                if (headLength >= nextAttempt && !drainHead()) {
                    nextAttempt = headLength * 2; // amortized: each byte is parsed a bounded number of times
                }
                return len;
            }
            case BLOCK_TYPE -> {
                blockType = b[off] & 0xff;
                if (blockType != BLK_DATA && blockType != BLK_BLOBS) {
                    fail("unexpected block type " + blockType);
                    return len;
                }
                intHave = 0;
                state = State.DUMP_ID;
                return 1;
            }
            case DUMP_ID, LENGTH, LO_OID -> {
                if (intHave == 0 && len >= 1 + intSize) { // the usual case: the whole integer is here
                    haveInt(readInt(b, off));
                    return 1 + intSize;
                }
                int n = Math.min(len, 1 + intSize - intHave);
                System.arraycopy(b, off, intBytes, intHave, n);
                intHave += n;
                if (intHave == 1 + intSize) {
                    intHave = 0;
                    haveInt(readInt(intBytes, 0));
                }
                return n;
            }
            case DATA -> {
                int n = (int) Math.min(len, remaining);
                if (currentTable != null) {
                    currentRows += newlines(b, off, n);
                    for (int i = Math.max(off, off + n - 5); i < off + n; i++) {
                        tail = tail << 8 | (b[i] & 0xff);
                    }
                }
                remaining -= n;
                if (remaining == 0) {
                    state = State.LENGTH;
                }
                return n;
            }
            default -> {
                return len;
            }
        }
    }

    private void haveInt(long value) {
        switch (state) {
            case DUMP_ID -> {
                currentTable = blockType == BLK_DATA ? tableOfDump.get((int) value) : null;
                currentRows = 0;
                tail = 0;
                state = blockType == BLK_DATA ? State.LENGTH : State.LO_OID;
            }
            case LO_OID -> state = value == 0 ? State.BLOCK_TYPE : State.LENGTH;
            case LENGTH -> {
                if (value < 0) {
                    fail("negative length " + value);
                } else if (value > 0) {
                    remaining = value;
                    state = State.DATA;
                } else if (blockType == BLK_BLOBS) {
                    state = State.LO_OID; // the end of one large object
                } else if (currentTable != null && (tail & 0xff_ffff_ffffL) != END_OF_COPY) {
                    fail("the data of table " + currentTable + " does not end as pg_dump ends it");
                } else {
                    if (currentTable != null) { // the end marker's three newlines are not rows
                        rows.merge(currentTable, currentRows - 3, Long::sum);
                    }
                    state = State.BLOCK_TYPE;
                }
            }
            default -> throw new IllegalStateException(state.toString());
        }
    }

    /** Parses the header and table of contents when they have all arrived, and goes on with what follows them. */
    private boolean drainHead() {
        if (state != State.HEAD) {
            return true;
        }
        int end = parseHead();
        if (end < 0) {
            return false;
        }
        byte[] rest = Arrays.copyOfRange(head, end, headLength);
        head = null;
        dataOffset = headBase + end;
        state = State.BLOCK_TYPE;
        accept(rest, 0, rest.length);
        return true;
    }

    /** Counts newline bytes, eight at a time. */
    static long newlines(byte[] b, int off, int len) {
        long count = 0;
        int i = off;
        int end = off + len;
        for (; i + 8 <= end; i += 8) {
            long x = (long) LONGS.get(b, i) ^ 0x0a0a0a0a0a0a0a0aL; // a newline byte becomes zero
            // exact zero-byte detection: the high bit of each byte that was zero
            long t = ((x & 0x7f7f7f7f7f7f7f7fL) + 0x7f7f7f7f7f7f7f7fL | x) | 0x7f7f7f7f7f7f7f7fL;
            count += Long.bitCount(~t);
        }
        for (; i < end; i++) {
            if (b[i] == '\n') {
                count++;
            }
        }
        return count;
    }

    /** A sign byte and {@code intSize} bytes, least significant first. */
    private long readInt(byte[] b, int at) {
        long v = 0;
        for (int i = 0; i < intSize; i++) {
            v |= (long) (b[at + 1 + i] & 0xff) << (8 * i);
        }
        return b[at] != 0 ? -v : v;
    }

    /**
     * Parses what it can of the header and table of contents in {@link #head}, dropping what it has parsed; returns
     * where the data begins, -1 when more must arrive first.
     */
    private int parseHead() {
        Reader r = new Reader(head, headLength);
        int consumed = 0;
        try {
            if (entriesLeft < 0) {
                if (!parseHeader(r)) {
                    return -1;
                }
                entriesLeft = r.readInt();
                consumed = r.pos;
            }
            for (; entriesLeft > 0; entriesLeft--) {
                parseEntry(r);
                consumed = r.pos;
            }
            return r.pos;
        } catch (Incomplete e) {
            // keep only the entry that has not fully arrived: memory is bounded by the largest entry, not the schema
            System.arraycopy(head, consumed, head, 0, headLength - consumed);
            headLength -= consumed;
            headBase += consumed;
            return -1;
        } catch (RuntimeException e) {
            fail("unexpected table of contents: " + e);
            return -1;
        }
    }

    /** The archive's header, up to the table of contents; false (and failed) when this cannot follow it. */
    private boolean parseHeader(Reader r) {
        for (byte m : MAGIC) {
            if (r.readByte() != m) {
                fail("not a pg_dump custom-format archive");
                return false;
            }
        }
        int vmaj = r.readByte();
        int vmin = r.readByte();
        int vrev = r.readByte();
        version = version(vmaj, vmin, vrev);
        if (version < MIN_VERSION || version > MAX_VERSION) {
            fail("archive version " + vmaj + "." + vmin + "." + vrev + " is not one this Lifeboat knows");
            return false;
        }
        intSize = r.readByte();
        offSize = r.readByte();
        if (intSize < 1 || intSize > 8 || offSize < 1 || offSize > 8) {
            fail("integer size " + intSize + ", offset size " + offSize);
            return false;
        }
        int format = r.readByte();
        if (format != CUSTOM_FORMAT) {
            fail("archive format " + format + " is not the custom format");
            return false;
        }
        if (version >= version(1, 15, 0)) {
            int algorithm = r.readByte();
            if (algorithm != 0) {
                fail("the archive is compressed (algorithm " + algorithm + ")");
                return false;
            }
        } else if (r.readInt() != 0) {
            fail("the archive is compressed");
            return false;
        }
        for (int i = 0; i < 7; i++) { // creation time: sec, min, hour, mday, mon, year, isdst
            r.readInt();
        }
        r.skipString(); // database name
        r.skipString(); // server version
        r.skipString(); // pg_dump version
        return true;
    }

    /** One entry of the table of contents; a TABLE DATA entry's catalog OID is its table's. */
    private void parseEntry(Reader r) {
        int dumpId = (int) r.readInt();
        r.readInt(); // had dumper
        r.skipString(); // catalog table OID
        String oid = r.readString();
        r.skipString(); // tag
        String desc = r.readString();
        r.readInt(); // section
        r.skipString(); // definition
        r.skipString(); // drop statement
        r.skipString(); // copy statement
        r.skipString(); // namespace
        r.skipString(); // tablespace
        if (version >= version(1, 14, 0)) {
            r.skipString(); // table access method
        }
        if (version >= version(1, 16, 0)) {
            r.readInt(); // relkind
        }
        r.skipString(); // owner
        r.skipString(); // "with oids"
        while (r.readString() != null) { // dependencies, up to a null string
            // skipped
        }
        r.readByte(); // data offset: a flag byte and offSize bytes
        r.skip(offSize);
        if ("TABLE DATA".equals(desc) && oid != null) {
            tableOfDump.put(dumpId, Long.parseLong(oid));
        }
    }

    private static final class Incomplete extends RuntimeException {
        Incomplete() {
            super(null, null, false, false);
        }
    }

    /** Reads the header's fields; throws {@link Incomplete} at the end of what has arrived so far. */
    private final class Reader {
        private final byte[] b;
        private final int length;
        int pos;

        Reader(byte[] b, int length) {
            this.b = b;
            this.length = length;
        }

        int readByte() {
            if (pos >= length) {
                throw new Incomplete();
            }
            return b[pos++] & 0xff;
        }

        void skip(int n) {
            if (pos + n > length) {
                throw new Incomplete();
            }
            pos += n;
        }

        long readInt() {
            skip(1 + intSize);
            return ArchiveRows.this.readInt(b, pos - 1 - intSize);
        }

        void skipString() {
            long n = readInt();
            if (n > 0) {
                skip(checkedLength(n));
            }
        }

        String readString() {
            long n = readInt();
            if (n < 0) {
                return null;
            }
            int at = pos;
            skip(checkedLength(n));
            return new String(b, at, (int) n, StandardCharsets.UTF_8);
        }

        private int checkedLength(long n) {
            if (n > Integer.MAX_VALUE / 2) {
                throw new IllegalStateException("string length " + n);
            }
            return (int) n;
        }
    }
}
