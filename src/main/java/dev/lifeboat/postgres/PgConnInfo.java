package dev.lifeboat.postgres;

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
 * the ports is percent-decoded; a {@code +} stays a plus.
 *
 * <p>No message thrown holds the password.
 */
public final class PgConnInfo {
    private PgConnInfo() {
    }

    /** Whether {@code spec} is a URI rather than a keyword string, as libpq decides it (case matters). */
    public static boolean isUri(String spec) {
        return spec.startsWith("postgres://") || spec.startsWith("postgresql://");
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
        String rest = uri.substring(uri.indexOf("://") + 3);
        // What follows the host part; an '@' there means that a '/' or '?' in the password ended it early.
        boolean atAfterHost = rest.indexOf('@', firstOf(rest, '/', '?')) >= 0;
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
            putIfNotEmpty(p, "user", decode(colon >= 0 ? userinfo.substring(0, colon) : userinfo, "user name"));
            if (colon >= 0) {
                p.put("password", decode(userinfo.substring(colon + 1), "password"));
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
                        throw new IllegalArgumentException("unterminated IPv6 address in the PostgreSQL URI");
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
                        throw new IllegalArgumentException("the user name or password in the PostgreSQL URI holds a"
                                + " '/' or '?' that is not percent-encoded; write '/' as %2F, '?' as %3F and '@' as"
                                + " %40 there");
                    }
                    throw new IllegalArgumentException("invalid port '" + port + "' in the PostgreSQL URI");
                }
                host = decode(host, "host");
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
            putIfNotEmpty(p, "dbname", decode(path, "database name"));
        }
        if (query != null) {
            for (String kv : query.split("&")) {
                if (kv.isEmpty()) {
                    continue;
                }
                int eq = kv.indexOf('=');
                if (eq < 0) {
                    throw new IllegalArgumentException("invalid parameter '" + decode(kv, "query")
                            + "' in the PostgreSQL URI: expected name=value");
                }
                String key = decode(kv.substring(0, eq), "query");
                p.put(key, decode(kv.substring(eq + 1), "value of the query parameter " + key));
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
            if (eq < 0) {
                throw new IllegalArgumentException("'" + s.substring(i).split("\\s")[0]
                        + "' is not key=value; give a postgres:// URI or a libpq keyword string");
            }
            String key = s.substring(i, eq).trim();
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
                    throw new IllegalArgumentException("unterminated quoted value for '" + key + "'");
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

    /** Percent-decodes one part; a bad escape names the part, never its text (it may be the password). */
    private static String decode(String s, String part) {
        try {
            return URLDecoder.decode(s.replace("+", "%2B"), StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("invalid percent-encoding in the " + part + " of the PostgreSQL URI");
        }
    }
}
