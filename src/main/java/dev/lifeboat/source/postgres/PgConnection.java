package dev.lifeboat.source.postgres;

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
     * Parses {@code postgres://user:pass@host:port/db?sslmode=require} or {@code host=h dbname=d ...} (with
     * {@link PgConnInfo}), taking only the keywords Lifeboat can pass on to the client programs.
     *
     * @throws IllegalArgumentException with a message naming what is wrong (never the password)
     */
    public static PgConnection parse(String spec) {
        Map<String, String> p = PgConnInfo.parse(spec);
        for (String key : p.keySet()) {
            if (!ENV.containsKey(key)) {
                // a key the redacted string does not show may be a piece of the password (password=x y=z)
                String shown = PgConnInfo.redact(spec);
                throw new IllegalArgumentException(PgConnInfo.shows(shown, key)
                        ? "unsupported connection parameter '" + key + "' in " + shown + "; supported: "
                                + String.join(", ", ENV.keySet())
                        : "unsupported connection parameter after the password in " + shown + "; a password holding"
                                + " a space is written in quotes (password='...'), and in a URI a '/', '?', '@' or"
                                + " '&' in it is percent-encoded (%2F, %3F, %40, %26)");
            }
        }
        return new PgConnection(p);
    }

    /** The database name, or null when libpq would default it (to the user name). */
    public String database() {
        return params.get("dbname");
    }

    public String get(String key) {
        return params.get(key);
    }

    /** The same connection under another {@code application_name}, by which a {@link LockWatch} finds it. */
    public PgConnection withApplicationName(String name) {
        Map<String, String> p = new HashMap<>(params);
        p.put("application_name", name);
        return new PgConnection(p);
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
     * parameters set over it, and, when neither gives a password, the one typed for its login ({@link PgAuth}).
     */
    public Map<String, String> environment(Map<String, String> base) {
        Map<String, String> env = settings(base);
        PgAuth.supply(env);
        return env;
    }

    /** {@code base} with this connection's parameters set over it. */
    private Map<String, String> settings(Map<String, String> base) {
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
        Map<String, String> e = settings(env);
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
        Map<String, String> e = settings(env);
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
