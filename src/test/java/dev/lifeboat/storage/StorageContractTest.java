package dev.lifeboat.storage;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.NoSuchFileException;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The {@link Storage} contract, run against every backend: each backend's test extends this class and says how to
 * make a fresh, empty storage and how its interrupted writes leave debris. Backend-specific checks go in the
 * subclass. Besides atomic writes and missing blobs, it holds each backend to what locks and prune rely on: a
 * written blob is in the next listing, an overwrite moves its time, removeDebris removes old debris and nothing else.
 */
public abstract class StorageContractTest {
    protected static final int MIB = 1024 * 1024;

    /** The storage under test, fresh and empty for each test, closed after it. */
    protected Storage storage;

    /** A new, empty storage that no other test uses. */
    protected abstract Storage createStorage() throws Exception;

    /**
     * Leaves in {@link #storage}, the backend's own way and not through {@link Storage}, what a write of
     * {@code name} killed midway leaves there (local files: a hidden temporary file beside the blob; S3: an
     * unfinished multipart upload), and returns true; returns false for a backend whose writes cannot leave any
     * (memory), of which the contract then asks only that removeDebris removes nothing.
     */
    protected abstract boolean makeDebris(String name) throws Exception;

    /** How many pieces of debris {@link #storage} holds, seen the backend's own way and not through {@link Storage}. */
    protected abstract int countDebris() throws Exception;

    @BeforeEach
    void openStorage() throws Exception {
        storage = createStorage();
    }

    @AfterEach
    void closeStorage() throws Exception {
        if (storage != null) {
            storage.close();
        }
    }

    @Test
    void locationAndFeaturesAreDeclared() {
        assertThat(storage.location()).isNotBlank();
        assertThat(storage.features()).isNotNull();
    }

    @Test
    void emptyBlobRoundTrips() throws IOException {
        storage.write("config", new byte[0]);

        assertThat(storage.readAllBytes("config")).isEmpty();
        assertThat(storage.stat("config")).get().extracting(BlobInfo::size).isEqualTo(0L);
    }

    @Test
    void smallBlobRoundTrips() throws IOException {
        byte[] data = "hello, lifeboat".getBytes(StandardCharsets.UTF_8);
        storage.write("manifests/first.json", data);

        assertThat(storage.readAllBytes("manifests/first.json")).isEqualTo(data);
    }

    @Test
    void aRangeReadsThoseBytesOnly() throws IOException {
        byte[] data = new byte[300_000];
        new java.util.Random(7).nextBytes(data);
        storage.write("packs/ab/pack", data);

        try (InputStream in = storage.read("packs/ab/pack", 123_457, 70_001)) {
            assertThat(in.readAllBytes()).isEqualTo(java.util.Arrays.copyOfRange(data, 123_457, 193_458));
        }
        try (InputStream in = storage.read("packs/ab/pack", 0, 1)) {
            assertThat(in.readAllBytes()).containsExactly(data[0]);
        }
        try (InputStream in = storage.read("packs/ab/pack", 299_990, 100)) { // past the end: what there is
            assertThat(in.readAllBytes()).isEqualTo(java.util.Arrays.copyOfRange(data, 299_990, 300_000));
        }
        try (InputStream in = storage.read("packs/ab/pack", 400_000, 10)) {
            assertThat(in.readAllBytes()).isEmpty();
        }
        try (InputStream in = storage.read("packs/ab/pack", 5, 0)) {
            assertThat(in.readAllBytes()).isEmpty();
        }
        assertThatThrownBy(() -> storage.read("packs/ab/missing", 0, 10)).isInstanceOf(NoSuchFileException.class);
    }

    @Test
    void emptyStreamOfUnknownLengthRoundTrips() throws IOException {
        storage.write("locks/empty", new PseudoRandomStream(1, 0));

        assertThat(storage.readAllBytes("locks/empty")).isEmpty();
    }

    @Test
    @Timeout(value = 2, unit = TimeUnit.MINUTES)
    void largeStreamOfUnknownLengthRoundTrips() throws IOException {
        long size = 20L * MIB + 12345;
        storage.write("packs/large", new PseudoRandomStream(42, size));

        assertThat(storage.stat("packs/large")).get().extracting(BlobInfo::size).isEqualTo(size);
        try (InputStream in = storage.read("packs/large")) {
            assertSameBytes(new PseudoRandomStream(42, size), in);
        }
    }

