package dev.lifeboat.repository;

/**
 * Content-defined chunking parameters, fixed when a repository is created and stored in its config so
 * that every later backup cuts the same data at the same places (which is what makes dedup work).
 *
 * @param minSize no cut point is searched before this many bytes
 * @param avgSize the normal size: a harder mask before it, an easier one after (FastCDC normalization)
 * @param maxSize a chunk is cut here whatever its content
 * @param seed    seed of the gear table; a repository-specific seed would hide boundaries, see SECURITY.md
 */
public record ChunkerParams(int minSize, int avgSize, int maxSize, long seed) {
    /** 2 MiB average: see docs/BENCHMARKS.md for the measurement behind this choice. */
    public static final ChunkerParams DEFAULT = new ChunkerParams(512 * 1024, 2 * 1024 * 1024, 8 * 1024 * 1024,
            0x6c69666562_6f6174L);

    public ChunkerParams {
        if (Integer.bitCount(avgSize) != 1) {
            throw new IllegalArgumentException("average chunk size must be a power of two, not " + avgSize);
        }
        if (minSize <= 64 || minSize >= avgSize || avgSize >= maxSize) {
            throw new IllegalArgumentException("chunk sizes must satisfy 64 < min < avg < max, not "
                    + minSize + " / " + avgSize + " / " + maxSize);
        }
    }

    /** Parameters scaled around another average size (min = avg/4, max = avg*4). */
    public static ChunkerParams withAverage(int avgSize) {
        return new ChunkerParams(avgSize / 4, avgSize, avgSize * 4, DEFAULT.seed());
    }
}
