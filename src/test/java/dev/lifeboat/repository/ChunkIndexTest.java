package dev.lifeboat.repository;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lifeboat.core.Hex;
import java.security.MessageDigest;
import java.util.HashMap;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The backup's index of the repository's chunks: exact answers at any size, whole ids compared. */
class ChunkIndexTest {
    private static String id(int n) throws Exception {
        return Hex.of(MessageDigest.getInstance("SHA-256").digest(Integer.toString(n).getBytes()));
    }

    @Test
    void answersLikeAMapThroughManyGrowths() throws Exception {
        ChunkIndex index = new ChunkIndex();
        Map<String, Integer> expected = new HashMap<>();
        Random r = new Random(7);
        for (int i = 0; i < 50_000; i++) { // the table starts at 1,024 slots: this grows it 7 times
            String id = id(i);
            int size = r.nextInt(8 << 20);
            index.put(id, size);
            expected.put(id, size);
        }
        assertThat(index.size()).isEqualTo(50_000);
        for (Map.Entry<String, Integer> e : expected.entrySet()) {
            assertThat(index.get(e.getKey())).isEqualTo(e.getValue());
        }
        assertThat(index.get(id(50_000))).isEqualTo(ChunkIndex.MISSING);
        index.put(id(3), 42); // replacing does not add
        assertThat(index.get(id(3))).isEqualTo(42);
        assertThat(index.size()).isEqualTo(50_000);
    }

    @Test
    void putIfAbsentTellsWhatWasThere() throws Exception {
        ChunkIndex index = new ChunkIndex();
        assertThat(index.putIfAbsent(id(1), -1)).isEqualTo(ChunkIndex.MISSING);
        assertThat(index.putIfAbsent(id(1), 100)).isEqualTo(-1);
        index.put(id(1), 100);
        assertThat(index.putIfAbsent(id(1), 5)).isEqualTo(100);
        assertThat(index.get(id(1))).isEqualTo(100);
    }

    @Test
    void putIfAbsentKeepsEveryValueThroughGrowths() throws Exception {
        // A backup's writer adds each new chunk with putIfAbsent: a growth inside it must not lose the value (an
        // index into the old table failed the backup of a tree of 2,000 files with "Index 1183 out of bounds")
        ChunkIndex index = new ChunkIndex();
        for (int i = 0; i < 5_000; i++) {
            assertThat(index.putIfAbsent(id(i), i)).isEqualTo(ChunkIndex.MISSING);
        }
        assertThat(index.size()).isEqualTo(5_000);
        for (int i = 0; i < 5_000; i++) {
            assertThat(index.get(id(i))).as("chunk %d", i).isEqualTo(i);
        }
    }

    @Test
    void idsSharingAPrefixAreDifferentChunks() {
        // Same first 64 bits, and the same first 192: a prefix match must never count as present.
        String a = "0123456789abcdef".repeat(4);
        String b = "0123456789abcdef".repeat(3) + "0123456789abcdee";
        String c = "0123456789abcdee" + "0123456789abcdef".repeat(3);
        ChunkIndex index = new ChunkIndex();
        index.put(a, 1);
        assertThat(index.get(b)).isEqualTo(ChunkIndex.MISSING);
        assertThat(index.get(c)).isEqualTo(ChunkIndex.MISSING);
        index.put(b, 2);
        assertThat(index.get(a)).isEqualTo(1);
        assertThat(index.get(b)).isEqualTo(2);
        assertThat(index.size()).isEqualTo(2);
    }

    @Test
    void onlyChunkIdsGoIn() {
        assertThat(ChunkIndex.isId("ab".repeat(32))).isTrue();
        assertThat(ChunkIndex.isId("AB".repeat(32))).isFalse();
        assertThat(ChunkIndex.isId("ab".repeat(31))).isFalse();
        assertThat(ChunkIndex.isId("zz".repeat(32))).isFalse();
        assertThatThrownBy(() -> new ChunkIndex().put("not-an-id", 1)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("not a chunk id: 'not-an-id'");
        assertThatThrownBy(() -> new ChunkIndex().put("ab".repeat(32), ChunkIndex.MISSING))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void chunkBlobNamesAndIdsGoBothWays() throws Exception {
        String id = id(9);
        assertThat(ChunkRef.idOf(ChunkRef.blobName(id))).isEqualTo(id);
        assertThat(ChunkRef.idOf("chunks/notes.txt")).isNull();
        assertThat(ChunkRef.idOf("chunks/zz/" + id)).as("in the wrong folder: no reader would find it").isNull();
        assertThat(ChunkRef.idOf("chunks/" + id.substring(0, 2) + "/" + id.toUpperCase())).isNull();
    }
}
