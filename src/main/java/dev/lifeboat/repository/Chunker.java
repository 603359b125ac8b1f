package dev.lifeboat.repository;

import java.io.IOException;
import java.io.InputStream;
import java.util.Arrays;

/**
 * Cuts a stream into content-defined chunks with FastCDC (Xia et al., 2016): a 64-bit gear hash rolls
 * over the data, and a cut is made where its top bits are zero. Normalized chunking uses a mask of
 * {@code log2(avg)+2} bits before the average size and {@code log2(avg)-2} bits after it, which keeps
 * chunk sizes close to the average. Insertions or deletions in the stream move only the cut points
 * near them, so the other chunks of an almost unchanged dump are found again and not stored twice.
 *
 * <p>Memory is one buffer of at most {@code 2 * maxSize} bytes plus the chunk handed out. The buffer starts at
 * {@value #FIRST_BUFFER} bytes and doubles while the stream fills it, jumping to {@code 2 * maxSize} once it would
 * reach {@code maxSize}: a small file (a tree holds thousands) costs a small buffer, not 16 MiB. In the full-size
 * buffer the unread tail is moved to the buffer's start only when less than {@code maxSize} bytes of room remain,
 * so each byte is moved at most once there.
 */
public final class Chunker {
    private final ChunkerParams params;
    private final long[] gear;
    private final long maskSmall;
    private final long maskLarge;
    private final InputStream in;
    static final int FIRST_BUFFER = 64 * 1024;
    private byte[] buf;
    private final java.util.function.LongSupplier boundary;
    private int start;
    private int end;
    private boolean eof;
    /** Bytes handed out in chunks so far: the stream offset of {@code buf[start]}. */
    private long offset;

    public Chunker(ChunkerParams params, InputStream in) {
        this(params, in, () -> -1);
    }

    /**
     * A chunker that also cuts at a stream offset the source knows to be a boundary of its structure, such as
     * where a pg_dump archive's header and table of contents end and its data begins: what comes after it is then
     * cut as if the stream started there, so it deduplicates against an earlier stream whose beginning differs
     * (the archive's header holds the time of the dump). {@code boundary} gives the offset once it is known, or
     * -1; it is asked before each cut, and a boundary inside the next chunk ends that chunk there.
     */
    public Chunker(ChunkerParams params, InputStream in, java.util.function.LongSupplier boundary) {
        this.boundary = boundary;
        this.params = params;
        this.gear = gearTable(params.seed());
        int bits = Integer.numberOfTrailingZeros(params.avgSize());
        this.maskSmall = topBits(bits + 2);
        this.maskLarge = topBits(bits - 2);
        this.in = in;
        this.buf = new byte[Math.min(FIRST_BUFFER, 2 * params.maxSize())];
    }

    private static long topBits(int n) {
        return n >= 64 ? -1L : ~(-1L >>> n);
    }

    /** The 256 gear values: SplitMix64 from the seed, documented in REPOSITORY-FORMAT.md. */
    static long[] gearTable(long seed) {
        long[] table = new long[256];
        long x = seed;
        for (int i = 0; i < 256; i++) {
            x += 0x9E3779B97F4A7C15L;
            long z = x;
            z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
            z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
            table[i] = z ^ (z >>> 31);
        }
        return table;
    }

    /** The next chunk, or null at the end of the stream. The array is the chunk's exact length. */
    public byte[] next() throws IOException {
        fill();
        int available = end - start;
        if (available == 0) {
            return null;
        }
        int cut = cutPoint(buf, start, available);
        long forced = boundary.getAsLong();
        if (forced > offset && forced < offset + cut) {
            cut = (int) (forced - offset);
        }
        byte[] chunk = Arrays.copyOfRange(buf, start, start + cut);
        start += cut;
        offset += cut;
        return chunk;
    }

    /** Makes {@code maxSize} bytes available from {@code start}, or all that is left of the stream. */
    private void fill() throws IOException {
        int max = params.maxSize();
        if (buf.length - start < max && start > 0) {
            System.arraycopy(buf, start, buf, 0, end - start);
            end -= start;
            start = 0;
        }
        while (!eof && end - start < max) {
            if (end == buf.length) { // only while growing: a full-size buffer always has max bytes of room here
                int grown = buf.length * 2;
                buf = Arrays.copyOf(buf, grown < max ? grown : 2 * max);
            }
            int n = in.read(buf, end, Math.min(buf.length, start + max) - end);
            if (n < 0) {
                eof = true;
            } else {
                end += n;
            }
        }
    }

    /** Length of the first chunk of {@code data[off..off+n)}; {@code n} itself when no cut point is found. */
    int cutPoint(byte[] data, int off, int n) {
        int min = params.minSize();
        if (n <= min) {
            return n;
        }
        int normal = off + Math.min(params.avgSize(), n);
        int limit = off + n;
        long fp = 0;
        long[] g = gear;
        int i = off + min;
        for (; i < normal; i++) {
            fp = (fp << 1) + g[data[i] & 0xff];
            if ((fp & maskSmall) == 0) {
                return i + 1 - off;
            }
        }
        for (; i < limit; i++) {
            fp = (fp << 1) + g[data[i] & 0xff];
            if ((fp & maskLarge) == 0) {
                return i + 1 - off;
            }
        }
        return n;
    }
}
