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

    @Override
    void close();
}
