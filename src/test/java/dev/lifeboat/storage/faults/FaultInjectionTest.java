package dev.lifeboat.storage.faults;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.lifeboat.repository.Artifact;
import dev.lifeboat.repository.BackupIds;
import dev.lifeboat.repository.ChunkWriter;
import dev.lifeboat.repository.ChunkerParams;
import dev.lifeboat.repository.CorruptChunkException;
import dev.lifeboat.repository.Keys;
import dev.lifeboat.repository.LocalKeyCache;
import dev.lifeboat.repository.Manifest;
import dev.lifeboat.repository.Repository;
import dev.lifeboat.repository.RepositoryLock;
import dev.lifeboat.storage.MemoryStorage;
import dev.lifeboat.storage.PermanentStorageException;
import dev.lifeboat.storage.retry.RetryingStorage;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Backups and restores through a storage that fails: the repository layer driven as BackupEngine and RestoreEngine
 * drive it (a shared lock, the chunks of a stream, the lock checked, the manifest committed last; a restore finds the
 * latest backup under a lock and reads it back checked), over {@link FaultyStorage} in the real
 * {@link RetryingStorage}. After every run, looking at the storage without faults: either the backup was committed
 * and restores to the very bytes it was given, or nothing was committed and the error says what failed. The same
 * through the real engines and PostgreSQL is {@link FaultInjectionIT}.
 */
class FaultInjectionTest {
    private static final ChunkerParams SMALL = new ChunkerParams(8 * 1024, 32 * 1024, 128 * 1024, 7);
    private static final int SIZE = 1_500_000; // about 45 chunks of SMALL
    private static final int ATTEMPTS = 4; // as RetryingStorage.wrap, without its pauses

    @TempDir
    static Path keys;

    /** A fresh repository on {@code memory}, opened through {@code faulty} (faults off while opening). */
    private Repository repository(MemoryStorage memory, FaultyStorage faulty) throws IOException {
        if (memory.size() == 0) {
            Repository.init(memory, List.of(), SMALL, 3, new LocalKeyCache(keys));
        }
        faulty.enabled(false);
        Repository repo = Repository.open(new RetryingStorage(faulty, ATTEMPTS, 1));
        faulty.enabled(true);
        return repo;
    }

    /** Backs up {@link #data(long)} of {@code seed} the way BackupEngine does, and returns the committed manifest. */
    static Manifest backUp(Repository repo, long seed) throws IOException {
        Instant started = Instant.now();
        String id = BackupIds.next(started);
        try (RepositoryLock lock = repo.lock(RepositoryLock.Kind.SHARED, "backup " + id);
             ChunkWriter writer = repo.chunkWriter(Keys.PLAIN, 3, 2)) {
            Keys signing = repo.writeKeys(new LocalKeyCache(keys), List.of());
            Artifact a = writer.write("db.dump", "db", "pg_dump-custom", data(seed), n -> {});
            writer.flush();
            Manifest m = new Manifest(Manifest.FORMAT_VERSION, id, "faults", Manifest.COMPLETED, started, Instant.now(),
                    "test", "h", List.of(), List.of(a), a.size(), a.storedSize(), writer.addedBytes(), null);
            lock.checkStillHeld();
            repo.commit(m, signing);
            return m;
        }
    }

    /**
     * Restores the latest backup the way RestoreEngine does (its manifest found, a shared lock, every chunk listed,
     * the artifact read as pg_restore reads it) and checks that it is {@link #data(long)} of {@code seed}, byte for
     * byte. A wrong byte is an {@link AssertionError}; a failure to read is an {@link IOException}.
     */
    static void restoreAndCompare(Repository repo, long seed) throws IOException {
        Manifest m = repo.resolveManifest("latest", null);
        Artifact a = m.artifacts().get(0);
        try (RepositoryLock lock = repo.lock(RepositoryLock.Kind.SHARED, "restore " + m.id())) {
            Set<String> present = new TreeSet<>();
            repo.forEachChunk((id, stored) -> present.add(id));
            assertThat(present).as("chunks listed").containsAll(a.chunks().stream().map(c -> c.id()).toList());
            try (InputStream expected = data(seed);
                 InputStream in = repo.artifactReader(Keys.PLAIN).open(a)) {
                assertSameBytes(expected, in);
            }
        }
    }

