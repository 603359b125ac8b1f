package dev.lifeboat.core;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;

class UnitsTest {
    @ParameterizedTest
    @CsvSource({
            "0, 0 B",
            "1023, 1023 B",
            "1024, 1.0 KiB",
            "1536, 1.5 KiB",
            "1048575, 1.0 MiB",    // 1023.999 KiB rounds up into the next unit, never "1024.0 KiB"
            "1048576, 1.0 MiB",
            "12897485, 12.3 MiB",
            "1503238554, 1.4 GiB",
            "1099511627776, 1.0 TiB",
            "1125899906842624, 1.0 PiB",
            "9223372036854775807, 8.0 EiB"})
    void bytes(long n, String expected) {
        assertThat(Units.bytes(n)).isEqualTo(expected);
    }

    @ParameterizedTest
    @CsvSource({
            "0, 0 ms, 0.0s",
            "800, 800 ms, 0.8s",
            "3200, 3.2 s, 3.2s",
            "59900, 59.9 s, 59.9s",
            "60000, 1 min 00 s, 1m00s",
            "245000, 4 min 05 s, 4m05s",
            "3599000, 59 min 59 s, 59m59s",
            "3720000, 1 h 02 min, 1h02m",
            "90000000, 25 h 00 min, 25h00m"})
    void durationsSpacedForPagesAndCompactForTerminals(long millis, String spaced, String compact) {
        assertThat(Units.duration(Duration.ofMillis(millis))).isEqualTo(spaced);
        assertThat(Units.compactDuration(Duration.ofMillis(millis))).isEqualTo(compact);
    }

    @org.junit.jupiter.api.Test
    void longListsAreCutShortSayingHowManyMore() {
        assertThat(Units.firstOf(java.util.List.of(), 3)).isEmpty();
        assertThat(Units.firstOf(java.util.List.of("a", "b", "c"), 3)).isEqualTo("a, b, c");
        assertThat(Units.firstOf(java.util.List.of("a", "b", "c", "d", "e"), 3)).isEqualTo("a, b, c and 2 more");
    }
}
