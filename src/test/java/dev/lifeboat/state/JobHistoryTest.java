package dev.lifeboat.state;

import dev.lifeboat.core.ErrorCode;
import dev.lifeboat.core.LifeboatException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

@ParameterizedClass(name = "{0}")
@EnumSource(Backend.class)
class JobHistoryTest extends StateTestBase {
    @Test
    void jobsStartFinishAndListNewestFirst() {
        JobRecord backup = store.jobs().start("backup", "scheduler", Map.of("label", "nightly"));
        assertThat(backup.status()).isEqualTo(JobStatus.RUNNING);
        assertThat(backup.instance()).isNull();
        clock.now = clock.now.plusSeconds(90);
        JobRecord verify = store.jobs().start("verify", "ci", null);

        JobRecord done = store.jobs().finish(backup.id(), JobStatus.SUCCEEDED, "20261121T030000Z-ab12", null);
        assertThat(done.finished()).isEqualTo(Instant.parse("2026-11-21T03:01:30Z"));
        store.jobs().finish(verify.id(), JobStatus.FAILED, null, "chunk ab12 missing");

        List<JobRecord> jobs = store.jobs().recent(10);
        assertThat(jobs).extracting(JobRecord::kind).containsExactly("verify", "backup");
        assertThat(jobs.get(0).status()).isEqualTo(JobStatus.FAILED);
        assertThat(jobs.get(0).error()).isEqualTo("chunk ab12 missing");
        assertThat(jobs.get(1)).isEqualTo(done);
        assertThat(jobs.get(1).details()).containsEntry("label", "nightly");
        assertThat(jobs.get(1).backupId()).isEqualTo("20261121T030000Z-ab12");

        assertThatThrownBy(() -> store.jobs().finish("nope", JobStatus.CANCELLED, null, null))
                .isInstanceOfSatisfying(LifeboatException.class,
                        e -> assertThat(e.code()).isEqualTo(ErrorCode.NOT_FOUND));
    }

    @Test
    void jobsOfOneMillisecondListInReverseStartOrder() {
        for (int i = 0; i < 6; i++) {
            store.jobs().start("verify", "ci", Map.of("n", i));
        }
        assertThat(store.jobs().recent(10)).extracting(j -> j.details().get("n")).containsExactly(5, 4, 3, 2, 1, 0);
        assertThat(store.jobs().recent(2)).hasSize(2);
    }

    @Test
    void theJobsOfOneBackupListNewestFirst() {
        String id = "20261121T030000Z-ab12";
        JobRecord made = store.jobs().start("backup", "scheduler", null);
        store.jobs().finish(made.id(), JobStatus.SUCCEEDED, id, null);
        clock.now = clock.now.plusSeconds(60);
        JobRecord other = store.jobs().start("backup", "scheduler", null);
        store.jobs().finish(other.id(), JobStatus.SUCCEEDED, "20261121T030100Z-cd34", null);
        JobRecord verified = store.jobs().start("verify", "alice", Map.of("backup", id));
        store.jobs().finish(verified.id(), JobStatus.FAILED, id, "chunk ab12 missing");
        JobRecord running = store.jobs().start("verify", "bob", Map.of("backup", id));

        assertThat(store.jobs().forBackup(id, 10)).extracting(JobRecord::id)
                .as("newest first; the running job has no backup id yet").containsExactly(verified.id(), made.id());
        assertThat(store.jobs().forBackup(id, 1)).extracting(JobRecord::id).containsExactly(verified.id());
        assertThat(store.jobs().forBackup("20261121T000000Z-0000", 10)).isEmpty();
        assertThat(store.jobs().recent(10)).extracting(JobRecord::id)
                .containsExactly(running.id(), verified.id(), other.id(), made.id());
    }

    @Test
    void findGivesOneJobWithItsInstance() {
        JobRecord started = store.jobs().start("restore", "alice", "node-a", Map.of("target", "app"));
        assertThat(started.instance()).isEqualTo("node-a");
        assertThat(store.jobs().find(started.id())).contains(started);
        assertThat(store.jobs().find("000000000000")).isEmpty();
        assertThat(store.jobs().find(null)).isEmpty();

        clock.advance(Duration.ofSeconds(5));
        JobRecord done = store.jobs().finish(started.id(), JobStatus.SUCCEEDED, "b1", null);
        assertThat(done.instance()).isEqualTo("node-a");
        assertThat(store.jobs().find(started.id())).contains(done);
    }

