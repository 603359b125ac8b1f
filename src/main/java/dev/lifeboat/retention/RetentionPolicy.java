package dev.lifeboat.retention;

import dev.lifeboat.core.ErrorCode;
import dev.lifeboat.core.LifeboatException;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Which backups to keep; {@link Retention} says what each rule keeps. A count of 0 turns its rule off,
 * and so does a null (or zero) {@code keepWithin}. A policy with every rule off is refused, since it
 * would delete every unpinned backup.
 *
 * @param keepLast    the N newest complete backups
 * @param keepWithin  every backup started less than this long before now
 * @param keepHourly  the newest complete backup of each of the N newest hours that have one
 * @param keepDaily   the same for days
 * @param keepWeekly  the same for ISO weeks
 * @param keepMonthly the same for months
 * @param keepYearly  the same for years
 * @param minimumKeep the N newest complete backups, regardless of age
 * @param keepSafetyWithin how long a restore's safety backup is kept; safety backups count towards no other rule
 *                    but {@code pinned}, so they never take an ordinary backup's place; null keeps them only when
 *                    pinned
 */
public record RetentionPolicy(int keepLast, Duration keepWithin, int keepHourly, int keepDaily, int keepWeekly,
                              int keepMonthly, int keepYearly, int minimumKeep, Duration keepSafetyWithin) {

    /** How long safety backups are kept unless the policy says otherwise. */
    public static final Duration DEFAULT_SAFETY = Duration.ofDays(7);

    /** A policy whose safety backups are kept {@link #DEFAULT_SAFETY}. */
    public RetentionPolicy(int keepLast, Duration keepWithin, int keepHourly, int keepDaily, int keepWeekly,
                           int keepMonthly, int keepYearly, int minimumKeep) {
        this(keepLast, keepWithin, keepHourly, keepDaily, keepWeekly, keepMonthly, keepYearly, minimumKeep,
                DEFAULT_SAFETY);
    }

    /** This policy with {@code keepWithin} replaced (the service's {@code retentionDays}). */
    public RetentionPolicy withKeepWithin(Duration within) {
        return new RetentionPolicy(keepLast, within, keepHourly, keepDaily, keepWeekly, keepMonthly, keepYearly,
                minimumKeep, keepSafetyWithin);
    }

    /** Everything from the last 30 days, never fewer than the 3 newest complete backups, safety backups 7 days. */
    public static final RetentionPolicy DEFAULT = new RetentionPolicy(0, Duration.ofDays(30), 0, 0, 0, 0, 0, 3);

    private static final String PREFIX = "LIFEBOAT_RETENTION_";
    private static final List<String> VARIABLES = List.of(PREFIX + "KEEP_LAST", PREFIX + "KEEP_WITHIN",
            PREFIX + "KEEP_HOURLY", PREFIX + "KEEP_DAILY", PREFIX + "KEEP_WEEKLY", PREFIX + "KEEP_MONTHLY",
            PREFIX + "KEEP_YEARLY", PREFIX + "MINIMUM_KEEP", PREFIX + "KEEP_SAFETY_WITHIN");
    private static final String UNITS = "y (365 days), w (weeks), d (days), h (hours), m (minutes), s (seconds)";
    private static final Pattern DURATION = Pattern.compile("(?:\\d+[ywdhms])+");
    private static final Pattern DURATION_PART = Pattern.compile("(\\d+)([ywdhms])");

    public RetentionPolicy {
        requireCount("keepLast", keepLast);
        requireCount("keepHourly", keepHourly);
        requireCount("keepDaily", keepDaily);
        requireCount("keepWeekly", keepWeekly);
        requireCount("keepMonthly", keepMonthly);
        requireCount("keepYearly", keepYearly);
        requireCount("minimumKeep", minimumKeep);
        if (keepWithin != null && keepWithin.isNegative()) {
            throw new IllegalArgumentException("retention keepWithin must not be negative, not " + keepWithin);
        }
        if (keepWithin != null && keepWithin.isZero()) {
            keepWithin = null;
        }
        if (keepSafetyWithin != null && keepSafetyWithin.isNegative()) {
            throw new IllegalArgumentException("retention keepSafetyWithin must not be negative, not "
                    + keepSafetyWithin);
        }
        if (keepSafetyWithin != null && keepSafetyWithin.isZero()) {
            keepSafetyWithin = null;
        }
        if (keepWithin == null && keepLast + keepHourly + keepDaily + keepWeekly + keepMonthly + keepYearly == 0
                && minimumKeep == 0) {
            throw new IllegalArgumentException("a retention policy with every rule off would delete every unpinned"
                    + " backup; set minimumKeep, keepWithin or one of keepLast, keepHourly, keepDaily, keepWeekly,"
                    + " keepMonthly, keepYearly above 0");
        }
    }

    /**
     * Rules to change over a base policy, as a config file's {@code retention:} block or command-line
     * flags give them; null leaves the base's rule as it is.
     */
    public record Overrides(Integer keepLast, String keepWithin, Integer keepHourly, Integer keepDaily,
                            Integer keepWeekly, Integer keepMonthly, Integer keepYearly, Integer minimumKeep,
                            String keepSafetyWithin) {
        public Overrides(Integer keepLast, String keepWithin, Integer keepHourly, Integer keepDaily,
                         Integer keepWeekly, Integer keepMonthly, Integer keepYearly, Integer minimumKeep) {
            this(keepLast, keepWithin, keepHourly, keepDaily, keepWeekly, keepMonthly, keepYearly, minimumKeep, null);
        }

        /** True when no rule is set. */
        public boolean isEmpty() {
            return keepLast == null && keepWithin == null && keepHourly == null && keepDaily == null
                    && keepWeekly == null && keepMonthly == null && keepYearly == null && minimumKeep == null
                    && keepSafetyWithin == null;
        }

        /** {@code base} with these rules set; throws IllegalArgumentException naming a bad value. */
        public RetentionPolicy applyTo(RetentionPolicy base) {
            return new RetentionPolicy(or(keepLast, base.keepLast()),
                    keepWithin == null ? base.keepWithin() : parseDuration(keepWithin),
                    or(keepHourly, base.keepHourly()), or(keepDaily, base.keepDaily()), or(keepWeekly, base.keepWeekly()),
                    or(keepMonthly, base.keepMonthly()), or(keepYearly, base.keepYearly()),
                    or(minimumKeep, base.minimumKeep()),
                    keepSafetyWithin == null ? base.keepSafetyWithin() : parseDuration(keepSafetyWithin));
        }

        private static int or(Integer v, int base) {
            return v == null ? base : v;
        }
    }

    private static void requireCount(String field, int value) {
        if (value < 0) {
            throw new IllegalArgumentException("retention " + field + " must be 0 (off) or more, not " + value);
        }
    }

    /**
     * The policy's active rules, named as in {@link Decision#reasons()}: {@code within 30d, minimum 3}.
     */
    public String summary() {
        List<String> rules = new ArrayList<>();
        addIfOn(rules, "last", keepLast);
        if (keepWithin != null) {
            rules.add("within " + formatDuration(keepWithin));
        }
        addIfOn(rules, "hourly", keepHourly);
        addIfOn(rules, "daily", keepDaily);
        addIfOn(rules, "weekly", keepWeekly);
        addIfOn(rules, "monthly", keepMonthly);
        addIfOn(rules, "yearly", keepYearly);
        addIfOn(rules, "minimum", minimumKeep);
        rules.add(keepSafetyWithin == null ? "safety backups only when pinned"
                : "safety backups within " + formatDuration(keepSafetyWithin));
        return String.join(", ", rules);
    }

    private static void addIfOn(List<String> rules, String name, int count) {
        if (count > 0) {
            rules.add(name + " " + count);
        }
    }

    /**
     * {@code base} with the {@code LIFEBOAT_RETENTION_*} variables of {@code env} applied: {@code KEEP_LAST},
     * {@code KEEP_WITHIN} (a duration for {@link #parseDuration}; {@code 0} turns it off), {@code KEEP_HOURLY},
     * {@code KEEP_DAILY}, {@code KEEP_WEEKLY}, {@code KEEP_MONTHLY}, {@code KEEP_YEARLY}, {@code MINIMUM_KEEP},
     * {@code KEEP_SAFETY_WITHIN} (a duration; {@code 0} keeps safety backups only when pinned).
     * Blank values are ignored. An unknown {@code LIFEBOAT_RETENTION_*} variable is an error, so that a typo
     * cannot silently drop a rule.
     *
     * @throws LifeboatException ({@link ErrorCode#USAGE}) naming the variable at fault
     */
    public static RetentionPolicy fromEnvironment(Map<String, String> env, RetentionPolicy base) {
        for (String name : env.keySet()) {
            if (name.startsWith(PREFIX) && !VARIABLES.contains(name)) {
                throw new LifeboatException(ErrorCode.USAGE, "unknown environment variable " + name,
                        "the retention variables are " + String.join(", ", VARIABLES));
            }
        }
        int last = count(env, PREFIX + "KEEP_LAST", base.keepLast());
        Duration within = duration(env, PREFIX + "KEEP_WITHIN", base.keepWithin());
        int hourly = count(env, PREFIX + "KEEP_HOURLY", base.keepHourly());
        int daily = count(env, PREFIX + "KEEP_DAILY", base.keepDaily());
        int weekly = count(env, PREFIX + "KEEP_WEEKLY", base.keepWeekly());
        int monthly = count(env, PREFIX + "KEEP_MONTHLY", base.keepMonthly());
        int yearly = count(env, PREFIX + "KEEP_YEARLY", base.keepYearly());
        int minimum = count(env, PREFIX + "MINIMUM_KEEP", base.minimumKeep());
        Duration safety = duration(env, PREFIX + "KEEP_SAFETY_WITHIN", base.keepSafetyWithin());
        try {
            return new RetentionPolicy(last, within, hourly, daily, weekly, monthly, yearly, minimum, safety);
        } catch (IllegalArgumentException e) {
            throw new LifeboatException(ErrorCode.USAGE, "the " + PREFIX + "* variables turn every retention rule"
                    + " off, so prune would delete every unpinned backup",
                    "set " + PREFIX + "MINIMUM_KEEP or another " + PREFIX + "* variable above 0", e);
        }
    }

    private static int count(Map<String, String> env, String name, int base) {
        String v = env.get(name);
        if (v == null || v.isBlank()) {
            return base;
        }
        int n;
        try {
            n = Integer.parseInt(v.strip());
        } catch (NumberFormatException e) {
            n = -1;
        }
        if (n < 0) {
            throw new LifeboatException(ErrorCode.USAGE, name + " must be a whole number of 0 or more, not '" + v + "'",
                    "for example " + name + "=7; 0 turns the rule off");
        }
        return n;
    }

    private static Duration duration(Map<String, String> env, String name, Duration base) {
        String v = env.get(name);
        if (v == null || v.isBlank()) {
            return base;
        }
        try {
            return parseDuration(v);
        } catch (IllegalArgumentException e) {
            throw new LifeboatException(ErrorCode.USAGE, name + ": " + e.getMessage(),
                    "for example " + name + "=30d; 0 turns the rule off", e);
        }
    }

    /**
     * Parses a duration as users write it: a number and a unit, or several ({@code 30d}, {@code 12h},
     * {@code 2w}, {@code 90m}, {@code 1y}, {@code 1d12h}). Units: {@code y} (365 days), {@code w}, {@code d},
     * {@code h}, {@code m} (minutes), {@code s}. A bare {@code 0} is zero.
     *
     * @throws IllegalArgumentException naming the input and the accepted units
     */
    public static Duration parseDuration(String text) {
        String s = text == null ? "" : text.strip();
        if (s.equals("0")) {
            return Duration.ZERO;
        }
        if (!DURATION.matcher(s).matches()) {
            throw new IllegalArgumentException("invalid duration '" + text + "': write a number and a unit, or"
                    + " several, like 30d, 12h or 1d12h; units are " + UNITS);
        }
        Duration total = Duration.ZERO;
        Matcher m = DURATION_PART.matcher(s);
        try {
            while (m.find()) {
                long n = Long.parseLong(m.group(1));
                total = total.plus(switch (m.group(2).charAt(0)) {
                    case 'y' -> Duration.ofDays(Math.multiplyExact(n, 365));
                    case 'w' -> Duration.ofDays(Math.multiplyExact(n, 7));
                    case 'd' -> Duration.ofDays(n);
                    case 'h' -> Duration.ofHours(n);
                    case 'm' -> Duration.ofMinutes(n);
                    default -> Duration.ofSeconds(n);
                });
            }
        } catch (NumberFormatException | ArithmeticException e) {
            throw new IllegalArgumentException("duration '" + text + "' is too large", e);
        }
        return total;
    }

    /** A duration as {@link #parseDuration} reads it, in days, hours, minutes, seconds: {@code 1d12h}. */
    public static String formatDuration(Duration d) {
        if (d.isZero()) {
            return "0";
        }
        if (d.isNegative() || d.getNano() != 0) {
            return d.toString();
        }
        StringBuilder s = new StringBuilder();
        appendIfNonZero(s, d.toDays(), "d");
        appendIfNonZero(s, d.toHoursPart(), "h");
        appendIfNonZero(s, d.toMinutesPart(), "m");
        appendIfNonZero(s, d.toSecondsPart(), "s");
        return s.toString();
    }

    private static void appendIfNonZero(StringBuilder s, long n, String unit) {
        if (n != 0) {
            s.append(n).append(unit);
        }
    }
}
