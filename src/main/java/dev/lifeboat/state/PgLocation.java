package dev.lifeboat.state;

import dev.lifeboat.core.ErrorCode;
import dev.lifeboat.core.LifeboatException;
import dev.lifeboat.source.postgres.PgConnInfo;

import java.io.ByteArrayOutputStream;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.Set;

/**
 * Where the PostgreSQL state lives, as the JDBC driver wants it: a {@code jdbc:postgresql://} URL with neither
 * user nor password, the user and password apart, and the other driver properties. Made from a libpq-style
 * {@code postgres://user:password@host:port/db?sslmode=require} URI, or from a {@code jdbc:postgresql:} URL.
 * The URI is read by {@link PgConnInfo}, the parser that also reads the connection strings of the databases
 * Lifeboat backs up; what this class adds is the JDBC side: defaults, driver property names, the URL.
 *
 * <p>What the URI leaves out comes from the environment as libpq would take it: {@code PGPASSWORD},
 * {@code PGUSER}, {@code PGHOST}, {@code PGPORT}, {@code PGDATABASE}, {@code PGSSLMODE}. Query parameters with a
 * libpq name the driver spells differently are renamed ({@code connect_timeout}, {@code application_name},
 * {@code target_session_attrs}); any other one goes to the driver as it is ({@code currentSchema},
 * {@code socketTimeout}, ...).
 *
 * <p>{@link #display()} and {@link #toString()} never contain the password (nor {@code sslpassword}); neither
 * does any message this class throws.
 */
final class PgLocation {
    private static final Set<String> SECRET = Set.of("password", "sslpassword");
    private static final Map<String, String> RENAMED = Map.of(
            "connect_timeout", "connectTimeout",
            "application_name", "ApplicationName",
            "target_session_attrs", "targetServerType");
    /** libpq's target_session_attrs values, as pgjdbc's targetServerType. */
    private static final Map<String, String> TARGET = Map.of(
            "any", "any",
            "read-write", "primary",
            "primary", "primary",
            "read-only", "secondary",
            "standby", "secondary",
            "prefer-standby", "preferSecondary");

    private final String jdbcUrl;
    private final String user;
    private final String password;
    private final Properties properties;
    private final String display;

    private PgLocation(String jdbcUrl, String user, String password, Properties properties, String display) {
        this.jdbcUrl = jdbcUrl;
        this.user = user;
        this.password = password;
        this.properties = properties;
        this.display = display;
    }

    /** Whether {@code url} names a PostgreSQL database: {@code postgres://}, {@code postgresql://}, {@code jdbc:postgresql:}. */
    static boolean isPostgres(String url) {
        String s = url.strip().toLowerCase(Locale.ROOT);
        return s.startsWith("postgres://") || s.startsWith("postgresql://") || s.startsWith("jdbc:postgresql:");
    }

    /**
     * Parses a state location.
     *
     * @throws LifeboatException {@link ErrorCode#USAGE} when it is malformed; the message never holds the password
     */
    static PgLocation parse(String url, Map<String, String> env) {
        String s = url.strip();
        return s.toLowerCase(Locale.ROOT).startsWith("jdbc:") ? parseJdbc(s, env) : parseUri(s, env);
    }

