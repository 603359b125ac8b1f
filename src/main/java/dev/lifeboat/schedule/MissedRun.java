package dev.lifeboat.schedule;

import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import java.util.Optional;

/**
 * A scheduled run that fell while {@code lifeboat serve} was not running, found when it starts. A pure
 * function: the caller passes the start time of the last run and of the service.
 *
 * <p>A run is missed when a scheduled instant lies in {@code (lastRunStart, serviceStart]}. Only the latest
 * such instant is reported: after a week down, one backup is made at start-up, not seven. A slot exactly at
 * {@code serviceStart} counts as missed (run it now); the service then waits for
 * {@code schedule.nextRun(serviceStart)}, which is strictly later, so that slot never runs twice. A service
 * that never ran ({@code lastRunStart == null}) has missed nothing: it waits for its first scheduled time.
 * A last run that started after {@code serviceStart} (a clock went backwards) leaves nothing missed.
 *
 * <p>The grace window does not suppress anything: a missed run older than the window is still reported,
 * with {@link #withinGrace()} false, and the caller (the operator's configuration) decides whether to run
 * it or wait for the next slot.
 *
 * @param scheduledAt the latest scheduled instant in {@code (lastRunStart, serviceStart]}
 * @param late        {@code serviceStart - scheduledAt}, zero or positive
 * @param withinGrace {@code late <= grace}
 */
public record MissedRun(Instant scheduledAt, Duration late, boolean withinGrace) {
    public MissedRun {
        Objects.requireNonNull(scheduledAt, "scheduledAt");
        Objects.requireNonNull(late, "late");
    }

    /**
     * @param lastRunStart when the last run started; null if the service never ran a backup
     * @param grace        how late a missed run may be and still count as {@link #withinGrace()}, e.g. 24h
     */
    public static Optional<MissedRun> find(Instant lastRunStart, Instant serviceStart, CronSchedule schedule,
                                           Duration grace) {
        Objects.requireNonNull(grace, "grace");
        return missedRun(lastRunStart, serviceStart, schedule).map(at -> {
            Duration late = Duration.between(at, serviceStart);
            return new MissedRun(at, late, late.compareTo(grace) <= 0);
        });
    }

    /**
     * The latest scheduled instant in {@code (lastRunStart, serviceStart]}; empty if none, or if
     * {@code lastRunStart} is null (never ran).
     */
    public static Optional<Instant> missedRun(Instant lastRunStart, Instant serviceStart, CronSchedule schedule) {
        Objects.requireNonNull(serviceStart, "serviceStart");
        Objects.requireNonNull(schedule, "schedule");
        if (lastRunStart == null || !lastRunStart.isBefore(serviceStart)) {
            return Optional.empty();
        }
        return schedule.latestRunAtOrBefore(serviceStart).filter(at -> at.isAfter(lastRunStart));
    }
}
