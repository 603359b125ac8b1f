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
 * <p>Memory is one buffer of {@code maxSize} bytes plus the chunk handed out.
 */
public final class Chunker {
    private final ChunkerParams params;
    private final long[] gear;
    private final long maskSmall;
    private final long maskLarge;
    private final InputStream in;
    private final byte[] buf;
    private int len;
    private boolean eof;

    public Chunker(ChunkerParams params, InputStream in) {
        this.params = params;
        this.gear = gearTable(params.seed());
        int bits = Integer.numberOfTrailingZeros(params.avgSize());
        this.maskSmall = topBits(bits + 2);
        this.maskLarge = topBits(bits - 2);
        this.in = in;
        this.buf = new byte[params.maxSize()];
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
        if (len == 0) {
            return null;
        }
        int cut = cutPoint(buf, len);
        byte[] chunk = Arrays.copyOf(buf, cut);
        System.arraycopy(buf, cut, buf, 0, len - cut);
        len -= cut;
        return chunk;
    }

    private void fill() throws IOException {
        while (!eof && len < buf.length) {
            int n = in.read(buf, len, buf.length - len);
            if (n < 0) {
                eof = true;
            } else {
                len += n;
            }
        }
    }

    /** Length of the first chunk of {@code data[0..n)}; {@code n} itself when no cut point is found. */
    int cutPoint(byte[] data, int n) {
        int min = params.minSize();
        if (n <= min) {
            return n;
        }
        int normal = Math.min(params.avgSize(), n);
        long fp = 0;
        long[] g = gear;
        int i = min;
        for (; i < normal; i++) {
            fp = (fp << 1) + g[data[i] & 0xff];
            if ((fp & maskSmall) == 0) {
                return i + 1;
            }
        }
        for (; i < n; i++) {
            fp = (fp << 1) + g[data[i] & 0xff];
            if ((fp & maskLarge) == 0) {
                return i + 1;
            }
        }
        return n;
    }
}
