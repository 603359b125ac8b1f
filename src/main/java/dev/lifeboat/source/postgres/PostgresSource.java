package dev.lifeboat.source.postgres;

import dev.lifeboat.source.StderrTail;
import dev.lifeboat.core.ErrorCode;
import dev.lifeboat.core.LifeboatException;
import dev.lifeboat.repository.Artifact;
import dev.lifeboat.repository.Manifest;
import dev.lifeboat.source.ArtifactSink;
import dev.lifeboat.source.RestoreOptions;
import dev.lifeboat.source.Restorer;
import dev.lifeboat.source.Source;
import dev.lifeboat.source.SourceContext;

import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;

/** A PostgreSQL database as a {@link Source}; see {@link PostgresType}. */
final class PostgresSource implements Source {
    private final String name;
    private final PgConnection conn;
    private final boolean globals;
    private final boolean stop;
    private final SourceContext context;
    private final String globalsArtifact;

    PostgresSource(String name, PgConnection conn, boolean globals, boolean stop, SourceContext context,
                   String globalsArtifact) {
        this.name = name;
        this.conn = conn;
        this.globals = globals;
        this.stop = stop;
        this.context = context;
        this.globalsArtifact = globalsArtifact;
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public String type() {
        return "postgres";
    }

    @Override
    public boolean readWhileStopped() {
        return stop;
    }

    @Override
    public Prepared prepare() {
        PgTools tools = context.tool(PgTools.class);
        tools.prefetch("psql", "pg_dump");
        if (globals) {
            tools.prefetch("pg_dumpall");
        }
        PostgresDump dump = PostgresDump.prepare(tools, conn);
        return new Prepared() {
            @Override
            public long estimatedBytes() {
                return dump.estimatedBytes();
            }

            @Override
            public Manifest.Source backup(ArtifactSink sink) throws IOException, InterruptedException {
                Artifact artifact;
                try (InputStream in = dump.start()) {
                    artifact = sink.write(name + ".dump", Artifact.PG_DUMP_CUSTOM, in, dump::dataOffset);
                }
                dump.finish();
                String[] locale = dump.locale();
                Manifest.Source recorded = new PgRecord(conn.toString(), dump.serverVersion(), dump.pgDump().toString(),
                        dump.tables(), locale[0], locale[1], locale[2], conn.withoutPassword(context.environment()))
                        .toSource(name);
                if (globals) {
                    globals(sink, tools, dump);
                }
                return recorded;
            }

            @Override
            public void close() {
                dump.close();
            }
        };
    }

    private void globals(ArtifactSink sink, PgTools tools, PostgresDump dump) throws IOException, InterruptedException {
        int major = Integer.parseInt(dump.serverVersion().replaceAll("^(\\d+).*", "$1"));
        Process p = PostgresDump.startGlobals(tools, conn, major);
        StderrTail err = new StderrTail(p.getErrorStream(), "pg_dumpall");
        try (InputStream in = p.getInputStream()) {
            sink.write(globalsArtifact, Artifact.PG_DUMPALL_GLOBALS, in);
        }
        int rc = p.waitFor();
        if (rc != 0) {
            String text = err.text();
            LifeboatException login = PgAuth.error(conn, text);
            throw login != null ? login : new LifeboatException(ErrorCode.DATABASE, "pg_dumpall --globals-only on "
                    + conn + " failed: " + text, "globals need a superuser; back up without --globals if you have none");
        }
    }

    @Override
    public Restorer restorer(Manifest.Source recorded, RestoreOptions options, String to) {
        PgConnection target = to == null ? conn : PostgresType.connection(name, to);
        if (target.database() == null) {
            throw new LifeboatException(ErrorCode.USAGE, "source " + name + " (postgres): the target " + target
                    + " names no database", "add the database name, e.g. postgres://user@host:5432/app");
        }
        PgRecord record = PgRecord.of(recorded);
        List<TableInfo> tables = new ArrayList<>();
        for (String part : options.parts()) {
            String qualified = part.contains(".") ? part : "public." + part;
            tables.add(record.tables().stream().filter(t -> t.qualifiedName().equals(qualified)).findFirst()
                    .orElseThrow(() -> new LifeboatException(ErrorCode.NOT_FOUND, "source " + name + " (postgres): "
                            + "table " + qualified + " is not in its backup", "list its tables with lifeboat show")));
        }
        PgTools tools = context.tool(PgTools.class);
        PostgresRestore restore = new PostgresRestore(tools);
        return new Restorer() {
            private PostgresRestore.TargetState state;

            @Override
            public String target() {
                return "database " + target.database() + " on " + target;
            }

            @Override
            public Inspection inspect() {
                tools.prefetch("psql", "pg_restore");
                state = restore.inspect(target, tables.isEmpty() ? record.tables() : tables, !tables.isEmpty());
                String where = "source " + name + " (postgres): ";
                if (!state.exists() && !options.create()) {
                    throw new LifeboatException(ErrorCode.NOT_FOUND, where + "database " + target.database()
                            + " does not exist on " + target, "pass --create to create it, or check the name");
                }
                if (!state.exists() && !state.mayCreate()) {
                    throw new LifeboatException(ErrorCode.DATABASE, where + "user " + state.user() + " may not create "
                            + "databases on " + target, "create " + target.database() + " as a user that may, or "
                            + "grant the right: ALTER ROLE " + state.user() + " CREATEDB");
                }
                if (state.exists() && options.create()) {
                    throw new LifeboatException(ErrorCode.USAGE, where + "database " + target.database() + " already "
                            + "exists on " + target, "leave out --create to restore over it (a safety backup is taken "
                            + "first)");
                }
                if (!state.cannotReplace().isEmpty()) {
                    throw new LifeboatException(ErrorCode.DATABASE, where + "user " + state.user() + " may not replace "
                            + state.cannotReplace().size() + " table(s) of " + target + ": "
                            + String.join(", ", state.cannotReplace().subList(0, Math.min(10, state.cannotReplace()
                            .size()))) + "; nothing was changed", "restore as the database's owner, or into a new "
                            + "database (--create)");
                }
                if (!state.refused().isEmpty()) {
                    throw TableDependents.refusal(String.join(", ", tables.stream().map(TableInfo::qualifiedName)
                            .toList()), "database '" + target.database() + "' on " + target, state.refused(),
                            "nothing was changed");
                }
                return new Inspection(state.exists() && state.userTables() > 0, !state.exists() ? "to be created"
                        : state.userTables() + " table(s)");
            }

            @Override
            public Source safetySource() {
                return new PostgresSource(name, target, false, false, context, name + ".globals.sql");
            }

            @Override
            public void restore(Artifacts artifacts) throws IOException, InterruptedException {
                if (state == null) {
                    inspect();
                }
                Artifact dump = artifacts.list().stream().filter(Artifact::databaseDump).findFirst()
                        .orElseThrow(() -> new LifeboatException(ErrorCode.INTEGRITY, "source " + name + " (postgres): "
                                + "its backup holds no database dump", "restore another backup"));
                if (!state.exists()) {
                    restore.createDatabase(target, record);
                }
                try {
                    restore.restore(target, () -> open(artifacts, dump), () -> open(artifacts, dump), tables,
                            state.serverMajor(), record.dumpMajor(), new PostgresRestore.Options(!state.exists(),
                                    options.privileges(), options.owners(), context.notice()));
                } catch (IOException | InterruptedException | RuntimeException e) {
                    if (!state.exists()) {
                        restore.dropDatabase(target); // what it created holds half a restore
                    }
                    throw e;
                }
            }
        };
    }

    private static InputStream open(Restorer.Artifacts artifacts, Artifact a) {
        try {
            return artifacts.open(a);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
