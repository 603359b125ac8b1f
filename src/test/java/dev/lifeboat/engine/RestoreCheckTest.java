package dev.lifeboat.engine;

import dev.lifeboat.core.ErrorCode;
import dev.lifeboat.repository.Artifact;
import dev.lifeboat.repository.BackupStatus;
import dev.lifeboat.repository.ChunkRef;
import dev.lifeboat.repository.ChunkerParams;
import dev.lifeboat.repository.LocalKeyCache;
import dev.lifeboat.repository.Manifest;
import dev.lifeboat.repository.Repository;
import dev.lifeboat.storage.MemoryStorage;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * What a restore refuses before it asks or changes anything, on a repository in memory: a backup recorded as
 * corrupt (unless forced), one with a missing or truncated chunk (always), and which backup it names instead.
 */
class RestoreCheckTest {
    private static final String OLDEST = "20261121T010000Z-aaaaaa";
    private static final String GOOD = "20261121T020000Z-bbbbbb";
    private static final String OTHER_DB = "20261121T030000Z-cccccc";
    private static final String MISSING = "20261121T040000Z-dddddd";
    private static final String CORRUPT_TOO = "20261121T050000Z-eeeeee";
    private static final String VICTIM = "20261121T060000Z-ffffff";
    /** A backup taken since of the same data: it shares the victim's damaged chunk. */
    private static final String SHARES = "20261121T070000Z-999999";

    @TempDir
    Path keyDir;
    MemoryStorage storage;
    Repository repo;

    @BeforeEach
    void repository() throws IOException {
        storage = new MemoryStorage();
        repo = Repository.init(storage, List.of(), new ChunkerParams(16 * 1024, 64 * 1024, 256 * 1024, 42), 3,
                new LocalKeyCache(keyDir));
        backup(OLDEST, "app", chunk('1', 10));
        backup(GOOD, "app", chunk('2', 10), chunk('3', 20));
        backup(OTHER_DB, "billing", chunk('4', 10));
        backup(MISSING, "app", chunk('5', 10), missing('6'));
        backup(CORRUPT_TOO, "app", chunk('7', 10));
        backup(VICTIM, "app", chunk('2', 10), chunk('8', 30));
        backup(SHARES, "app", chunk('8', 30));
        corrupt(CORRUPT_TOO, "read-data");
    }

    @Test
    void aHealthyBackupPassesWithNothingToSay() throws IOException {
        RestoreCheck check = check(GOOD, false);
        assertThat(check.corrupt()).isNull();
        assertThat(check.warning()).isNull();
    }

    @Test
    void aBackupRecordedAsCorruptIsRefusedNamingTheNewestGoodOneOfItsDatabase() throws IOException {
        corrupt(VICTIM, "read-data");
        // newer than GOOD: another database, a missing chunk, corrupt itself, the victim's damaged chunk: so GOOD
        assertThatThrownBy(() -> check(VICTIM, false)).isInstanceOfSatisfying(RestoreCheck.Refused.class, e -> {
            assertThat(e.code()).isEqualTo(ErrorCode.INTEGRITY);
            assertThat(e.getMessage()).isEqualTo("backup " + VICTIM + " is recorded as corrupt by the read-data check "
                    + "of 2026-11-21T07:00:00Z: artifact app.dump: chunk " + id('8') + " is not a valid zstd frame; "
                    + "nothing was changed");
            assertThat(e.hint()).startsWith("restore the newest good backup of app instead: " + GOOD
                    + " (taken 2026-11-21T02:00:00Z); or, to restore this backup anyway, pass --force");
            assertThat(e.newestGood()).isEqualTo(GOOD);
            assertThat(e.database()).isEqualTo("app");
            assertThat(e.forcible()).isTrue();
        });

        RestoreCheck forced = check(VICTIM, true);
        assertThat(forced.corrupt().status()).isEqualTo(BackupStatus.CORRUPT);
        assertThat(forced.newestGood().id()).isEqualTo(GOOD);
        assertThat(forced.warning()).contains("recorded as corrupt").contains("instead: " + GOOD);
    }

    @Test
    void aMissingOrTruncatedChunkIsRefusedEvenWhenForced() throws IOException {
        assertThatThrownBy(() -> check(MISSING, true)).isInstanceOfSatisfying(RestoreCheck.Refused.class, e -> {
            assertThat(e.getMessage()).isEqualTo("backup " + MISSING + ", artifact app.dump: chunk " + id('6')
                    + " is missing from the repository; nothing was changed");
            assertThat(e.hint()).isEqualTo("restore that blob from a replica, or restore the newest good backup of "
                    + "app instead: " + SHARES + " (taken 2026-11-21T07:00:00Z)");
            assertThat(e.forcible()).isFalse();
        });
        storage.write(ChunkRef.blobName(id('8')), new byte[7]); // VICTIM's chunk, cut short
        assertThatThrownBy(() -> check(VICTIM, true)).isInstanceOfSatisfying(RestoreCheck.Refused.class, e -> {
            assertThat(e.getMessage()).contains("chunk " + id('8') + " has 7 bytes, the manifest says 30");
            assertThat(e.newestGood()).isEqualTo(GOOD);
        });
    }

    @Test
    void withNoGoodBackupLeftTheRefusalSaysSo() throws IOException {
        for (String id : List.of(OLDEST, GOOD, SHARES, VICTIM)) {
            corrupt(id, "exists");
        }
        assertThatThrownBy(() -> check(VICTIM, false)).isInstanceOfSatisfying(RestoreCheck.Refused.class, e -> {
            assertThat(e.newestGood()).isNull();
            assertThat(e.hint()).startsWith("no other backup of app is good (not recorded as corrupt, every chunk "
                    + "present)");
        });
    }

    private RestoreCheck check(String id, boolean force) throws IOException {
        Manifest m = repo.manifest(id);
        return RestoreCheck.of(repo, m, m.databaseDumps().get(0), force);
    }

    private void corrupt(String id, String level) throws IOException {
        repo.recordStatus(id, new BackupStatus(BackupStatus.CORRUPT, Instant.parse("2026-11-21T07:00:00Z"), level,
                List.of("artifact app.dump: chunk " + id('8') + " is not a valid zstd frame"), null, null));
    }

    private static String id(char c) {
        return String.valueOf(c).repeat(64);
    }

    /** A chunk of {@code stored} bytes, written to the repository. */
    private ChunkRef chunk(char c, int stored) throws IOException {
        storage.write(ChunkRef.blobName(id(c)), new byte[stored]);
        return new ChunkRef(id(c), stored, stored);
    }

    private static ChunkRef missing(char c) {
        return new ChunkRef(id(c), 10, 10);
    }

    private void backup(String id, String database, ChunkRef... chunks) throws IOException {
        Instant started = Instant.parse(id.substring(0, 4) + "-" + id.substring(4, 6) + "-" + id.substring(6, 8) + "T"
                + id.substring(9, 11) + ":" + id.substring(11, 13) + ":" + id.substring(13, 15) + "Z");
        long size = java.util.Arrays.stream(chunks).mapToLong(ChunkRef::size).sum();
        Artifact dump = new Artifact(database + ".dump", database, Artifact.PG_DUMP_CUSTOM, size, size, "",
                List.of(chunks));
        repo.commit(new Manifest(Manifest.FORMAT_VERSION, id, null, Manifest.COMPLETED, started, started, "test", "h",
                List.of(), List.of(dump), 0, 0, 0, null));
    }
}
