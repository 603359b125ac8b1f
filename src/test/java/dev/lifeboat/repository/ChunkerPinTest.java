package dev.lifeboat.repository;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Pins the chunker to the numbers recorded here. Every repository's deduplication rests on later backups cutting
 * the same data at the same places: a change to the gear table, its seed handling, the masks or the normalisation
 * would still pass every round-trip test, and silently store every existing repository's data a second time. If
 * this test fails, the change is a repository format change (a new format version), not a fix.
 *
 * <p>The inputs are generated here, independent of the code under test: SplitMix64 output, each value's 8 bytes
 * little-endian, and a text of numbered rows.
 */
class ChunkerPinTest {

    @Test
    void gearTableOfTheDefaultSeed() {
        long[] gear = Chunker.gearTable(ChunkerParams.DEFAULT.seed());
        assertThat(gear).hasSize(256);
        assertThat(gear[0]).isEqualTo(0xF4E42269847B639CL);
        assertThat(gear[1]).isEqualTo(0xD4088FB026B4B861L);
        assertThat(gear[127]).isEqualTo(0x8F819F4CBECF7713L);
        assertThat(gear[255]).isEqualTo(0xFF4BC5876B958206L);
    }

    @Test
    void defaultParametersCutRandomDataWhereTheyAlwaysHave() throws IOException {
        assertThat(ChunkerParams.DEFAULT).isEqualTo(new ChunkerParams(524288, 2097152, 8388608, 0x6c696665626f6174L));
        assertThat(cuts(ChunkerParams.DEFAULT, splitMix(24 << 20, 42))).containsExactly(
                2151289, 2741338, 2411753, 2473224, 2220613, 2168277, 2788229, 2104566, 2877037, 2219198, 1010300);
    }

    @Test
    void aRepositorysOwnSeedAndOneMebibyteAverage() throws IOException {
        // as `lifeboat init --avg-chunk-size 1` writes it, with the seed of the golden plain repository's kind
        ChunkerParams p = new ChunkerParams(262144, 1048576, 4194304, 7811887614280032628L);
        assertThat(cuts(p, splitMix(12 << 20, 7))).containsExactly(
                1133850, 1400074, 1244736, 1241029, 1312542, 1059655, 1179674, 1174239, 1131188, 1697311, 8614);
    }

    @Test
    void textCutsOnBothSidesOfTheNormalSize() throws IOException {
        ChunkerParams p = new ChunkerParams(1024, 4096, 16384, ChunkerParams.DEFAULT.seed());
        assertThat(cuts(p, rows(100_000))).containsExactly(
                4328, 7561, 4475, 5445, 5822, 2972, 4391, 2600, 4602, 3748, 4344, 5257, 4859, 4130, 4292, 5895, 2533,
                4246, 7430, 1731, 4200, 5139);
    }

    private static List<Integer> cuts(ChunkerParams p, byte[] data) throws IOException {
        Chunker chunker = new Chunker(p, new ByteArrayInputStream(data));
        List<Integer> lengths = new ArrayList<>();
        for (byte[] chunk = chunker.next(); chunk != null; chunk = chunker.next()) {
            lengths.add(chunk.length);
        }
        return lengths;
    }

    private static byte[] splitMix(int n, long seed) {
        byte[] out = new byte[n];
        long x = seed;
        for (int i = 0; i < n; i += 8) {
            x += 0x9E3779B97F4A7C15L;
            long z = x;
            z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
            z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
            z ^= z >>> 31;
            for (int k = 0; k < 8 && i + k < n; k++) {
                out[i + k] = (byte) (z >>> (8 * k));
            }
        }
        return out;
    }

    /** {@code "<i>\trow <i*7919 mod 100003>\n"} for i = 0, 1, ... cut to n bytes. */
    private static byte[] rows(int n) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; sb.length() < n; i++) {
            sb.append(i).append('\t').append("row ").append(i * 7919 % 100003).append('\n');
        }
        return Arrays.copyOf(sb.toString().getBytes(StandardCharsets.US_ASCII), n);
    }
}
