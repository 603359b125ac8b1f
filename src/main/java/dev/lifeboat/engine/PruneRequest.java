package dev.lifeboat.engine;

import dev.lifeboat.retention.RetentionPolicy;

import java.time.ZoneId;

/**
 * A prune to run; the CLI and the scheduler build the same record.
 *
 * @param policy which backups to keep
 * @param zone   the time zone of the calendar rules (daily, weekly...)
 * @param dryRun decide and report, delete nothing
 */
public record PruneRequest(RetentionPolicy policy, ZoneId zone, boolean dryRun) {}
