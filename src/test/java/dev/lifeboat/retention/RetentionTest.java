package dev.lifeboat.retention;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Each case: backups, policy, now and zone in; one line per backup out, newest first. */
class RetentionTest {
    private static final ZoneId UTC = ZoneOffset.UTC;
    private static final ZoneId ZURICH = ZoneId.of("Europe/Zurich");
    private static final Instant NOW = instant("2026-11-30T12:00Z");
    private static final DateTimeFormatter ID = DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'").withZone(UTC);

    record Case(String name, List<Candidate> backups, RetentionPolicy policy, Instant now, ZoneId zone,
                String expected) {
        @Override
        public String toString() {
            return name;
        }
    }

    static Stream<Case> cases() {
        return Stream.of(
                new Case("empty input", List.of(), RetentionPolicy.DEFAULT, NOW, UTC, ""),

                new Case("default policy: the last 30 days, and never fewer than the newest 3 complete",
                        List.of(ok("2026-11-29T02:00Z"), failed("2026-11-28T02:00Z"), ok("2026-11-01T02:00Z"),
                                ok("2026-10-20T02:00Z"), ok("2026-10-19T02:00Z"), failed("2026-09-01T02:00Z")),
                        RetentionPolicy.DEFAULT, NOW, UTC, """
                        20261129T020000Z-aaaaaa keep: within 30d, minimum 3
                        20261128T020000Z-aaaaaa keep: within 30d
                        20261101T020000Z-aaaaaa keep: within 30d, minimum 3
                        20261020T020000Z-aaaaaa keep: minimum 3
                        20261019T020000Z-aaaaaa remove: older than 30d and matched no rule
                        20260901T020000Z-aaaaaa remove: incomplete and older than 30d
                        """),

                new Case("keepLast keeps the N newest complete backups",
                        List.of(ok("2026-11-29T02:00Z"), ok("2026-11-28T02:00Z"), ok("2026-11-27T02:00Z"),
                                ok("2026-10-01T02:00Z")),
                        policy("last=2"), NOW, UTC, """
                        20261129T020000Z-aaaaaa keep: last 2
                        20261128T020000Z-aaaaaa keep: last 2
                        20261127T020000Z-aaaaaa remove: matched no rule
                        20261001T020000Z-aaaaaa remove: matched no rule
                        """),

                new Case("keepWithin: a backup started exactly at now - 30d is not within",
                        List.of(ok("2026-10-31T12:00:01Z"), ok("2026-10-31T12:00:00Z"), ok("2026-10-31T11:59:59Z")),
                        policy("within=30d"), NOW, UTC, """
                        20261031T120001Z-aaaaaa keep: within 30d
                        20261031T120000Z-aaaaaa remove: older than 30d and matched no rule
                        20261031T115959Z-aaaaaa remove: older than 30d and matched no rule
                        """),

                new Case("keepWithin of 1d12h",
                        List.of(ok("2026-11-29T00:00:01Z"), ok("2026-11-29T00:00:00Z")),
                        policy("within=1d12h"), NOW, UTC, """
                        20261129T000001Z-aaaaaa keep: within 1d12h
                        20261129T000000Z-aaaaaa remove: older than 1d12h and matched no rule
                        """),

                new Case("daily: the newest backup of each of the 3 newest days that have one",
                        List.of(failed("2026-11-30T01:00Z"), ok("2026-11-29T20:00Z"), ok("2026-11-29T08:00Z"),
                                ok("2026-11-27T08:00Z"), ok("2026-11-26T23:59:59Z"), ok("2026-11-25T12:00Z")),
                        policy("daily=3"), NOW, UTC, """
                        20261130T010000Z-aaaaaa remove: incomplete and not pinned
                        20261129T200000Z-aaaaaa keep: daily 2026-11-29
                        20261129T080000Z-aaaaaa remove: matched no rule
                        20261127T080000Z-aaaaaa keep: daily 2026-11-27
                        20261126T235959Z-aaaaaa keep: daily 2026-11-26
                        20261125T120000Z-aaaaaa remove: matched no rule
                        """),

                new Case("weekly: ISO weeks, 2027-01-02 is in 2026-W53",
                        List.of(ok("2027-01-05T12:00Z"), ok("2027-01-04T12:00Z"), ok("2027-01-02T12:00Z"),
                                ok("2026-12-28T12:00Z"), ok("2026-12-27T12:00Z"), ok("2026-12-20T12:00Z")),
                        policy("weekly=3"), instant("2027-01-06T00:00Z"), UTC, """
                        20270105T120000Z-aaaaaa keep: weekly 2027-W01
                        20270104T120000Z-aaaaaa remove: matched no rule
                        20270102T120000Z-aaaaaa keep: weekly 2026-W53
                        20261228T120000Z-aaaaaa remove: matched no rule
                        20261227T120000Z-aaaaaa keep: weekly 2026-W52
                        20261220T120000Z-aaaaaa remove: matched no rule
                        """),

                new Case("monthly and yearly",
                        List.of(ok("2026-11-15T12:00Z"), ok("2026-11-01T12:00Z"), ok("2026-10-31T12:00Z"),
                                ok("2026-01-10T12:00Z"), ok("2025-12-31T12:00Z"), ok("2025-06-01T12:00Z"),
                                ok("2024-06-01T12:00Z")),
                        policy("monthly=2 yearly=2"), NOW, UTC, """
                        20261115T120000Z-aaaaaa keep: monthly 2026-11, yearly 2026
                        20261101T120000Z-aaaaaa remove: matched no rule
                        20261031T120000Z-aaaaaa keep: monthly 2026-10
                        20260110T120000Z-aaaaaa remove: matched no rule
                        20251231T120000Z-aaaaaa keep: yearly 2025
                        20250601T120000Z-aaaaaa remove: matched no rule
                        20240601T120000Z-aaaaaa remove: matched no rule
                        """),

                new Case("buckets are in the given zone: 23:30 UTC on New Year's Eve is 2026 in Zurich",
                        List.of(ok("2025-12-31T23:30Z"), ok("2025-12-31T22:30Z")),
                        policy("yearly=2"), NOW, ZURICH, """
                        20251231T233000Z-aaaaaa keep: yearly 2026
                        20251231T223000Z-aaaaaa keep: yearly 2025
                        """),

                new Case("the same backups in UTC are one yearly bucket",
                        List.of(ok("2025-12-31T23:30Z"), ok("2025-12-31T22:30Z")),
                        policy("yearly=2"), NOW, UTC, """
                        20251231T233000Z-aaaaaa keep: yearly 2025
                        20251231T223000Z-aaaaaa remove: matched no rule
                        """),

                new Case("rules combine and every rule that keeps a backup is named",
                        List.of(ok("2026-11-30T02:00Z"), ok("2026-11-29T02:00Z"), ok("2026-11-28T02:00Z"),
                                ok("2026-11-10T02:00Z"), ok("2026-10-15T02:00Z"), ok("2026-09-15T02:00Z"),
                                ok("2026-08-15T02:00Z")),
                        policy("last=1 within=2d daily=2 weekly=2 monthly=3"), NOW, UTC, """
                        20261130T020000Z-aaaaaa keep: last 1, within 2d, daily 2026-11-30, weekly 2026-W49, monthly 2026-11
                        20261129T020000Z-aaaaaa keep: within 2d, daily 2026-11-29, weekly 2026-W48
                        20261128T020000Z-aaaaaa remove: older than 2d and matched no rule
                        20261110T020000Z-aaaaaa remove: older than 2d and matched no rule
                        20261015T020000Z-aaaaaa keep: monthly 2026-10
                        20260915T020000Z-aaaaaa keep: monthly 2026-09
                        20260815T020000Z-aaaaaa remove: older than 2d and matched no rule
                        """),

                new Case("minimumKeep keeps the newest 3 complete backups even when all are a year old",
                        List.of(ok("2025-11-30T02:00Z"), ok("2025-11-29T02:00Z"), failed("2025-11-28T02:00Z"),
                                ok("2025-11-27T02:00Z"), ok("2025-11-26T02:00Z")),
                        RetentionPolicy.DEFAULT, NOW, UTC, """
                        20251130T020000Z-aaaaaa keep: minimum 3
                        20251129T020000Z-aaaaaa keep: minimum 3
                        20251128T020000Z-aaaaaa remove: incomplete and older than 30d
                        20251127T020000Z-aaaaaa keep: minimum 3
                        20251126T020000Z-aaaaaa remove: older than 30d and matched no rule
                        """),

                new Case("pinned backups are kept whatever their age or state",
                        List.of(pinned(ok("2026-11-29T02:00Z")), ok("2026-11-28T02:00Z"),
                                pinned(ok("2024-01-01T02:00Z")), pinned(failed("2023-01-01T02:00Z"))),
                        policy("last=1"), NOW, UTC, """
                        20261129T020000Z-aaaaaa keep: last 1, pinned
                        20261128T020000Z-aaaaaa remove: matched no rule
                        20240101T020000Z-aaaaaa keep: pinned
                        20230101T020000Z-aaaaaa keep: pinned
                        """),

                new Case("incomplete backups never push a complete one out",
                        List.of(failed("2026-11-30T02:00Z"), failed("2026-11-29T02:00Z"), ok("2026-11-28T02:00Z"),
                                ok("2026-11-27T02:00Z"), ok("2026-11-26T02:00Z"), failed("2026-11-01T02:00Z")),
                        policy("last=2"), NOW, UTC, """
                        20261130T020000Z-aaaaaa remove: incomplete and not pinned
                        20261129T020000Z-aaaaaa remove: incomplete and not pinned
                        20261128T020000Z-aaaaaa keep: last 2
                        20261127T020000Z-aaaaaa keep: last 2
                        20261126T020000Z-aaaaaa remove: matched no rule
                        20261101T020000Z-aaaaaa remove: incomplete and not pinned
                        """),

                new Case("incomplete backups within keepWithin are kept but not counted",
                        List.of(failed("2026-11-30T02:00Z"), ok("2026-11-29T02:00Z"), failed("2026-11-20T02:00Z"),
                                ok("2026-11-01T02:00Z"), ok("2026-10-01T02:00Z")),
                        policy("within=7d minimum=2"), NOW, UTC, """
                        20261130T020000Z-aaaaaa keep: within 7d
                        20261129T020000Z-aaaaaa keep: within 7d, minimum 2
                        20261120T020000Z-aaaaaa remove: incomplete and older than 7d
                        20261101T020000Z-aaaaaa keep: minimum 2
                        20261001T020000Z-aaaaaa remove: older than 7d and matched no rule
                        """),

                new Case("DST: 2026-10-25 has 25 hours in Zurich and is one daily bucket",
                        List.of(ok("2026-10-25T23:30+01:00"), ok("2026-10-25T00:30+02:00"),
                                ok("2026-10-24T23:30+02:00"), ok("2026-10-24T00:30+02:00")),
                        policy("daily=2"), instant("2026-10-26T12:00Z"), ZURICH, """
                        20261025T223000Z-aaaaaa keep: daily 2026-10-25
                        20261024T223000Z-aaaaaa remove: matched no rule
                        20261024T213000Z-aaaaaa keep: daily 2026-10-24
                        20261023T223000Z-aaaaaa remove: matched no rule
                        """),

                new Case("DST: 2026-03-29 has 23 hours in Zurich and is one daily bucket",
                        List.of(ok("2026-03-29T23:30+02:00"), ok("2026-03-29T00:30+01:00"),
                                ok("2026-03-28T23:30+01:00")),
                        policy("daily=2"), instant("2026-03-30T12:00Z"), ZURICH, """
                        20260329T213000Z-aaaaaa keep: daily 2026-03-29
                        20260328T233000Z-aaaaaa remove: matched no rule
                        20260328T223000Z-aaaaaa keep: daily 2026-03-28
                        """),

                new Case("DST: the repeated hour 02:00-03:00 on 2026-10-25 in Zurich is two hourly buckets",
                        List.of(ok("2026-10-25T03:10+01:00"), ok("2026-10-25T02:45+01:00"),
                                ok("2026-10-25T02:30+01:00"), ok("2026-10-25T02:30+02:00"),
                                ok("2026-10-25T01:30+02:00")),
                        policy("hourly=3"), instant("2026-10-26T12:00Z"), ZURICH, """
                        20261025T021000Z-aaaaaa keep: hourly 2026-10-25 03:00+01:00
                        20261025T014500Z-aaaaaa keep: hourly 2026-10-25 02:00+01:00
                        20261025T013000Z-aaaaaa remove: matched no rule
                        20261025T003000Z-aaaaaa keep: hourly 2026-10-25 02:00+02:00
                        20261024T233000Z-aaaaaa remove: matched no rule
                        """),

                new Case("equal start times: all considered, the higher id counts as newer",
                        List.of(ok("2026-11-29T02:00Z", "bbbbbb"), ok("2026-11-29T02:00Z", "aaaaaa"),
                                ok("2026-11-29T02:00Z", "cccccc"), ok("2026-11-28T02:00Z", "aaaaaa")),
                        policy("last=2 daily=2"), NOW, UTC, """
                        20261129T020000Z-cccccc keep: last 2, daily 2026-11-29
                        20261129T020000Z-bbbbbb keep: last 2
                        20261129T020000Z-aaaaaa remove: matched no rule
                        20261128T020000Z-aaaaaa keep: daily 2026-11-28
                        """),

                new Case("clock went backwards: a start after now is within and newest; start time beats id",
                        List.of(ok("2026-11-20T15:00Z"), ok("2026-11-20T10:00Z"),
                                new Candidate("20261120T110000Z-cccccc", instant("2026-11-19T09:00Z"), true, false)),
                        policy("last=2 within=1d"), instant("2026-11-20T12:00Z"), UTC, """
                        20261120T150000Z-aaaaaa keep: last 2, within 1d
                        20261120T100000Z-aaaaaa keep: last 2, within 1d
                        20261120T110000Z-cccccc remove: older than 1d and matched no rule
                        """));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void decides(Case c) {
        assertThat(render(Retention.decide(c.backups(), c.policy(), c.now(), c.zone())))
                .containsExactlyElementsOf(c.expected().lines().toList());

        List<Candidate> reversed = new ArrayList<>(c.backups());
        Collections.reverse(reversed);
        assertThat(render(Retention.decide(reversed, c.policy(), c.now(), c.zone())))
                .as("the input's order does not matter")
                .containsExactlyElementsOf(c.expected().lines().toList());
    }

    @Test
    void aKeepWithinReachingBeforeTheEarliestInstantKeepsEverything() {
        RetentionPolicy forever = new RetentionPolicy(0, Duration.ofDays(365L * 2_000_000_000L), 0, 0, 0, 0, 0, 0);
        List<Decision> d = Retention.decide(List.of(ok("1970-01-01T00:00Z")), forever, NOW, UTC);
        assertThat(d).singleElement().satisfies(x -> assertThat(x.keep()).isTrue());
    }

    @Test
    void safetyBackupsHaveTheirOwnRuleAndNeverTakeAnOrdinaryBackupsPlace() {
        // two failed restores took safety backups after the three ordinary ones: minimum 3 still keeps all three
        Candidate a = ok("2026-10-01T03:00Z", "aaaaa1");
        Candidate b = ok("2026-10-02T03:00Z", "aaaaa2");
        Candidate c = ok("2026-10-03T03:00Z", "aaaaa3");
        Candidate firstSafety = safety("2026-11-29T10:00Z", "bbbbb1");
        Candidate secondSafety = safety("2026-11-30T10:00Z", "bbbbb2");
        Candidate oldSafety = safety("2026-11-01T10:00Z", "bbbbb3");
        Candidate oldPinnedSafety = pinned(safety("2026-11-02T10:00Z", "bbbbb4"));
        List<Decision> d = Retention.decide(List.of(a, b, c, firstSafety, secondSafety, oldSafety, oldPinnedSafety),
                RetentionPolicy.DEFAULT, NOW, UTC);
        assertThat(render(d)).containsExactly(
                secondSafety.id() + " keep: safety within 7d",
                firstSafety.id() + " keep: safety within 7d",
                oldPinnedSafety.id() + " keep: pinned",
                oldSafety.id() + " remove: safety backup older than 7d",
                c.id() + " keep: minimum 3",
                b.id() + " keep: minimum 3",
                a.id() + " keep: minimum 3");
        // nor do they count towards last N or the calendar buckets; with the rule off only a pin keeps them
        RetentionPolicy lastOne = new RetentionPolicy(1, null, 0, 1, 0, 0, 0, 0, null);
        assertThat(render(Retention.decide(List.of(c, secondSafety), lastOne, NOW, UTC))).containsExactly(
                secondSafety.id() + " remove: safety backup, not pinned",
                c.id() + " keep: last 1, daily 2026-10-03");
    }

    @Test
    void rejectsTheSameIdTwice() {
        assertThatThrownBy(() -> Retention.decide(List.of(ok("2026-11-29T02:00Z"), ok("2026-11-29T02:00Z")),
                RetentionPolicy.DEFAULT, NOW, UTC))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("20261129T020000Z-aaaaaa");
    }

    private static List<String> render(List<Decision> decisions) {
        return decisions.stream()
                .map(d -> d.id() + (d.keep() ? " keep: " : " remove: ") + String.join(", ", d.reasons()))
                .toList();
    }

    private static Instant instant(String text) {
        return OffsetDateTime.parse(text).toInstant();
    }

    private static Candidate ok(String started) {
        return ok(started, "aaaaaa");
    }

    private static Candidate ok(String started, String suffix) {
        Instant t = instant(started);
        return new Candidate(ID.format(t) + "-" + suffix, t, true, false);
    }

    private static Candidate failed(String started) {
        Instant t = instant(started);
        return new Candidate(ID.format(t) + "-aaaaaa", t, false, false);
    }

    private static Candidate pinned(Candidate c) {
        return new Candidate(c.id(), c.started(), c.complete(), true, c.safety());
    }

    private static Candidate safety(String started, String suffix) {
        Instant t = instant(started);
        return new Candidate(ID.format(t) + "-" + suffix, t, true, false, true);
    }

    /** {@code "last=2 within=30d daily=7"}: the named rules on, every other rule off (minimum too). */
    private static RetentionPolicy policy(String spec) {
        Map<String, String> rules = new HashMap<>();
        for (String rule : spec.split(" ")) {
            String[] kv = rule.split("=");
            rules.put(kv[0], kv[1]);
        }
        assertThat(List.of("last", "within", "hourly", "daily", "weekly", "monthly", "yearly", "minimum"))
                .containsAll(rules.keySet());
        return new RetentionPolicy(count(rules, "last"),
                rules.containsKey("within") ? RetentionPolicy.parseDuration(rules.get("within")) : null,
                count(rules, "hourly"), count(rules, "daily"), count(rules, "weekly"), count(rules, "monthly"),
                count(rules, "yearly"), count(rules, "minimum"));
    }

    private static int count(Map<String, String> rules, String name) {
        return Integer.parseInt(rules.getOrDefault(name, "0"));
    }
}
