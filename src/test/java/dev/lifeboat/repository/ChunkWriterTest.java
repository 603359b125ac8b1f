package dev.lifeboat.repository;

import dev.lifeboat.storage.MemoryStorage;
import dev.lifeboat.storage.Storage;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayInputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The listing of the repository's chunks runs beside the stream: what users rely on stays true. */
class ChunkWriterTest {
    private static final ChunkerParams SMALL = new ChunkerParams(16 * 1024, 64 * 1024, 256 * 1024, 42);

    @TempDir
    Path keyDir;

    /** What a listing of {@code chunks/} does before (or instead of) listing. */
    private interface BeforeListing {
        void run() throws Exception;
    }

    /** {@code inner}, where listing {@code chunks/} first runs {@code before}, and writes of chunks are counted. */
    private static Storage listingHook(Storage inner, BeforeListing before, AtomicInteger chunkWrites) {
        return (Storage) Proxy.newProxyInstance(Storage.class.getClassLoader(), new Class<?>[] {Storage.class},
                (proxy, method, args) -> {
                    boolean chunks = args != null && args.length > 0 && args[0] instanceof String s
                            && s.startsWith("chunks/");
                    if (chunks && method.getName().equals("forEach")) {
                        before.run();
                    }
                    if (chunks && method.getName().equals("write")) {
                        chunkWrites.incrementAndGet();
                    }
                    try {
                        return method.invoke(inner, args);
                    } catch (InvocationTargetException e) {
                        throw e.getCause();
                    }
                });
    }

    private static byte[] data(int n, long seed) {
        return RepositoryTest.data(n, seed);
    }

    private Repository repo(MemoryStorage storage) throws IOException {
        return Repository.init(storage, List.of(), SMALL, 3, new LocalKeyCache(keyDir));
    }

    private static Artifact write(Repository repo, InputStream in) throws IOException {
        try (ChunkWriter w = repo.chunkWriter(Keys.PLAIN, 3, 2)) {
            Artifact written = w.write("a.dump", "a", "pg_dump-custom", in, n -> {});
            w.flush();
            return written;
        }
    }

    /** A repository whose listing of chunks fails with {@code failure} (an IOException or an Error). */
    private Repository listingFails(Throwable failure) throws IOException {
        MemoryStorage storage = new MemoryStorage();
        repo(storage);
        return Repository.open(listingHook(storage, () -> {
            if (failure instanceof Error e) {
                throw e;
            }
            throw (Exception) failure;
        }, new AtomicInteger()));
    }

