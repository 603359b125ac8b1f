package dev.lifeboat.source.postgres;

import dev.lifeboat.source.StderrTail;
import dev.lifeboat.core.ErrorCode;
import dev.lifeboat.core.LifeboatException;
import dev.lifeboat.repository.Manifest;

import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * A logical dump of one database, in the order the backup needs it:
 * <ol>
 *   <li>{@link #prepare}: connect, read the server version, choose pg_dump (failing before anything
 *       is written when none fits), open a repeatable-read transaction and export its snapshot;</li>
 *   <li>{@link #start}: run {@code pg_dump -Fc -Z0 --snapshot=...}, whose stdout the caller streams into
 *       the repository (Lifeboat compresses; pg_dump's own compression would defeat dedup);</li>
 *   <li>{@link #finish}: wait for pg_dump and fail with its stderr if it failed;</li>
 *   <li>{@link #tables}: the tables with their index and sequence names, read in the same snapshot, and their
 *       row counts, counted in the archive as it streamed by ({@link ArchiveRows}).</li>
 * </ol>
 */
public final class PostgresDump implements Closeable {
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(PostgresDump.class);
    private final PgTools tools;
    private final PgConnection conn;
    private final Duration lockWait;
    private final PsqlSession session;
    private final PgTools.Binary pgDump;
    private final String serverVersion;
    private final String snapshot;
    private final String[] locale;
    private final long estimatedBytes;
    private final String appName;
    private final LockWatch watch;
    private final ArchiveRows archiveRows = new ArchiveRows();
    private Process process;
    private StderrTail stderr;

    private PostgresDump(PgTools tools, PgConnection conn, String appName, LockWatch watch, Duration lockWait,
                         PsqlSession session, PgTools.Binary pgDump, String serverVersion, String snapshot,
                         String[] locale, long estimatedBytes) {
        this.tools = tools;
        this.appName = appName;
        this.watch = watch;
        this.lockWait = lockWait;
        this.locale = locale;
        this.estimatedBytes = estimatedBytes;
        this.conn = conn;
        this.session = session;
        this.pgDump = pgDump;
        this.serverVersion = serverVersion;
        this.snapshot = snapshot;
    }

    public static PostgresDump prepare(PgTools tools, PgConnection conn) {
        Duration lockWait = tools.lockWait();
        // Lifeboat's session and pg_dump's share a name, by which a watch finds them when they wait for a lock
        // (they give up on their own after lockWait): until pg_dump's first byte, after which it takes no more locks.
        String appName = "lifeboat-backup-" + java.util.UUID.randomUUID().toString().substring(0, 8);
        LockWatch watch = LockWatch.start(tools, conn, appName, lockWait, "backing up", false);
        PsqlSession session;
        try {
            session = PsqlSession.open(tools.newest("psql"), conn.withApplicationName(appName));
        } catch (RuntimeException e) {
            watch.close();
            throw e;
        }
        try {
            // The size estimate (and the row counts, when they cannot come from the archive) lock each table as
            // pg_dump does: never wait for ever.
            session.query("set lock_timeout = '" + LockWait.setting(lockWait) + "'");
            int versionNum = Integer.parseInt(session.value("show server_version_num"));
            String version = session.value("show server_version");
            PgTools.Binary pgDump = tools.choose("pg_dump", versionNum / 10000,
                    "database " + conn + " (PostgreSQL " + version + ")");
            checkReadable(session, conn, versionNum / 10000);
            // The exporting transaction must outlive pg_dump's start and the row counts.
            session.query("set idle_in_transaction_session_timeout = 0");
            session.query("begin isolation level repeatable read, read only");
            String snapshot = session.value("select pg_export_snapshot()");
            String[] row = session.query("select pg_encoding_to_char(encoding), datcollate, datctype, (" + ESTIMATE
                    + ") from pg_database where datname = current_database()").get(0);
            String[] locale = Arrays.copyOf(row, 3);
            long estimate = row[3] == null || row[3].isEmpty() ? -1 : Long.parseLong(row[3]);
            return new PostgresDump(tools, conn, appName, watch, lockWait, session, pgDump, version, snapshot, locale,
                    estimate);
        } catch (LifeboatException e) {
            session.close();
            watch.close();
            throw LockWait.timedOut(e.getMessage()) ? lockError(tools, conn, Optional.empty(), lockWait) : e;
        } catch (RuntimeException e) {
            session.close();
            watch.close();
            throw e;
        }
    }

    /**
     * Fails, naming every one of them, when the user cannot read some schema, table or sequence that pg_dump must
     * read: pg_dump would name only the first, one failed backup at a time (a table created by a migration without
     * a grant for the backup's user is the usual cause).
     */
    private static void checkReadable(PsqlSession session, PgConnection conn, int serverMajor) {
        List<String[]> rows = session.query("""
                select case when not has_schema_privilege(n.oid, 'USAGE') then 'schema' when c.relkind = 'S'
                            then 'sequence' else 'table' end,
                       encode(convert_to(quote_ident(n.nspname), 'UTF8'), 'hex'),
                       encode(convert_to(quote_ident(c.relname), 'UTF8'), 'hex')
                from pg_class c join pg_namespace n on n.oid = c.relnamespace
                where c.relkind in ('r', 'p', 'S')
                  and n.nspname not in ('pg_catalog', 'information_schema')
                  and n.nspname not like 'pg\\_toast%' and n.nspname not like 'pg\\_temp%'
                  and not exists (select 1 from pg_depend e where e.classid = 'pg_class'::regclass
                                  and e.objid = c.oid and e.deptype = 'e')
                  and (not has_schema_privilege(n.oid, 'USAGE')
                       or (c.relkind = 'S' and not has_sequence_privilege(c.oid, 'SELECT'))
                       or (c.relkind <> 'S' and not has_table_privilege(c.oid, 'SELECT')))
                order by 2, 3""");
        if (rows.isEmpty()) {
            return;
        }
        String user = session.value("select quote_ident(current_user)");
        java.util.LinkedHashSet<String> schemas = new java.util.LinkedHashSet<>();
        List<String> objects = new ArrayList<>();
        for (String[] r : rows) {
            if (r[0].equals("schema")) {
                schemas.add(unhex(r[1]));
            } else {
                objects.add(r[0] + " " + unhex(r[1]) + "." + unhex(r[2]));
            }
        }
        List<String> named = new ArrayList<>();
        schemas.forEach(sc -> named.add("schema " + sc));
        named.addAll(objects);
        String grants = schemas.stream().map(sc -> "GRANT USAGE ON SCHEMA " + sc + " TO " + user).collect(
                java.util.stream.Collectors.joining("; "));
        String select = objects.isEmpty() ? "" : "GRANT SELECT ON " + objects.get(0).substring(objects.get(0)
                .indexOf(' ') + 1) + (objects.size() > 1 ? ", ..." : "") + " TO " + user;
        String each = String.join("; ", java.util.stream.Stream.of(grants, select).filter(g -> !g.isEmpty()).toList());
        throw new LifeboatException(ErrorCode.DATABASE, "user " + user + " cannot read " + named.size()
                + (named.size() == 1 ? " object" : " objects") + " of " + conn + " that the backup needs: "
                + dev.lifeboat.core.Units.firstOf(named, 10),
                (serverMajor >= 14 ? "grant it everything at once (GRANT pg_read_all_data TO " + user + ") or each of "
                        + "them (" : "grant it each of them (") + each + "), or back up as the database's owner; "
                        + "nothing was written");
    }

    private static boolean recoveryConflict(String text) {
        return text.contains("conflict with recovery");
    }

    /**
     * What to do about a failed dump. A standby cancels a query whose snapshot still needs rows that the cleanup
     * it replays from the primary removes (after {@code max_standby_streaming_delay}): a long dump from a standby
     * meets that, and the fix is in the server's settings.
     */
    static String hint(String text) {
        if (recoveryConflict(text)) {
            return "the server is a standby, and replaying the primary's cleanup cancelled the dump, whose snapshot "
                    + "still needed the removed rows: set hot_standby_feedback = on on the standby (or raise its "
                    + "max_standby_streaming_delay), or back up from the primary; nothing was committed";
        }
        if (text.contains("permission denied")) {
            return "the backup's user must be able to read every table, sequence and large object: grant it "
                    + "pg_read_all_data (PostgreSQL 14 and later) or SELECT on what is named above, or back up as "
                    + "the database's owner; nothing was committed";
        }
        return "fix the cause above and run the backup again; nothing was committed";
    }

    private static LifeboatException lockError(PgTools tools, PgConnection conn, Optional<String> table, Duration wait) {
        return LockWait.error(tools, conn, "backing up", table, wait, true, "nothing was committed");
    }

    /**
     * What the data of a database takes on disk, as a first guess of its dump's size: the user tables (heap and
     * TOAST, without indexes, which a dump holds as definitions only) and the large objects. COPY text is often
     * smaller than the heap (no tuple headers, no free space) but bigger where TOAST compressed values. Size
     * functions need no privilege, so this cannot fail where the dump would succeed.
     */
    private static final String ESTIMATE = """
            select coalesce(sum(pg_table_size(c.oid)), 0)::bigint + pg_table_size('pg_largeobject')
            from pg_class c join pg_namespace n on n.oid = c.relnamespace
            where c.relkind = 'r' and n.nspname not in ('pg_catalog', 'information_schema')
              and n.nspname not like 'pg\\_toast%' and n.nspname not like 'pg\\_temp%'""";

    /** {@link #ESTIMATE}: bytes, -1 when unknown. Only good enough for a progress bar's ETA. */
    public long estimatedBytes() {
        return estimatedBytes;
    }

    public String serverVersion() {
        return serverVersion;
    }

    /** Encoding, LC_COLLATE and LC_CTYPE of the database. */
    public String[] locale() {
        return locale.clone();
    }

    public PgTools.Binary pgDump() {
        return pgDump;
    }

    /**
     * Where the archive's data begins once {@link #start}'s stream has been read past it, else -1: a chunk boundary
     * there lets the data of an unchanged database deduplicate, since the header before it holds the dump's time.
     */
    public long dataOffset() {
        return archiveRows.dataOffset();
    }

    /** Starts pg_dump; read the returned stream to its end, then call {@link #finish}. */
    public InputStream start() throws IOException {
        ProcessBuilder pb = new ProcessBuilder(pgDump.path().toString(), "--format=custom", "-Z0",
                "--snapshot=" + snapshot, "--no-password", "--lock-wait-timeout=" + LockWait.setting(lockWait));
        pb.environment().clear();
        pb.environment().putAll(conn.withApplicationName(appName).environment(System.getenv()));
        pb.redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
        process = pb.start();
        stderr = new StderrTail(process.getErrorStream(), "pg_dump");
        return new java.io.FilterInputStream(archiveRows.follow(process.getInputStream())) {
            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                int n = super.read(b, off, len);
                if (n != 0) { // pg_dump writes once it holds every lock it takes
                    watch.stopSoon();
                }
                return n;
            }
        };
    }

    /**
     * Every user table with its exact row count in the dump's snapshot, and its index and sequence names. Call it
     * after {@link #finish}: the counts are those of the rows in the archive, counted as it streamed by; only when
     * the archive could not be followed are they counted again on the server.
     */
    public List<TableInfo> tables() {
        try {
            return tablesInSnapshot();
        } catch (LifeboatException e) {
            if (LockWait.timedOut(e.getMessage())) {
                throw lockError(tools, conn, Optional.empty(), lockWait);
            }
            boolean known = recoveryConflict(e.getMessage()) || e.getMessage().contains("permission denied");
            throw known ? new LifeboatException(e.code(), e.getMessage(), hint(e.getMessage()), e) : e;
        }
    }

    private List<TableInfo> tablesInSnapshot() {
        Optional<Map<Long, Long>> inArchive = archiveRows.rowsByTable();
        if (inArchive.isEmpty()) {
            LOG.info("counting the rows of {} on the server: could not follow its archive ({})", conn,
                    archiveRows.failure());
        }
        List<String[]> rows = session.query("""
                select encode(convert_to(n.nspname, 'UTF8'), 'hex'), encode(convert_to(c.relname, 'UTF8'), 'hex'),
                       coalesce((select string_agg(encode(convert_to(ic.relname, 'UTF8'), 'hex'), ',' order by ic.relname)
                                 from pg_index i join pg_class ic on ic.oid = i.indexrelid
                                 where i.indrelid = c.oid), ''),
                       coalesce((select string_agg(encode(convert_to(s.relname, 'UTF8'), 'hex'), ',' order by s.relname)
                                 from pg_depend d join pg_class s on s.oid = d.objid and s.relkind = 'S'
                                 where d.refobjid = c.oid and d.classid = 'pg_class'::regclass
                                   and d.deptype in ('a', 'i')), ''),
                       c.oid
                from pg_class c join pg_namespace n on n.oid = c.relnamespace
                where c.relkind = 'r'
                  and n.nspname not in ('pg_catalog', 'information_schema')
                  and n.nspname not like 'pg\\_toast%' and n.nspname not like 'pg\\_temp%'
                  and not exists (select 1 from pg_depend e where e.classid = 'pg_class'::regclass
                                  and e.objid = c.oid and e.deptype = 'e')
                order by n.nspname, c.relname""");
        List<TableInfo> tables = new ArrayList<>();
        for (String[] r : rows) {
            String schema = unhex(r[0]);
            String name = unhex(r[1]);
            Long inDump = inArchive.map(m -> m.get(Long.parseLong(r[4]))).orElse(null);
            long count = inDump != null ? inDump : Long.parseLong(session.value("select count(*) from only "
                    + PsqlSession.ident(schema) + "." + PsqlSession.ident(name)));
            tables.add(new TableInfo(schema, name, count, names(r[2]), names(r[3])));
        }
        return tables;
    }

    private static List<String> names(String hexList) {
        return hexList.isEmpty() ? List.of() : Arrays.stream(hexList.split(",")).map(PostgresDump::unhex).toList();
    }

    static String unhex(String hex) {
        byte[] b = new byte[hex.length() / 2];
        for (int i = 0; i < b.length; i++) {
            b[i] = (byte) Integer.parseInt(hex.substring(2 * i, 2 * i + 2), 16);
        }
        return new String(b, StandardCharsets.UTF_8);
    }

    /** Waits for pg_dump; throws with its stderr when it failed. */
    public void finish() throws InterruptedException {
        int rc = process.waitFor();
        if (rc != 0) {
            String text = stderr.text();
            if (LockWait.timedOut(text)) {
                throw lockError(tools, conn, LockWait.table(text), lockWait);
            }
            LifeboatException login = PgAuth.error(conn, text);
            if (login != null) {
                throw login;
            }
            throw new LifeboatException(ErrorCode.DATABASE, "pg_dump of " + conn + " failed (exit " + rc + "): "
                    + text, hint(text));
        }
    }

    @Override
    public void close() {
        if (process != null && process.isAlive()) {
            process.destroyForcibly();
            try {
                process.waitFor(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        session.close();
        watch.close();
    }

    /** Names of the databases a server holds that accept connections, for --all-databases. */
    public static List<String> listDatabases(PgTools tools, PgConnection conn) {
        try (PsqlSession s = PsqlSession.open(tools.newest("psql"), conn)) {
            return s.query("select encode(convert_to(datname, 'UTF8'), 'hex') from pg_database "
                            + "where datallowconn and not datistemplate order by datname")
                    .stream().map(r -> unhex(r[0])).toList();
        }
    }

    /** Starts {@code pg_dumpall --globals-only}: roles and tablespaces. */
    public static Process startGlobals(PgTools tools, PgConnection conn, int serverMajor) throws IOException {
        PgTools.Binary dumpall = tools.choose("pg_dumpall", serverMajor, "the globals of " + conn);
        ProcessBuilder pb = new ProcessBuilder(dumpall.path().toString(), "--globals-only", "--no-password");
        Map<String, String> env = conn.environment(System.getenv());
        pb.environment().clear();
        pb.environment().putAll(env);
        if (conn.database() != null) {
            pb.command().add("--database=" + conn.database());
        }
        pb.redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
        return pb.start();
    }
}
