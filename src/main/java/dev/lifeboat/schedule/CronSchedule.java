package dev.lifeboat.schedule;

import com.cronutils.descriptor.CronDescriptor;
import com.cronutils.model.Cron;
import com.cronutils.model.CronType;
import com.cronutils.model.definition.CronDefinitionBuilder;
import com.cronutils.model.time.ExecutionTime;
import com.cronutils.parser.CronParser;

import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.zone.ZoneOffsetTransition;
import java.time.zone.ZoneRules;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * When {@code lifeboat serve} runs a backup: a UNIX cron expression (5 fields: minute hour day-of-month
 * month day-of-week) read as wall-clock time in a zone. A pure function of its arguments: nothing here reads
 * the clock or starts a thread; the caller passes {@code now}.
 *
 * <p>The fields follow UNIX cron: numbers, {@code *}, lists {@code 1,15}, ranges {@code 1-5}, steps
 * {@code *&#47;6}, month names {@code JAN-DEC} and day names {@code SUN-SAT}; day-of-week 0 and 7 are
 * both Sunday. When day-of-month and day-of-week are both restricted, a day matching either one runs
 * ({@code 0 0 13 * 5}: every 13th and every Friday). An expression that matches no date at all
 * ({@code 0 0 30 2 *}) is rejected by {@link #parse}.
 *
 * <p>Matching is done on local date-times (cron-utils computes them in a zone without offset changes); each
 * matching local date-time is then mapped to instants by these rules, so that a daylight-saving change never
 * skips a backup and never runs one twice:
 * <ul>
 *   <li><b>A local time that does not exist</b> (02:30 in Europe/Zurich on 2026-03-29, when clocks jump from
 *       02:00 to 03:00) runs once, at the instant it would have had without the jump, i.e. with the offset
 *       in force before the gap: 02:30 +01:00 = 03:30 +02:00. Never skipped. If that instant is also the
 *       instant of another scheduled local time ({@code 0 2,3 * * *}: 02:00 +01:00 is 03:00 +02:00), it
 *       runs once.
 *   <li><b>A local time that happens twice</b> (02:30 on 2026-10-25, when clocks go back from 03:00 to
 *       02:00) runs once, at its first occurrence (02:30 +02:00). Never twice.
 *   <li><b>Schedules whose hour field matches every hour</b> ({@code 0 * * * *}, {@code *&#47;15 * * * *},
 *       {@code 5 0-23 * * *}) run by real time instead: once per real hour. A local time in the gap is
 *       skipped, because the real hour it would fall into already has its run (01:00, then 03:00 +02:00);
 *       a repeated local time runs at both occurrences (02:00 +02:00 and 02:00 +01:00), one hour apart.
 * </ul>
 * As a result, nextRun is strictly increasing: repeatedly asking for the run after the previous one visits
 * every run once, in order.
 */
public final class CronSchedule {
    /** 03:00 every day; in UTC unless another zone is configured. */
    public static final String DEFAULT = "0 3 * * *";

    private static final String FIELDS = "minute hour day-of-month month day-of-week";
    private static final String EXAMPLE = "e.g. '0 3 * * *' for 03:00 every day";
    private static final String[] FIELD_NAMES = {"minute", "hour", "day-of-month", "month", "day-of-week"};
    private static final String[] FIELD_VALUES = {
            "numbers 0-59", "numbers 0-23", "numbers 1-31", "numbers 1-12 or JAN-DEC", "numbers 0-7 or SUN-SAT"};
    private static final CronParser PARSER =
            new CronParser(CronDefinitionBuilder.instanceDefinitionFor(CronType.UNIX));
    /** How far from an instant a change of offset can affect the order of runs; larger than any real gap. */
    private static final Duration TRANSITION_WINDOW = Duration.ofDays(2);

    private final String expression;
    private final ZoneId zone;
    private final Cron cron;
    /** Runs on local date-times: evaluated in UTC, which has no offset changes. */
    private final ExecutionTime local;
    private final boolean everyHour;

    private CronSchedule(String expression, ZoneId zone, Cron cron, boolean everyHour) {
        this.expression = expression;
        this.zone = zone;
        this.cron = cron;
        this.local = ExecutionTime.forCron(cron);
        this.everyHour = everyHour;
    }

    /** {@link #parse(String, ZoneId)} in UTC. */
    public static CronSchedule parse(String expression) {
        return parse(expression, ZoneOffset.UTC);
    }

    /**
     * @param expression 5 fields separated by spaces: minute hour day-of-month month day-of-week
     * @param zone       the zone whose wall clock the expression is read in
     * @throws IllegalArgumentException for an invalid expression, with a message that quotes it, names the
     *                                  field at fault and gives an example of a valid one
     */
    /** The longest expression accepted; lists of every minute and hour fit with room to spare. */
    public static final int MAX_LENGTH = 512;

    public static CronSchedule parse(String expression, ZoneId zone) {
        Objects.requireNonNull(zone, "zone");
        String text = expression == null ? "" : expression.trim();
        if (text.length() > MAX_LENGTH) {
            // refused before it is parsed: a schedule of a megabyte once took a service's CPU and memory
            throw new IllegalArgumentException("it is " + text.length() + " characters long, more than the "
                    + MAX_LENGTH + " any 5-field cron expression needs");
        }
        String[] fields = text.isEmpty() ? new String[0] : text.split("\\s+");
        if (fields.length != 5) {
            String problem = fields.length == 0 ? "it is empty"
                    : "it has " + fields.length + (fields.length == 1 ? " field" : " fields") + ", not 5";
            throw invalid(text, problem + "; give the 5 fields " + FIELDS
                    + " (seconds and years are not supported)");
        }
        String normalized = String.join(" ", fields);
        Cron cron;
        try {
            cron = PARSER.parse(normalized).validate();
        } catch (IllegalArgumentException e) {
            throw invalid(normalized, fieldProblem(fields).orElseGet(() -> clean(e.getMessage())));
        }
        LocalDateTime start = LocalDateTime.of(2000, 1, 1, 0, 0);
        if (ExecutionTime.forCron(cron).nextExecution(start.atZone(ZoneOffset.UTC)).isEmpty()) {
            throw invalid(normalized, "day-of-month '" + fields[2] + "' never occurs in month '" + fields[3] + "'");
        }
        return new CronSchedule(normalized, zone, cron, matchesEveryHour(fields[1]));
    }

    /** The expression as parsed, fields separated by single spaces. */
    public String expression() {
        return expression;
    }

    public ZoneId zone() {
        return zone;
    }

    /**
     * The first scheduled instant strictly after {@code after}, following the DST rules of the class comment.
     * Empty only if no date after {@code after} matches (cron-utils searches a limited number of years).
     */
    public Optional<Instant> nextRun(Instant after) {
        Objects.requireNonNull(after, "after");
        LocalDateTime cursor = LocalDateTime.ofInstant(after, zone).minus(offsetSpread(after)).minusMinutes(1);
        Instant best = null;
        LocalDateTime stop = null;
        while (true) {
            Optional<ZonedDateTime> next = local.nextExecution(cursor.atZone(ZoneOffset.UTC));
            if (next.isEmpty()) {
                break;
            }
            cursor = next.get().toLocalDateTime();
            if (stop != null && cursor.isAfter(stop)) {
                break;
            }
            for (Instant run : instants(cursor)) {
                if (run.isAfter(after) && (best == null || run.isBefore(best))) {
                    best = run;
                    // A later local time maps to an earlier instant only within the spread of the offsets.
                    stop = cursor.plus(offsetSpread(best));
                }
            }
        }
        return Optional.ofNullable(best);
    }

    /**
     * The latest scheduled instant at or before {@code atOrBefore}, following the same rules as
     * {@link #nextRun}: for every run {@code r}, {@code latestRunAtOrBefore(r) == r}.
     */
    public Optional<Instant> latestRunAtOrBefore(Instant atOrBefore) {
        Objects.requireNonNull(atOrBefore, "atOrBefore");
        LocalDateTime cursor = LocalDateTime.ofInstant(atOrBefore, zone).plus(offsetSpread(atOrBefore)).plusMinutes(1);
        Instant best = null;
        LocalDateTime stop = null;
        while (true) {
            Optional<ZonedDateTime> previous = local.lastExecution(cursor.atZone(ZoneOffset.UTC));
            if (previous.isEmpty()) {
                break;
            }
            cursor = previous.get().toLocalDateTime();
            if (stop != null && cursor.isBefore(stop)) {
                break;
            }
            for (Instant run : instants(cursor)) {
                if (!run.isAfter(atOrBefore) && (best == null || run.isAfter(best))) {
                    best = run;
                    stop = cursor.minus(offsetSpread(best));
                }
            }
        }
        return Optional.ofNullable(best);
    }

    /** The expression and its zone: {@code 0 3 * * * (Europe/Zurich)}, {@code 0 3 * * * (UTC)}. */
    public String describe() {
        return expression + " (" + (zone.normalized().equals(ZoneOffset.UTC) ? "UTC" : zone.getId()) + ")";
    }

    /**
     * cron-utils' English description of the expression ({@code at 03:00}); the expression itself if
     * cron-utils cannot describe it.
     */
    public String explain() {
        try {
            return CronDescriptor.instance(Locale.ENGLISH).describe(cron);
        } catch (RuntimeException e) {
            return expression;
        }
    }

    @Override
    public String toString() {
        return describe();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof CronSchedule other && expression.equals(other.expression) && zone.equals(other.zone);
    }

    @Override
    public int hashCode() {
        return Objects.hash(expression, zone);
    }

    /** The instants at which a matching local date-time runs, earliest first: none, one or two. */
    private List<Instant> instants(LocalDateTime time) {
        ZoneRules rules = zone.getRules();
        ZoneOffsetTransition transition = rules.getTransition(time);
        if (transition == null) {
            return List.of(time.toInstant(rules.getOffset(time)));
        }
        Instant first = time.toInstant(transition.getOffsetBefore());
        if (transition.isGap()) {
            return everyHour ? List.of() : List.of(first);
        }
        return everyHour ? List.of(first, time.toInstant(transition.getOffsetAfter())) : List.of(first);
    }

    /** Largest minus smallest offset in force within {@link #TRANSITION_WINDOW} of {@code around}. */
    private Duration offsetSpread(Instant around) {
        ZoneRules rules = zone.getRules();
        Instant end = around.plus(TRANSITION_WINDOW);
        int min = rules.getOffset(around.minus(TRANSITION_WINDOW)).getTotalSeconds();
        int max = min;
        ZoneOffsetTransition t = rules.nextTransition(around.minus(TRANSITION_WINDOW));
        while (t != null && !t.getInstant().isAfter(end)) {
            min = Math.min(min, t.getOffsetAfter().getTotalSeconds());
            max = Math.max(max, t.getOffsetAfter().getTotalSeconds());
            t = rules.nextTransition(t.getInstant());
        }
        return Duration.ofSeconds(max - min);
    }

    private static boolean matchesEveryHour(String hourField) {
        ExecutionTime hours = ExecutionTime.forCron(PARSER.parse("0 " + hourField + " * * *"));
        LocalDate day = LocalDate.of(2000, 1, 1);
        ZonedDateTime t = day.atStartOfDay(ZoneOffset.UTC).minusMinutes(1);
        int count = 0;
        while (true) {
            Optional<ZonedDateTime> next = hours.nextExecution(t);
            if (next.isEmpty() || !next.get().toLocalDate().equals(day)) {
                return count == 24;
            }
            count++;
            t = next.get();
        }
    }

    /** Parses each field alone, the others being {@code *}, to name the field at fault. */
    private static Optional<String> fieldProblem(String[] fields) {
        for (int i = 0; i < fields.length; i++) {
            String[] alone = {"*", "*", "*", "*", "*"};
            alone[i] = fields[i];
            try {
                PARSER.parse(String.join(" ", alone)).validate();
            } catch (IllegalArgumentException e) {
                return Optional.of(FIELD_NAMES[i] + " field '" + fields[i] + "' " + fieldMessage(i, fields[i], e));
            }
        }
        return Optional.empty();
    }

    private static final Pattern OUT_OF_RANGE = Pattern.compile("Value (\\S+) not in range \\[(\\d+), (\\d+)]");
    private static final Pattern BAD_STEP = Pattern.compile("Period (\\S+) not in range \\[(\\d+), (\\d+)]");
    private static final Pattern BAD_RANGE = Pattern.compile("Invalid range! \\[(\\S+),\\s*(\\S+)]");

    private static String fieldMessage(int field, String text, IllegalArgumentException e) {
        String message = e.getMessage() == null ? "" : e.getMessage();
        Matcher m = OUT_OF_RANGE.matcher(message);
        if (m.find()) {
            String range = "is out of range " + m.group(2) + "-" + m.group(3);
            return m.group(1).equals(text) ? range : "is invalid: " + m.group(1) + " " + range;
        }
        m = BAD_STEP.matcher(message);
        if (m.find()) {
            return "is invalid: the step /" + m.group(1) + " must be between 1 and " + m.group(3);
        }
        m = BAD_RANGE.matcher(message);
        if (m.find()) {
            return "is invalid: the range " + m.group(1) + "-" + m.group(2) + " starts after it ends";
        }
        if (message.contains("Invalid chars")) {
            return "is invalid: use " + FIELD_VALUES[field] + " with '*', ',', '-' and '/'";
        }
        return "is invalid: " + clean(message);
    }

    /** cron-utils' message without its prefix and exclamation marks. */
    private static String clean(String message) {
        if (message == null) {
            return "it cannot be parsed";
        }
        return message.replace("Failed to parse cron expression.", "").replace("!", "").trim();
    }

    private static IllegalArgumentException invalid(String expression, String problem) {
        return new IllegalArgumentException("invalid schedule '" + expression + "': " + problem + "; " + EXAMPLE);
    }
}