    /** {@link #SIZE} bytes of a dump-like stream (text with repeats, so that zstd and dedup have work). */
    static InputStream data(long seed) {
        return new InputStream() {
            private final java.util.Random random = new java.util.Random(seed);
            private long position;

            @Override
            public int read() {
                if (position >= SIZE) {
                    return -1;
                }
                position++;
                return 'a' + random.nextInt(16);
            }

            @Override
            public int read(byte[] b, int off, int len) {
                if (position >= SIZE) {
                    return -1;
                }
                int n = (int) Math.min(len, Math.min(40_000, SIZE - position)); // short reads, as from a pipe
                for (int i = 0; i < n; i++) {
                    b[off + i] = (byte) read();
                }
                return n;
            }
        };
    }

    private static void assertSameBytes(InputStream expected, InputStream actual) throws IOException {
        byte[] a = expected.readAllBytes();
        byte[] b = actual.readAllBytes();
        assertThat(b.length).as("restored bytes").isEqualTo(a.length);
        assertThat(java.util.Arrays.mismatch(a, b)).as("first restored byte that differs").isEqualTo(-1);
    }

    /** The ids of committed backups, looked at without faults. */
    private static List<String> committed(MemoryStorage memory) throws IOException {
        return Repository.open(memory).backupIds();
    }

    @ParameterizedTest
    @EnumSource(value = FaultyStorage.Fault.class, names = {"ERROR", "TIMEOUT", "SHORT_READ"})
    void transientFaultsAreRetriedAndTheBackupRestoresIdentically(FaultyStorage.Fault fault) throws IOException {
        for (long seed = 1; seed <= 3; seed++) {
            MemoryStorage memory = new MemoryStorage();
            FaultyStorage faulty = new FaultyStorage(memory, seed, 0.3, EnumSet.of(fault));
            Repository repo = repository(memory, faulty);

            Manifest m = backUp(repo, seed);
            restoreAndCompare(repo, seed);

            assertThat(committed(memory)).containsExactly(m.id());
            faulty.enabled(false);
            restoreAndCompare(repo, seed);
            assertThat(faulty.injected()).as(fault + " faults injected, seed " + seed).isGreaterThan(5);
        }
    }

    @Test
    void allTransientFaultsTogetherAreRetried() throws IOException {
        MemoryStorage memory = new MemoryStorage();
        FaultyStorage faulty = new FaultyStorage(memory, 42, 0.5,
                EnumSet.of(FaultyStorage.Fault.ERROR, FaultyStorage.Fault.TIMEOUT, FaultyStorage.Fault.SHORT_READ));
        Repository repo = repository(memory, faulty);

        Manifest m = backUp(repo, 42);
        restoreAndCompare(repo, 42);
        backUp(repo, 43); // a second backup: its listing of chunks sees the first one's, some twice after a timeout
        restoreAndCompare(repo, 43);

        assertThat(committed(memory)).hasSize(2).contains(m.id());
        assertThat(faulty.injected()).as("faults injected").isGreaterThan(30);
    }

    @Test
    void silentlyTruncatedReadsNeverRestoreWrongBytes() throws IOException {
        // Beyond the contract (a read delivers the whole blob or fails), as a truncated file: chunks are checked and
        // read again; a manifest cut short is unreadable JSON, reported as such.
        List<String> outcomes = new ArrayList<>();
        for (long seed = 1; seed <= 6; seed++) {
            MemoryStorage memory = new MemoryStorage();
            FaultyStorage faulty = new FaultyStorage(memory, seed, 0.3, EnumSet.of(FaultyStorage.Fault.TRUNCATED));
            Repository repo = repository(memory, faulty);
            Manifest m = backUp(repo, seed);
            assertThat(committed(memory)).containsExactly(m.id());
            try {
                restoreAndCompare(repo, seed);
                outcomes.add("restored");
            } catch (dev.lifeboat.core.LifeboatException e) {
                assertThat(e).as("seed " + seed).hasMessageContaining("holds no readable backup");
                outcomes.add("manifest unreadable");
            }
            faulty.enabled(false);
            restoreAndCompare(repo, seed);
        }
        assertThat(outcomes).as("restores through truncated chunk reads").contains("restored");
    }

    /** How many calls and bytes a backup makes when nothing fails. */
    private long[] cleanBackup() throws IOException {
        MemoryStorage memory = new MemoryStorage();
        FaultyStorage counting = FaultyStorage.reliable(memory);
        Repository repo = repository(memory, counting);
        int calls = counting.calls();
        long written = counting.written();
        backUp(repo, 7);
        return new long[] {counting.calls() - calls, counting.written() - written};
    }

