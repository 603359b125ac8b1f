package dev.lifeboat.storage.faults;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.lifeboat.core.ErrorCode;
import dev.lifeboat.core.LifeboatException;
import dev.lifeboat.engine.BackupEngine;
import dev.lifeboat.engine.BackupRequest;
import dev.lifeboat.engine.Progress;
import dev.lifeboat.engine.RestoreEngine;
import dev.lifeboat.engine.RestoreRequest;
import dev.lifeboat.engine.UserErrors;
import dev.lifeboat.source.postgres.PgTools;
import dev.lifeboat.repository.ChunkerParams;
import dev.lifeboat.repository.Keys;
import dev.lifeboat.repository.LocalKeyCache;
import dev.lifeboat.repository.Manifest;
import dev.lifeboat.repository.Repository;
import dev.lifeboat.storage.local.LocalStorage;
import dev.lifeboat.storage.retry.RetryingStorage;
import dev.lifeboat.testing.PgCluster;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.slf4j.LoggerFactory;

import java.nio.file.Path;
import java.time.Clock;
import java.util.EnumSet;
import java.util.List;
import java.util.SortedMap;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

/**
 * The real BackupEngine and RestoreEngine, built in this JVM as the CLI builds them, back up a PostgreSQL database
 * and restore it into a new one through {@link FaultyStorage} over a {@link LocalStorage} and the real
 * {@link RetryingStorage}. Transient errors, timeouts and short reads are retried: the backup is committed and the
 * restored database holds the same rows. A storage gone midway, a full disk and a chunk folder of another user fail
 * the backup with an error that says so, and nothing is committed; a restore that loses its storage midway fails
 * so too, and leaves no database behind. {@link FaultInjectionTest} runs many more cases on the repository alone.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class FaultInjectionIT {
    private static final String SOURCE = "faults_src";
    /** Small chunks, so that a dump of a few MB makes about a hundred of them and faults have room to land. */
    private static final ChunkerParams SMALL = new ChunkerParams(8 * 1024, 32 * 1024, 128 * 1024, 7);

    @TempDir
    Path work;

    private PgCluster pg;
    private PgTools tools;
    private SortedMap<String, String> rows;
    private final AtomicInteger repositories = new AtomicInteger();

    @BeforeAll
    void createSource() {
        pg = PgCluster.shared();
        tools = PgTools.search(List.of(pg.binDir()), dev.lifeboat.source.postgres.LockWait.DEFAULT);
        pg.dropDatabase(SOURCE);
        pg.createDatabase(SOURCE);
        pg.psql(SOURCE, """
                create table accounts(id bigint primary key, name text not null, balance numeric(12, 2));
                insert into accounts select g, 'account ' || md5(g::text), g * 1.25 from generate_series(1, 30000) g;
                create table events(id bigserial primary key, account bigint references accounts, body bytea);
                insert into events(account, body)
                    select 1 + g % 30000, decode(repeat(md5(g::text), 4), 'hex') from generate_series(1, 20000) g;
                create index on events(account);
                """);
        rows = pg.tableRows(SOURCE);
    }

    @AfterAll
    void dropDatabases() {
        if (pg != null) {
            for (String db : pg.psql("postgres", "select datname from pg_database where datname like 'faults_%'")
                    .lines().map(String::strip).filter(l -> !l.isEmpty()).toList()) {
                pg.dropDatabase(db);
            }
        }
    }

    /** A new repository's folder. */
    private Path newRepository() throws Exception {
        Path dir = work.resolve("repo-" + repositories.incrementAndGet());
        Repository.init(new LocalStorage(dir), List.of(), SMALL, 3, new LocalKeyCache(work.resolve("keys")));
        return dir;
    }

    /** The repository in {@code dir} through {@code faulty}, retried as {@code RetryingStorage.wrap} does. */
    private static Repository open(FaultyStorage faulty) throws Exception {
        faulty.enabled(false);
        Repository repo = Repository.open(new RetryingStorage(faulty, 4, 5));
        faulty.enabled(true);
        return repo;
    }

    private Manifest backUp(Repository repo) throws Exception {
        Keys keys = repo.writeKeys(new LocalKeyCache(work.resolve("keys")), List.of());
        return new BackupEngine(repo, keys, tools, Progress.NONE, Clock.systemUTC())
                .run(new BackupRequest(List.of(pg.url(SOURCE)), false, false, "faults", 3, 2, null));
    }

    private RestoreEngine.Result restore(Repository repo, String id, String target) throws Exception {
        return new RestoreEngine(repo, Keys.PLAIN, tools, Progress.NONE, (question, expected) -> true, notice -> {})
                .run(new RestoreRequest(id, null, pg.url(target), true, List.of(), false, true));
    }

    /** The committed backups, seen without faults. */
    private static List<String> committed(Path dir) throws Exception {
        return Repository.open(new LocalStorage(dir)).backupIds();
    }

    private boolean exists(String db) {
        return pg.psql("postgres", "select count(*) from pg_database where datname = '" + db + "'").strip().equals("1");
    }

    @ParameterizedTest
    @EnumSource(value = FaultyStorage.Fault.class, names = {"ERROR", "TIMEOUT", "SHORT_READ"})
    void transientFaultsAreRetriedAndTheRestoredDatabaseHoldsTheSameRows(FaultyStorage.Fault fault) throws Exception {
        Path dir = newRepository();
        FaultyStorage faulty = new FaultyStorage(new LocalStorage(dir), fault.ordinal() + 11, 0.3, EnumSet.of(fault));
        Repository repo = open(faulty);

        Manifest m = backUp(repo);
        assertThat(committed(dir)).containsExactly(m.id());
        int duringBackup = faulty.injected();
        String target = "faults_" + fault.name().toLowerCase();
        pg.dropDatabase(target);
        restore(repo, m.id(), target);

        assertThat(pg.tableRows(target)).isEqualTo(rows);
        if (fault != FaultyStorage.Fault.SHORT_READ) { // a backup into a new repository reads no blob
            assertThat(duringBackup).as(fault + " faults in the backup").isGreaterThan(10);
        }
        assertThat(faulty.injected() - duringBackup).as(fault + " faults in the restore").isGreaterThan(5);
        pg.dropDatabase(target);
    }

    /** How many calls and bytes a backup into a new repository makes when nothing fails. */
    private long[] cleanBackup() throws Exception {
        FaultyStorage counting = FaultyStorage.reliable(new LocalStorage(newRepository()));
        Repository repo = open(counting);
        int calls = counting.calls();
        long written = counting.written();
        backUp(repo);
        return new long[] {counting.calls() - calls, counting.written() - written};
    }

    /** What a backup through {@code faulty} threw, checked to be the user error {@code expected} names. */
    private Throwable failedBackup(FaultyStorage faulty, String expected) throws Exception {
        Throwable thrown = catchThrowable(() -> backUp(open(faulty)));
        assertThat(thrown).as("the backup's failure").isNotNull();
        LifeboatException user = UserErrors.of(thrown);
        assertThat(user).as("as the user sees " + thrown).isNotNull();
        assertThat(user.code()).isEqualTo(ErrorCode.STORAGE);
        assertThat(user.getMessage()).matches(expected);
        return thrown;
    }

    @Test
    void aStorageGoneMidwayFailsTheBackupClearlyAndCommitsNothing() throws Exception {
        long calls = cleanBackup()[0];
        Path dir = newRepository();
        FaultyStorage faulty = FaultyStorage.reliable(new LocalStorage(dir));
        faulty.unreachableAfter(calls / 2 + 2); // the calls of open() come first

        failedBackup(faulty, "injected: storage unreachable: (write|list|stat|delete) .+");
        assertThat(committed(dir)).isEmpty();
    }

    @Test
    void aFullDiskOrAFolderOfAnotherUserFailsTheBackupAtOnceAndCommitsNothing() throws Exception {
        long written = cleanBackup()[1];
        Logger log = (Logger) LoggerFactory.getLogger(RetryingStorage.class);
        ListAppender<ILoggingEvent> warnings = new ListAppender<>();
        warnings.start();
        log.addAppender(warnings);
        try {
            Path full = newRepository();
            failedBackup(FaultyStorage.reliable(new LocalStorage(full)).fullAfter(written / 2),
                    "injected: cannot write chunks/.+: no space left");
            assertThat(committed(full)).isEmpty();

            Path denied = newRepository();
            failedBackup(FaultyStorage.reliable(new LocalStorage(denied)).denyWritesUnder("chunks/"),
                    "injected: permission denied: cannot write chunks/.+");
            assertThat(committed(denied)).isEmpty();
        } finally {
            log.detachAppender(warnings);
        }
        assertThat(warnings.list).extracting(ILoggingEvent::getFormattedMessage).as("retries")
                .noneMatch(w -> w.contains("no space left") || w.contains("permission denied"));
    }

    @Test
    void aLockThatCannotBeRemovedAfterTheCommitIsAWarningNotAFailedBackup() throws Exception {
        Path dir = newRepository();
        FaultyStorage faulty = FaultyStorage.reliable(new LocalStorage(dir));
        Repository repo = open(faulty);
        faulty.denyDeletesUnder("locks/");
        Logger log = (Logger) LoggerFactory.getLogger(BackupEngine.class);
        ListAppender<ILoggingEvent> warnings = new ListAppender<>();
        warnings.start();
        log.addAppender(warnings);
        Manifest m;
        try {
            m = backUp(repo); // returns: the backup is committed, so a caller must not retry it
        } finally {
            log.detachAppender(warnings);
        }
        assertThat(committed(dir)).containsExactly(m.id());
        assertThat(warnings.list).extracting(ILoggingEvent::getFormattedMessage).singleElement().asString()
                .contains("backup " + m.id() + " is committed").contains("locks/").contains("permission denied");
        faulty.denyDeletesUnder(null);
        pg.dropDatabase("faults_lock");
        restore(repo, m.id(), "faults_lock");
        assertThat(pg.tableRows("faults_lock")).isEqualTo(rows);
        pg.dropDatabase("faults_lock");
    }

    @Test
    void aRestoreThatLosesItsStorageMidwayFailsClearlyAndLeavesNoDatabase() throws Exception {
        Path dir = newRepository();
        FaultyStorage faulty = FaultyStorage.reliable(new LocalStorage(dir));
        Repository repo = open(faulty);
        String id = backUp(repo).id();
        pg.dropDatabase("faults_clean");
        int before = faulty.calls();
        restore(repo, id, "faults_clean");
        int calls = faulty.calls() - before;
        assertThat(pg.tableRows("faults_clean")).isEqualTo(rows);
        pg.dropDatabase("faults_clean");

        pg.dropDatabase("faults_cut");
        faulty.unreachableAfter(calls * 2L / 3); // while the chunks are read, pg_restore in its transaction
        Throwable thrown = catchThrowable(() -> restore(repo, id, "faults_cut"));

        assertThat(thrown).as("the restore's failure").isNotNull();
        LifeboatException user = UserErrors.of(thrown);
        assertThat(user).as("as the user sees " + thrown).isNotNull();
        assertThat(user.code()).isEqualTo(ErrorCode.STORAGE);
        assertThat(user.getMessage()).startsWith("injected: storage unreachable: read chunks/");
        assertThat(exists("faults_cut")).as("the database the restore created").isFalse();
    }
}
