package dev.lifeboat.service;

import dev.lifeboat.core.ErrorCode;
import dev.lifeboat.core.LifeboatException;
import dev.lifeboat.state.JobRecord;
import dev.lifeboat.state.JobStatus;
import dev.lifeboat.state.StateStore;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The job queue on a real SQLite state store: one at a time, no duplicates, every end recorded. */
class JobsTest {
    @TempDir
    Path dir;
    StateStore state;
    Jobs jobs;

    @BeforeEach
    void open() {
        state = StateStore.open(dir);
        jobs = new Jobs(state, "test:1", JobGate.LOCAL, Clock.systemUTC());
    }

    @AfterEach
    void close() {
        jobs.shutdown(Duration.ofSeconds(5));
        state.close();
    }

    private JobRecord record(Job j) {
        return state.jobs().find(j.id()).orElseThrow();
    }

    @Test
    void jobsRunOneAtATimeInTheOrderTheyCame() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        List<String> order = new CopyOnWriteArrayList<>();
        Job first = jobs.submit(JobKind.BACKUP, null, "alice", Map.of(), job -> {
            order.add("first start");
            release.await();
            order.add("first end");
            return Map.of("id", "b1");
        });
        Job second = jobs.submit(JobKind.VERIFY, "b0", "bob", Map.of(), job -> {
            order.add("second");
            return Map.of("id", "b0", "status", "verified");
        });
        awaitState(first, Job.State.RUNNING);
        assertThat(second.state()).isEqualTo(Job.State.QUEUED);
        assertThat(record(second).status()).isEqualTo(JobStatus.RUNNING); // recorded when accepted
        release.countDown();
        second.done().get(10, TimeUnit.SECONDS);
        assertThat(order).containsExactly("first start", "first end", "second");
        assertThat(first.state()).isEqualTo(Job.State.SUCCEEDED);
        assertThat(record(first).status()).isEqualTo(JobStatus.SUCCEEDED);
        assertThat(record(first).backupId()).isEqualTo("b1");
        assertThat(record(first).instance()).isEqualTo("test:1");
        assertThat(second.result()).containsEntry("status", "verified");
    }

    @Test
    void anEqualJobIsRefusedNamingTheOneThatHoldsTheSlot() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        Job running = jobs.submit(JobKind.BACKUP, null, "alice", Map.of(), job -> {
            release.await();
            return Map.of();
        });
        assertThatThrownBy(() -> jobs.submit(JobKind.BACKUP, null, "bob", Map.of(), job -> Map.of()))
                .isInstanceOfSatisfying(LifeboatException.class, e -> {
                    assertThat(e.code()).isEqualTo(ErrorCode.LOCKED);
                    assertThat(e.getMessage()).contains(running.id()).contains("alice");
                });
        // another kind, or the same kind on another backup, queues
        Job verify = jobs.submit(JobKind.VERIFY, "b1", "bob", Map.of(), job -> Map.of());
        Job verify2 = jobs.submit(JobKind.VERIFY, "b2", "bob", Map.of(), job -> Map.of());
        release.countDown();
        verify2.done().get(10, TimeUnit.SECONDS);
        assertThat(List.of(running.state(), verify.state(), verify2.state())).containsOnly(Job.State.SUCCEEDED);
        assertThat(state.jobs().recent(10)).hasSize(3); // the refused one left no row
        // once it ended, the same kind may run again
        jobs.submit(JobKind.BACKUP, null, "bob", Map.of(), job -> Map.of()).done().get(10, TimeUnit.SECONDS);
    }

    @Test
    void aFailureIsRecordedWithItsMessageAndCode() throws Exception {
        Job j = jobs.submit(JobKind.RESTORE, "b1", "alice", Map.of(), job -> {
            throw new LifeboatException(ErrorCode.DATABASE, "cannot connect to db:5432", "check the server");
        });
        j.done().get(10, TimeUnit.SECONDS);
        assertThat(j.state()).isEqualTo(Job.State.FAILED);
        assertThat(j.failure().code()).isEqualTo(ErrorCode.DATABASE);
        assertThat(j.failure().hint()).isEqualTo("check the server");
        assertThat(record(j).status()).isEqualTo(JobStatus.FAILED);
        assertThat(record(j).error()).isEqualTo("cannot connect to db:5432");
    }

    @Test
    void aFailureWithAResultFailsTheJobAndKeepsWhatItFound() throws Exception {
        // a verify that found damage: failed, not succeeded, and what it found stays with the job
        Map<String, Object> found = new java.util.LinkedHashMap<>();
        found.put("id", "b1");
        found.put("status", "corrupt");
        found.put("ok", false);
        found.put("problems", List.of("artifact a.dump: chunk x is not a valid zstd frame"));
        Job j = jobs.submit(JobKind.VERIFY, "b1", "alice", Map.of(), job -> {
            throw new JobFailure(ErrorCode.INTEGRITY, "backup b1 is corrupt: artifact a.dump: chunk x is not a valid "
                    + "zstd frame", "restore the blob from a replica", found, null);
        });
        j.done().get(10, TimeUnit.SECONDS);
        assertThat(j.state()).isEqualTo(Job.State.FAILED);
        assertThat(j.failure().code()).isEqualTo(ErrorCode.INTEGRITY);
        assertThat(j.result()).containsExactlyEntriesOf(found);
        assertThat(record(j).status()).isEqualTo(JobStatus.FAILED);
        assertThat(record(j).backupId()).isEqualTo("b1");
        assertThat(record(j).error()).startsWith("backup b1 is corrupt");
    }

    @Test
    void aStorageFailureIsTheUsersToFixNotAnUnexpectedError() throws Exception {
        // a scheduled backup into a full disk: the job says so, and what to do, instead of "unexpected error"
        Job j = jobs.submit(JobKind.BACKUP, null, "schedule", Map.of(), job -> {
            throw new dev.lifeboat.storage.PermanentStorageException(
                    "cannot write chunks/ab/ab01 in /srv/backups: no space left on its file system", "free space there", null);
        });
        j.done().get(10, TimeUnit.SECONDS);
        assertThat(j.state()).isEqualTo(Job.State.FAILED);
        assertThat(j.failure().code()).isEqualTo(ErrorCode.STORAGE);
        assertThat(j.failure().hint()).isEqualTo("free space there");
        assertThat(record(j).error()).isEqualTo("cannot write chunks/ab/ab01 in /srv/backups: no space left on its file system");
    }

    @Test
    void shutdownInterruptsTheRunningJobAfterTheGraceAndCancelsQueuedOnes() throws Exception {
        CountDownLatch started = new CountDownLatch(1);
        Job running = jobs.submit(JobKind.BACKUP, null, "alice", Map.of(), job -> {
            started.countDown();
            Thread.sleep(60_000);
            return Map.of();
        });
        Job queued = jobs.submit(JobKind.PRUNE, null, "alice", Map.of(), job -> Map.of());
        assertThat(started.await(10, TimeUnit.SECONDS)).isTrue();
        long t0 = System.nanoTime();
        jobs.shutdown(Duration.ofMillis(200));
        assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(20));
        assertThat(running.state()).isEqualTo(Job.State.INTERRUPTED);
        assertThat(record(running).status()).isEqualTo(JobStatus.INTERRUPTED);
        assertThat(record(queued).status()).isEqualTo(JobStatus.CANCELLED);
        assertThatThrownBy(() -> jobs.submit(JobKind.BACKUP, null, "alice", Map.of(), job -> Map.of()))
                .hasMessageContaining("shutting down");
    }

    @Test
    void shutdownLetsARunningJobFinishWithinTheGrace() throws Exception {
        CountDownLatch started = new CountDownLatch(1);
        Job running = jobs.submit(JobKind.BACKUP, null, "alice", Map.of(), job -> {
            started.countDown();
            Thread.sleep(300);
            return Map.of("id", "b9");
        });
        assertThat(started.await(10, TimeUnit.SECONDS)).isTrue();
        jobs.shutdown(Duration.ofSeconds(10));
        assertThat(running.state()).isEqualTo(Job.State.SUCCEEDED);
        assertThat(record(running).status()).isEqualTo(JobStatus.SUCCEEDED);
    }

    @Test
    void jobsLeftRunningByADeadInstanceAreMarkedInterruptedAtItsNextStart() {
        JobRecord left = state.jobs().start("backup", "scheduler", "test:1", Map.of());
        JobRecord other = state.jobs().start("backup", "scheduler", "other:2", Map.of());
        assertThat(state.jobs().markInterrupted("test:1")).isEqualTo(1);
        assertThat(state.jobs().find(left.id()).orElseThrow().status()).isEqualTo(JobStatus.INTERRUPTED);
        assertThat(state.jobs().find(other.id()).orElseThrow().status()).isEqualTo(JobStatus.RUNNING);
    }

    private static void awaitState(Job j, Job.State s) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (j.state() != s) {
            assertThat(System.nanoTime()).as("job reaching %s", s).isLessThan(deadline);
            Thread.sleep(10);
        }
    }
}
