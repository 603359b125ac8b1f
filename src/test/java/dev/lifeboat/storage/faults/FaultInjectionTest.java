package dev.lifeboat.storage.faults;

import dev.lifeboat.repository.Artifact;
import dev.lifeboat.repository.ChunkWriter;
import dev.lifeboat.repository.ChunkerParams;
import dev.lifeboat.repository.CorruptChunkException;
import dev.lifeboat.repository.Keys;
import dev.lifeboat.repository.LocalKeyCache;
import dev.lifeboat.repository.Manifest;
import dev.lifeboat.repository.Repository;
import dev.lifeboat.storage.MemoryStorage;
import dev.lifeboat.storage.retry.RetryingStorage;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.time.Instant;
import java.util.EnumSet;
import java.util.List;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** A storage that fails some requests: operations retry, or fail cleanly; nothing half-written is committed. */
class FaultInjectionTest {
    private static final ChunkerParams SMALL = new ChunkerParams(8 * 1024, 32 * 1024, 128 * 1024, 7);

    @TempDir
    Path keys;

    private static byte[] data(int n) {
        byte[] b = new byte[n];
        Random r = new Random(5);
        for (int i = 0; i < n; i++) {
            b[i] = (byte) ('a' + r.nextInt(16));
        }
        return b;
    }

    @Test
    void retriesCarryABackupAndItsRestoreThroughErrorsTimeoutsAndShortReads() throws IOException {
        MemoryStorage memory = new MemoryStorage();
        Repository.init(memory, List.of(), SMALL, 3, new LocalKeyCache(keys));
        FaultyStorage faulty = new FaultyStorage(memory, 42, 0.2, EnumSet.complementOf(EnumSet.of(FaultyStorage.Fault.FULL)));
        faulty.enabled(false);
        Repository repo = Repository.open(new RetryingStorage(faulty, 6, 1));
        faulty.enabled(true);
        byte[] content = data(3_000_000);
        Artifact a;
        try (ChunkWriter w = repo.chunkWriter(Keys.PLAIN, 3, 2)) {
            a = w.write("db.dump", "db", "pg_dump-custom", new ByteArrayInputStream(content), n -> {});
        }
        try (InputStream in = repo.artifactReader(Keys.PLAIN).open(a)) {
            assertThat(in.readAllBytes()).isEqualTo(content);
        }
        assertThat(faulty.injected()).as("faults injected").isGreaterThan(10);
    }

    @Test
    void aBackupWhoseWritesKeepFailingThrowsAndCommitsNothing() throws IOException {
        MemoryStorage memory = new MemoryStorage();
        Repository.init(memory, List.of(), SMALL, 3, new LocalKeyCache(keys));
        FaultyStorage faulty = new FaultyStorage(memory, 1, 1.0, EnumSet.of(FaultyStorage.Fault.ERROR));
        faulty.enabled(false);
        Repository repo = Repository.open(new RetryingStorage(faulty, 3, 1));
        try (ChunkWriter w = repo.chunkWriter(Keys.PLAIN, 3, 2)) {
            // An empty artifact first: it returns once the writer's listing of chunks is done, so only writes fail.
            w.write("empty", "db", "pg_dump-custom", new ByteArrayInputStream(new byte[0]), n -> {});
            faulty.enabled(true);
            assertThatThrownBy(() -> w.write("db.dump", "db", "pg_dump-custom", new ByteArrayInputStream(data(500_000)),
                    n -> {})).isInstanceOf(IOException.class).hasMessageContaining("injected error");
        }
        // The engine commits a manifest only after every chunk write returned; none did, so none exists.
        assertThat(memory.list("backups/")).isEmpty();
        // Whatever chunks did land are whole: each decodes to the data it names.
        faulty.enabled(false);
        assertThat(memory.list("chunks/")).allSatisfy(b -> assertThat(b.size()).isPositive());
    }

    @Test
    void anInterruptedCallIsNotRetried() throws IOException {
        FaultyStorage faulty = new FaultyStorage(new MemoryStorage(), 1, 1.0, EnumSet.of(FaultyStorage.Fault.ERROR));
        RetryingStorage retrying = new RetryingStorage(faulty, 5, 1);
        ch.qos.logback.classic.Logger log = (ch.qos.logback.classic.Logger) org.slf4j.LoggerFactory.getLogger(RetryingStorage.class);
        ch.qos.logback.core.read.ListAppender<ch.qos.logback.classic.spi.ILoggingEvent> warnings = new ch.qos.logback.core.read.ListAppender<>();
        warnings.start();
        log.addAppender(warnings);
        Thread.currentThread().interrupt(); // as a command stopped by SIGTERM interrupts its threads
        try {
            assertThatThrownBy(() -> retrying.write("chunks/ab/x", new byte[10])).isInstanceOf(IOException.class);
        } finally {
            Thread.interrupted();
            log.detachAppender(warnings);
        }
        assertThat(faulty.injected()).as("attempts").isEqualTo(1);
        assertThat(warnings.list).as("no 'retrying' warning for a stop").isEmpty();
    }

    @Test
    void aFailureRetryingCannotFixIsReportedAtOnce() {
        FaultyStorage faulty = new FaultyStorage(new MemoryStorage(), 1, 1.0, EnumSet.of(FaultyStorage.Fault.FULL));
        RetryingStorage retrying = new RetryingStorage(faulty, 5, 1);
        assertThatThrownBy(() -> retrying.write("chunks/ab/x", new byte[10]))
                .isInstanceOf(dev.lifeboat.storage.PermanentStorageException.class).hasMessageContaining("no space left");
        assertThat(faulty.injected()).as("attempts").isEqualTo(1);
    }

    @Test
    void aChunkThatIsShortOnEveryReadIsReportedAsCorruptNotReturned() throws IOException {
        MemoryStorage memory = new MemoryStorage();
        Repository plain = Repository.init(memory, List.of(), SMALL, 3, new LocalKeyCache(keys));
        Artifact a;
        try (ChunkWriter w = plain.chunkWriter(Keys.PLAIN, 3, 2)) {
            a = w.write("db.dump", "db", "pg_dump-custom", new ByteArrayInputStream(data(300_000)), n -> {});
        }
        plain.commit(new Manifest(1, "20261121T000000Z-000001", null, Manifest.COMPLETED, Instant.now(), Instant.now(),
                "test", "h", List.of(), List.of(a), a.size(), a.storedSize(), 0, null));
        FaultyStorage alwaysShort = new FaultyStorage(memory, 3, 1.0, EnumSet.of(FaultyStorage.Fault.SHORT_READ));
        alwaysShort.enabled(false);
        Repository repo = Repository.open(new RetryingStorage(alwaysShort, 3, 1));
        alwaysShort.enabled(true);
        assertThatThrownBy(() -> {
            try (InputStream in = repo.artifactReader(Keys.PLAIN).open(a)) {
                in.readAllBytes();
            }
        }).isInstanceOf(CorruptChunkException.class).hasMessageContaining(a.chunks().get(0).id());
    }
}
