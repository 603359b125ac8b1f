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
        // PostgreSQL restores still run through engine.RestoreEngine, which moves behind this interface next
        throw new LifeboatException(ErrorCode.USAGE, "source " + name + " (postgres): restore it with lifeboat restore "
                + "--database " + name + " --target URL", null);
    }
}
