package dev.lifeboat.repository;

import com.fasterxml.jackson.annotation.JsonInclude;
import dev.lifeboat.retention.RetentionPolicy;

import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;

/**
 * {@code policy.json}: what prune keeps, in the repository itself, so that the CLI on any host and the service
 * prune alike (as Kopia keeps its policies in the repository). lifeboat.yml, the {@code LIFEBOAT_RETENTION_*}
 * variables and the API set it; prune reads it. docs/REPOSITORY-FORMAT.md describes the blob.
 *
 * @param formatVersion {@link #FORMAT_VERSION}
 * @param retention     the rules in force
 * @param timeZone      the zone of the calendar rules, a region id such as {@code Europe/Zurich}
 * @param set           when the rules were last set
 * @param setBy         who or what set them, for people: {@code admin through the API on host h}
 * @param from          where they came from: {@code api}, {@code lifeboat.yml} or {@code environment}
 * @param configured    the rules a config file or the environment last set, so that a host whose file has not
 *                      changed since does not undo a later change made through the API; null when none did
 */
@JsonInclude(JsonInclude.Include.ALWAYS)
public record RepositoryPolicy(int formatVersion, Rules retention, String timeZone, Instant set, String setBy,
                               String from, Configured configured) {
    public static final String BLOB = "policy.json";
    public static final int FORMAT_VERSION = 1;
    public static final String FROM_API = "api";
    public static final String FROM_FILE = "lifeboat.yml";
    public static final String FROM_ENVIRONMENT = "environment";

    /**
     * Retention rules as stored: counts (0 is off) and durations as {@link RetentionPolicy#parseDuration} reads
     * them ({@code 30d}; null is off).
     */
    public record Rules(int keepLast, String keepWithin, int keepHourly, int keepDaily, int keepWeekly,
                        int keepMonthly, int keepYearly, int minimumKeep, String keepSafetyWithin) {
        public static Rules of(RetentionPolicy p) {
            return new Rules(p.keepLast(), duration(p.keepWithin()), p.keepHourly(), p.keepDaily(), p.keepWeekly(),
                    p.keepMonthly(), p.keepYearly(), p.minimumKeep(), duration(p.keepSafetyWithin()));
        }

        /** The policy these rules make; throws IllegalArgumentException naming what is wrong. */
        public RetentionPolicy toPolicy() {
            return new RetentionPolicy(keepLast, parse(keepWithin), keepHourly, keepDaily, keepWeekly, keepMonthly,
                    keepYearly, minimumKeep, parse(keepSafetyWithin));
        }

        private static String duration(Duration d) {
            return d == null ? null : RetentionPolicy.formatDuration(d);
        }

        private static Duration parse(String text) {
            return text == null ? null : RetentionPolicy.parseDuration(text);
        }
    }

    /** What a config file or the environment last set: its rules, zone and which of the two it was. */
    public record Configured(Rules retention, String timeZone, String from) {}

    /** The rules in force as a policy (checked when read, so this does not throw for a blob read from storage). */
    public RetentionPolicy policy() {
        return retention.toPolicy();
    }

    public ZoneId zone() {
        return ZoneId.of(timeZone);
    }

    /**
     * Checks what was read from storage: every rule valid, the zone known, {@code from} one of the three. Throws
     * IllegalArgumentException naming the first fault.
     */
    void check() {
        if (retention == null) {
            throw new IllegalArgumentException("it has no retention rules");
        }
        retention.toPolicy();
        if (timeZone == null) {
            throw new IllegalArgumentException("it has no timeZone");
        }
        try {
            ZoneId.of(timeZone);
        } catch (java.time.DateTimeException e) {
            throw new IllegalArgumentException("timeZone '" + timeZone + "' is not a time zone");
        }
        if (configured != null && configured.retention() != null) {
            configured.retention().toPolicy();
        }
    }
}
