package dev.lifeboat.service;

import dev.lifeboat.schedule.CronSchedule;
import dev.lifeboat.schedule.MissedRun;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * The scheduler of a single service instance: one thread that waits for the next slot of the configured
 * cron schedule and fires it once.
 *
 * <ul>
 * <li>At start-up, a slot that fell while the service was down (after the last scheduled backup, found in
 *     the job history, else the newest backup in the repository) is fired once, now, when
 *     {@code runMissedAtStartup} is on; after a week down that is one backup, not seven.</li>
 * <li>Slots come from {@link CronSchedule#nextRun}, strictly after the last one fired, so a DST change
 *     neither skips nor doubles a run, and slots that pass while a backup still runs are coalesced into
 *     the next one rather than queued up.</li>
 * <li>It wakes at least once a minute, so a wall clock that jumps (NTP, suspend) is noticed, and at once
 *     when the configuration changes.</li>
 * </ul>
 */
public final class LocalScheduler implements BackupScheduler {
    private static final Logger LOG = LoggerFactory.getLogger(LocalScheduler.class);
    static final Duration MAX_SLEEP = Duration.ofMinutes(1);

    /** Starts the scheduled backup of a slot; {@code missed} when it runs late, at start-up. */
    @FunctionalInterface
    public interface Trigger {
        void fire(Instant slot, boolean missed);
    }

    /** Waits until {@code until} or until {@link #wake}; tests advance a clock instead. */
    interface Sleeper {
        void sleepUntil(Instant until) throws InterruptedException;

        void wake();
    }

    private final Supplier<ServiceConfig> config;
    private final Clock clock;
    private final Trigger trigger;
    private final Supplier<Optional<Instant>> lastRun;
    private final Sleeper sleeper;
    private volatile Instant cursor;
    private volatile boolean closed;
    private Thread thread;

    /**
     * @param lastRun when the last scheduled backup started, if known
     */
    public LocalScheduler(Supplier<ServiceConfig> config, Clock clock, Trigger trigger,
                          Supplier<Optional<Instant>> lastRun) {
        this(config, clock, trigger, lastRun, new MonitorSleeper(clock));
    }

    LocalScheduler(Supplier<ServiceConfig> config, Clock clock, Trigger trigger, Supplier<Optional<Instant>> lastRun,
                   Sleeper sleeper) {
        this.config = config;
        this.clock = clock;
        this.trigger = trigger;
        this.lastRun = lastRun;
        this.sleeper = sleeper;
    }

    @Override
    public synchronized void start() {
        startUp();
        thread = new Thread(() -> {
            while (!closed) {
                try {
                    step();
                } catch (InterruptedException e) {
                    return;
                } catch (RuntimeException | Error e) {
                    // One tick's failure, an OutOfMemoryError included, never ends the schedule.
                    LOG.error("scheduler: unexpected error; going on", e);
                    try {
                        sleeper.sleepUntil(clock.instant().plus(MAX_SLEEP));
                    } catch (InterruptedException ie) {
                        return;
                    }
                }
            }
        }, "lifeboat-scheduler");
        thread.setDaemon(true);
        thread.start();
        LOG.info("scheduler: backups at {}; next at {}", config.get().schedule().describe(),
                nextRun().map(Instant::toString).orElse("never"));
    }

    @Override
    public synchronized boolean running() {
        return thread != null && thread.isAlive();
    }

    /** Fires a missed run when there is one and the configuration wants it; sets the cursor to now. */
    void startUp() {
        Instant now = clock.instant();
        ServiceConfig c = config.get();
        Optional<MissedRun> missed = MissedRun.find(lastRun.get().orElse(null), now, c.schedule(), Duration.ofDays(1));
        cursor = now;
        if (missed.isPresent()) {
            MissedRun m = missed.get();
            if (c.runMissedAtStartup()) {
                LOG.info("scheduler: the backup of {} was missed while the service was down ({} late); running it now",
                        m.scheduledAt(), m.late());
                trigger.fire(m.scheduledAt(), true);
            } else {
                LOG.warn("scheduler: the backup of {} was missed while the service was down; runMissedAtStartup is "
                        + "off, so the next one runs at its time", m.scheduledAt());
            }
        }
    }

    /** Fires the next slot if it is due, else sleeps towards it. */
    void step() throws InterruptedException {
        Instant now = clock.instant();
        Optional<Instant> next = config.get().schedule().nextRun(cursor);
        if (next.isPresent() && !next.get().isAfter(now)) {
            trigger.fire(next.get(), false);
            Instant after = clock.instant();
            cursor = after.isAfter(next.get()) ? after : next.get();
            return;
        }
        Instant wakeAt = now.plus(MAX_SLEEP);
        if (next.isPresent() && next.get().isBefore(wakeAt)) {
            wakeAt = next.get();
        }
        sleeper.sleepUntil(wakeAt);
    }

    @Override
    public void reschedule() {
        sleeper.wake();
    }

    @Override
    public Optional<Instant> nextRun() {
        Instant from = cursor == null ? clock.instant() : cursor;
        return config.get().schedule().nextRun(from);
    }

    /** Fired runs only queue a job, so the scheduler stops at once. */
    @Override
    public void stopFiring() {
        close();
    }

    @Override
    public synchronized void close() {
        closed = true;
        if (thread != null) {
            thread.interrupt();
        }
    }

    /** Sleeps on a monitor, so that {@link #wake} cuts the wait short. */
    static final class MonitorSleeper implements Sleeper {
        private final Clock clock;
        private boolean woken;

        MonitorSleeper(Clock clock) {
            this.clock = clock;
        }

        @Override
        public synchronized void sleepUntil(Instant until) throws InterruptedException {
            long ms;
            while (!woken && (ms = Duration.between(clock.instant(), until).toMillis()) > 0) {
                wait(ms);
            }
            woken = false;
        }

        @Override
        public synchronized void wake() {
            woken = true;
            notifyAll();
        }
    }
}