    @Test
    void streamOfExactlyEightMibRoundTrips() throws IOException {
        long size = 8L * MIB; // exactly one S3 part: the edge between a single put and a multipart upload
        storage.write("packs/eight", new PseudoRandomStream(8, size));

        try (InputStream in = storage.read("packs/eight")) {
            assertSameBytes(new PseudoRandomStream(8, size), in);
        }
    }

    @Test
    void writeReadsTheStreamToItsEndButDoesNotCloseIt() throws IOException {
        PseudoRandomStream data = new PseudoRandomStream(3, 1000);
        storage.write("a", data);

        assertThat(data.read()).isEqualTo(-1);
        assertThat(data.closed).isFalse();
    }

    @Test
    void overwriteReplacesTheBlob() throws IOException {
        storage.write("index/latest", "first, and longer".getBytes(StandardCharsets.UTF_8));
        storage.write("index/latest", "second".getBytes(StandardCharsets.UTF_8));

        assertThat(new String(storage.readAllBytes("index/latest"), StandardCharsets.UTF_8)).isEqualTo("second");
        assertThat(storage.stat("index/latest")).get().extracting(BlobInfo::size).isEqualTo(6L);
        assertThat(storage.list("index/")).extracting(BlobInfo::name).containsExactly("index/latest");
    }

    @Test
    void readOfMissingBlobThrowsNoSuchFile() throws IOException {
        assertThatThrownBy(() -> storage.read("chunks/ab/missing")).isInstanceOf(NoSuchFileException.class);
        assertThatThrownBy(() -> storage.readAllBytes("missing")).isInstanceOf(NoSuchFileException.class);

        storage.write("chunks/ab/other", new byte[] {1});
        assertThatThrownBy(() -> storage.read("chunks/ab/missing")).isInstanceOf(NoSuchFileException.class);
    }

    @Test
    void statReportsSizeAndTimeOrEmpty() throws IOException {
        Instant before = Instant.now().minus(1, ChronoUnit.MINUTES);
        storage.write("chunks/cd/cd01", new byte[1234]);

        Optional<BlobInfo> info = storage.stat("chunks/cd/cd01");
        assertThat(info).isPresent();
        assertThat(info.get().name()).isEqualTo("chunks/cd/cd01");
        assertThat(info.get().size()).isEqualTo(1234L);
        assertThat(info.get().lastModified()).isAfter(before).isBefore(Instant.now().plus(1, ChronoUnit.MINUTES));
        assertThat(storage.stat("chunks/cd/cd02")).isEmpty();
        assertThat(storage.stat("chunks/zz/zz01")).isEmpty();
        assertThat(storage.stat("chunks/cd")).as("a folder is no blob").isEmpty();
    }

    @Test
    void listFindsBlobsByPrefix() throws IOException {
        storage.write("chunks/ab/ab01", new byte[1]);
        storage.write("chunks/ab/ab02", new byte[22]);
        storage.write("chunks/ac/ac01", new byte[3]);
        storage.write("chunksx", new byte[4]);
        storage.write("manifests/m1.json", new byte[5]);
        storage.write("config", new byte[6]);

        assertThat(storage.list("chunks/")).extracting(BlobInfo::name)
                .containsExactlyInAnyOrder("chunks/ab/ab01", "chunks/ab/ab02", "chunks/ac/ac01");
        assertThat(storage.list("chunks/ab/")).extracting(BlobInfo::name)
                .containsExactlyInAnyOrder("chunks/ab/ab01", "chunks/ab/ab02");
        assertThat(storage.list("chunks/ab/ab0")).extracting(BlobInfo::name)
                .containsExactlyInAnyOrder("chunks/ab/ab01", "chunks/ab/ab02");
        assertThat(storage.list("chunks/a")).extracting(BlobInfo::name)
                .containsExactlyInAnyOrder("chunks/ab/ab01", "chunks/ab/ab02", "chunks/ac/ac01");
        assertThat(storage.list("chunks")).extracting(BlobInfo::name)
                .containsExactlyInAnyOrder("chunks/ab/ab01", "chunks/ab/ab02", "chunks/ac/ac01", "chunksx");
        assertThat(storage.list("chunks/zz/")).isEmpty();
        assertThat(storage.list("nothing/")).isEmpty();
        assertThat(storage.list("")).extracting(BlobInfo::name).containsExactlyInAnyOrder("chunks/ab/ab01",
                "chunks/ab/ab02", "chunks/ac/ac01", "chunksx", "manifests/m1.json", "config");
        assertThat(storage.list("chunks/ab/")).filteredOn(b -> b.name().equals("chunks/ab/ab02"))
                .singleElement().extracting(BlobInfo::size).isEqualTo(22L);
    }