    /**
     * Runs a backup into a fresh repository for each of {@code limits}, through a storage that {@code breaks} at
     * that limit, and checks it: committed and whole, or failed with an error of which {@code clear} holds. Returns
     * the errors of the backups that failed, marked "committed: " for those that failed after their commit (whole
     * all the same).
     */
    private <T> List<String> backUpAtEach(List<T> limits, java.util.function.BiConsumer<FaultyStorage, T> breaks,
                                          java.util.function.Consumer<Throwable> clear) throws IOException {
        List<String> failures = new ArrayList<>();
        for (T limit : limits) {
            MemoryStorage memory = new MemoryStorage();
            FaultyStorage faulty = FaultyStorage.reliable(memory);
            Repository repo = repository(memory, faulty);
            breaks.accept(faulty, limit);
            Manifest m = null;
            Throwable error = null;
            try {
                m = backUp(repo, 7);
            } catch (IOException e) {
                error = e;
            }
            faulty.enabled(false);
            List<String> ids = committed(memory);
            if (error == null) {
                assertThat(ids).as("committed at limit " + limit).containsExactly(m.id());
            } else {
                clear.accept(error);
                failures.add((ids.isEmpty() ? "" : "committed: ") + error.getMessage());
                assertThat(ids).as("backups committed although the backup failed at limit " + limit + ": " + error)
                        .hasSizeLessThanOrEqualTo(1);
            }
            if (!ids.isEmpty()) {
                restoreAndCompare(Repository.open(memory), 7);
            }
        }
        return failures;
    }

    @Test
    void aStorageThatGoesAwayMidwayFailsTheBackupClearlyAndCommitsNothing() throws IOException {
        long calls = cleanBackup()[0];
        List<Long> limits = List.of(0L, 1L, 2L, calls / 4, calls / 2, calls - 3, calls - 2, calls - 1, calls,
                calls + 5);
        List<String> failures = backUpAtEach(limits, (faulty, limit) -> faulty.unreachableAfter(limit),
                e -> assertThat(e).hasMessageMatching("injected: storage unreachable: (write|list|stat|delete) .+"));
        // calls - 3 is the lock's last check, calls - 2 the commit; calls - 1 releases the lock once committed: the
        // backup is whole, and reported as failed all the same
        assertThat(failures).as("failed backups").hasSize(8).filteredOn(f -> f.startsWith("committed: "))
                .singleElement().asString().startsWith("committed: injected: storage unreachable: delete locks/");
    }

    @Test
    void aDiskThatFillsUpFailsTheBackupAtOnceAndCommitsNothing() throws IOException {
        long written = cleanBackup()[1];
        List<String> failures;
        try (RetryWarnings warnings = new RetryWarnings()) {
            // the manifest, written last, holds about 100 bytes per chunk: more than 1,000
            failures = backUpAtEach(List.of(0L, 1L, 2L, written / 4, written / 2, written - 1000, written + 1000),
                    (faulty, limit) -> faulty.fullAfter(limit), e -> assertThat(e)
                            .isInstanceOf(PermanentStorageException.class)
                            .hasMessageMatching("injected: cannot write (locks|chunks|backups)/.+: no space left"));
            assertThat(warnings.messages()).as("retries of a full disk").noneMatch(w -> w.contains("no space left"));
        }
        assertThat(failures).as("failed backups").hasSize(6).noneMatch(f -> f.startsWith("committed"));
    }

    @Test
    void aBackupSomeOfWhoseChunksCannotBeWrittenFailsAtOnceAndCommitsNothing() throws IOException {
        // One chunk folder of the clean backup's, as if another user had made it; then every chunk folder.
        MemoryStorage clean = new MemoryStorage();
        Manifest m = backUp(repository(clean, FaultyStorage.reliable(clean)), 7);
        String folder = m.artifacts().get(0).chunks().get(m.artifacts().get(0).chunks().size() / 2).blobName();
        folder = folder.substring(0, folder.lastIndexOf('/') + 1);
        List<String> failures;
        try (RetryWarnings warnings = new RetryWarnings()) {
            failures = backUpAtEach(List.of("chunks/", folder, "chunks/x"), FaultyStorage::denyWritesUnder,
                    e -> assertThat(e).isInstanceOf(PermanentStorageException.class)
                            .hasMessageStartingWith("injected: permission denied: cannot write chunks/"));
            assertThat(warnings.messages()).as("retries of a denied write").noneMatch(w -> w.contains("denied"));
        }
        assertThat(failures).as("failed backups: every chunk folder denied, one, none").hasSize(2)
                .noneMatch(f -> f.startsWith("committed"));
        assertThat(failures.get(1)).startsWith("injected: permission denied: cannot write " + folder);
    }

