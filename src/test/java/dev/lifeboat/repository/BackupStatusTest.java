package dev.lifeboat.repository;

import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** Which check a backup's status rests on: what list and the web UI show beside the status, and what the metrics count. */
class BackupStatusTest {
    private static final Instant T = Instant.parse("2026-05-01T12:00:00Z");

    /** Checks as verify records them, oldest first: each pushes the one before it into the history. */
    private static BackupStatus checks(BackupStatus... oldestFirst) {
        BackupStatus s = null;
        for (BackupStatus c : oldestFirst) {
            s = c.after(s);
        }
        return s;
    }

    private static BackupStatus check(String status, String level, String... problems) {
        return new BackupStatus(status, T, level, List.of(problems), null, null);
    }

    private static BackupEntry entry(BackupStatus status) {
        Manifest m = new Manifest(1, "20260501T090000Z-abcdef", null, Manifest.COMPLETED, T, T, "t", "h", List.of(),
                List.of(), 0, 0, 0, null);
        return new BackupEntry(m.id(), m, null, status, false);
    }

    @Test
    void aVerifiedStatusRestsOnTheMostThoroughCheckSinceItWasGiven() {
        assertThat(check("verified", "exists").statusLevel()).isEqualTo("exists");
        // a chunks-exist check after a full read keeps the read
        assertThat(checks(check("verified", "read-data"), check("verified", "exists")).statusLevel())
                .isEqualTo("read-data");
        assertThat(checks(check("verified", "read-data-subset 1/10"), check("verified", "exists")).statusLevel())
                .isEqualTo("read-data-subset 1/10");
        assertThat(checks(check("drilled", "drill"), check("drilled", "exists"), check("drilled", "read-data-subset 2/2"))
                .statusLevel()).isEqualTo("drill");
        // a read before the backup was found corrupt does not count for it once it is verified again by existence
        assertThat(checks(check("verified", "read-data"), check("corrupt", "exists", "chunk x is missing"),
                check("verified", "exists")).statusLevel()).isEqualTo("exists");
    }

    @Test
    void aCorruptStatusRestsOnTheCheckThatFoundTheDamage() {
        BackupStatus found = check("corrupt", "read-data", "artifact a.dump: chunk x is not a valid zstd frame");
        // a passing existence check keeps it corrupt and finds nothing itself
        BackupStatus kept = checks(check("verified", "exists"), found, check("corrupt", "exists"));
        assertThat(kept.statusLevel()).isEqualTo("read-data");
        assertThat(kept.finding().problems()).containsExactly("artifact a.dump: chunk x is not a valid zstd frame");
        assertThat(check("corrupt", "exists").finding().level()).isEqualTo("exists");
    }

    @Test
    void levelsRankFromExistenceToDrill() {
        assertThat(List.of("exists", "read-data-subset 3/7", "read-data", "drill")).extracting(BackupStatus::rank)
                .containsExactly(0, 1, 2, 3);
        assertThat(BackupStatus.rank(null)).isZero();
        assertThat(BackupStatus.rank("something new")).isZero();
    }

    @Test
    void anEntryShowsItsStatusWithTheLevelAndWhetherItWasEverRead() {
        assertThat(entry(null).statusWithLevel()).isEqualTo("completed");
        assertThat(entry(null).verifiedBeyondExistence()).isFalse();
        assertThat(entry(check("verified", "exists")).statusWithLevel()).isEqualTo("verified (exists)");
        assertThat(entry(check("verified", "exists")).verifiedBeyondExistence()).isFalse();
        BackupEntry read = entry(checks(check("verified", "read-data"), check("verified", "exists")));
        assertThat(read.statusWithLevel()).isEqualTo("verified (read-data)");
        assertThat(read.verifiedBeyondExistence()).isTrue();
        assertThat(read.summary()).containsEntry("status", "verified").containsEntry("statusLevel", "read-data");
        assertThat(entry(check("drilled", "drill")).statusWithLevel()).isEqualTo("drilled (drill)");
        BackupEntry corrupt = entry(check("corrupt", "read-data", "p"));
        assertThat(corrupt.statusWithLevel()).isEqualTo("corrupt (read-data)");
        assertThat(corrupt.verifiedBeyondExistence()).isFalse();
        assertThat(new BackupEntry("20260501T090000Z-abcdef", null, "not JSON", null, false).statusWithLevel())
                .isEqualTo("corrupt (manifest)");
    }
}