    @Test
    void forEachSeesWhatListSeesAcrossPages() throws IOException {
        // 1,001 blobs: more than one page of an S3 listing (1,000 keys), which forEach walks without keeping it
        for (int i = 0; i < 1001; i++) {
            storage.write(String.format("chunks/%02x/blob%04d", i % 7, i), new byte[i % 5]);
        }
        storage.write("config", new byte[1]);
        java.util.Map<String, Long> seen = new java.util.HashMap<>();
        storage.forEach("chunks/", b -> seen.merge(b.name(), b.size(), (a, x) -> {
            throw new AssertionError("seen twice without a retry: " + b.name());
        }));
        assertThat(seen).hasSize(1001).containsEntry("chunks/06/blob1000", 0L).containsEntry("chunks/03/blob0003", 3L);
        assertThat(seen.keySet()).containsExactlyInAnyOrderElementsOf(
                storage.list("chunks/").stream().map(BlobInfo::name).toList());
        List<String> none = new java.util.ArrayList<>();
        storage.forEach("nothing/", b -> none.add(b.name()));
        assertThat(none).isEmpty();
    }

    @Test
    void listOfEmptyStorageIsEmpty() throws IOException {
        assertThat(storage.list("")).isEmpty();
        assertThat(storage.list("chunks/")).isEmpty();
    }

    @Test
    void deleteRemovesAndIsIdempotent() throws IOException {
        storage.write("locks/l1", new byte[] {1, 2, 3});
        storage.write("locks/l2", new byte[] {4});

        storage.delete("locks/l1");
        storage.delete("locks/l1");
        storage.delete("locks/never-written");

        assertThat(storage.stat("locks/l1")).isEmpty();
        assertThatThrownBy(() -> storage.read("locks/l1")).isInstanceOf(NoSuchFileException.class);
        assertThat(storage.list("locks/")).extracting(BlobInfo::name).containsExactly("locks/l2");
    }

    @Test
    void aWrittenBlobIsInTheNextListing() throws IOException {
        // Locks rely on it: a process lists locks/ right after writing its own, and must see the others' too.
        for (int i = 0; i < 6; i++) {
            String name = (i % 2 == 0 ? "locks/" : "chunks/0" + i + "/") + "blob" + i;
            if (i % 3 == 0) {
                storage.write(name, new byte[i + 1]);
            } else {
                storage.write(name, new PseudoRandomStream(i, i + 1));
            }
            String folder = name.substring(0, name.lastIndexOf('/') + 1);
            assertThat(storage.list(folder)).as("list after writing " + name).filteredOn(b -> b.name().equals(name))
                    .singleElement().extracting(BlobInfo::size).isEqualTo((long) i + 1);
            assertThat(storage.list("")).as("list of everything after writing " + name).extracting(BlobInfo::name)
                    .contains(name);
            List<BlobInfo> each = new ArrayList<>();
            storage.forEach(folder, each::add);
            assertThat(each).as("forEach after writing " + name).extracting(BlobInfo::name).contains(name);
        }
        // a blob of several parts (S3: a multipart upload) is listed as soon as its write returns
        storage.write("packs/parts", new PseudoRandomStream(9, 8L * MIB + 1));
        assertThat(storage.list("packs/")).singleElement().extracting(BlobInfo::size).isEqualTo(8L * MIB + 1);

        storage.write("locks/blob0", new byte[40]);
        assertThat(storage.list("locks/")).filteredOn(b -> b.name().equals("locks/blob0")).singleElement()
                .as("size listed after an overwrite").extracting(BlobInfo::size).isEqualTo(40L);
        storage.delete("locks/blob2");
        assertThat(storage.list("locks/")).extracting(BlobInfo::name).as("listed after a delete")
                .containsExactlyInAnyOrder("locks/blob0", "locks/blob4");
    }