    @Test
    void aRestoreThatLosesItsStorageMidwayFailsClearlyAndNeverReturnsWrongBytes() throws IOException {
        MemoryStorage memory = new MemoryStorage();
        FaultyStorage faulty = FaultyStorage.reliable(memory);
        Repository repo = repository(memory, faulty);
        backUp(repo, 9);
        int before = faulty.calls();
        restoreAndCompare(repo, 9);
        long calls = faulty.calls() - before;

        List<String> outcomes = new ArrayList<>();
        for (long limit : List.of(0L, 1L, 2L, calls / 4, calls / 2, calls * 3 / 4, calls - 2, calls - 1, calls + 5)) {
            memory.names().stream().filter(n -> n.startsWith("locks/")).forEach(memory::delete); // a failed one's lock
            faulty.enabled(true);
            faulty.unreachableAfter(limit);
            try {
                restoreAndCompare(repo, 9);
                outcomes.add("restored");
            } catch (IOException e) {
                assertThat(e).as("at limit " + limit).hasMessageContaining("injected: storage unreachable:");
                outcomes.add("failed");
            }
            faulty.unreachableAfter(Long.MAX_VALUE / 2);
        }
        assertThat(outcomes).contains("restored", "failed");
    }

    @Test
    void anInterruptedCallIsNotRetried() throws IOException {
        FaultyStorage faulty = new FaultyStorage(new MemoryStorage(), 1, 1.0, EnumSet.of(FaultyStorage.Fault.ERROR));
        RetryingStorage retrying = new RetryingStorage(faulty, 5, 1);
        try (RetryWarnings warnings = new RetryWarnings()) {
            Thread.currentThread().interrupt(); // as a command stopped by SIGTERM interrupts its threads
            try {
                assertThatThrownBy(() -> retrying.write("chunks/ab/x", new byte[10])).isInstanceOf(IOException.class);
            } finally {
                Thread.interrupted();
            }
            assertThat(warnings.messages()).as("no 'retrying' warning for a stop").isEmpty();
        }
        assertThat(faulty.injected()).as("attempts").isEqualTo(1);
    }

    @Test
    void aFailureRetryingCannotFixIsReportedAtOnce() {
        FaultyStorage faulty = FaultyStorage.reliable(new MemoryStorage()).fullAfter(0);
        RetryingStorage retrying = new RetryingStorage(faulty, 5, 1);
        assertThatThrownBy(() -> retrying.write("chunks/ab/x", new byte[10]))
                .isInstanceOf(PermanentStorageException.class).hasMessageContaining("no space left");
        assertThat(faulty.injected()).as("attempts").isEqualTo(1);
    }

    @Test
    void aChunkThatIsTruncatedOnEveryReadIsReportedAsCorruptNotReturned() throws IOException {
        MemoryStorage memory = new MemoryStorage();
        Repository plain = Repository.init(memory, List.of(), SMALL, 3, new LocalKeyCache(keys));
        Manifest m = backUp(plain, 5);
        Artifact a = m.artifacts().get(0);
        FaultyStorage alwaysShort = new FaultyStorage(memory, 3, 1.0, EnumSet.of(FaultyStorage.Fault.TRUNCATED))
                .inARow(Integer.MAX_VALUE);
        Repository repo = repository(memory, alwaysShort);
        assertThatThrownBy(() -> {
            try (InputStream in = repo.artifactReader(Keys.PLAIN).open(a)) {
                in.readAllBytes();
            }
        }).isInstanceOf(CorruptChunkException.class).hasMessageContaining(a.chunks().get(0).id());
    }

    /** What RetryingStorage warns of (each retry) while it is open. */
    private static final class RetryWarnings implements AutoCloseable {
        private final Logger log = (Logger) LoggerFactory.getLogger(RetryingStorage.class);
        private final ListAppender<ILoggingEvent> appender = new ListAppender<>();

        RetryWarnings() {
            appender.start();
            log.addAppender(appender);
        }

        List<String> messages() {
            return appender.list.stream().map(ILoggingEvent::getFormattedMessage).toList();
        }

        @Override
        public void close() {
            log.detachAppender(appender);
        }
    }
}
