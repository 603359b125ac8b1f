package dev.lifeboat.web;

import dev.lifeboat.source.postgres.PgRecord;
import dev.lifeboat.source.postgres.TableInfo;
import dev.lifeboat.repository.Artifact;
import dev.lifeboat.repository.BackupEntry;
import dev.lifeboat.repository.BackupStatus;
import dev.lifeboat.repository.Json;
import dev.lifeboat.repository.Manifest;
import dev.lifeboat.retention.Decision;
import dev.lifeboat.service.BackupView;
import dev.lifeboat.state.JobRecord;
import dev.lifeboat.state.JobStatus;
import dev.lifeboat.web.Views.Badge;
import dev.lifeboat.web.Views.JobRow;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

class PagesTest {
    static final Instant NOW = Instant.parse("2026-05-01T12:00:00Z");
    static final ZoneId UTC = ZoneId.of("UTC");

    static Manifest manifest(String id, String label, Instant started, String kind) {
        Manifest.Source source = new PgRecord("127.0.0.1:5432/app", "16.4", "pg_dump 16.4", List.of(new TableInfo("public", "items", 1234, List.of(), List.of())), "UTF8", "C", "C", null).toSource("app");
        Artifact dump = new Artifact("app.dump", "app", "pg_dump-custom", 5_000_000, 1_200_000, "ab".repeat(32), null);
        // as backup --globals writes them: named globals.sql, from the source the backup connected to
        Artifact globals = new Artifact("globals.sql", "app", "pg_dumpall-globals", 2_000, 900, "cd".repeat(32), null);
        return new Manifest(1, id, label, "completed", started, started.plusSeconds(42), "lifeboat 0.1.0", "db1",
                List.of(source), List.of(dump, globals), 5_002_000, 1_200_900, 300_000, kind);
    }

    static BackupView view(String label, BackupStatus status, Decision decision, Instant expires, boolean pinned) {
        Instant started = NOW.minus(Duration.ofHours(3));
        String id = "20260501T090000Z-abcdef";
        return new BackupView(new BackupEntry(id, manifest(id, label, started, null), null, status, pinned), decision,
                expires);
    }

    @Test
    void aListRowSaysWhatAnOperatorNeeds() {
        BackupStatus verified = new BackupStatus("verified", NOW.minusSeconds(600), "read-data", List.of(), null, null);
        var row = Pages.backupRow(view("nightly", verified, new Decision("x", true, List.of("within 30d")),
                NOW.plus(Duration.ofDays(29)), false), NOW, UTC);
        assertThat(row.status().text()).isEqualTo("verified (read-data)");
        assertThat(row.status().tone()).isEqualTo("ok");
        assertThat(row.label()).isEqualTo("nightly");
        assertThat(row.age()).isEqualTo("3 h ago");
        assertThat(row.started()).isEqualTo("2026-05-01 09:00:00 UTC");
        assertThat(row.size()).isEqualTo("4.8 MiB");
        assertThat(row.stored()).isEqualTo("1.1 MiB");
        assertThat(row.verification()).isEqualTo("checked 10 min ago");
        assertThat(row.retention()).isEqualTo("kept until 2026-05-30 12:00:00 UTC (in 29 d)");
        assertThat(row.expiring()).isFalse();
    }

    @Test
    void theStatusSaysWhichCheckItRestsOnAndAnExistenceCheckIsNoSuccess() {
        BackupStatus exists = new BackupStatus("verified", NOW.minusSeconds(60), "exists", List.of(), null, null);
        var onlyExists = Pages.backupRow(view("", exists, null, null, false), NOW, UTC);
        assertThat(onlyExists.status().text()).isEqualTo("verified (exists)");
        assertThat(onlyExists.status().tone()).isEqualTo("info");
        BackupStatus read = new BackupStatus("verified", NOW.minusSeconds(600), "read-data", List.of(), null, null);
        var readThenExists = Pages.backupRow(view("", exists.after(read), null, null, false), NOW, UTC);
        assertThat(readThenExists.status().text()).isEqualTo("verified (read-data)");
        assertThat(readThenExists.verification()).isEqualTo("checked 1 min ago (exists)");
        BackupStatus corrupt = new BackupStatus("corrupt", NOW, "read-data", List.of("chunk x"), null, null);
        var bad = Pages.backupRow(view("", corrupt, null, null, false), NOW, UTC);
        assertThat(bad.status().text()).isEqualTo("corrupt (read-data)");
        assertThat(bad.status().tone()).isEqualTo("bad");
        assertThat(Pages.backupRow(view("", null, null, null, false), NOW, UTC).status().text()).isEqualTo("completed");
    }

