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

    @Test
    void eachSourceShowsItsNewestBackupSizeAndWhetherAVerifyFoundItDamaged() {
        ServiceMetrics metrics = new ServiceMetrics(Optional::empty, () -> 0);
        var none = dev.lifeboat.repository.Json.MAPPER.createObjectNode();
        List<Manifest.Source> two = List.of(new Manifest.Source("postgresql", "app", none),
                new Manifest.Source("files", "uploads", none));
        List<dev.lifeboat.repository.Artifact> artifacts = List.of(
                new dev.lifeboat.repository.Artifact("app.dump", "app", "pg_dump-custom", 1000, 300, "ab".repeat(32),
                        null),
                new dev.lifeboat.repository.Artifact("uploads.tree", "uploads", "files-tree", 50, 20, "cd".repeat(32),
                        null),
                new dev.lifeboat.repository.Artifact("uploads.data", "uploads", "files-data", 5000, 4000,
                        "ef".repeat(32), null));
        String old = "20260501T080000Z-aaaaaa";
        String id = "20260501T090000Z-bbbbbb";
        Manifest older = new Manifest(2, old, null, Manifest.COMPLETED, T.minusSeconds(3600), T.minusSeconds(3600),
                "t", "h", List.of(two.get(0)), List.of(artifacts.get(0)), 1000, 300, 300, null);
        Manifest newest = new Manifest(2, id, null, Manifest.COMPLETED, T, T.plusSeconds(60), "t", "h", two,
                artifacts, 6050, 4320, 4020, null);
        metrics.seed(List.of(new BackupEntry(old, older, null, null, false), new BackupEntry(id, newest, null,
                check("corrupt", "read-data", "artifact uploads.data: chunk x is missing"), false)));
        String text = metrics.scrape();
        assertThat(text)
                .contains("lifeboat_source_last_backup_bytes{source=\"uploads\",type=\"files\"} 5050.0")
                .contains("lifeboat_source_last_stored_bytes{source=\"uploads\",type=\"files\"} 4020.0")
                .contains("lifeboat_source_corrupt{source=\"uploads\",type=\"files\"} 1.0")
                .contains("lifeboat_source_corrupt{source=\"app\",type=\"postgresql\"} 0.0")
                .contains("lifeboat_source_last_backup_bytes{source=\"app\",type=\"postgresql\"} 1000.0")
                .containsPattern("lifeboat_source_last_backup_timestamp_seconds\\{source=\"app\",type=\"postgresql\"} "
                        + "1\\.77763686E9");
    }
}
