package dev.lifeboat.core;

import java.time.Duration;
import java.util.List;
import java.util.Locale;

/**
 * Sizes, durations and lists as people read them, the one formatter of the CLI and the web UI: sizes in binary
 * units ({@code 1.4 GiB}), durations spaced for pages ({@code 4 min 05 s}) or compact for terminal columns
 * ({@code 4m05s}), long lists cut short ({@code a, b and 3 more}). Pure functions; what an unknown value shows as is the caller's choice.
 */
public final class Units {
    private static final String[] SIZES = {"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
    /** Format patterns for under a second (null: in seconds too), under a minute, under an hour, and longer. */
    private record Style(String millis, String seconds, String minutes, String hours) {}

    private static final Style SPACED = new Style("%d ms", "%.1f s", "%d min %02d s", "%d h %02d min");
    private static final Style COMPACT = new Style(null, "%.1fs", "%dm%02ds", "%dh%02dm");

    private Units() {}

    /** The first {@code most} items joined by commas, then how many more there are: for an error naming objects. */
    public static String firstOf(List<String> items, int most) {
        return String.join(", ", items.subList(0, Math.min(items.size(), most)))
                + (items.size() > most ? " and " + (items.size() - most) + " more" : "");
    }

    /**
     * {@code 0 B}, {@code 999 B}, {@code 1.0 KiB}, {@code 12.3 MiB}, up to EiB; one decimal, and a value that
     * rounds to 1024 of a unit shows as 1.0 of the next ({@code 1.0 MiB}, never {@code 1024.0 KiB}).
     */
    public static String bytes(long n) {
        if (n < 1024) {
            return n + " B";
        }
        int unit = 0;
        double v = n;
        while (v >= 1024 && unit < SIZES.length - 1) {
            v /= 1024;
            unit++;
        }
        if (Math.round(v * 10) >= 10240 && unit < SIZES.length - 1) {
            v /= 1024;
            unit++;
        }
        return String.format(Locale.ROOT, "%.1f %s", v, SIZES[unit]);
    }

    /** {@code 850 ms}, {@code 3.2 s}, {@code 4 min 05 s}, {@code 1 h 02 min}: for pages. */
    public static String duration(Duration d) {
        return format(d, SPACED);
    }

    /** {@code 0.9s}, {@code 3.2s}, {@code 4m05s}, {@code 1h02m}: for terminal lines and table columns. */
    public static String compactDuration(Duration d) {
        return format(d, COMPACT);
    }

    private static String format(Duration d, Style style) {
        long ms = d.toMillis();
        if (ms < 1000 && style.millis() != null) {
            return String.format(Locale.ROOT, style.millis(), ms);
        }
        long s = d.toSeconds();
        if (s < 60) {
            return String.format(Locale.ROOT, style.seconds(), ms / 1000.0);
        }
        if (s < 3600) {
            return String.format(Locale.ROOT, style.minutes(), s / 60, s % 60);
        }
        return String.format(Locale.ROOT, style.hours(), s / 3600, (s % 3600) / 60);
    }
}
