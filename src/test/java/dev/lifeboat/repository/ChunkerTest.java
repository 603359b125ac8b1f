package dev.lifeboat.repository;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

class ChunkerTest {
    private static final ChunkerParams SMALL = new ChunkerParams(1024, 4096, 16384, ChunkerParams.DEFAULT.seed());

    private static byte[] random(int n, long seed) {
        byte[] b = new byte[n];
        new Random(seed).nextBytes(b);
        return b;
    }

    private static List<byte[]> chunks(ChunkerParams p, byte[] data) throws IOException {
        Chunker c = new Chunker(p, new ByteArrayInputStream(data));
        List<byte[]> out = new ArrayList<>();
        byte[] chunk;
        while ((chunk = c.next()) != null) {
            out.add(chunk);
        }
        return out;
    }

    @Test
    void chunksConcatenateToTheInputAndRespectSizeBounds() throws IOException {
        byte[] data = random(1_000_000, 1);
        List<byte[]> chunks = chunks(SMALL, data);
        java.io.ByteArrayOutputStream joined = new java.io.ByteArrayOutputStream();
        for (int i = 0; i < chunks.size(); i++) {
            byte[] c = chunks.get(i);
            joined.write(c, 0, c.length);
            assertThat(c.length).isLessThanOrEqualTo(SMALL.maxSize());
            if (i < chunks.size() - 1) {
                assertThat(c.length).isGreaterThan(SMALL.minSize());
            }
        }
        assertThat(joined.toByteArray()).isEqualTo(data);
        double avg = (double) data.length / chunks.size();
        assertThat(avg).isBetween(SMALL.avgSize() * 0.5, SMALL.avgSize() * 2.0);
    }

    @Test
    void anInsertionChangesOnlyTheChunksNearIt() throws IOException {
        byte[] data = random(2_000_000, 2);
        byte[] edited = new byte[data.length + 100];
        int at = data.length / 2;
        System.arraycopy(data, 0, edited, 0, at);
        System.arraycopy(random(100, 3), 0, edited, at, 100);
        System.arraycopy(data, at, edited, at + 100, data.length - at);

        Set<String> before = ids(chunks(SMALL, data));
        List<byte[]> after = chunks(SMALL, edited);
        long fresh = after.stream().map(ChunkerTest::id).filter(i -> !before.contains(i)).count();
        assertThat(fresh).isBetween(1L, 3L);
    }

    @Test
    void emptyAndTinyStreams() throws IOException {
        assertThat(chunks(SMALL, new byte[0])).isEmpty();
        assertThat(chunks(SMALL, new byte[] {7})).hasSize(1);
    }

    @Test
    void boundariesAreDeterministicForTheSameParameters() throws IOException {
        byte[] data = random(500_000, 4);
        assertThat(ids(chunks(SMALL, data))).isEqualTo(ids(chunks(SMALL, data)));
    }

    private static Set<String> ids(List<byte[]> chunks) {
        Set<String> s = new HashSet<>();
        chunks.forEach(c -> s.add(id(c)));
        return s;
    }

    private static String id(byte[] c) {
        return dev.lifeboat.core.Hex.of(ChunkCodec.sha256().digest(c));
    }

    @Test
    void aBoundaryTheSourceKnowsEndsAChunkSoWhatFollowsItDeduplicatesWhateverCameBefore() throws IOException {
        // a dump smaller than the minimum chunk: its header (which holds the dump's time) and its data
        byte[] data = random(900, 11);
        byte[] first = concat(random(200, 1), data);
        byte[] second = concat(random(200, 2), data);
        assertThat(chunks(SMALL, first)).as("without the boundary, one chunk that differs each time").hasSize(1);

        List<byte[]> a = chunksWithBoundary(first, 200);
        List<byte[]> b = chunksWithBoundary(second, 200);
        assertThat(a).hasSize(2);
        assertThat(a.get(0)).hasSize(200);
        assertThat(a.get(1)).isEqualTo(data).isEqualTo(b.get(1));

        // a larger stream: every chunk after the boundary is the same, and they join up to the input
        byte[] big = random(200_000, 12);
        List<byte[]> c = chunksWithBoundary(concat(random(3000, 3), big), 3000);
        List<byte[]> d = chunksWithBoundary(concat(random(3000, 4), big), 3000);
        assertThat(c.get(0)).hasSize(3000);
        assertThat(c.subList(1, c.size())).containsExactlyElementsOf(d.subList(1, d.size()));
        java.io.ByteArrayOutputStream joined = new java.io.ByteArrayOutputStream();
        for (byte[] chunk : c.subList(1, c.size())) {
            joined.write(chunk);
        }
        assertThat(joined.toByteArray()).isEqualTo(big);
        // a boundary already passed, or never known, changes nothing
        assertThat(sizes(chunksWithBoundary(big, -1))).isEqualTo(sizes(chunks(SMALL, big)));
    }

    private static List<byte[]> chunksWithBoundary(byte[] data, long boundary) throws IOException {
        Chunker c = new Chunker(SMALL, new ByteArrayInputStream(data), () -> boundary);
        List<byte[]> out = new ArrayList<>();
        for (byte[] chunk = c.next(); chunk != null; chunk = c.next()) {
            out.add(chunk);
        }
        return out;
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] out = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    private static List<Integer> sizes(List<byte[]> chunks) {
        return chunks.stream().map(x -> x.length).toList();
    }
}
