package dev.lifeboat.state;

import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Append-only record of what was done through the API. Entries are never updated; {@link #prune} deletes the
 * oldest ones (retention).
 *
 * <p>What is recorded is bounded, since much of it comes from requests (a backup id prefix taken from the path,
 * a token's name): {@code actor} and {@code action} to {@value #MAX_NAME} characters, {@code result} to
 * {@value #MAX_RESULT}, {@code target} to {@value #MAX_TARGET}, every string in {@code details} (keys and
 * values, nested ones too) to {@value #MAX_DETAIL}, and the details' JSON as a whole to about
 * {@value #MAX_DETAILS} characters (fields past that are left out and named in a {@code truncated} field). Text
 * cut short ends with {@code …(+N chars)}, N the characters left out. Control characters are kept as they are,
 * as the rest of the state keeps them: every output escapes them (the web UI's templates, the API's JSON, the
 * CLI's {@code Terminal.safe}); only NUL, which PostgreSQL text cannot hold, is written {@code \x00} (the CLI's
 * notation) in both databases.
 */
public final class AuditLog {
    /** Longest actor and action kept. */
    public static final int MAX_NAME = 128;
    /** Longest result kept. */
    public static final int MAX_RESULT = 32;
    /** Longest target kept. */
    public static final int MAX_TARGET = 256;
    /** Longest string kept in the details. */
    public static final int MAX_DETAIL = 1024;
    /** About the longest details' JSON kept. */
    public static final int MAX_DETAILS = 8192;
    /** What the at most once-per-hour prune removes by default: entries older than this ... */
    public static final Duration DEFAULT_RETENTION = Duration.ofDays(400);
    /** ... and all but the newest this many. */
    public static final long DEFAULT_MAX_ENTRIES = 1_000_000;
    /** The actor of the entries the state writes about itself ({@code audit.prune}). */
    public static final String SELF = "lifeboat";

    private final StateStore store;

    AuditLog(StateStore store) {
        this.store = store;
    }

    /**
     * Appends an entry stamped with the current time, each field bounded (see the class comment).
     *
     * @param details a JSON-serializable object, or null
     */
    public AuditEntry record(String actor, String action, String target, String result, Map<String, ?> details) {
        Instant at = store.clock().instant();
        String who = column(actor, MAX_NAME);
        String what = column(action, MAX_NAME);
        String on = column(target, MAX_TARGET);
        String outcome = column(result, MAX_RESULT);
        String json = Sql.json(bounded(details));
        long id = store.call("write audit log", c -> {
            try (PreparedStatement ps = c.prepareStatement("INSERT INTO audit_log (at, actor, action, target, "
                    + "result, details) VALUES (?, ?, ?, ?, ?, ?) RETURNING id")) {
                ps.setString(1, Sql.time(at));
                ps.setString(2, who);
                ps.setString(3, what);
                ps.setString(4, on);
                ps.setString(5, outcome);
                ps.setString(6, json);
                try (ResultSet keys = ps.executeQuery()) {
                    keys.next();
                    return keys.getLong(1);
                }
            }
        });
        return new AuditEntry(id, Instant.parse(Sql.time(at)), who, what, on, outcome, Sql.details(json));
    }

    /** The newest {@code limit} entries, newest first. */
    public List<AuditEntry> recent(int limit) {
        return store.call("read audit log", c -> {
            try (PreparedStatement ps = c.prepareStatement("SELECT id, at, actor, action, target, result, details "
                    + "FROM audit_log ORDER BY id DESC LIMIT ?")) {
                ps.setInt(1, limit);
                try (ResultSet rs = ps.executeQuery()) {
                    List<AuditEntry> out = new ArrayList<>();
                    while (rs.next()) {
                        out.add(new AuditEntry(rs.getLong("id"), Sql.instant(rs.getString("at")),
                                rs.getString("actor"), rs.getString("action"), rs.getString("target"),
                                rs.getString("result"), Sql.details(rs.getString("details"))));
                    }
                    return out;
                }
            }
        });
    }

    /** How many entries the log holds. */
    public long count() {
        return store.call("count audit log", c -> {
            try (PreparedStatement ps = c.prepareStatement("SELECT COUNT(*) FROM audit_log");
                 ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getLong(1);
            }
        });
    }

    /**
     * Deletes the entries older than {@code retention} (by the store's clock) and then all but the newest
     * {@code maxEntries}; when it deleted any, writes one entry saying so ({@code audit.prune}, actor
     * {@value #SELF}, details {@code count}, {@code before}, {@code maxEntries}). The deletions use the index on
     * {@code at} and the primary key. Several instances sharing a PostgreSQL state may prune at once: each
     * deletes what is left to delete.
     *
     * @return how many entries were deleted
     */
    public long prune(Duration retention, long maxEntries) {
        if (maxEntries < 1) {
            throw new IllegalArgumentException("maxEntries must be at least 1, not " + maxEntries);
        }
        Instant before = store.clock().instant().minus(retention);
        long deleted = store.call("prune audit log", c -> {
            long n;
            // times are fixed-width text (Sql.time), in the "C" collation in PostgreSQL: text order is time order
            try (PreparedStatement ps = c.prepareStatement("DELETE FROM audit_log WHERE at < ?")) {
                ps.setString(1, Sql.time(before));
                n = ps.executeUpdate();
            }
            // the (maxEntries + 1)th newest id and every older one; none when there are no more than maxEntries
            try (PreparedStatement ps = c.prepareStatement("DELETE FROM audit_log WHERE id <= (SELECT id FROM "
                    + "audit_log ORDER BY id DESC LIMIT 1 OFFSET ?)")) {
                ps.setLong(1, maxEntries);
                n += ps.executeUpdate();
            }
            return n;
        });
        if (deleted > 0) {
            Map<String, Object> d = new LinkedHashMap<>();
            d.put("count", deleted);
            d.put("before", Sql.time(before));
            d.put("maxEntries", maxEntries);
            record(SELF, "audit.prune", null, "ok", d);
        }
        return deleted;
    }

    /** {@code text} cut to {@code max} characters, marked, with NUL written {@code \x00}. */
    private static String column(String text, int max) {
        return text == null ? null : truncate(text, max).replace("\u0000", "\\x00");
    }

    /**
     * {@code text} when it has at most {@code max} characters, else its first {@code max} (one fewer rather than
     * half a surrogate pair) followed by {@code …(+N chars)}, N the characters left out.
     */
    public static String truncate(String text, int max) {
        if (text == null || text.length() <= max) {
            return text;
        }
        int keep = max;
        if (keep > 0 && Character.isHighSurrogate(text.charAt(keep - 1))) {
            keep--;
        }
        return text.substring(0, keep) + "…(+" + (text.length() - keep) + " chars)";
    }

    /** The details with every string bounded, and fields left out past {@link #MAX_DETAILS}. */
    static Map<String, Object> bounded(Map<String, ?> details) {
        if (details == null) {
            return null;
        }
        Map<String, Object> out = new LinkedHashMap<>();
        List<String> omitted = new ArrayList<>();
        long omittedChars = 0;
        int size = 2; // {}
        for (Map.Entry<String, ?> e : details.entrySet()) {
            String key = truncate(String.valueOf(e.getKey()), MAX_DETAIL);
            Object value = boundedValue(e.getValue());
            String json = Sql.json(Map.of(key, value == null ? "" : value));
            int length = json == null ? 0 : json.length() - 1; // "key":value, less the braces, plus a comma
            // room is left for the note of what was left out
            if (size + length > MAX_DETAILS - MAX_DETAIL - 64) {
                omitted.add(key);
                omittedChars += length;
                continue;
            }
            out.put(key, value);
            size += length;
        }
        if (!omitted.isEmpty()) {
            out.put("truncated", truncate("left out " + omitted.size() + " field(s) of " + omittedChars
                    + " chars: " + String.join(", ", omitted), MAX_DETAIL));
        }
        return out;
    }

    private static Object boundedValue(Object v) {
        if (v instanceof CharSequence s) {
            return truncate(s.toString(), MAX_DETAIL);
        }
        if (v instanceof Map<?, ?> m) {
            Map<String, Object> out = new LinkedHashMap<>();
            m.forEach((k, x) -> out.put(truncate(String.valueOf(k), MAX_DETAIL), boundedValue(x)));
            return out;
        }
        if (v instanceof Collection<?> c) {
            List<Object> out = new ArrayList<>(c.size());
            for (Object x : c) {
                out.add(boundedValue(x));
            }
            return out;
        }
        if (v instanceof Object[] a) {
            return boundedValue(java.util.Arrays.asList(a));
        }
        return v; // numbers, booleans, instants and the like: short
    }
}
