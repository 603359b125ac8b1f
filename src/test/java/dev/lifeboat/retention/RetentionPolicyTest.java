package dev.lifeboat.retention;

import dev.lifeboat.core.ErrorCode;
import dev.lifeboat.core.LifeboatException;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.time.Duration;
import java.util.Map;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.params.provider.Arguments.arguments;

class RetentionPolicyTest {
    private static final String UNITS = "y (365 days), w (weeks), d (days), h (hours), m (minutes), s (seconds)";

    @Test
    void defaultKeeps30DaysAndAMinimumOf3() {
        assertThat(RetentionPolicy.DEFAULT)
                .isEqualTo(new RetentionPolicy(0, Duration.ofDays(30), 0, 0, 0, 0, 0, 3));
        assertThat(RetentionPolicy.DEFAULT.summary()).isEqualTo("within 30d, minimum 3, safety backups within 7d");
        assertThat(new RetentionPolicy(1, Duration.ofHours(36), 2, 3, 4, 5, 6, 0, null).summary())
                .isEqualTo("last 1, within 1d12h, hourly 2, daily 3, weekly 4, monthly 5, yearly 6, "
                        + "safety backups only when pinned");
    }

    static Stream<Arguments> negativeFields() {
        return Stream.of(
                arguments("keepLast", (ThrowingCallable) () -> new RetentionPolicy(-1, null, 0, 0, 0, 0, 0, 3)),
                arguments("keepWithin", (ThrowingCallable) () ->
                        new RetentionPolicy(0, Duration.ofDays(-1), 0, 0, 0, 0, 0, 3)),
                arguments("keepHourly", (ThrowingCallable) () -> new RetentionPolicy(0, null, -1, 0, 0, 0, 0, 3)),
                arguments("keepDaily", (ThrowingCallable) () -> new RetentionPolicy(0, null, 0, -1, 0, 0, 0, 3)),
                arguments("keepWeekly", (ThrowingCallable) () -> new RetentionPolicy(0, null, 0, 0, -1, 0, 0, 3)),
                arguments("keepMonthly", (ThrowingCallable) () -> new RetentionPolicy(0, null, 0, 0, 0, -1, 0, 3)),
                arguments("keepYearly", (ThrowingCallable) () -> new RetentionPolicy(0, null, 0, 0, 0, 0, -1, 3)),
                arguments("minimumKeep", (ThrowingCallable) () -> new RetentionPolicy(1, null, 0, 0, 0, 0, 0, -1)));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("negativeFields")
    void rejectsNegativeValuesNamingTheField(String field, ThrowingCallable construct) {
        assertThatThrownBy(construct).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("retention " + field + " must");
    }

    @Test
    void aZeroKeepWithinIsOff() {
        assertThat(new RetentionPolicy(0, Duration.ZERO, 0, 0, 0, 0, 0, 3).keepWithin()).isNull();
    }

    @Test
    void refusesAPolicyThatWouldDeleteEveryUnpinnedBackup() {
        assertThatThrownBy(() -> new RetentionPolicy(0, Duration.ZERO, 0, 0, 0, 0, 0, 0))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("every rule off would delete every unpinned backup")
                .hasMessageContaining("minimumKeep");
    }

    @ParameterizedTest(name = "{0} = {1}")
    @CsvSource({
            "30d, PT720H",
            "12h, PT12H",
            "2w, PT336H",
            "90m, PT1H30M",
            "1y, PT8760H",
            "1d12h, PT36H",
            "12h1d, PT36H",
            "1y2w3d4h5m6s, PT9172H5M6S",
            "' 7d ', PT168H",
            "0, PT0S",
            "0d, PT0S",
    })
    void parsesDurations(String text, String expected) {
        assertThat(RetentionPolicy.parseDuration(text)).isEqualTo(Duration.parse(expected));
    }

    @ParameterizedTest(name = "''{0}''")
    @ValueSource(strings = {"", " ", "30", "d", "30x", "1.5d", "-1d", "30 d", "1d 12h", "6M", "1mo", "30D", "d30",
            "P30D"})
    void rejectsBadDurationsNamingTheInputAndTheUnits(String text) {
        assertThatThrownBy(() -> RetentionPolicy.parseDuration(text)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("invalid duration '" + text + "': write a number and a unit, or several, like 30d, 12h"
                        + " or 1d12h; units are " + UNITS);
    }

    @ParameterizedTest(name = "''{0}''")
    @ValueSource(strings = {"99999999999999999999d", "9999999999999999y", "106751991167301d"})
    void rejectsDurationsTooLarge(String text) {
        assertThatThrownBy(() -> RetentionPolicy.parseDuration(text)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("duration '" + text + "' is too large");
    }

    @ParameterizedTest(name = "{0} is {1}")
    @CsvSource({"PT720H, 30d", "PT36H, 1d12h", "PT90M, 1h30m", "PT45S, 45s", "PT0S, 0", "PT8760H, 365d"})
    void formatsDurationsAsParseDurationReadsThem(String duration, String expected) {
        Duration d = Duration.parse(duration);
        assertThat(RetentionPolicy.formatDuration(d)).isEqualTo(expected);
        assertThat(RetentionPolicy.parseDuration(RetentionPolicy.formatDuration(d))).isEqualTo(d);
    }

    @Test
    void environmentOverridesTheBasePolicy() {
        Map<String, String> env = Map.of(
                "LIFEBOAT_RETENTION_KEEP_LAST", "5",
                "LIFEBOAT_RETENTION_KEEP_WITHIN", "14d",
                "LIFEBOAT_RETENTION_KEEP_HOURLY", " 24 ",
                "LIFEBOAT_RETENTION_KEEP_DAILY", "7",
                "LIFEBOAT_RETENTION_KEEP_WEEKLY", "4",
                "LIFEBOAT_RETENTION_KEEP_MONTHLY", "12",
                "LIFEBOAT_RETENTION_KEEP_YEARLY", "2",
                "LIFEBOAT_RETENTION_MINIMUM_KEEP", "1",
                "LIFEBOAT_REPOSITORY", "/srv/backups");
        assertThat(RetentionPolicy.fromEnvironment(env, RetentionPolicy.DEFAULT))
                .isEqualTo(new RetentionPolicy(5, Duration.ofDays(14), 24, 7, 4, 12, 2, 1));
    }

    @Test
    void unsetAndBlankVariablesKeepTheBaseAndZeroTurnsKeepWithinOff() {
        RetentionPolicy base = RetentionPolicy.DEFAULT;
        assertThat(RetentionPolicy.fromEnvironment(Map.of(), base)).isEqualTo(base);
        assertThat(RetentionPolicy.fromEnvironment(Map.of("LIFEBOAT_RETENTION_KEEP_LAST", " "), base)).isEqualTo(base);
        assertThat(RetentionPolicy.fromEnvironment(Map.of("LIFEBOAT_RETENTION_KEEP_WITHIN", "0"), base))
                .isEqualTo(new RetentionPolicy(0, null, 0, 0, 0, 0, 0, 3));
    }

    static Stream<Arguments> badEnvironments() {
        return Stream.of(
                arguments(Map.of("LIFEBOAT_RETENTION_KEEP_DAILY", "seven"),
                        "LIFEBOAT_RETENTION_KEEP_DAILY must be a whole number of 0 or more, not 'seven'"),
                arguments(Map.of("LIFEBOAT_RETENTION_MINIMUM_KEEP", "-1"),
                        "LIFEBOAT_RETENTION_MINIMUM_KEEP must be a whole number of 0 or more, not '-1'"),
                arguments(Map.of("LIFEBOAT_RETENTION_KEEP_LAST", "99999999999"),
                        "LIFEBOAT_RETENTION_KEEP_LAST must be a whole number of 0 or more, not '99999999999'"),
                arguments(Map.of("LIFEBOAT_RETENTION_KEEP_WITHIN", "30"),
                        "LIFEBOAT_RETENTION_KEEP_WITHIN: invalid duration '30': write a number and a unit"),
                arguments(Map.of("LIFEBOAT_RETENTION_KEEP_DAYLY", "7"),
                        "unknown environment variable LIFEBOAT_RETENTION_KEEP_DAYLY"),
                arguments(Map.of("LIFEBOAT_RETENTION_KEEP_WITHIN", "0", "LIFEBOAT_RETENTION_MINIMUM_KEEP", "0"),
                        "the LIFEBOAT_RETENTION_* variables turn every retention rule off"));
    }

    @ParameterizedTest(name = "{1}")
    @MethodSource("badEnvironments")
    void environmentErrorsNameTheVariableAndSayWhatToDo(Map<String, String> env, String message) {
        assertThatThrownBy(() -> RetentionPolicy.fromEnvironment(env, RetentionPolicy.DEFAULT))
                .isInstanceOfSatisfying(LifeboatException.class, e -> {
                    assertThat(e.code()).isEqualTo(ErrorCode.USAGE);
                    assertThat(e.hint()).isNotBlank();
                })
                .hasMessageStartingWith(message);
    }

    @Test
    void unknownVariableHintListsTheKnownOnes() {
        assertThatThrownBy(() -> RetentionPolicy.fromEnvironment(Map.of("LIFEBOAT_RETENTION_KEEP_DAYLY", "7"),
                RetentionPolicy.DEFAULT))
                .isInstanceOfSatisfying(LifeboatException.class,
                        e -> assertThat(e.hint())
                                .contains("LIFEBOAT_RETENTION_KEEP_DAILY", "LIFEBOAT_RETENTION_MINIMUM_KEEP"));
    }
}
