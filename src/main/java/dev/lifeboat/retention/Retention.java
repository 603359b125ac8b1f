package dev.lifeboat.retention;

import java.time.DateTimeException;
import java.time.Duration;
import java.time.Instant;
import java.time.YearMonth;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.temporal.WeekFields;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.function.Function;

/**
 * The retention policy as a pure function: which backups {@code lifeboat prune} keeps, and why. Modelled
 * on restic's {@code forget}, plus a minimum that is kept regardless of age.
 *
 * <p>Backups are walked newest first: by {@link Candidate#started()}, ties broken by id, both descending.
 * The start time wins over the id, which after a clock went backwards can be newer than a backup that
 * started later. A backup is kept when any of these rules keeps it, and its {@link Decision#reasons()}
 * name every one that does:
 * <ul>
 *   <li>{@code last N}: the N newest complete backups.
 *   <li>{@code within D}: every backup, complete or not, started after {@code now - D}. One started exactly
 *       at {@code now - D} is not within; one started after {@code now} (a clock went backwards) is.
 *   <li>{@code hourly}, {@code daily}, {@code weekly}, {@code monthly}, {@code yearly} with count N: complete
 *       backups are walked newest first and the newest of each bucket is kept, until N distinct buckets
 *       have been kept. Buckets without a backup do not count: {@code daily 7} keeps the 7 newest days
 *       that have a backup. Buckets are calendar periods in the given zone, named in the reason
 *       ({@code daily 2026-11-20}): a day is one local date, 23 or 25 hours long on DST changes; a week is
 *       the ISO week ({@code weekly 2026-W53}, which contains 2027-01-01); an hour is the local hour
 *       together with its UTC offset ({@code hourly 2026-10-25 02:00+02:00}), so the hour repeated when
 *       clocks go back is two buckets.
 *   <li>{@code minimum N}: the N newest complete backups, however old, whatever the other rules say.
 *   <li>{@code pinned}: a pinned backup, complete or not.
 * </ul>
 * Only complete backups count towards {@code last}, the calendar buckets and {@code minimum}, so a failed,
 * interrupted or corrupt backup never takes the place of a complete one; it is kept only when pinned or
 * within D. A restore's safety backup has a rule of its own, {@code safety within S}
 * ({@link RetentionPolicy#keepSafetyWithin()}), and counts towards no other: two failed restores do not push
 * ordinary backups out of {@code minimum 3}.
 */
public final class Retention {
    /** Newest first: by start time, then by id, both descending. */
    public static final Comparator<Candidate> NEWEST_FIRST =
            Comparator.comparing(Candidate::started).thenComparing(Candidate::id).reversed();

    private static final DateTimeFormatter HOUR = DateTimeFormatter.ofPattern("uuuu-MM-dd HH':00'xxxxx");

    private Retention() {}

    /**
     * @param backups in any order; ids must be distinct
     * @param now     the reference for {@code keepWithin}
     * @param zone    the time zone of the calendar buckets
     * @return one decision per backup, newest first
     */
    public static List<Decision> decide(List<Candidate> backups, RetentionPolicy policy, Instant now, ZoneId zone) {
        Objects.requireNonNull(policy, "policy");
        Objects.requireNonNull(now, "now");
        Objects.requireNonNull(zone, "zone");
        List<Candidate> ordered = backups.stream().sorted(NEWEST_FIRST).toList();
        Set<String> ids = new HashSet<>();
        for (Candidate c : ordered) {
            if (!ids.add(c.id())) {
                throw new IllegalArgumentException("backup " + c.id() + " is listed twice");
            }
        }
        Instant cutoff = policy.keepWithin() == null ? null : cutoff(now, policy.keepWithin());
        String within = policy.keepWithin() == null ? null : RetentionPolicy.formatDuration(policy.keepWithin());
        List<Calendar> calendars = List.of(
                new Calendar("hourly", policy.keepHourly(), HOUR::format),
                new Calendar("daily", policy.keepDaily(), t -> t.toLocalDate().toString()),
                new Calendar("weekly", policy.keepWeekly(), t -> String.format("%d-W%02d",
                        t.get(WeekFields.ISO.weekBasedYear()), t.get(WeekFields.ISO.weekOfWeekBasedYear()))),
                new Calendar("monthly", policy.keepMonthly(), t -> YearMonth.from(t).toString()),
                new Calendar("yearly", policy.keepYearly(), t -> String.valueOf(t.getYear())));

        Instant safetyCutoff = policy.keepSafetyWithin() == null ? null : cutoff(now, policy.keepSafetyWithin());
        String safetyWithin = policy.keepSafetyWithin() == null ? null
                : RetentionPolicy.formatDuration(policy.keepSafetyWithin());
        List<Decision> decisions = new ArrayList<>(ordered.size());
        int completeSeen = 0;
        for (Candidate c : ordered) {
            List<String> reasons = new ArrayList<>();
            if (c.safety()) {
                if (safetyCutoff != null && c.started().isAfter(safetyCutoff)) {
                    reasons.add("safety within " + safetyWithin);
                }
                if (c.pinned()) {
                    reasons.add("pinned");
                }
                boolean keep = !reasons.isEmpty();
                if (!keep) {
                    reasons.add(safetyWithin == null ? "safety backup, not pinned"
                            : "safety backup older than " + safetyWithin);
                }
                decisions.add(new Decision(c.id(), keep, reasons));
                continue;
            }
            if (c.complete() && completeSeen < policy.keepLast()) {
                reasons.add("last " + policy.keepLast());
            }
            if (cutoff != null && c.started().isAfter(cutoff)) {
                reasons.add("within " + within);
            }
            if (c.complete()) {
                ZonedDateTime local = c.started().atZone(zone);
                for (Calendar calendar : calendars) {
                    String bucket = calendar.keep(local);
                    if (bucket != null) {
                        reasons.add(calendar.rule + " " + bucket);
                    }
                }
                if (completeSeen < policy.minimumKeep()) {
                    reasons.add("minimum " + policy.minimumKeep());
                }
                completeSeen++;
            }
            if (c.pinned()) {
                reasons.add("pinned");
            }
            boolean keep = !reasons.isEmpty();
            if (!keep) {
                String age = within == null ? null : "older than " + within;
                if (!c.complete()) {
                    reasons.add(age == null ? "incomplete and not pinned" : "incomplete and " + age);
                } else {
                    reasons.add(age == null ? "matched no rule" : age + " and matched no rule");
                }
            }
            decisions.add(new Decision(c.id(), keep, reasons));
        }
        return List.copyOf(decisions);
    }

    private static Instant cutoff(Instant now, Duration within) {
        try {
            return now.minus(within);
        } catch (DateTimeException | ArithmeticException e) {
            return Instant.MIN;
        }
    }

    /** One calendar rule: the buckets it has kept so far. */
    private static final class Calendar {
        final String rule;
        final int count;
        final Function<ZonedDateTime, String> bucketOf;
        final Set<String> kept = new HashSet<>();

        Calendar(String rule, int count, Function<ZonedDateTime, String> bucketOf) {
            this.rule = rule;
            this.count = count;
            this.bucketOf = bucketOf;
        }

        /** The bucket of {@code t} if this backup is the first one seen in it and the rule wants more, else null. */
        String keep(ZonedDateTime t) {
            if (kept.size() >= count) {
                return null;
            }
            String bucket = bucketOf.apply(t);
            return kept.add(bucket) ? bucket : null;
        }
    }
}