    @Test
    void theSummarySaysWhenAnyBackupIsCorrupt() {
        BackupStatus corrupt = new BackupStatus("corrupt", NOW, "read-data", List.of("chunk x"), null, null);
        BackupStatus fine = new BackupStatus("verified", NOW, "read-data", List.of(), null, null);
        assertThat(Pages.corruptSummary(List.of(view("", fine, null, null, false)))).isNull();
        List<BackupView> two = List.of(view("", corrupt, null, null, false), view("", fine, null, null, false),
                view("", corrupt, null, null, false));
        assertThat(Pages.corruptSummary(two)).startsWith("2 backups are recorded as corrupt: a restore of them is "
                + "refused unless forced.");
        assertThat(Pages.corruptIds(two, 1)).containsExactly("20260501T090000Z-abcdef");
    }

    @Test
    void retentionSaysWhenABackupGoesAndWhy() {
        assertThat(Pages.retention(view("", null, new Decision("x", false, List.of("40d old and matched no rule")), null,
                false), NOW, UTC)).isEqualTo("due for removal at the next prune (40d old and matched no rule)");
        assertThat(Pages.retention(view("", null, new Decision("x", true, List.of("pinned")), null, true), NOW, UTC))
                .isEqualTo("pinned: kept until unpinned");
        assertThat(Pages.retention(view("", null, new Decision("x", true, List.of("minimum 3")),
                NOW.minusSeconds(5), false), NOW, UTC)).isEqualTo("kept: minimum 3");
        assertThat(Pages.verification(null, NOW)).isEqualTo("never verified");
    }

    @Test
    void restoreTargetsAreTheDumpsSourcesNotTheGlobals() {
        assertThat(Pages.restoreChoices(manifest("i", null, NOW, null), false))
                .containsExactly(new Views.Choice("database:app", "app"));
        assertThat(Pages.restoreChoices(null, false)).isEmpty();
        // the globals' recorded source is no restore target unless a dump came from it too
        Manifest m = manifest("i", null, NOW, null);
        Manifest all = new Manifest(1, "i", null, "completed", NOW, NOW, "lifeboat 0.1.0", "db1", m.sources(),
                List.of(new Artifact("shop.dump", "shop", "pg_dump-custom", 1, 1, "ef".repeat(32), null),
                        new Artifact("globals.sql", "postgres", "pg_dumpall-globals", 1, 1, "cd".repeat(32), null)),
                2, 2, 2, null);
        assertThat(Pages.restoreChoices(all, false)).extracting(Views.Choice::value).containsExactly("database:shop");
    }

    @Test
    void aStackOffersTheWholeBackupFirstThenEachSource() {
        Manifest m = manifest("i", null, NOW, null);
        var two = new java.util.ArrayList<>(m.sources());
        two.add(new Manifest.Source("files", "uploads", Json.MAPPER.createObjectNode()));
        Manifest stack = new Manifest(2, "i", null, "completed", NOW, NOW, "lifeboat 0.1.0", "db1", two,
                m.artifacts(), 2, 2, 2, null);
        assertThat(Pages.restoreChoices(stack, true)).extracting(Views.Choice::value)
                .containsExactly("stack", "source:" + two.get(0).name(), "source:uploads");
        // one source: the whole backup, hooks and all, without a question
        assertThat(Pages.restoreChoices(m, true)).extracting(Views.Choice::value).containsExactly("stack");
    }

    @Test
    void jobsAboutABackupAreTheLiveOnesThenTheHistory() {
        String id = "20260501T090000Z-abcdef";
        JobRecord made = new JobRecord("j1", "backup", "admin", JobStatus.SUCCEEDED, NOW, NOW, id, null, Map.of());
        JobRecord verified = new JobRecord("j2", "verify", "admin", JobStatus.SUCCEEDED, NOW, NOW, id, null,
                Map.of("backup", id, "drill", false));
        JobRecord justEnded = new JobRecord("j3", "verify", "admin", JobStatus.FAILED, NOW, NOW, id, "boom",
                Map.of("backup", id));
        JobRow running = new JobRow("j4", "verify", Badge.of("running"), "admin", "", "", "", id, null, "");
        JobRow stillLive = new JobRow("j3", "verify", Badge.of("failed"), "admin", "", "", "", id, "boom", "");
        List<JobRow> history = List.of(justEnded, verified, made).stream()
                .map(r -> Pages.jobRow(r, NOW, UTC)).toList();
        assertThat(Pages.jobsAbout(List.of(running, stillLive), history)).extracting(JobRow::id)
                .containsExactly("j4", "j3", "j2", "j1");
        assertThat(Pages.jobsAbout(List.of(), history)).extracting(JobRow::id).containsExactly("j3", "j2", "j1");
    }

    @Test
    void detailsAreOneLineOfText() {
        assertThat(Pages.details(Map.of("drill", false))).isEqualTo("drill=false");
        assertThat(Pages.text(List.of("a", "b"))).isEqualTo("a, b");
        assertThat(Pages.entries(Map.of("logicalBytes", 2048)).get(0).value()).isEqualTo("2.0 KiB (2048 bytes)");
    }
}
