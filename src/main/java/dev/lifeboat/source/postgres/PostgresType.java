package dev.lifeboat.source.postgres;

import dev.lifeboat.core.ErrorCode;
import dev.lifeboat.core.LifeboatException;
import dev.lifeboat.repository.Manifest;
import dev.lifeboat.source.Source;
import dev.lifeboat.source.SourceContext;
import dev.lifeboat.source.SourceSpec;
import dev.lifeboat.source.SourceType;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Type {@code postgres}: one database, read with {@code pg_dump --format=custom} in one exported snapshot (so it is
 * consistent on its own and read outside the stack's stop unless {@code stop: true}), optionally with the server's
 * globals ({@code pg_dumpall --globals-only}). Its manifests record type {@code postgresql} ({@link PgRecord}).
 *
 * <pre>
 * app: { type: postgres, url: "postgres://app@db:5432/app", globals: false, stop: false }
 * </pre>
 */
public final class PostgresType implements SourceType {
    @Override
    public String name() {
        return "postgres";
    }

    @Override
    public String recordedType() {
        return PgRecord.TYPE;
    }

    @Override
    public Source configure(SourceSpec spec, SourceContext context) {
        spec.only(Set.of("url", "globals"));
        String url = spec.required("url", "\"postgres://user@host:5432/dbname\" (the password from PGPASSWORD or "
                + "~/.pgpass, never here)");
        PgConnection conn = parse(spec.name(), url);
        if (conn.database() == null) {
            throw spec.error("the url " + conn + " names no database", "add the database name, e.g. "
                    + "postgres://user@host:5432/app");
        }
        if (conn.get("password") != null) {
            throw spec.error("the url holds a password", "take it out of lifeboat.yml: set PGPASSWORD in the "
                    + "environment of Lifeboat, or use ~/.pgpass");
        }
        return new PostgresSource(spec.name(), conn, spec.flag("globals", false), spec.flag("stop", false),
                context, spec.name() + ".globals.sql");
    }

    /**
     * The sources of {@code --db} (and {@code DATABASE_URL} or lifeboat.yml's {@code databases:}), named after their
     * databases: every database of the first one's server with {@code all}, and the first one's server's globals
     * as {@code globals.sql} with {@code globals}.
     */
    public static List<Source> fromCommandLine(List<String> specs, boolean all, boolean globals, SourceContext context) {
        if (specs.isEmpty()) {
            throw new LifeboatException(ErrorCode.USAGE, "no database to back up",
                    "pass --db postgres://user@host:5432/dbname or set DATABASE_URL");
        }
        List<PgConnection> conns = new ArrayList<>();
        for (String spec : specs) {
            conns.add(parse(null, spec));
        }
        if (all) {
            PgConnection first = conns.get(0);
            PgConnection server = first.database() == null ? first.withDatabase("postgres") : first;
            conns = PostgresDump.listDatabases(context.tool(PgTools.class), server).stream().map(server::withDatabase)
                    .toList();
        }
        for (PgConnection c : conns) {
            if (c.database() == null) {
                throw new LifeboatException(ErrorCode.USAGE, "the connection " + c + " names no database",
                        "add the database name, e.g. postgres://user@host:5432/app, or use --all-databases");
            }
        }
        if (conns.stream().map(PgConnection::database).distinct().count() < conns.size()) {
            throw new LifeboatException(ErrorCode.USAGE, "the same database name is given twice",
                    "back up databases of the same name on different servers in separate backups");
        }
        List<Source> out = new ArrayList<>();
        for (int i = 0; i < conns.size(); i++) {
            PgConnection c = conns.get(i);
            out.add(new PostgresSource(c.database(), c, globals && i == 0, false, context, "globals.sql"));
        }
        return out;
    }

    /** The connection {@code spec} of a restore's target ({@code --to}) for the source {@code source}. */
    static PgConnection connection(String source, String spec) {
        return parse(source, spec);
    }

    private static PgConnection parse(String source, String spec) {
        try {
            return PgConnection.parse(spec);
        } catch (IllegalArgumentException e) {
            throw new LifeboatException(ErrorCode.USAGE, (source == null ? "" : "source " + source + " (postgres): ")
                    + "invalid database connection: " + e.getMessage(),
                    "use postgres://user@host:5432/dbname or 'host=... dbname=...'");
        }
    }

    @Override
    public SourceSpec forTarget(String name, String to) {
        return new SourceSpec(name, name(), Map.of("type", name(), "url", to));
    }

    @Override
    public void problems(Manifest.Source recorded, String name, List<String> problems) {
        PgRecord.problems(recorded, name, problems);
    }

    @Override
    public Map<String, String> describe(Manifest.Source recorded) {
        PgRecord r = PgRecord.of(recorded);
        Map<String, String> out = new LinkedHashMap<>();
        put(out, "Server", r.serverVersion() == null ? null : "PostgreSQL " + r.serverVersion());
        put(out, "Dumped with", r.dumpTool());
        put(out, "From", r.connection());
        put(out, "Encoding", r.encoding());
        return out;
    }

    @Override
    public Contents contents(Manifest.Source recorded) {
        List<TableInfo> tables = PgRecord.of(recorded).tables();
        List<List<String>> rows = new ArrayList<>();
        for (TableInfo t : tables) {
            rows.add(List.of(t.qualifiedName(), Long.toString(t.rows())));
        }
        return new Contents(tables.size() + " table(s) with their row counts", List.of("Table", "Rows"), rows);
    }

    private static void put(Map<String, String> out, String key, String value) {
        if (value != null) {
            out.put(key, value);
        }
    }
}
