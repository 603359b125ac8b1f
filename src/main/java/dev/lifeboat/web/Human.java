package dev.lifeboat.web;

import dev.lifeboat.core.Units;

import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.Locale;

/**
 * Numbers and times as a person reads them at 3 a.m.: sizes in binary units ({@code 1.4 GiB}), ages
 * ({@code 3 h ago}), durations ({@code 4 min 05 s}) and timestamps in the service's time zone. Pure
 * functions; the pages call nothing else to format. Sizes and durations come from {@link Units},
 * as in the CLI.
 */
public final class Human {
    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss z", Locale.ROOT);
    /** What an unknown value shows as. */
    public static final String UNKNOWN = "—";

    private Human() {}

    /** {@code 0 B}, {@code 1.0 KiB}, {@code 12.3 MiB} ({@link Units#bytes}); negative (unknown) as a dash. */
    public static String bytes(long n) {
        return n < 0 ? UNKNOWN : Units.bytes(n);
    }

    /** {@code 1,234,567}: row counts. */
    public static String count(long n) {
        return String.format(Locale.ROOT, "%,d", n);
    }

    /**
     * How long ago {@code then} was ({@code just now}, {@code 5 min ago}, {@code 3 h ago}, {@code 2 d ago}),
     * or how far ahead it is ({@code in 5 min}); a dash for null.
     */
    public static String age(Instant then, Instant now) {
        if (then == null) {
            return UNKNOWN;
        }
        Duration d = Duration.between(then, now);
        boolean future = d.isNegative();
        long s = Math.abs(d.getSeconds());
        if (s < 60) {
            return future ? "in under a minute" : "just now";
        }
        String span;
        if (s < 3600) {
            span = (s / 60) + " min";
        } else if (s < 48 * 3600) {
            span = (s / 3600) + " h";
        } else {
            span = (s / 86_400) + " d";
        }
        return future ? "in " + span : span + " ago";
    }

    /** {@code 850 ms}, {@code 3.2 s}, {@code 4 min 05 s} ({@link Units#duration}); a dash for null. */
    public static String duration(Duration d) {
        return d == null || d.isNegative() ? UNKNOWN : Units.duration(d);
    }

    /** The time between two instants, or a dash when either is missing. */
    public static String between(Instant from, Instant to) {
        return from == null || to == null ? UNKNOWN : duration(Duration.between(from, to));
    }

    /** {@code 2026-05-01 03:00:12 CEST}: an instant in the zone the service schedules in. */
    public static String time(Instant t, ZoneId zone) {
        return t == null ? UNKNOWN : TIME.format(t.atZone(zone));
    }

    /** {@code 42 %} of a known total; empty when the total is unknown. */
    public static String percent(long done, long total) {
        if (total <= 0 || done < 0) {
            return "";
        }
        return Math.min(100, done * 100 / total) + " %";
    }
}