    private static CompletableFuture<Artifact> writeAsync(Repository repo, InputStream in) {
        return CompletableFuture.supplyAsync(() -> {
            try {
                return write(repo, in);
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        });
    }

    @Test
    void aStreamsSha256IsThatOfItsBytesWhateverItsChunksAndTheRepository() throws Exception {
        // a stream of one chunk takes its SHA-256 from the chunk's id in a plain repository (hashed once), and
        // hashes itself in an encrypted one, whose ids are keyed; streams of several chunks hash themselves
        String[] age = dev.lifeboat.crypto.Age.generate();
        Repository plain = repo(new MemoryStorage());
        Repository encrypted = Repository.init(new MemoryStorage(), List.of(age[1]), SMALL, 3,
                new LocalKeyCache(keyDir.resolve("encrypted")));
        Keys writing = encrypted.writeKeys(new LocalKeyCache(keyDir.resolve("encrypted")), List.of());
        for (byte[] content : List.of(new byte[0], data(100, 7), data(10_000, 8), data(900_000, 9))) {
            String sha = dev.lifeboat.core.Hex.of(ChunkCodec.sha256().digest(content));
            Artifact a = write(plain, new ByteArrayInputStream(content));
            assertThat(a.sha256()).as(content.length + " bytes, plain").isEqualTo(sha);
            Artifact e;
            try (ChunkWriter w = encrypted.chunkWriter(writing, 3, 2)) {
                e = w.write("a.dump", "a", "pg_dump-custom", new ByteArrayInputStream(content), n -> {});
                w.flush();
            }
            assertThat(e.sha256()).as(content.length + " bytes, encrypted").isEqualTo(sha);
            if (content.length > 0 && content.length < 20_000) {
                assertThat(a.chunks()).hasSize(1);
                assertThat(e.chunks().get(0).id()).isNotEqualTo(sha);
            }
        }
    }

    @Test
    void chunksFoundByALateListingAreNotStoredAgain() throws Exception {
        MemoryStorage storage = new MemoryStorage();
        byte[] content = data(1_500_000, 1);
        Artifact first = write(repo(storage), new ByteArrayInputStream(content));

        AtomicInteger chunkWrites = new AtomicInteger();
        Repository slow = Repository.open(listingHook(storage, () -> Thread.sleep(300), chunkWrites));
        try (ChunkWriter w = slow.chunkWriter(Keys.PLAIN, 3, 2)) {
            Artifact again = w.write("b.dump", "a", "pg_dump-custom", new ByteArrayInputStream(content), n -> {});
            w.flush();
            assertThat(w.addedBytes()).isZero();
            assertThat(again.chunks()).isEqualTo(first.chunks());
        }
        assertThat(chunkWrites).hasValue(0);
    }

    @Test
    void theWriterOpensWhileTheListingRunsAndReadsOnceItHasEnded() throws Exception {
        MemoryStorage storage = new MemoryStorage();
        Repository plain = repo(storage);
        CountDownLatch listingMayEnd = new CountDownLatch(1);
        Repository held = Repository.open(listingHook(storage,
                () -> assertThat(listingMayEnd.await(30, TimeUnit.SECONDS)).isTrue(), new AtomicInteger()));
        byte[] content = data(2_000_000, 2);
        AtomicLong read = new AtomicLong();
        InputStream counting = new FilterInputStream(new ByteArrayInputStream(content)) {
            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                int n = super.read(b, off, len);
                read.addAndGet(Math.max(n, 0));
                return n;
            }
        };
        // Opening does not wait for the listing: the caller starts its source (pg_dump) meanwhile.
        ChunkWriter w = CompletableFuture.supplyAsync(() -> held.chunkWriter(Keys.PLAIN, 3, 2)).get(10, TimeUnit.SECONDS);
        try (w) {
            CompletableFuture<Artifact> written = CompletableFuture.supplyAsync(() -> {
                try {
                    Artifact stored = w.write("a.dump", "a", "pg_dump-custom", counting, n -> {});
                    w.flush();
                    return stored;
                } catch (IOException e) {
                    throw new IllegalStateException(e);
                }
            });
            Thread.sleep(300);
            // Nothing is read (so no buffer taken) until the listing has ended: memory is then the index's alone.
            assertThat(read).hasValue(0);
            assertThat(written).isNotDone();
            listingMayEnd.countDown();
            Artifact a = written.get(30, TimeUnit.SECONDS);
            try (InputStream in = plain.artifactReader(Keys.PLAIN).open(a)) {
                assertThat(in.readAllBytes()).isEqualTo(content);
            }
        }
    }

    @Test
    void aFailedListingFailsTheWriteEvenOfAnEmptyStream() throws Exception {
        Repository broken = listingFails(new IOException("listing chunks/ failed: connection reset"));
        for (byte[] content : List.of(data(700_000, 3), new byte[0])) {
            assertThatThrownBy(() -> write(broken, new ByteArrayInputStream(content)))
                    .as("%d bytes", content.length)
                    .isInstanceOf(IOException.class)
                    .hasMessageContaining("listing chunks/ failed: connection reset");
        }
    }

    @Test
    void runningOutOfMemoryWhileListingFailsTheWriteInsteadOfHangingIt() throws Exception {
        Repository huge = listingFails(new OutOfMemoryError("Java heap space (as if the index of chunks outgrew the heap)"));
        CompletableFuture<Artifact> written = writeAsync(huge, new ByteArrayInputStream(data(700_000, 4)));
        assertThatThrownBy(() -> written.get(30, TimeUnit.SECONDS))
                .hasStackTraceContaining("OutOfMemoryError").hasStackTraceContaining("index of chunks outgrew");
    }
}
