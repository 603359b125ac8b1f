package dev.lifeboat.service;

import dev.lifeboat.retention.RetentionPolicy;
import dev.lifeboat.schedule.CronSchedule;
import dev.lifeboat.testing.MutableClock;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;

/** The scheduler loop driven by a simulated clock: every slot fires once, missed runs once, DST neither skips nor doubles. */
class LocalSchedulerTest {
    record Fired(Instant slot, boolean missed, Instant at) {}

    /** Sleeping advances the simulated clock to the wake-up time. */
    static final class AdvancingSleeper implements LocalScheduler.Sleeper {
        final MutableClock clock;

        AdvancingSleeper(MutableClock clock) {
            this.clock = clock;
        }

        @Override
        public void sleepUntil(Instant until) {
            if (until.isAfter(clock.now)) {
                clock.now = until;
            }
        }

        @Override
        public void wake() {}
    }

    private final List<Fired> fired = new ArrayList<>();

    private LocalScheduler scheduler(MutableClock clock, AtomicReference<ServiceConfig> config, Instant lastRun) {
        return new LocalScheduler(config::get, clock, (slot, missed) -> fired.add(new Fired(slot, missed, clock.now)),
                () -> Optional.ofNullable(lastRun), new AdvancingSleeper(clock));
    }

    private static AtomicReference<ServiceConfig> config(String cron, String zone, boolean runMissed) {
        return new AtomicReference<>(new ServiceConfig(CronSchedule.parse(cron, ZoneId.of(zone)),
                RetentionPolicy.DEFAULT, runMissed));
    }

    /** Runs the loop until the simulated clock passes {@code end}. */
    private static void runUntil(LocalScheduler s, MutableClock clock, Instant end) throws InterruptedException {
        s.startUp();
        int steps = 0;
        while (clock.now.isBefore(end)) {
            s.step();
            assertThat(++steps).as("steps").isLessThan(1_000_000);
        }
    }

    /**
     * An Error in one tick (the security review's 900 KB schedule ended in an OutOfMemoryError; a real one is not
     * thrown here, since Surefire ends a forked JVM that logs one) leaves the scheduler running.
     */
    @Test
    void theSchedulerThreadSurvivesAnErrorOfOneTickAndFiresTheNextSlot() throws Exception {
        MutableClock clock = new MutableClock(Instant.now());
        AtomicReference<ServiceConfig> good = config("* * * * *", "UTC", false);
        java.util.concurrent.atomic.AtomicInteger calls = new java.util.concurrent.atomic.AtomicInteger();
        java.util.concurrent.atomic.AtomicBoolean thrown = new java.util.concurrent.atomic.AtomicBoolean();
        java.util.concurrent.CountDownLatch firedOnce = new java.util.concurrent.CountDownLatch(1);
        LocalScheduler s = new LocalScheduler(() -> {
            calls.incrementAndGet();
            // only in a tick of the scheduler's own thread, never in start() on the caller's
            if (Thread.currentThread().getName().equals("lifeboat-scheduler") && thrown.compareAndSet(false, true)) {
                throw new Error("simulated failure of one tick");
            }
            return good.get();
        }, clock, (slot, missed) -> {
            if (thrown.get()) {
                firedOnce.countDown();
            }
        }, Optional::empty, new AdvancingSleeper(clock));
        s.start();
        try {
            assertThat(firedOnce.await(10, java.util.concurrent.TimeUnit.SECONDS)).as("a slot fired after the error")
                    .isTrue();
            assertThat(thrown).isTrue();
            assertThat(s.running()).isTrue();
        } finally {
            s.close();
        }
    }

    @Test
    void firesEverySlotOnceAtItsTime() throws Exception {
        MutableClock clock = new MutableClock(Instant.parse("2026-11-21T00:10:00Z"));
        LocalScheduler s = scheduler(clock, config("0 */2 * * *", "UTC", true), null);
        runUntil(s, clock, Instant.parse("2026-11-21T09:00:00Z"));
        assertThat(fired).extracting(Fired::slot).containsExactly(Instant.parse("2026-11-21T02:00:00Z"),
                Instant.parse("2026-11-21T04:00:00Z"), Instant.parse("2026-11-21T06:00:00Z"),
                Instant.parse("2026-11-21T08:00:00Z"));
        assertThat(fired).allSatisfy(f -> {
            assertThat(f.missed()).isFalse();
            assertThat(f.at()).isEqualTo(f.slot());
        });
    }

    @Test
    void aMissedRunFiresOnceAtStartUpThenTheScheduleGoesOn() throws Exception {
        // last ran 3 days ago; daily at 03:00; the service comes back at 10:00
        MutableClock clock = new MutableClock(Instant.parse("2026-11-21T10:00:00Z"));
        LocalScheduler s = scheduler(clock, config("0 3 * * *", "UTC", true), Instant.parse("2026-11-18T03:00:00Z"));
        runUntil(s, clock, Instant.parse("2026-11-22T12:00:00Z"));
        assertThat(fired).containsExactly(
                new Fired(Instant.parse("2026-11-21T03:00:00Z"), true, Instant.parse("2026-11-21T10:00:00Z")),
                new Fired(Instant.parse("2026-11-22T03:00:00Z"), false, Instant.parse("2026-11-22T03:00:00Z")));
    }

