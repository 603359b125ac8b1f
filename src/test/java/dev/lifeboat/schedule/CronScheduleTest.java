package dev.lifeboat.schedule;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Table tests of {@link CronSchedule} and {@link MissedRun}. Runs are written as local time with offset in the
 * schedule's zone, so that each line names one instant exactly. Europe/Zurich changes on 2026-03-29 at 01:00Z
 * (02:00 +01:00 becomes 03:00 +02:00) and on 2026-10-25 at 01:00Z (03:00 +02:00 becomes 02:00 +01:00).
 */
class CronScheduleTest {
    private static final ZoneId UTC = ZoneOffset.UTC;
    private static final ZoneId ZURICH = ZoneId.of("Europe/Zurich");

    record RunsCase(String name, String expression, ZoneId zone, String fromExclusive, String toInclusive,
                    String expected) {
        @Override
        public String toString() {
            return name;
        }
    }

    static Stream<RunsCase> runs() {
        return Stream.of(
                new RunsCase("default: 03:00 UTC every day", CronSchedule.DEFAULT, UTC,
                        "2026-05-01T03:00Z", "2026-05-04T03:00Z", """
                        2026-05-02T03:00Z
                        2026-05-03T03:00Z
                        2026-05-04T03:00Z
                        """),
                new RunsCase("daily in Zurich is 02:00Z in summer, 03:00Z in winter", CronSchedule.DEFAULT, ZURICH,
                        "2026-03-27T12:00Z", "2026-03-30T12:00Z", """
                        2026-03-28T03:00+01:00
                        2026-03-29T03:00+02:00
                        2026-03-30T03:00+02:00
                        """),
                new RunsCase("spring forward: 02:30 does not exist, runs once at 03:30 +02:00 (02:30 +01:00)",
                        "30 2 * * *", ZURICH, "2026-03-27T23:00Z", "2026-03-31T22:00Z", """
                        2026-03-28T02:30+01:00
                        2026-03-29T03:30+02:00
                        2026-03-30T02:30+02:00
                        2026-03-31T02:30+02:00
                        """),
                new RunsCase("fall back: 02:30 happens twice, runs once, at the first", "30 2 * * *", ZURICH,
                        "2026-10-23T22:00Z", "2026-10-27T23:00Z", """
                        2026-10-24T02:30+02:00
                        2026-10-25T02:30+02:00
                        2026-10-26T02:30+01:00
                        2026-10-27T02:30+01:00
                        """),
                new RunsCase("spring forward: 02:00 runs at the end of the gap", "0 2 * * *", ZURICH,
                        "2026-03-28T12:00Z", "2026-03-30T12:00Z", """
                        2026-03-29T03:00+02:00
                        2026-03-30T02:00+02:00
                        """),
                new RunsCase("spring forward: 02:00 shifted onto 03:00 runs once", "0 2,3 * * *", ZURICH,
                        "2026-03-28T12:00Z", "2026-03-30T12:00Z", """
                        2026-03-29T03:00+02:00
                        2026-03-30T02:00+02:00
                        2026-03-30T03:00+02:00
                        """),
                new RunsCase("fall back: 02:00 and 03:00 run once each", "0 2,3 * * *", ZURICH,
                        "2026-10-24T12:00Z", "2026-10-26T12:00Z", """
                        2026-10-25T02:00+02:00
                        2026-10-25T03:00+01:00
                        2026-10-26T02:00+01:00
                        2026-10-26T03:00+01:00
                        """),
                new RunsCase("fall back: every 30 minutes in the 02:00 hour runs in its first occurrence only",
                        "*/30 2 * * *", ZURICH, "2026-10-24T12:00Z", "2026-10-26T12:00Z", """
                        2026-10-25T02:00+02:00
                        2026-10-25T02:30+02:00
                        2026-10-26T02:00+01:00
                        2026-10-26T02:30+01:00
                        """),
                new RunsCase("spring forward: hourly runs once per real hour", "0 * * * *", ZURICH,
                        "2026-03-28T22:00Z", "2026-03-29T03:00Z", """
                        2026-03-29T00:00+01:00
                        2026-03-29T01:00+01:00
                        2026-03-29T03:00+02:00
                        2026-03-29T04:00+02:00
                        2026-03-29T05:00+02:00
                        """),
                new RunsCase("fall back: hourly runs once per real hour, 02:00 twice", "0 * * * *", ZURICH,
                        "2026-10-24T22:00Z", "2026-10-25T03:00Z", """
                        2026-10-25T01:00+02:00
                        2026-10-25T02:00+02:00
                        2026-10-25T02:00+01:00
                        2026-10-25T03:00+01:00
                        2026-10-25T04:00+01:00
                        """),
                new RunsCase("spring forward: every 20 minutes, by real time", "*/20 * * * *", ZURICH,
                        "2026-03-29T00:30Z", "2026-03-29T02:20Z", """
                        2026-03-29T01:40+01:00
                        2026-03-29T03:00+02:00
                        2026-03-29T03:20+02:00
                        2026-03-29T03:40+02:00
                        2026-03-29T04:00+02:00
                        2026-03-29T04:20+02:00
                        """),
                new RunsCase("fall back: every 20 minutes, by real time: the repeated hour twice", "*/20 * * * *",
                        ZURICH, "2026-10-24T23:50Z", "2026-10-25T02:10Z", """
                        2026-10-25T02:00+02:00
                        2026-10-25T02:20+02:00
                        2026-10-25T02:40+02:00
                        2026-10-25T02:00+01:00
                        2026-10-25T02:20+01:00
                        2026-10-25T02:40+01:00
                        2026-10-25T03:00+01:00
                        """),
                new RunsCase("every 6 hours in UTC", "0 */6 * * *", UTC,
                        "2026-05-01T00:00Z", "2026-05-02T06:00Z", """
                        2026-05-01T06:00Z
                        2026-05-01T12:00Z
                        2026-05-01T18:00Z
                        2026-05-02T00:00Z
                        2026-05-02T06:00Z
                        """),
                new RunsCase("every 6 hours in Zurich across spring forward", "0 */6 * * *", ZURICH,
                        "2026-03-28T12:00Z", "2026-03-29T18:00Z", """
                        2026-03-28T18:00+01:00
                        2026-03-29T00:00+01:00
                        2026-03-29T06:00+02:00
                        2026-03-29T12:00+02:00
                        2026-03-29T18:00+02:00
                        """),
                new RunsCase("every 6 hours in Zurich across fall back", "0 */6 * * *", ZURICH,
                        "2026-10-24T12:00Z", "2026-10-25T18:00Z", """
                        2026-10-24T18:00+02:00
                        2026-10-25T00:00+02:00
                        2026-10-25T06:00+01:00
                        2026-10-25T12:00+01:00
                        2026-10-25T18:00+01:00
                        """),
                new RunsCase("weekdays: Friday, then Monday", "0 3 * * 1-5", UTC,
                        "2026-05-07T03:00Z", "2026-05-12T03:00Z", """
                        2026-05-08T03:00Z
                        2026-05-11T03:00Z
                        2026-05-12T03:00Z
                        """),
                new RunsCase("weekdays by name, in Zurich", "30 22 * * mon-fri", ZURICH,
                        "2026-05-08T00:00Z", "2026-05-12T00:00Z", """
                        2026-05-08T22:30+02:00
                        2026-05-11T22:30+02:00
                        """),
                new RunsCase("Sunday is 0 and 7", "0 3 * * 7", UTC,
                        "2026-05-01T00:00Z", "2026-05-18T00:00Z", """
                        2026-05-03T03:00Z
                        2026-05-10T03:00Z
                        2026-05-17T03:00Z
                        """),
                new RunsCase("day-of-month and day-of-week both set: either matches (UNIX cron)", "0 0 13 * 5", UTC,
                        "2026-03-01T00:00Z", "2026-03-21T00:00Z", """
                        2026-03-06T00:00Z
                        2026-03-13T00:00Z
                        2026-03-20T00:00Z
                        """),
                new RunsCase("the 31st skips shorter months", "0 0 31 * *", UTC,
                        "2026-01-31T00:00Z", "2026-09-01T00:00Z", """
                        2026-03-31T00:00Z
                        2026-05-31T00:00Z
                        2026-07-31T00:00Z
                        2026-08-31T00:00Z
                        """),
                new RunsCase("the last minute of a month end, in Zurich", "59 23 30 4 *", ZURICH,
                        "2026-01-01T00:00Z", "2028-01-01T00:00Z", """
                        2026-04-30T23:59+02:00
                        2027-04-30T23:59+02:00
                        """),
                new RunsCase("29 February: the next leap year", "0 0 29 2 *", UTC,
                        "2026-01-01T00:00Z", "2032-12-31T00:00Z", """
                        2028-02-29T00:00Z
                        2032-02-29T00:00Z
                        """),
                new RunsCase("29 February in Zurich is 23:00Z the day before", "0 0 29 2 *", ZURICH,
                        "2026-01-01T00:00Z", "2029-01-01T00:00Z", """
                        2028-02-29T00:00+01:00
                        """));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("runs")
    void runsBetween(RunsCase c) {
        CronSchedule schedule = CronSchedule.parse(c.expression(), c.zone());

        List<Instant> runs = runs(schedule, instant(c.fromExclusive()), instant(c.toInclusive()));

        assertThat(format(runs, c.zone())).isEqualTo(c.expected());
        assertConsistentBackwards(schedule, runs);
    }

    @Test
    void hourlyAcrossSpringForwardIsEveryRealHour() {
        // 2026-03-28 00:00 +01:00 to 2026-03-31 23:00 +02:00: 4 local days, one of 23 hours.
        assertEveryRealHour("0 * * * *", "2026-03-27T23:00Z", "2026-03-31T21:00Z", 4 * 24 - 1);
    }

    @Test
    void hourlyAcrossFallBackIsEveryRealHour() {
        // 2026-10-24 00:00 +02:00 to 2026-10-27 23:00 +01:00: 4 local days, one of 25 hours.
        assertEveryRealHour("0 * * * *", "2026-10-23T22:00Z", "2026-10-27T22:00Z", 4 * 24 + 1);
    }

    @Test
    void dailyOnDstDaysRunsOncePerLocalDay() {
        CronSchedule schedule = CronSchedule.parse("30 2 * * *", ZURICH);
        for (String[] days : new String[][]{{"2026-03-27T23:00Z", "2026-03-31T22:00Z"},
                {"2026-10-23T22:00Z", "2026-10-27T23:00Z"}}) {
            List<Instant> runs = runs(schedule, instant(days[0]), instant(days[1]));
            assertThat(runs).hasSize(4);
            assertThat(runs.stream().map(r -> r.atZone(ZURICH).toLocalDate()).distinct()).hasSize(4);
        }
    }

    record NextCase(String name, String expression, ZoneId zone, String after, String expected) {
        @Override
        public String toString() {
            return name;
        }
    }

    static Stream<NextCase> next() {
        return Stream.of(
                new NextCase("strictly after: a run at exactly `after` is not returned", CronSchedule.DEFAULT, UTC,
                        "2026-05-01T03:00:00Z", "2026-05-02T03:00Z"),
                new NextCase("one nanosecond before the slot", CronSchedule.DEFAULT, UTC,
                        "2026-05-01T02:59:59.999999999Z", "2026-05-01T03:00Z"),
                new NextCase("seconds are ignored in the schedule, not in `after`", "* * * * *", UTC,
                        "2026-05-01T03:00:30Z", "2026-05-01T03:01Z"),
                new NextCase("between the two 02:30s of the fall-back day: the next day, never the second",
                        "30 2 * * *", ZURICH, "2026-10-25T00:45Z", "2026-10-26T02:30+01:00"),
                new NextCase("at the first 02:30 of the fall-back day: the next day", "30 2 * * *", ZURICH,
                        "2026-10-25T00:30Z", "2026-10-26T02:30+01:00"),
                new NextCase("right after the jump, before the shifted 02:30: the shifted 02:30", "30 2 * * *", ZURICH,
                        "2026-03-29T01:10Z", "2026-03-29T03:30+02:00"),
                new NextCase("in the repeated hour, hourly: the next real hour", "0 * * * *", ZURICH,
                        "2026-10-25T00:30Z", "2026-10-25T02:00+01:00"),
                new NextCase("yearly, in winter time", "0 0 1 1 *", ZURICH,
                        "2026-06-01T00:00Z", "2027-01-01T00:00+01:00"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("next")
    void nextRun(NextCase c) {
        Optional<Instant> next = CronSchedule.parse(c.expression(), c.zone()).nextRun(instant(c.after()));

        assertThat(next).contains(instant(c.expected()));
    }

    record InvalidCase(String expression, String message) {
        @Override
        public String toString() {
            return "'" + expression + "'";
        }
    }

    static Stream<InvalidCase> invalid() {
        String fields = "; give the 5 fields minute hour day-of-month month day-of-week (seconds and years are not"
                + " supported); e.g. '0 3 * * *' for 03:00 every day";
        String example = "; e.g. '0 3 * * *' for 03:00 every day";
        return Stream.of(
                new InvalidCase("", "invalid schedule '': it is empty" + fields),
                new InvalidCase("   ", "invalid schedule '': it is empty" + fields),
                new InvalidCase("0 3 * * * *", "invalid schedule '0 3 * * * *': it has 6 fields, not 5" + fields),
                new InvalidCase("0 3 * *", "invalid schedule '0 3 * *': it has 4 fields, not 5" + fields),
                new InvalidCase("daily", "invalid schedule 'daily': it has 1 field, not 5" + fields),
                new InvalidCase("a b c d e", "invalid schedule 'a b c d e': minute field 'a' is invalid:"
                        + " use numbers 0-59 with '*', ',', '-' and '/'" + example),
                new InvalidCase("0 3 * jun-sep x", "invalid schedule '0 3 * jun-sep x': day-of-week field 'x'"
                        + " is invalid: use numbers 0-7 or SUN-SAT with '*', ',', '-' and '/'" + example),
                new InvalidCase("61 3 * * *",
                        "invalid schedule '61 3 * * *': minute field '61' is out of range 0-59" + example),
                new InvalidCase("0,61 3 * * *",
                        "invalid schedule '0,61 3 * * *': minute field '0,61' is invalid: 61 is out of range 0-59"
                                + example),
                new InvalidCase("0 24 * * *",
                        "invalid schedule '0 24 * * *': hour field '24' is out of range 0-23" + example),
                new InvalidCase("0 3 32 * *",
                        "invalid schedule '0 3 32 * *': day-of-month field '32' is out of range 1-31" + example),
                new InvalidCase("0 3 * 13 *",
                        "invalid schedule '0 3 * 13 *': month field '13' is out of range 1-12" + example),
                new InvalidCase("0 3 * * 8",
                        "invalid schedule '0 3 * * 8': day-of-week field '8' is out of range 0-7" + example),
                new InvalidCase("*/0 * * * *", "invalid schedule '*/0 * * * *': minute field '*/0' is invalid:"
                        + " the step /0 must be between 1 and 59" + example),
                new InvalidCase("0 5-2 * * *", "invalid schedule '0 5-2 * * *': hour field '5-2' is invalid:"
                        + " the range 5-2 starts after it ends" + example),
                new InvalidCase("0 0 30 2 *", "invalid schedule '0 0 30 2 *': day-of-month '30' never occurs in"
                        + " month '2'" + example));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("invalid")
    void invalidExpressionsSayWhatIsWrong(InvalidCase c) {
        assertThatThrownBy(() -> CronSchedule.parse(c.expression(), UTC))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage(c.message());
    }

    @Test
    void nullExpressionIsEmpty() {
        assertThatThrownBy(() -> CronSchedule.parse(null))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("invalid schedule '': it is empty");
    }

    @Test
    void describeAndExplain() {
        CronSchedule zurich = CronSchedule.parse(" 0  3 * * * ", ZURICH);
        assertThat(zurich.expression()).isEqualTo("0 3 * * *");
        assertThat(zurich.describe()).isEqualTo("0 3 * * * (Europe/Zurich)");
        assertThat(zurich.explain()).isEqualTo("at 03:00");
        assertThat(CronSchedule.parse(CronSchedule.DEFAULT).describe()).isEqualTo("0 3 * * * (UTC)");
        assertThat(CronSchedule.parse("0 3 * * 1-5").explain()).isEqualTo("at 03:00 every day between Monday and Friday");
        assertThat(zurich).isEqualTo(CronSchedule.parse("0 3 * * *", ZURICH)).isNotEqualTo(CronSchedule.parse("0 3 * * *"));
    }

    record MissedCase(String name, String expression, ZoneId zone, String lastRunStart, String serviceStart,
                      String expected) {
        @Override
        public String toString() {
            return name;
        }
    }

    static Stream<MissedCase> missed() {
        return Stream.of(
                new MissedCase("never ran: nothing missed, the first slot is awaited", CronSchedule.DEFAULT, UTC,
                        null, "2026-05-10T12:00Z", null),
                new MissedCase("ran at the last slot: nothing missed", CronSchedule.DEFAULT, UTC,
                        "2026-05-10T03:00:01Z", "2026-05-10T12:00Z", null),
                new MissedCase("started before today's slot: nothing missed", CronSchedule.DEFAULT, UTC,
                        "2026-05-09T03:00:01Z", "2026-05-10T02:59Z", null),
                new MissedCase("ran just before the slot, down across it: the slot", CronSchedule.DEFAULT, UTC,
                        "2026-05-10T02:59Z", "2026-05-10T03:05Z", "2026-05-10T03:00Z"),
                new MissedCase("down across several slots: only the latest", CronSchedule.DEFAULT, UTC,
                        "2026-05-07T03:00:02Z", "2026-05-10T12:00Z", "2026-05-10T03:00Z"),
                new MissedCase("service starts exactly at a slot: that slot", CronSchedule.DEFAULT, UTC,
                        "2026-05-09T03:00:05Z", "2026-05-10T03:00Z", "2026-05-10T03:00Z"),
                new MissedCase("last run exactly at the slot: not missed", CronSchedule.DEFAULT, UTC,
                        "2026-05-10T03:00Z", "2026-05-10T03:00:30Z", null),
                new MissedCase("last run after service start (clock went back): nothing", CronSchedule.DEFAULT, UTC,
                        "2026-05-11T03:00Z", "2026-05-10T12:00Z", null),
                new MissedCase("down a month, hourly: the last hour", "0 * * * *", UTC,
                        "2026-04-10T08:00Z", "2026-05-10T12:34Z", "2026-05-10T12:00Z"),
                new MissedCase("down across spring forward: the shifted 02:30", "30 2 * * *", ZURICH,
                        "2026-03-28T01:30:05Z", "2026-03-29T06:00Z", "2026-03-29T03:30+02:00"),
                new MissedCase("down across fall back: the first 02:30", "30 2 * * *", ZURICH,
                        "2026-10-24T00:30:05Z", "2026-10-25T01:45Z", "2026-10-25T02:30+02:00"),
                new MissedCase("restarted at 02:10 +01:00, after the first 02:30 of the fall-back day: that one",
                        "30 2 * * *", ZURICH, "2026-10-24T00:30:05Z", "2026-10-25T01:10Z", "2026-10-25T02:30+02:00"),
                new MissedCase("down a year: the latest 29 February", "0 0 29 2 *", UTC,
                        "2027-06-01T00:00Z", "2029-01-01T00:00Z", "2028-02-29T00:00Z"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("missed")
    void missedRun(MissedCase c) {
        CronSchedule schedule = CronSchedule.parse(c.expression(), c.zone());
        Instant last = c.lastRunStart() == null ? null : instant(c.lastRunStart());

        Optional<Instant> missed = MissedRun.missedRun(last, instant(c.serviceStart()), schedule);

        assertThat(missed).isEqualTo(Optional.ofNullable(c.expected()).map(CronScheduleTest::instant));
    }

    @Test
    void missedRunOlderThanGraceIsStillReported() {
        CronSchedule schedule = CronSchedule.parse(CronSchedule.DEFAULT);
        Instant last = instant("2026-05-01T03:00:02Z");

        assertThat(MissedRun.find(last, instant("2026-05-10T12:00Z"), schedule, Duration.ofHours(24)))
                .contains(new MissedRun(instant("2026-05-10T03:00Z"), Duration.ofHours(9), true));
        assertThat(MissedRun.find(last, instant("2026-05-11T02:59Z"), schedule, Duration.ofHours(24)))
                .contains(new MissedRun(instant("2026-05-10T03:00Z"), Duration.ofMinutes(23 * 60 + 59), true));
        // Late exactly by the grace window is within it; a minute more is not.
        assertThat(MissedRun.find(last, instant("2026-05-10T03:00Z"), schedule, Duration.ZERO))
                .contains(new MissedRun(instant("2026-05-10T03:00Z"), Duration.ZERO, true));
        assertThat(MissedRun.find(last, instant("2026-05-10T03:01Z"), schedule, Duration.ZERO))
                .contains(new MissedRun(instant("2026-05-10T03:00Z"), Duration.ofMinutes(1), false));
        assertThat(MissedRun.find(null, instant("2026-05-10T12:00Z"), schedule, Duration.ofHours(24)))
                .isEmpty();
    }

    private static void assertEveryRealHour(String expression, String first, String last, int count) {
        CronSchedule schedule = CronSchedule.parse(expression, ZURICH);
        Instant from = instant(first);
        Instant to = instant(last);
        List<Instant> expected = new ArrayList<>();
        for (Instant t = from; !t.isAfter(to); t = t.plus(Duration.ofHours(1))) {
            expected.add(t);
        }

        List<Instant> runs = runs(schedule, from.minusNanos(1), to);

        assertThat(runs).hasSize(count).isEqualTo(expected);
        assertConsistentBackwards(schedule, runs);
    }

    /** Every run in (from, to], by repeated {@link CronSchedule#nextRun}. */
    private static List<Instant> runs(CronSchedule schedule, Instant from, Instant to) {
        List<Instant> runs = new ArrayList<>();
        Instant t = from;
        while (true) {
            Instant next = schedule.nextRun(t).orElseThrow();
            assertThat(next).isAfter(t);
            if (next.isAfter(to)) {
                return runs;
            }
            runs.add(next);
            t = next;
        }
    }

    /** latestRunAtOrBefore finds each run, and from just before a run, the one before it. */
    private static void assertConsistentBackwards(CronSchedule schedule, List<Instant> runs) {
        for (int i = 0; i < runs.size(); i++) {
            assertThat(schedule.latestRunAtOrBefore(runs.get(i))).contains(runs.get(i));
            if (i > 0) {
                assertThat(schedule.latestRunAtOrBefore(runs.get(i).minusNanos(1))).contains(runs.get(i - 1));
            }
        }
    }

    /** An instant written with an offset, seconds optional: {@code 2026-03-29T03:30+02:00}. */
    private static Instant instant(String text) {
        return OffsetDateTime.parse(text).toInstant();
    }

    private static String format(List<Instant> runs, ZoneId zone) {
        return runs.stream()
                .map(r -> r.atZone(zone).toOffsetDateTime().toString() + "\n")
                .collect(Collectors.joining());
    }
}
