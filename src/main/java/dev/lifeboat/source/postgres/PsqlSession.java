package dev.lifeboat.source.postgres;

import dev.lifeboat.source.Pipes;
import dev.lifeboat.source.StderrTail;
import dev.lifeboat.core.ErrorCode;
import dev.lifeboat.core.LifeboatException;

import java.io.BufferedReader;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

/**
 * One live psql session, for queries that must share a transaction (the exported snapshot of a dump
 * and the row counts taken in it). Going through psql keeps every libpq connection option (sockets,
 * SSL, service files, .pgpass) working exactly as for pg_dump. Results come back one row a line, fields
 * separated by the unit separator; callers hex-encode anything that could hold a newline.
 */
public final class PsqlSession implements Closeable {
    private static final String SEP = "\u001f";
    private final Process process;
    private final OutputStream raw;
    private final Writer stdin;
    private final BufferedReader stdout;
    private final StderrTail stderr;
    private final PgConnection conn;

    private PsqlSession(Process process, PgConnection conn) {
        this.process = process;
        this.conn = conn;
        this.raw = process.getOutputStream();
        this.stdin = new OutputStreamWriter(raw, StandardCharsets.UTF_8);
        this.stdout = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
        this.stderr = new StderrTail(process.getErrorStream(), "psql");
    }

    /**
     * Connects. psql never prompts ({@code -w}): when the server asks for a password that libpq finds nowhere, it is
     * asked for once ({@link PgAuth#ask}, on a terminal only) and the session started again with it.
     */
    public static PsqlSession open(PgTools.Binary psql, PgConnection conn) {
        return open(psql, conn, List.of());
    }

    /** A session with more psql options after the usual ones (which they override, as {@code -v VERBOSITY=...}). */
    public static PsqlSession open(PgTools.Binary psql, PgConnection conn, List<String> options) {
        PsqlSession s = start(psql, conn, options);
        try {
            s.query("select 1");
        } catch (LifeboatException e) {
            if (!PgAuth.notGiven(s.stderr.text()) || !PgAuth.ask(conn)) {
                throw e;
            }
            s = start(psql, conn, options);
            s.query("select 1");
        }
        return s;
    }

    /** The psql command; nothing of the connection is on it (that is in the environment). */
    static List<String> command(PgTools.Binary psql) {
        return List.of(psql.path().toString(), "-X", "-q", "-w", "-A", "-t", "-F", SEP, "-v", "ON_ERROR_STOP=1",
                "-v", "VERBOSITY=terse");
    }

    private static PsqlSession start(PgTools.Binary psql, PgConnection conn, List<String> options) {
        List<String> cmd = new ArrayList<>(command(psql));
        cmd.addAll(options);
        ProcessBuilder pb = new ProcessBuilder(cmd);
        pb.environment().clear();
        pb.environment().putAll(conn.environment(System.getenv()));
        pb.environment().put("PGCONNECT_TIMEOUT", conn.get("connect_timeout") != null ? conn.get("connect_timeout") : "15");
        try {
            return new PsqlSession(pb.start(), conn);
        } catch (IOException e) {
            throw new LifeboatException(ErrorCode.TOOLS, "cannot run " + psql.path() + ": " + e.getMessage(),
                    "install the PostgreSQL client tools", e);
        }
    }

    /** Runs one statement and returns its rows; fields split on the separator. */
    public List<String[]> query(String sql) {
        String marker = "__lifeboat_" + UUID.randomUUID().toString().replace("-", "") + "__";
        List<String[]> rows = new ArrayList<>();
        try {
            stdin.write(sql);
            stdin.write(";\n\\echo " + marker + "\n");
            stdin.flush();
            String line;
            while ((line = stdout.readLine()) != null) {
                if (line.equals(marker)) {
                    return rows;
                }
                rows.add(line.split(SEP, -1));
            }
        } catch (IOException e) {
            // psql exited: the reason is on stderr
        }
        throw failure();
    }

    /**
     * Runs a script, such as the one {@code pg_restore --file=-} writes, in this session, and returns once psql has
     * run all of it; what it prints is dropped. A failure to read {@code script} (its writer failed) ends psql at
     * once, so that nothing after the part it got is run, and is rethrown; a statement that fails ends psql as
     * {@link #query} does.
     */
    public void run(InputStream script) throws IOException {
        String marker = "__lifeboat_" + UUID.randomUUID().toString().replace("-", "") + "__";
        Exception[] readError = new Exception[1];
        Thread writer = new Thread(() -> {
            try (script) {
                stdin.flush();
                if (Pipes.copy(script, raw, process, readError, 1 << 20)) {
                    raw.write(("\n\\echo " + marker + "\n").getBytes(StandardCharsets.UTF_8));
                    raw.flush();
                }
            } catch (IOException stopped) {
                // psql ended (a statement failed): its stderr says why
            }
        }, "psql-script");
        writer.start();
        boolean done = false;
        try {
            String line;
            while ((line = stdout.readLine()) != null) {
                if (line.equals(marker)) {
                    done = true;
                    break;
                }
            }
        } catch (IOException e) {
            // psql exited
        }
        try {
            writer.join();
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new java.io.InterruptedIOException("stopped while psql ran a script");
        }
        Pipes.rethrow(readError);
        if (!done) {
            throw failure();
        }
    }

    /** A single value. */
    public String value(String sql) {
        List<String[]> rows = query(sql);
        if (rows.size() != 1) {
            throw new IllegalStateException("expected one row from: " + sql + ", got " + rows.size());
        }
        return rows.get(0)[0];
    }

    private LifeboatException failure() {
        try {
            process.waitFor(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        String err = stderr.text();
        LifeboatException login = PgAuth.error(conn, err);
        return login != null ? login : new LifeboatException(ErrorCode.DATABASE, "database " + conn + ": "
                + (err.isEmpty() ? "psql ended unexpectedly" : err), hint(err));
    }

    /**
     * What to do about psql's error: a statement refused for want of a privilege is not a connection problem, and
     * a statement's other errors are PostgreSQL's own to explain.
     */
    static String hint(String err) {
        if (err.contains("ERROR:") && err.contains("permission denied")) {
            return "the user lacks the privilege named above: grant it, or connect as a user that has it";
        }
        if (err.contains("ERROR:")) {
            return "see PostgreSQL's message above";
        }
        return "check that the server is running and reachable and that the user, password and database are right";
    }

    @Override
    public void close() {
        try {
            stdin.write("\\q\n");
            stdin.flush();
            stdin.close();
        } catch (IOException ignored) {
            // already gone
        }
        try {
            if (!process.waitFor(5, TimeUnit.SECONDS)) {
                process.destroyForcibly();
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }

    /** Quotes a string as an SQL literal. */
    public static String literal(String s) {
        return "'" + s.replace("'", "''") + "'";
    }

    /** Quotes an identifier. */
    public static String ident(String s) {
        return "\"" + s.replace("\"", "\"\"") + "\"";
    }
}
