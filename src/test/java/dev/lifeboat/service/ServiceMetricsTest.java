package dev.lifeboat.service;

import dev.lifeboat.core.ErrorCode;
import dev.lifeboat.repository.BackupEntry;
import dev.lifeboat.repository.BackupStatus;
import dev.lifeboat.repository.Manifest;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;

/** What /metrics says of corrupt and unread backups and of a verify that found damage: what an alert fires on. */
class ServiceMetricsTest {
    private static final Instant T = Instant.parse("2026-05-01T12:00:00Z");

    private static BackupEntry entry(String suffix, BackupStatus status) {
        String id = "20260501T0900" + suffix + "Z-abcdef";
        Manifest m = new Manifest(1, id, null, Manifest.COMPLETED, T, T, "t", "h", List.of(), List.of(), 0, 0, 0, null);
        return new BackupEntry(id, m, null, status, false);
    }

    private static BackupStatus check(String status, String level, String... problems) {
        return new BackupStatus(status, T, level, List.of(problems), null, null);
    }

    @Test
    void corruptAndUnreadBackupsAreCountedAndAFailedVerifyIsAFailure() {
        ServiceMetrics metrics = new ServiceMetrics(Optional::empty, () -> 0);
        String before = metrics.scrape();
        assertThat(before).contains("lifeboat_backups_corrupt -1.0").contains("lifeboat_backups_unverified -1.0")
                .contains("lifeboat_job_failures_total{kind=\"verify\"} 0.0");

        metrics.seed(List.of(
                entry("00", null), // never verified
                entry("01", check("verified", "exists")), // only its chunks' existence
                entry("02", check("verified", "read-data")),
                entry("03", check("drilled", "drill")),
                entry("04", check("corrupt", "read-data", "artifact a.dump: chunk x is not a valid zstd frame")),
                new BackupEntry("20260501T090500Z-abcdef", null, "not valid JSON", null, false)));
        Job verify = new Job("j1", JobKind.VERIFY, "20260501T090400Z-abcdef", "alice", T);
        verify.running(T);
        verify.end(Job.State.FAILED, T.plusSeconds(3), Map.of("status", "corrupt", "ok", false),
                new Job.Failure(ErrorCode.INTEGRITY, "backup ... is corrupt", null));
        metrics.jobEnded(verify);

        String text = metrics.scrape();
        assertThat(text).contains("lifeboat_backups_corrupt 2.0").contains("lifeboat_backups_unverified 2.0")
                .contains("lifeboat_repository_backups 6.0")
                .contains("lifeboat_job_failures_total{kind=\"verify\"} 1.0")
                .contains("lifeboat_job_runs_total{kind=\"verify\",result=\"failed\"} 1.0")
                .containsPattern("(?m)^lifeboat_job_last_success_timestamp_seconds\\{kind=\"verify\"} 0\\.0$");
    }
}