    @Test
    void aMissedRunIsNotRunWhenTheOperatorTurnedThatOff() throws Exception {
        MutableClock clock = new MutableClock(Instant.parse("2026-11-21T10:00:00Z"));
        LocalScheduler s = scheduler(clock, config("0 3 * * *", "UTC", false), Instant.parse("2026-11-18T03:00:00Z"));
        runUntil(s, clock, Instant.parse("2026-11-22T04:00:00Z"));
        assertThat(fired).containsExactly(
                new Fired(Instant.parse("2026-11-22T03:00:00Z"), false, Instant.parse("2026-11-22T03:00:00Z")));
    }

    @Test
    void aServiceThatNeverRanHasMissedNothing() throws Exception {
        MutableClock clock = new MutableClock(Instant.parse("2026-11-21T10:00:00Z"));
        LocalScheduler s = scheduler(clock, config("0 3 * * *", "UTC", true), null);
        s.startUp();
        assertThat(fired).isEmpty();
        assertThat(s.nextRun()).contains(Instant.parse("2026-11-22T03:00:00Z"));
    }

    @Test
    void aRestartRightAfterTheLastRunRunsNothingTwice() throws Exception {
        MutableClock clock = new MutableClock(Instant.parse("2026-11-21T03:05:00Z"));
        LocalScheduler s = scheduler(clock, config("0 3 * * *", "UTC", true), Instant.parse("2026-11-21T03:00:00Z"));
        runUntil(s, clock, Instant.parse("2026-11-21T23:00:00Z"));
        assertThat(fired).isEmpty();
    }

    @Test
    void daylightSavingChangesNeitherSkipNorDoubleADailyRun() throws Exception {
        // Europe/Zurich: 2026-03-29 02:00 -> 03:00 (02:30 does not exist); 2026-10-25 03:00 -> 02:00 (02:30 twice)
        for (String[] window : new String[][] {{"2026-03-26T00:00:00Z", "2026-04-02T00:00:00Z"},
                {"2026-10-22T00:00:00Z", "2026-10-29T00:00:00Z"}}) {
            fired.clear();
            MutableClock clock = new MutableClock(Instant.parse(window[0]));
            LocalScheduler s = scheduler(clock, config("30 2 * * *", "Europe/Zurich", true), null);
            runUntil(s, clock, Instant.parse(window[1]));
            Map<LocalDate, Integer> perDay = new TreeMap<>();
            for (Fired f : fired) {
                perDay.merge(f.slot().atZone(ZoneId.of("Europe/Zurich")).toLocalDate(), 1, Integer::sum);
                assertThat(f.at()).isEqualTo(f.slot());
            }
            assertThat(perDay).as("runs per local day from %s", window[0]).hasSize(7).allSatisfy((d, n) ->
                    assertThat(n).as("runs on %s", d).isEqualTo(1));
        }
    }

    @Test
    void anHourlyScheduleRunsEveryRealHourAcrossTheFallBack() throws Exception {
        // 2026-10-25 in Zurich has 25 hours; an hourly schedule runs 25 times that day, never twice in one instant
        MutableClock clock = new MutableClock(Instant.parse("2026-10-24T21:59:00Z"));
        LocalScheduler s = scheduler(clock, config("0 * * * *", "Europe/Zurich", true), null);
        runUntil(s, clock, Instant.parse("2026-10-25T22:59:00Z"));
        assertThat(fired).extracting(Fired::slot).doesNotHaveDuplicates().hasSize(25);
        for (int i = 1; i < fired.size(); i++) {
            assertThat(Duration.between(fired.get(i - 1).slot(), fired.get(i).slot())).isEqualTo(Duration.ofHours(1));
        }
    }

    @Test
    void slotsThatPassWhileABackupRunsAreCoalesced() throws Exception {
        MutableClock clock = new MutableClock(Instant.parse("2026-11-21T00:00:30Z"));
        AtomicReference<ServiceConfig> cfg = config("*/5 * * * *", "UTC", true);
        List<Instant> slots = new ArrayList<>();
        LocalScheduler s = new LocalScheduler(cfg::get, clock, (slot, missed) -> {
            slots.add(slot);
            clock.now = clock.now.plus(Duration.ofMinutes(12)); // the trigger blocks for 12 minutes
        }, Optional::empty, new AdvancingSleeper(clock));
        runUntil(s, clock, Instant.parse("2026-11-21T00:40:00Z"));
        assertThat(slots).doesNotHaveDuplicates();
        for (int i = 1; i < slots.size(); i++) {
            assertThat(slots.get(i)).isAfter(slots.get(i - 1).plus(Duration.ofMinutes(10)));
        }
    }

    @Test
    void aNewScheduleTakesEffectAtTheNextStep() throws Exception {
        MutableClock clock = new MutableClock(Instant.parse("2026-11-21T00:10:00Z"));
        AtomicReference<ServiceConfig> cfg = config("0 3 * * *", "UTC", true);
        LocalScheduler s = scheduler(clock, cfg, null);
        s.startUp();
        assertThat(s.nextRun()).contains(Instant.parse("2026-11-21T03:00:00Z"));
        cfg.set(new ServiceConfig(CronSchedule.parse("30 0 * * *"), RetentionPolicy.DEFAULT, true));
        assertThat(s.nextRun()).contains(Instant.parse("2026-11-21T00:30:00Z"));
        while (fired.isEmpty()) {
            s.step();
        }
        assertThat(fired.get(0).slot()).isEqualTo(Instant.parse("2026-11-21T00:30:00Z"));
    }
}