    private static PgLocation parseUri(String s, Map<String, String> env) {
        Map<String, String> params;
        try {
            params = new LinkedHashMap<>(PgConnInfo.parseUri(s));
        } catch (IllegalArgumentException e) {
            throw usage(e.getMessage());
        }
        // The query has already overridden the URI's parts, as in libpq; what is left after these is the query's
        // other parameters, in their order.
        String user = params.remove("user");
        String password = params.remove("password");
        String db = params.remove("dbname");
        List<String> hosts = list(params.remove("host"));
        List<String> ports = list(params.remove("port"));

        if (user == null || user.isEmpty()) {
            user = nonBlank(env.get("PGUSER"), System.getProperty("user.name"));
        }
        if (password == null || password.isEmpty()) {
            password = nonBlank(env.get("PGPASSWORD"), null);
        }
        if (db == null || db.isEmpty()) {
            db = nonBlank(env.get("PGDATABASE"), user);
        }
        if (hosts.isEmpty() || hosts.stream().allMatch(String::isEmpty)) {
            String fromEnv = env.get("PGHOST");
            hosts = new ArrayList<>(List.of(fromEnv != null && !fromEnv.isBlank() && !fromEnv.startsWith("/")
                    ? fromEnv.split(",", -1) : new String[] {"localhost"}));
        }
        if (ports.stream().allMatch(String::isEmpty)) {
            String fromEnv = env.get("PGPORT");
            ports = new ArrayList<>(fromEnv != null && !fromEnv.isBlank()
                    ? List.of(fromEnv.split(",", -1)) : List.of());
        }
        if (!params.containsKey("sslmode") && env.get("PGSSLMODE") != null && !env.get("PGSSLMODE").isBlank()) {
            params.put("sslmode", env.get("PGSSLMODE"));
        }

        StringBuilder jdbc = new StringBuilder("jdbc:postgresql://");
        StringBuilder shown = new StringBuilder("postgres://");
        if (user != null) {
            shown.append(encode(user)).append('@');
        }
        for (int i = 0; i < hosts.size(); i++) {
            String host = hosts.get(i).strip();
            String port = ports.size() == 1 ? ports.get(0) : i < ports.size() ? ports.get(i) : "";
            port = port.strip();
            if (host.isEmpty()) {
                host = "localhost";
            }
            if (host.startsWith("/")) {
                throw usage("PostgreSQL state needs a TCP host, not the unix socket folder " + host);
            }
            if (!port.isEmpty() && !port.chars().allMatch(Character::isDigit)) {
                String redacted = PgConnInfo.redact(s);
                throw usage("invalid port " + (PgConnInfo.shows(redacted, port) ? "'" + port + "' " : "")
                        + "in the PostgreSQL URI " + redacted + " (or PGPORT): a port is a number");
            }
            String h = host.contains(":") ? "[" + host + "]" : host;
            if (i > 0) {
                jdbc.append(',');
                shown.append(',');
            }
            jdbc.append(h);
            shown.append(h);
            if (!port.isEmpty()) {
                jdbc.append(':').append(port);
                shown.append(':').append(port);
            }
        }
        jdbc.append('/').append(encode(db));
        shown.append('/').append(encode(db));

        Properties props = new Properties();
        StringBuilder shownQuery = new StringBuilder();
        for (Map.Entry<String, String> p : params.entrySet()) {
            String key = p.getKey();
            String value = p.getValue();
            if (key.equals("target_session_attrs")) {
                String mapped = TARGET.get(value);
                if (mapped == null) {
                    String redacted = PgConnInfo.redact(s);
                    throw usage("unsupported target_session_attrs " + (PgConnInfo.shows(redacted, value) ? "'" + value
                            + "' " : "") + "in the PostgreSQL URI " + redacted + "; use one of "
                            + String.join(", ", TARGET.keySet()));
                }
                value = mapped;
            }
            props.setProperty(RENAMED.getOrDefault(key, key), value);
            if (!SECRET.contains(key)) {
                shownQuery.append(shownQuery.length() == 0 ? "?" : "&").append(encode(key)).append('=')
                        .append(encode(p.getValue()));
            }
        }
        props.putIfAbsent("ApplicationName", "lifeboat");
        return new PgLocation(jdbc.toString(), user, password, props, shown.append(shownQuery).toString());
    }