    @Test
    void lastModifiedMovesOnOverwriteByTheStoragesClock() throws Exception {
        // Locks rely on it: a heartbeat overwrites its lock, and another process judges the lock by how long ago it
        // was last written, against the time of a blob it has just written itself.
        storage.write("locks/held.json", "first".getBytes(StandardCharsets.UTF_8));
        Instant statFirst = storage.stat("locks/held.json").orElseThrow().lastModified();
        Instant listedFirst = listedTime("locks/held.json");
        Thread.sleep(1100); // S3's Last-Modified counts whole seconds: the coarsest clock of the backends
        storage.write("locks/held.json", "second".getBytes(StandardCharsets.UTF_8));
        storage.write("locks/fresh.json", new byte[1]);

        Instant statSecond = storage.stat("locks/held.json").orElseThrow().lastModified();
        Instant listedSecond = listedTime("locks/held.json");
        assertThat(statSecond).as("stat's time after an overwrite").isAfter(statFirst);
        assertThat(listedSecond).as("the listed time after an overwrite").isAfter(listedFirst);
        Instant fresh = listedTime("locks/fresh.json");
        assertThat(Duration.between(listedSecond, fresh).abs()).as("an overwrite is stamped now, as a new blob is")
                .isLessThanOrEqualTo(Duration.ofSeconds(1));
        assertThat(Duration.between(statSecond, listedSecond).abs()).as("stat and list tell the same time")
                .isLessThanOrEqualTo(Duration.ofSeconds(1));
    }

    private Instant listedTime(String name) throws IOException {
        return storage.list(name.substring(0, name.lastIndexOf('/') + 1)).stream().filter(b -> b.name().equals(name))
                .findFirst().orElseThrow(() -> new AssertionError(name + " is not listed")).lastModified();
    }

    @Test
    void removeDebrisRemovesOldDebrisAndNothingElse() throws Exception {
        // Prune relies on it: it removes what interrupted writes left, older than a lock's staleness, and must
        // neither touch a blob nor the write in progress of a process it cannot see (a young piece of debris).
        storage.write("config", "config".getBytes(StandardCharsets.UTF_8));
        storage.write("chunks/ab/ab01", new byte[] {1, 2, 3});
        storage.write("packs/parts", new PseudoRandomStream(4, 8L * MIB + 1)); // S3: a completed multipart upload
        storage.write("locks/l1.json", new byte[0]);
        List<BlobInfo> blobs = storage.list("");
        Instant beforeDebris = Instant.now().minus(2, ChronoUnit.SECONDS); // S3 may count whole seconds

        if (!makeDebris("chunks/ab/ab02")) {
            assertThat(storage.removeDebris(Instant.now().plus(1, ChronoUnit.HOURS))).as("debris removed").isZero();
            assertThat(storage.list("")).containsExactlyInAnyOrderElementsOf(blobs);
            return;
        }
        makeDebris("packs/unfinished");
        assertThat(countDebris()).as("debris made").isEqualTo(2);
        assertThat(storage.list("")).as("debris is no blob").containsExactlyInAnyOrderElementsOf(blobs);
        assertThatNoBlob("chunks/ab/ab02");
        assertThatNoBlob("packs/unfinished");

        assertThat(storage.removeDebris(beforeDebris)).as("young debris removed").isZero();
        assertThat(countDebris()).as("young debris left").isEqualTo(2);

        assertThat(storage.removeDebris(Instant.now().plus(1, ChronoUnit.MINUTES))).as("old debris removed")
                .isEqualTo(2);
        assertThat(countDebris()).as("debris left").isZero();
        assertThat(storage.list("")).as("blobs after removeDebris").containsExactlyInAnyOrderElementsOf(blobs);
        assertThat(storage.readAllBytes("chunks/ab/ab01")).containsExactly(1, 2, 3);
        try (InputStream in = storage.read("packs/parts")) {
            assertSameBytes(new PseudoRandomStream(4, 8L * MIB + 1), in);
        }
        assertThat(storage.removeDebris(Instant.now().plus(1, ChronoUnit.MINUTES))).as("removed again").isZero();
    }

