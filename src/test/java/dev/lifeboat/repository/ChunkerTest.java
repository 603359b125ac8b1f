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
}