    private static PgLocation parseJdbc(String s, Map<String, String> env) {
        String base = s;
        Properties props = new Properties();
        String user = null;
        String password = null;
        StringBuilder shownQuery = new StringBuilder();
        int q = s.indexOf('?');
        if (q >= 0) {
            base = s.substring(0, q);
            for (String kv : s.substring(q + 1).split("&")) {
                if (kv.isEmpty()) {
                    continue;
                }
                int eq = kv.indexOf('=');
                String key = decode(eq < 0 ? kv : kv.substring(0, eq));
                String value = eq < 0 ? "" : decode(kv.substring(eq + 1));
                if (key.equals("user")) {
                    user = value;
                } else if (key.equals("password")) {
                    password = value;
                } else {
                    props.setProperty(key, value);
                }
                if (!SECRET.contains(key)) {
                    shownQuery.append(shownQuery.length() == 0 ? "?" : "&").append(kv);
                }
            }
        }
        if (base.indexOf('@') >= 0) {
            throw usage("a jdbc:postgresql: URL cannot hold a user or password before the host: give them as "
                    + "?user=...&password=..., or use a postgres:// URI");
        }
        if (base.length() <= "jdbc:postgresql:".length()) {
            throw usage("incomplete JDBC URL '" + base + "': expected jdbc:postgresql://host:port/database");
        }
        if (user == null || user.isEmpty()) {
            user = nonBlank(env.get("PGUSER"), System.getProperty("user.name"));
        }
        if (password == null || password.isEmpty()) {
            password = nonBlank(env.get("PGPASSWORD"), null);
        }
        props.putIfAbsent("ApplicationName", "lifeboat");
        return new PgLocation(base, user, password, props, base + shownQuery);
    }

    /** The URL for the driver: never holds the user or password. */
    String jdbcUrl() {
        return jdbcUrl;
    }

    String user() {
        return user;
    }

    /** May be null: the driver then tries {@code ~/.pgpass} (or {@code PGPASSFILE}). */
    String password() {
        return password;
    }

    /** Driver properties other than user and password. */
    Properties properties() {
        Properties copy = new Properties();
        copy.putAll(properties);
        return copy;
    }

    /** Every driver property, user and password included, for one direct connection. */
    Properties connectionProperties() {
        Properties all = properties();
        if (user != null) {
            all.setProperty("user", user);
        }
        if (password != null) {
            all.setProperty("password", password);
        }
        return all;
    }

    /** {@code postgres://user@host:port/db?params}, without password: for messages and logs. */
    String display() {
        return display;
    }

    /** Replaces the password wherever it occurs in {@code text} (a driver message, say). */
    String scrub(String text) {
        if (text == null || password == null || password.isEmpty()) {
            return text;
        }
        return text.replace(password, "********");
    }

    @Override
    public String toString() {
        return display;
    }

    /** A libpq comma-separated list (of hosts, of ports), empty entries kept; none for null. */
    private static List<String> list(String value) {
        return value == null ? new ArrayList<>() : new ArrayList<>(List.of(value.split(",", -1)));
    }

    private static String nonBlank(String value, String otherwise) {
        return value != null && !value.isBlank() ? value : otherwise;
    }

    /** Percent-decodes a part of a JDBC URL's query; a bad escape is a usage error that does not show the part. */
    private static String decode(String s) {
        try {
            return URLDecoder.decode(s.replace("+", "%2B"), StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            throw usage("invalid percent-encoding in the query of the JDBC URL");
        }
    }

    /** Percent-encodes all but the characters that are safe in every part of a URI. */
    private static String encode(String s) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte b : s.getBytes(StandardCharsets.UTF_8)) {
            int c = b & 0xff;
            if (c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || "-._~".indexOf(c) >= 0) {
                out.write(c);
            } else {
                byte[] esc = String.format("%%%02X", c).getBytes(StandardCharsets.US_ASCII);
                out.write(esc, 0, esc.length);
            }
        }
        return out.toString(StandardCharsets.US_ASCII);
    }

    private static LifeboatException usage(String message) {
        return new LifeboatException(ErrorCode.USAGE, message,
                "give --state (or LIFEBOAT_STATE) as postgres://user@host:port/database?sslmode=require, with the "
                        + "password in PGPASSWORD");
    }
}