    @ParameterizedTest
    @ValueSource(strings = {"../x", "/abs", "a//b", ".hidden", "a/.hidden", "a/../b", "a/", "", "a b", "a\\b"})
    void invalidNamesAreRejected(String name) {
        assertThatThrownBy(() -> storage.write(name, new byte[1])).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> storage.read(name)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> storage.stat(name)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> storage.delete(name)).isInstanceOf(IllegalArgumentException.class);
    }

    @ParameterizedTest
    @ValueSource(strings = {"../", "/abs/", "a//", ".hidden/", "//"})
    void invalidPrefixesAreRejected(String prefix) {
        assertThatThrownBy(() -> storage.list(prefix)).isInstanceOf(IllegalArgumentException.class);
    }

    @ParameterizedTest
    @ValueSource(longs = {1000, 12L * MIB})
    void failedWriteLeavesNoBlob(long failAfter) {
        InputStream failing = new PseudoRandomStream(7, 20L * MIB).failingAfter(failAfter);

        assertThatThrownBy(() -> storage.write("packs/broken", failing))
                .isInstanceOf(IOException.class).hasMessageContaining("source broke");

        assertThatNoBlob("packs/broken");
    }

    @Test
    void failedOverwriteKeepsTheOldBlob() throws IOException {
        storage.write("index/latest", "old".getBytes(StandardCharsets.UTF_8));
        InputStream failing = new PseudoRandomStream(7, 1000).failingAfter(500);

        assertThatThrownBy(() -> storage.write("index/latest", failing)).isInstanceOf(IOException.class);

        assertThat(storage.readAllBytes("index/latest")).asString(StandardCharsets.UTF_8).isEqualTo("old");
    }

    @Test
    @Timeout(value = 2, unit = TimeUnit.MINUTES)
    void concurrentWritesOfDifferentNames() throws Exception {
        int threads = 4;
        int perThread = 6;
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            List<Future<?>> futures = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                int thread = t;
                futures.add(pool.submit((Callable<Void>) () -> {
                    for (int i = 0; i < perThread; i++) {
                        long seed = thread * 100L + i;
                        // One blob per thread crosses the part size, so multipart uploads overlap too.
                        long size = i == 0 ? 9L * MIB : 1000 + seed * 37;
                        storage.write("chunks/t" + thread + "/c" + i, new PseudoRandomStream(seed, size));
                    }
                    return null;
                }));
            }
            for (Future<?> f : futures) {
                f.get(2, TimeUnit.MINUTES);
            }
        } finally {
            pool.shutdownNow();
        }

        assertThat(storage.list("chunks/")).hasSize(threads * perThread);
        for (int t = 0; t < threads; t++) {
            for (int i = 0; i < perThread; i++) {
                long seed = t * 100L + i;
                long size = i == 0 ? 9L * MIB : 1000 + seed * 37;
                try (InputStream in = storage.read("chunks/t" + t + "/c" + i)) {
                    assertSameBytes(new PseudoRandomStream(seed, size), in);
                }
            }
        }
    }

    @Test
    @Timeout(value = 1, unit = TimeUnit.MINUTES)
    void readStreamOfLargeBlobCanBeClosedEarly() throws IOException {
        long size = 20L * MIB;
        storage.write("packs/large", new PseudoRandomStream(5, size));

        for (int round = 0; round < 3; round++) { // closing early must not leak connections or handles
            try (InputStream in = storage.read("packs/large")) {
                byte[] head = in.readNBytes(1000);
                byte[] expected = new PseudoRandomStream(5, size).readNBytes(1000);
                assertThat(head).isEqualTo(expected);
            }
        }
        storage.write("after", new byte[] {9});
        assertThat(storage.readAllBytes("after")).containsExactly(9);
    }

    @Test
    void readStreamsAreIndependent() throws IOException {
        storage.write("a", new byte[] {1, 2, 3});
        storage.write("b", new byte[] {4, 5, 6});

        try (InputStream a = storage.read("a"); InputStream b = storage.read("b")) {
            assertThat(a.read()).isEqualTo(1);
            assertThat(b.read()).isEqualTo(4);
            assertThat(a.readAllBytes()).containsExactly(2, 3);
            assertThat(b.readAllBytes()).containsExactly(5, 6);
        }
    }

    @Test
    void writeOfByteArrayDoesNotKeepTheCallersArray() throws IOException {
        byte[] data = {1, 2, 3};
        storage.write("a", data);
        Arrays.fill(data, (byte) 0);

        assertThat(storage.readAllBytes("a")).containsExactly(1, 2, 3);
    }

    /** Asserts that {@code name} is neither readable, nor stat-able, nor listed. */
    protected void assertThatNoBlob(String name) {
        try {
            assertThat(storage.stat(name)).isEmpty();
            int slash = name.lastIndexOf('/');
            String folder = slash < 0 ? "" : name.substring(0, slash + 1);
            assertThat(storage.list(folder)).extracting(BlobInfo::name).doesNotContain(name);
            assertThat(storage.list("")).extracting(BlobInfo::name).doesNotContain(name);
        } catch (IOException e) {
            throw new AssertionError(e);
        }
        assertThatThrownBy(() -> storage.read(name)).isInstanceOf(NoSuchFileException.class);
    }

    /** Compares two streams byte for byte without holding either in memory. */
    protected static void assertSameBytes(InputStream expected, InputStream actual) throws IOException {
        byte[] a = new byte[64 * 1024];
        byte[] b = new byte[64 * 1024];
        long offset = 0;
        while (true) {
            int n = expected.readNBytes(a, 0, a.length);
            int m = actual.readNBytes(b, 0, b.length);
            if (n != m || !Arrays.equals(a, 0, n, b, 0, m)) {
                int at = Arrays.mismatch(a, 0, n, b, 0, m);
                throw new AssertionError("streams differ at byte " + (offset + Math.max(at, 0)) + " (expected "
                        + n + " bytes in this block, got " + m + ")");
            }
            if (n < a.length) {
                return;
            }
            offset += n;
        }
    }

    /**
     * Deterministic pseudo-random bytes of a given length, of which the reader cannot know the length in advance
     * (not a {@link ByteArrayInputStream}, no {@code available()}), generated on the fly.
     */
    protected static final class PseudoRandomStream extends InputStream {
        private final long size;
        private long state;
        private long position;
        private long failAfter = -1;
        private long word;
        boolean closed;

        public PseudoRandomStream(long seed, long size) {
            this.state = seed * 0x9E3779B97F4A7C15L + 1;
            this.size = size;
        }

        /** The same stream, except that reading past {@code bytes} throws an IOException. */
        public PseudoRandomStream failingAfter(long bytes) {
            this.failAfter = bytes;
            return this;
        }

        private int nextByte() {
            int shift = (int) (position & 7);
            if (shift == 0) { // xorshift64*
                state ^= state >>> 12;
                state ^= state << 25;
                state ^= state >>> 27;
                word = state * 0x2545F4914F6CDD1DL;
            }
            position++;
            return (int) (word >>> (shift * 8)) & 0xFF;
        }

        @Override
        public int read() throws IOException {
            if (position >= size) {
                return -1;
            }
            checkFailure();
            return nextByte();
        }

        @Override
        public int read(byte[] buffer, int offset, int length) throws IOException {
            if (length == 0) {
                return 0;
            }
            if (position >= size) {
                return -1;
            }
            checkFailure();
            // Short reads, as from a pipe or a socket.
            long limit = Math.min(size, failAfter >= 0 && position < failAfter ? failAfter : Long.MAX_VALUE);
            int n = (int) Math.min(Math.min(length, 50_000), limit - position);
            for (int i = 0; i < n; i++) {
                buffer[offset + i] = (byte) nextByte();
            }
            return n;
        }

        private void checkFailure() throws IOException {
            if (failAfter >= 0 && position >= failAfter) {
                throw new IOException("source broke after " + position + " bytes");
            }
        }

        @Override
        public void close() {
            closed = true;
        }
    }
}
