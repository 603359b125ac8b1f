package dev.lifeboat.service;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

/** What a running job tells the API and the web UI about its progress: sizes known, estimated, or neither. */
class JobProgressTest {
    private static Job job() {
        return new Job("j1", JobKind.BACKUP, null, "alice", Instant.EPOCH);
    }

    @Test
    void aKnownTotalGivesTheTimeLeftAtTheRateSoFar() {
        Job j = job();
        long t0 = System.nanoTime();
        j.start("restore app.dump", 400);
        j.update(100);
        assertThat(j.expectedBytes()).isEqualTo(400);
        assertThat(j.expectedIsEstimate()).isFalse();
        // 100 of 400 bytes in 2 s: 6 s left (the start was recorded just after t0: a little less)
        assertThat(j.remaining(t0 + 2_000_000_000L)).isBetween(Duration.ofMillis(5_500), Duration.ofSeconds(6));
        assertThat(j.remaining(t0 + 500_000_000L)).as("too early to tell").isNull();
    }

    @Test
    void aDumpShowsItsEstimateUntilItOutgrowsIt() {
        Job j = job();
        j.startEstimated("backup app", () -> 1000);
        assertThat(j.totalBytes()).isEqualTo(-1);
        j.update(250);
        assertThat(j.expectedBytes()).isEqualTo(1000);
        assertThat(j.expectedIsEstimate()).isTrue();
        assertThat(j.remaining(System.nanoTime() + 3_000_000_000L)).isNotNull();
        j.update(1001); // the guess was short: no size and no time left rather than wrong ones
        assertThat(j.expectedBytes()).isEqualTo(-1);
        assertThat(j.expectedIsEstimate()).isFalse();
        assertThat(j.remaining(System.nanoTime() + 3_000_000_000L)).isNull();
    }

    @Test
    void noEstimateAndTheNextTaskForgetTheGuess() {
        Job j = job();
        j.startEstimated("backup app", () -> -1);
        j.update(10);
        assertThat(j.expectedBytes()).isEqualTo(-1);
        j.startEstimated("backup app", () -> 500);
        j.step("All data sent; pg_restore is building indexes");
        assertThat(j.expectedBytes()).isEqualTo(-1);
        assertThat(j.task()).startsWith("All data sent");
        j.start("backup billing", -1);
        assertThat(j.expectedBytes()).isEqualTo(-1);
    }
}