    @Test
    void markInterruptedEndsTheRunningJobsOfOneInstanceOnly() {
        JobRecord a1 = store.jobs().start("backup", "scheduler", "node-a", null);
        JobRecord a2 = store.jobs().start("verify", "ci", "node-a", null);
        JobRecord aDone = store.jobs().start("prune", "ci", "node-a", null);
        JobRecord b = store.jobs().start("backup", "scheduler", "node-b", null);
        JobRecord none = store.jobs().start("backup", "cli", null);
        store.jobs().finish(aDone.id(), JobStatus.SUCCEEDED, null, null);
        clock.advance(Duration.ofMinutes(3));

        assertThat(store.jobs().markInterrupted("node-a")).isEqualTo(2);
        for (JobRecord j : List.of(a1, a2)) {
            JobRecord now = store.jobs().find(j.id()).orElseThrow();
            assertThat(now.status()).isEqualTo(JobStatus.INTERRUPTED);
            assertThat(now.finished()).isEqualTo(START.plus(Duration.ofMinutes(3)));
            assertThat(now.error()).isEqualTo("the service stopped before the job ended");
        }
        assertThat(store.jobs().find(aDone.id()).orElseThrow().status()).isEqualTo(JobStatus.SUCCEEDED);
        assertThat(store.jobs().find(b.id()).orElseThrow().status()).isEqualTo(JobStatus.RUNNING);
        assertThat(store.jobs().find(none.id()).orElseThrow().status()).isEqualTo(JobStatus.RUNNING);
        assertThat(store.jobs().markInterrupted("node-a")).as("nothing left to interrupt").isZero();

        assertThat(store.jobs().markInterrupted(null)).as("null means the jobs without instance").isEqualTo(1);
        assertThat(store.jobs().find(none.id()).orElseThrow().status()).isEqualTo(JobStatus.INTERRUPTED);
        assertThat(JobStatus.INTERRUPTED.label()).isEqualTo("interrupted");
    }

    @Test
    void runningMovesTheStartOfAQueuedJobToWhenItRuns() {
        JobRecord queued = store.jobs().start("backup", "alice", "node-a", null);
        assertThat(queued.started()).isEqualTo(START);
        clock.advance(Duration.ofSeconds(42)); // waiting for another instance's job

        assertThat(store.jobs().running(queued.id())).isEqualTo(START.plusSeconds(42));
        JobRecord now = store.jobs().find(queued.id()).orElseThrow();
        assertThat(now.started()).isEqualTo(START.plusSeconds(42));
        assertThat(now.status()).isEqualTo(JobStatus.RUNNING);

        store.jobs().finish(queued.id(), JobStatus.SUCCEEDED, null, null);
        for (String id : List.of(queued.id(), "000000000000")) {
            assertThatThrownBy(() -> store.jobs().running(id)).as(id).isInstanceOfSatisfying(LifeboatException.class,
                    e -> assertThat(e.code()).isEqualTo(ErrorCode.NOT_FOUND));
        }
    }

    @Test
    void lastStartedIsTheNewestStartOfThatKindByThatRequesterWhateverItsStatus() {
        assertThat(store.jobs().lastStarted("backup", "alice")).isEmpty();
        JobRecord first = store.jobs().start("backup", "alice", null);
        clock.advance(Duration.ofMinutes(10));
        JobRecord second = store.jobs().start("backup", "alice", "node-a", null);
        store.jobs().finish(second.id(), JobStatus.FAILED, null, "disk full");
        clock.advance(Duration.ofMinutes(10));
        store.jobs().start("backup", "bob", null);
        store.jobs().start("restore", "alice", null);

        assertThat(store.jobs().lastStarted("backup", "alice")).contains(second.started());
        assertThat(second.started()).isAfter(first.started());
        assertThat(store.jobs().lastStarted("backup", "bob")).contains(START.plus(Duration.ofMinutes(20)));
        assertThat(store.jobs().lastStarted("verify", "alice")).isEmpty();
    }
}
