package dev.lifeboat.postgres;

import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * How to reach one database, as libpq keywords parsed from a {@code postgres://} URI or a libpq keyword
 * string. Child processes (psql, pg_dump, pg_restore) get it through {@code PG*} environment variables,
 * so nothing secret ever appears on a command line; {@link #toString()} never shows the password.
 */
public final class PgConnection {
    /** libpq keywords Lifeboat passes on, and the environment variable that carries each. */
    private static final Map<String, String> ENV = new LinkedHashMap<>();

    static {
        ENV.put("host", "PGHOST");
        ENV.put("hostaddr", "PGHOSTADDR");
        ENV.put("port", "PGPORT");
        ENV.put("dbname", "PGDATABASE");
        ENV.put("user", "PGUSER");
        ENV.put("password", "PGPASSWORD");
        ENV.put("passfile", "PGPASSFILE");
        ENV.put("service", "PGSERVICE");
        ENV.put("options", "PGOPTIONS");
        ENV.put("application_name", "PGAPPNAME");
        ENV.put("sslmode", "PGSSLMODE");
        ENV.put("sslrootcert", "PGSSLROOTCERT");
        ENV.put("sslcert", "PGSSLCERT");
        ENV.put("sslkey", "PGSSLKEY");
        ENV.put("sslcrl", "PGSSLCRL");
        ENV.put("requiressl", "PGREQUIRESSL");
        ENV.put("connect_timeout", "PGCONNECT_TIMEOUT");
        ENV.put("target_session_attrs", "PGTARGETSESSIONATTRS");
        ENV.put("gssencmode", "PGGSSENCMODE");
        ENV.put("channel_binding", "PGCHANNELBINDING");
    }

    private final Map<String, String> params;

    private PgConnection(Map<String, String> params) {
        this.params = Map.copyOf(params);
    }

    /**
     * Parses {@code postgres://user:pass@host:port/db?sslmode=require} or {@code host=h dbname=d ...}.
     *
     * @throws IllegalArgumentException with a message naming what is wrong (never the password)
     */
    public static PgConnection parse(String spec) {
        if (spec == null || spec.isBlank()) {
            throw new IllegalArgumentException("empty database connection string");
        }
        String s = spec.trim();
        Map<String, String> p = s.startsWith("postgres://") || s.startsWith("postgresql://") ? parseUri(s) : parseKeywords(s);
        for (String key : p.keySet()) {
            if (!ENV.containsKey(key)) {
                throw new IllegalArgumentException("unsupported connection parameter '" + key + "'; supported: "
                        + String.join(", ", ENV.keySet()));
            }
        }
        return new PgConnection(p);
    }

    private static Map<String, String> parseUri(String s) {
        Map<String, String> p = new HashMap<>();
        String rest = s.substring(s.indexOf("://") + 3);
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
            if (colon >= 0) {
                putIfNotEmpty(p, "user", decode(userinfo.substring(0, colon)));
                p.put("password", decode(userinfo.substring(colon + 1)));
            } else {
                putIfNotEmpty(p, "user", decode(userinfo));
            }
        }
        if (!rest.isEmpty()) {
            StringBuilder hosts = new StringBuilder();
            StringBuilder ports = new StringBuilder();
            boolean anyPort = false;
            for (String hp : rest.split(",")) {
                String host = hp;
                String port = "";
                if (hp.startsWith("[")) {
                    int end = hp.indexOf(']');
                    host = hp.substring(1, end);
                    if (hp.length() > end + 1 && hp.charAt(end + 1) == ':') {
                        port = hp.substring(end + 2);
                    }
                } else if (hp.contains(":")) {
                    host = hp.substring(0, hp.indexOf(':'));
                    port = hp.substring(hp.indexOf(':') + 1);
                }
                if (!port.isEmpty() && !port.chars().allMatch(Character::isDigit)) {
                    throw new IllegalArgumentException("invalid port '" + port + "' in database URI");
                }
                anyPort |= !port.isEmpty();
                if (hosts.length() > 0) {
                    hosts.append(',');
                    ports.append(',');
                }
                hosts.append(decode(host));
                ports.append(port);
            }
            putIfNotEmpty(p, "host", hosts.toString().replace(",", "").isEmpty() ? "" : hosts.toString());
            if (anyPort) {
                p.put("port", ports.toString());
            }
        }
        if (path != null) {
            putIfNotEmpty(p, "dbname", decode(path));
        }
        if (query != null && !query.isEmpty()) {
            for (String kv : query.split("&")) {
                int eq = kv.indexOf('=');
                if (eq < 0) {
                    throw new IllegalArgumentException("invalid parameter '" + kv + "' in database URI");
                }
                p.put(decode(kv.substring(0, eq)), decode(kv.substring(eq + 1)));
            }
        }
        return p;
    }

    private static Map<String, String> parseKeywords(String s) {
        Map<String, String> p = new HashMap<>();
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
        if (v != null && !v.isEmpty()) {
            p.put(k, v);
        }
    }

    private static String decode(String s) {
        return URLDecoder.decode(s.replace("+", "%2B"), StandardCharsets.UTF_8);
    }

    /** The database name, or null when libpq would default it (to the user name). */
    public String database() {
        return params.get("dbname");
    }

    public String get(String key) {
        return params.get(key);
    }

    public PgConnection withDatabase(String db) {
        Map<String, String> p = new HashMap<>(params);
        p.put("dbname", db);
        return new PgConnection(p);
    }

    /**
     * Every parameter as a libpq keyword string, password included: to hand a connection to an engine
     * inside this process. Never for display or logs; use {@link #toString()} there.
     */
    public String toKeywords() {
        StringBuilder b = new StringBuilder();
        new java.util.TreeMap<>(params).forEach((k, v) -> b.append(b.length() == 0 ? "" : " ").append(k).append("='")
                .append(v.replace("\\", "\\\\").replace("'", "\\'")).append('\''));
        return b.toString();
    }

    /**
     * The environment for a PostgreSQL client program: {@code base} (so inherited {@code PG*} settings
     * such as PGPASSWORD or PGSSLMODE still apply, as they would for libpq) with this connection's
     * parameters set over it.
     */
    public Map<String, String> environment(Map<String, String> base) {
        Map<String, String> env = new HashMap<>(base);
        params.forEach((k, v) -> env.put(ENV.get(k), v));
        return env;
    }

    /**
     * {@code user@host:port/db} as libpq will see it (settings from {@code PGHOST}, {@code PGPORT},
     * {@code PGUSER} included), for messages and manifests: never the password.
     */
    @Override
    public String toString() {
        return describe(System.getenv());
    }

    String describe(Map<String, String> env) {
        Map<String, String> e = environment(env);
        StringBuilder b = new StringBuilder();
        if (e.get("PGUSER") != null) {
            b.append(e.get("PGUSER")).append('@');
        }
        b.append(e.getOrDefault("PGHOST", "localhost"));
        if (e.get("PGPORT") != null) {
            b.append(':').append(e.get("PGPORT"));
        }
        b.append('/').append(e.getOrDefault("PGDATABASE", ""));
        return b.toString();
    }

    /**
     * The same server as a connection string with no password (libpq then takes it from PGPASSWORD or
     * ~/.pgpass), for a manifest from which a drill can find the source server again.
     */
    public String withoutPassword(Map<String, String> env) {
        Map<String, String> e = environment(env);
        StringBuilder b = new StringBuilder();
        for (String key : java.util.List.of("host", "port", "user", "dbname", "sslmode")) {
            String v = e.get(ENV.get(key));
            if (v != null && !v.isEmpty()) {
                b.append(b.length() == 0 ? "" : " ").append(key).append("='")
                        .append(v.replace("\\", "\\\\").replace("'", "\\'")).append('\'');
            }
        }
        return b.toString();
    }
}
