package dev.lifeboat.web;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;

import static org.assertj.core.api.Assertions.assertThat;

class HumanTest {
    private static final Instant NOW = Instant.parse("2026-05-01T12:00:00Z");

    @ParameterizedTest
    @CsvSource({
            "-1, —",
            "0, 0 B",
            "1048575, 1.0 MiB"})   // the rest is UnitsTest's
    void bytes(long n, String expected) {
        assertThat(Human.bytes(n)).isEqualTo(expected);
    }

    @ParameterizedTest
    @CsvSource({
            "0, just now",
            "59, just now",
            "60, 1 min ago",
            "3599, 59 min ago",
            "3600, 1 h ago",
            "172799, 47 h ago",
            "172800, 2 d ago",
            "2592000, 30 d ago",
            "-30, in under a minute",
            "-300, in 5 min",
            "-7200, in 2 h",
            "-2592000, in 30 d"})
    void age(long secondsAgo, String expected) {
        assertThat(Human.age(NOW.minusSeconds(secondsAgo), NOW)).isEqualTo(expected);
    }

    @Test
    void ageOfNothingIsADash() {
        assertThat(Human.age(null, NOW)).isEqualTo("—");
    }

    @ParameterizedTest
    @CsvSource({
            "850, 850 ms",
            "245000, 4 min 05 s"})  // the rest is UnitsTest's
    void duration(long millis, String expected) {
        assertThat(Human.duration(Duration.ofMillis(millis))).isEqualTo(expected);
    }

    @Test
    void durationUnknown() {
        assertThat(Human.duration(null)).isEqualTo("—");
        assertThat(Human.duration(Duration.ofSeconds(-1))).isEqualTo("—");
        assertThat(Human.between(NOW, null)).isEqualTo("—");
        assertThat(Human.between(NOW, NOW.plusSeconds(3))).isEqualTo("3.0 s");
    }

    @Test
    void timeIsShownInTheScheduleZone() {
        assertThat(Human.time(NOW, ZoneId.of("UTC"))).isEqualTo("2026-05-01 12:00:00 UTC");
        assertThat(Human.time(NOW, ZoneId.of("Europe/Zurich"))).isEqualTo("2026-05-01 14:00:00 CEST");
        assertThat(Human.time(Instant.parse("2026-01-01T12:00:00Z"), ZoneId.of("Europe/Zurich")))
                .isEqualTo("2026-01-01 13:00:00 CET");
        assertThat(Human.time(null, ZoneId.of("UTC"))).isEqualTo("—");
    }

    @Test
    void countsAndPercents() {
        assertThat(Human.count(1_234_567)).isEqualTo("1,234,567");
        assertThat(Human.percent(50, 200)).isEqualTo("25 %");
        assertThat(Human.percent(300, 200)).isEqualTo("100 %");
        assertThat(Human.percent(5, -1)).isEmpty();
    }
}
