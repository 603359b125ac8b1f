package dev.lifeboat.service;

import dev.lifeboat.state.AuditLog;
import dev.lifeboat.state.Principal;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * What keeps the audit log from growing without limit (issue 14), besides the bounds {@link AuditLog#record} puts
 * on each entry:
 * <ul>
 * <li>Denied requests are written at most {@link #maxDenied} per token per {@link #window} (a fixed window from
 *     the token's first denial in it). Further denials in the window are counted, not written, and answered 429
 *     ({@link Service.TooManyDenied}); the count is written as one {@code audit.suppressed} entry once the window
 *     is over: at the token's next denial, or at {@link #maintain}, whichever comes first. Allowed requests are
 *     never limited. The counts are in memory, per instance: instances sharing a PostgreSQL state each allow
 *     {@link #maxDenied}.</li>
 * <li>{@link #maintain}, which the service runs every minute on its background thread (so that it also runs in a
 *     service nobody calls), writes those summaries and, at most once per {@link #PRUNE_EVERY}, prunes the log of
 *     entries older than the retention and beyond {@link #maxEntries} ({@link AuditLog#prune}).</li>
 * </ul>
 * Every time is the service's clock.
 */
final class AuditGuard {
    static final int DEFAULT_MAX_DENIED = 20;
    static final Duration DEFAULT_WINDOW = Duration.ofMinutes(1);
    static final Duration PRUNE_EVERY = Duration.ofHours(1);
    static final String SUPPRESSED = "audit.suppressed";

    private final AuditLog audit;
    private final Clock clock;
    private final Duration retention;
    private final long maxEntries;
    private final int maxDenied;
    private final Duration window;
    /** The window of each token (by id) with a denial in it; an ended one stays until its summary is written. */
    private final Map<String, Window> windows = new HashMap<>();
    private Instant lastPrune;

    /** A token's denials in one window: how many were written, how many were not. */
    private static final class Window {
        final String name;
        final Instant start;
        int written;
        int suppressed;

        Window(String name, Instant start) {
            this.name = name;
            this.start = start;
        }
    }

    AuditGuard(AuditLog audit, Clock clock, Duration retention, long maxEntries, int maxDenied, Duration window) {
        this.audit = audit;
        this.clock = clock;
        this.retention = retention;
        this.maxEntries = maxEntries;
        this.maxDenied = maxDenied;
        this.window = window;
    }

    /**
     * Counts a denial of {@code who}: empty when it is to be written, else how long until the token's window
     * ends (the denial is then only counted). Writes the summary of the token's previous window first, if that
     * window ended with denials left unwritten.
     */
    /** How many denials per token per {@link #window()} are written one by one. */
    int maxDenied() {
        return maxDenied;
    }

    Duration window() {
        return window;
    }

    Optional<Duration> deny(Principal who) {
        Instant now = clock.instant();
        Window ended = null;
        Duration wait = null;
        synchronized (this) {
            Window w = windows.get(who.id());
            if (w != null && over(w, now)) {
                windows.remove(who.id());
                ended = w.suppressed > 0 ? w : null;
                w = null;
            }
            if (w == null) {
                w = new Window(who.name(), now);
                windows.put(who.id(), w);
            }
            if (w.written < maxDenied) {
                w.written++;
            } else {
                w.suppressed++;
                wait = Duration.between(now, w.start.plus(window));
            }
        }
        if (ended != null) {
            summarize(ended);
        }
        return Optional.ofNullable(wait);
    }

    /** Writes the summaries of ended windows, and prunes the log when the last prune is an hour old. */
    void maintain() {
        Instant now = clock.instant();
        List<Window> ended = new ArrayList<>();
        boolean prune;
        synchronized (this) {
            for (Iterator<Window> it = windows.values().iterator(); it.hasNext(); ) {
                Window w = it.next();
                if (over(w, now)) {
                    it.remove();
                    if (w.suppressed > 0) {
                        ended.add(w);
                    }
                }
            }
            prune = lastPrune == null || !now.isBefore(lastPrune.plus(PRUNE_EVERY)) || now.isBefore(lastPrune);
            if (prune) {
                lastPrune = now;
            }
        }
        ended.forEach(this::summarize);
        if (prune) {
            audit.prune(retention, maxEntries);
        }
    }

    /** Whether the window is over at {@code now} (or the clock went back before it). */
    private boolean over(Window w, Instant now) {
        return !now.isBefore(w.start.plus(window)) || now.isBefore(w.start);
    }

    private void summarize(Window w) {
        Map<String, Object> d = new LinkedHashMap<>();
        d.put("count", w.suppressed);
        d.put("window", window.toSeconds() + "s");
        d.put("from", w.start.toString());
        d.put("written", w.written);
        audit.record(w.name, SUPPRESSED, null, "denied", d);
    }
}
