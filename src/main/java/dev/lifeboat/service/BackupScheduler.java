package dev.lifeboat.service;

import java.time.Instant;
import java.util.Optional;

/**
 * Runs the scheduled backup. {@link LocalScheduler} does it in one process (the SQLite state store);
 * with a shared PostgreSQL state store a cluster-safe scheduler makes sure that one instance only takes
 * each run.
 */
public interface BackupScheduler extends AutoCloseable {
    void start();

    /** The configuration changed: compute the next run again. */
    void reschedule();

    /** When the next scheduled backup will start, if the schedule has one. */
    Optional<Instant> nextRun();

    /**
     * Fires no new run from now on; a run already fired goes on. A stopping service calls this first, then
     * gives its running job the shutdown grace, then {@link #close}s the scheduler.
     */
    default void stopFiring() {}

    /** Whether the scheduler still fires runs: false once its thread has died (readiness and metrics say so). */
    default boolean running() {
        return true;
    }

    /** Stops the scheduler; it may wait for a run in progress, so stop the jobs first. */
    @Override
    void close();
}
