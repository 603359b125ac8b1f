package dev.lifeboat.source.postgres;

import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Lifeboat's one parser of libpq connection strings: a {@code postgres://} URI or a {@code host=h dbname=d}
 * keyword string, turned into libpq parameters (keyword to value) as libpq would read them from that string.
 * Nothing more: no keyword is checked against a list, no default or environment variable is filled in. That is
 * for each caller: {@link PgConnection} for the client programs (psql, pg_dump, pg_restore), and the state
 * store's {@code PgLocation} for the JDBC driver.
 *
 * <p>From a URI: {@code user} and {@code password} from the userinfo (the user only when not empty, the password
 * even when empty: libpq then skips {@code PGPASSWORD}), {@code host} and {@code port} as comma-separated lists
 * with one entry a host (an IPv6 address without its brackets, an empty entry for a host or port left out; no
 * {@code host} when every host is left out, no {@code port} when every port is), {@code dbname} from the path
 * when not empty, and then the query parameters, which override any of those, in their order. Every part but
 * the ports is percent-decoded; a {@code +} stays a plus. Two URIs that libpq would read with a password cut
 * short are refused instead: a {@code ?} before the {@code @} of the user info (libpq reads it as part of the
 * password, this parser would read a query), and an {@code @} in the path of a URI without user info (a
 * {@code /} in a password ended the host part early).
 *
 * <p>No message thrown holds the password, nor any part of the string where a password may be: a message shows
 * the string as {@link #redact} does, and quotes a part of it only when that part is shown there.
 */
public final class PgConnInfo {
    private PgConnInfo() {
    }

    /** Whether {@code spec} is a URI rather than a keyword string, as libpq decides it (case matters). */
    public static boolean isUri(String spec) {
        return spec.startsWith("postgres://") || spec.startsWith("postgresql://");
    }

    private static final java.util.Set<String> SECRET = java.util.Set.of("password", "sslpassword");
    private static final java.util.regex.Pattern SCHEME = java.util.regex.Pattern.compile("^[A-Za-z][A-Za-z0-9+.-]*://");

    /**
     * {@code spec} as a message may show it. In a URI ({@code scheme://...}), whatever lies between {@code ://}
     * and the last {@code @} (the user name and password, and what a password that is not percent-encoded may have
     * spilled into) becomes {@code ***}, and so does the value of a {@code password} or {@code sslpassword} query
     * parameter with all that follows it. In a keyword string, the value of {@code password} or
     * {@code sslpassword} becomes {@code ***}, and when that value is not quoted (a space would have ended it
     * early), all that follows it too.
     */
    public static String redact(String spec) {
        if (spec == null) {
            return "";
        }
        String s = spec.strip();
        java.util.regex.Matcher scheme = SCHEME.matcher(s);
        if (!scheme.lookingAt()) {
            return redactKeywords(s);
        }
        int start = scheme.end();
        int lastAt = s.lastIndexOf('@');
        StringBuilder out = new StringBuilder(s.substring(0, start));
        String tail = s.substring(start);
        if (lastAt >= start) {
            out.append("***");
            tail = s.substring(lastAt);
        }
        int q = tail.indexOf('?');
        if (q < 0) {
            return out.append(tail).toString();
        }
        out.append(tail, 0, q + 1);
        String query = tail.substring(q + 1);
        int i = 0;
        while (i <= query.length()) {
            int amp = query.indexOf('&', i);
            String kv = query.substring(i, amp < 0 ? query.length() : amp);
            int eq = kv.indexOf('=');
            String key = eq < 0 ? kv : kv.substring(0, eq);
            if (eq >= 0 && SECRET.contains(decodeOrRaw(key))) {
                return out.append(query, i, i + eq + 1).append("***").toString();
            }
            out.append(query, i, amp < 0 ? query.length() : amp + 1);
            if (amp < 0) {
                break;
            }
            i = amp + 1;
        }
        return out.toString();
    }

    /** {@link #redact} of a keyword string: the secret values hidden, and all after one that is not quoted. */
    private static String redactKeywords(String s) {
        StringBuilder out = new StringBuilder();
        int i = 0;
        int n = s.length();
        while (i < n) {
            int eq = s.indexOf('=', i);
            if (eq < 0) {
                return out.append(s, i, n).toString();
            }
            String[] words = s.substring(i, eq).trim().split("\\s+");
            boolean secret = SECRET.contains(words[words.length - 1]);
            out.append(s, i, eq + 1);
            i = eq + 1;
            while (i < n && Character.isWhitespace(s.charAt(i))) {
                out.append(s.charAt(i++));
            }
            int valueStart = i;
            boolean closed = true;
            if (i < n && s.charAt(i) == '\'') {
                i++;
                closed = false;
                while (i < n) {
                    char c = s.charAt(i++);
                    if (c == '\\' && i < n) {
                        i++;
                    } else if (c == '\'') {
                        closed = true;
                        break;
                    }
                }
                if (secret && closed) {
                    out.append("***");
                    continue;
                }
            } else {
                while (i < n && !Character.isWhitespace(s.charAt(i))) {
                    if (s.charAt(i++) == '\\' && i < n) {
                        i++;
                    }
                }
            }
            if (secret) {
                return out.append("***").toString(); // not quoted, or never closed: what follows may be the password's
            }
            out.append(s, valueStart, i);
            while (i < n && Character.isWhitespace(s.charAt(i))) {
                out.append(s.charAt(i++));
            }
        }
        return out.toString();
    }

    /**
     * Whether {@code shown} (a {@link #redact}ed string) shows {@code part} whole, between delimiters: a message may
     * then quote it, since it tells nothing that the redacted string does not.
     */
    public static boolean shows(String shown, String part) {
        if (part == null || part.isBlank()) {
            return false;
        }
        return java.util.regex.Pattern.compile("(?<![^\\s?&:/,@=])" + java.util.regex.Pattern.quote(part)
                + "(?![^\\s?&=/,:])").matcher(shown).find();
    }

    /** {@code 'part'} and a space when {@code shown} shows it, else nothing. */
    private static String quoted(String shown, String part) {
        return shows(shown, part) ? "'" + part + "' " : "";
    }

    private static String decodeOrRaw(String s) {
        try {
            return URLDecoder.decode(s.replace("+", "%2B"), StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            return s;
        }
    }

    /**
     * Parses {@code postgres://user:pass@host:port/db?sslmode=require} or {@code host=h dbname=d ...}.
     *
     * @return the parameters, in the order they were written (URI parts first)
     * @throws IllegalArgumentException with a message naming what is wrong (never the password)
     */
    public static Map<String, String> parse(String spec) {
        if (spec == null || spec.isBlank()) {
            throw new IllegalArgumentException("empty database connection string");
        }
        String s = spec.trim();
        return isUri(s) ? parseUri(s) : parseKeywords(s);
    }

    /**
     * Parses a URI; what comes before its {@code ://} is not looked at (the caller has decided it is one).
     *
     * @return the parameters, in the order they were written (URI parts first)
     * @throws IllegalArgumentException with a message naming what is wrong (never the password)
     */
    public static Map<String, String> parseUri(String uri) {
        Map<String, String> p = new LinkedHashMap<>();
        String shown = redact(uri);
        String in = " in the PostgreSQL URI " + shown;
        String rest = uri.substring(uri.indexOf("://") + 3);
        // What follows the host part; an '@' there means that a '/' or '?' in the password ended it early.
        boolean atAfterHost = rest.indexOf('@', firstOf(rest, '/', '?')) >= 0;
        int firstAt = rest.indexOf('@');
        int firstSlash = rest.indexOf('/');
        int firstQuery = rest.indexOf('?');
        boolean atInUserInfo = firstAt >= 0 && (firstSlash < 0 || firstAt < firstSlash);
        boolean atInPath = firstSlash >= 0 && firstAt > firstSlash && (firstQuery < 0 || firstAt < firstQuery);
        if (atInUserInfo && firstQuery >= 0 && firstQuery < firstAt
                || atInPath && rest.substring(0, firstSlash).indexOf('@') < 0) {
            // libpq reads u:pa?ss@host as a password with a '?' in it, and u:pa/ss@host as host u and a database
            // holding the rest of the password: refused, so that the rest cannot become a query or a database name
            throw new IllegalArgumentException(passwordNotEncoded(shown));
        }
        String query = null;
        int q = rest.indexOf('?');
        if (q >= 0) {
            query = rest.substring(q + 1);
            rest = rest.substring(0, q);
        }
        String path = null;
        int slash = rest.indexOf('/');
        if (slash >= 0) {
            path = rest.substring(slash + 1);
            rest = rest.substring(0, slash);
        }
        int at = rest.lastIndexOf('@');
        if (at >= 0) {
            String userinfo = rest.substring(0, at);
            rest = rest.substring(at + 1);
            int colon = userinfo.indexOf(':');
            putIfNotEmpty(p, "user", decode(colon >= 0 ? userinfo.substring(0, colon) : userinfo, "user name", shown));
            if (colon >= 0) {
                p.put("password", decode(userinfo.substring(colon + 1), "password", shown));
            }
        }
        if (!rest.isEmpty()) {
            StringBuilder hosts = new StringBuilder();
            StringBuilder ports = new StringBuilder();
            boolean anyHost = false;
            boolean anyPort = false;
            for (String hp : rest.split(",", -1)) {
                String host = hp;
                String port = "";
                if (hp.startsWith("[")) {
                    int end = hp.indexOf(']');
                    if (end < 0) {
                        throw new IllegalArgumentException("unterminated IPv6 address" + in);
                    }
                    host = hp.substring(1, end);
                    if (hp.length() > end + 1 && hp.charAt(end + 1) == ':') {
                        port = hp.substring(end + 2);
                    }
                } else if (hp.contains(":")) {
                    host = hp.substring(0, hp.indexOf(':'));
                    port = hp.substring(hp.indexOf(':') + 1);
                }
                if (!port.isEmpty() && !port.chars().allMatch(Character::isDigit)) {
                    if (at < 0 && atAfterHost) {
                        // user:pa/ss@host reads as host "user" and port "pa": say what is wrong, not the text
                        throw new IllegalArgumentException(passwordNotEncoded(shown));
                    }
                    throw new IllegalArgumentException("invalid port " + quoted(shown, port) + in.substring(1)
                            + ": a port is a number");
                }
                host = decode(host, "host", shown);
                anyHost |= !host.isEmpty();
                anyPort |= !port.isEmpty();
                hosts.append(',').append(host); // a comma before each; the first is cut off below
                ports.append(',').append(port);
            }
            if (anyHost) {
                p.put("host", hosts.substring(1));
            }
            if (anyPort) {
                p.put("port", ports.substring(1));
            }
        }
        if (path != null) {
            putIfNotEmpty(p, "dbname", decode(path, "database name", shown));
        }
        if (query != null) {
            for (String kv : query.split("&")) {
                if (kv.isEmpty()) {
                    continue;
                }
                int eq = kv.indexOf('=');
                if (eq < 0) {
                    throw new IllegalArgumentException("invalid parameter " + quoted(shown, kv) + in.substring(1)
                            + ": expected name=value");
                }
                String key = decode(kv.substring(0, eq), "query", shown);
                p.put(key, decode(kv.substring(eq + 1), "value of the query parameter"
                        + (shows(shown, key) ? " " + key : ""), shown));
            }
        }
        return p;
    }

    /**
     * Parses a libpq keyword string: {@code key=value} pairs apart by white space, a value in single quotes
     * when it holds white space, a backslash quoting the next character.
     *
     * @throws IllegalArgumentException with a message naming what is wrong (never a value)
     */
    public static Map<String, String> parseKeywords(String s) {
        Map<String, String> p = new LinkedHashMap<>();
        String shown = redact(s);
        String in = " (in " + shown + ")" + (shown.contains("***")
                ? "; a password holding a space or a quote is written in quotes: password='it\\'s mine'" : "");
        int i = 0;
        int n = s.length();
        while (i < n) {
            while (i < n && Character.isWhitespace(s.charAt(i))) {
                i++;
            }
            if (i >= n) {
                break;
            }
            int eq = s.indexOf('=', i);
            String key = eq < 0 ? null : s.substring(i, eq).trim();
            if (key == null || key.isEmpty() || key.chars().anyMatch(Character::isWhitespace)) {
                String part = s.substring(i).split("\\s")[0];
                throw new IllegalArgumentException((shows(shown, part) ? "'" + part + "' is" : "a part is")
                        + " not key=value" + in + "; give a postgres:// URI or a libpq keyword string");
            }
            i = eq + 1;
            while (i < n && Character.isWhitespace(s.charAt(i))) {
                i++;
            }
            StringBuilder v = new StringBuilder();
            if (i < n && s.charAt(i) == '\'') {
                i++;
                boolean closed = false;
                while (i < n) {
                    char c = s.charAt(i++);
                    if (c == '\\' && i < n) {
                        v.append(s.charAt(i++));
                    } else if (c == '\'') {
                        closed = true;
                        break;
                    } else {
                        v.append(c);
                    }
                }
                if (!closed) {
                    throw new IllegalArgumentException("unterminated quoted value"
                            + (shows(shown, key) ? " for '" + key + "'" : "") + in);
                }
            } else {
                while (i < n && !Character.isWhitespace(s.charAt(i))) {
                    char c = s.charAt(i++);
                    if (c == '\\' && i < n) {
                        c = s.charAt(i++);
                    }
                    v.append(c);
                }
            }
            p.put(key, v.toString());
        }
        return p;
    }

    private static void putIfNotEmpty(Map<String, String> p, String k, String v) {
        if (!v.isEmpty()) {
            p.put(k, v);
        }
    }

    /** Index of the first of {@code a} or {@code b} in {@code s}, or its length when neither is there. */
    private static int firstOf(String s, char a, char b) {
        int i = s.indexOf(a);
        int j = s.indexOf(b);
        return i < 0 ? (j < 0 ? s.length() : j) : (j < 0 ? i : Math.min(i, j));
    }

    /**
     * Percent-decodes one part; a bad escape names the part, never its text (it may be the password).
     *
     * @param shown the URI, {@link #redact}ed, for the message
     */
    private static String decode(String s, String part, String shown) {
        try {
            return URLDecoder.decode(s.replace("+", "%2B"), StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("invalid percent-encoding in the " + part + " of the PostgreSQL URI "
                    + shown);
        }
    }

    private static String passwordNotEncoded(String shown) {
        return "the user name or password in the PostgreSQL URI " + shown + " holds a '/' or '?' that is not"
                + " percent-encoded; write '/' as %2F, '?' as %3F and '@' as %40 there (and an '@' in a database name"
                + " or a query value as %40)";
    }
}
