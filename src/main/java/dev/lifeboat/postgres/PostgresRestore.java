package dev.lifeboat.postgres;

import dev.lifeboat.core.ErrorCode;
import dev.lifeboat.core.LifeboatException;
import dev.lifeboat.repository.Manifest;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Supplier;

/**
 * Restores a pg_dump custom-format archive, streamed from the repository into pg_restore's stdin, in
 * one transaction ({@code --single-transaction --clean --if-exists --no-owner}): if anything fails, the
 * server rolls back and the target is as it was. If the stream fails midway, pg_restore is killed before
 * it sees end-of-input, so a partial archive is never committed.
 */
public final class PostgresRestore {
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(PostgresRestore.class);
    private final PgTools tools;
    private final Duration lockWait;

    /** Reads {@code LIFEBOAT_PG_LOCK_WAIT} now, so that a bad value stops a restore before it changes anything. */
    public PostgresRestore(PgTools tools) {
        this.tools = tools;
        this.lockWait = LockWait.configured();
    }

    /**
     * What the target looks like before the restore. {@code user} is the role the restore connects as,
     * {@code mayCreate} whether it may create databases (known only when the target does not exist), and
     * {@code cannotReplace} the tables the restore would replace that the user may not drop, each with its owner.
     */
    public record TargetState(boolean exists, int serverMajor, String serverVersion, long userTables, String user,
                              boolean mayCreate, List<String> cannotReplace) {}

    /**
     * Connects to the target itself first (the user may have no access to any other database); only when
     * it does not exist, to the server's {@code postgres} database to learn the version. {@code replacing}
     * are the tables the restore will drop and create, checked for who may drop them.
     */
    public TargetState inspect(PgConnection target, List<Manifest.TableInfo> replacing) {
        PgTools.Binary psql = tools.newest("psql");
        PsqlSession t;
        try {
            t = PsqlSession.open(psql, target);
        } catch (LifeboatException e) {
            if (!e.getMessage().contains("does not exist")) {
                throw e;
            }
            try (PsqlSession s = PsqlSession.open(psql, target.withDatabase("postgres"))) {
                String[] role = s.query("select current_user, rolcreatedb or rolsuper from pg_roles "
                        + "where rolname = current_user").get(0);
                return new TargetState(false, Integer.parseInt(s.value("show server_version_num")) / 10000,
                        s.value("show server_version"), 0, role[0], "t".equals(role[1]), List.of());
            }
        }
        try (t) {
            long tables = Long.parseLong(t.value("select count(*) from pg_class c join pg_namespace n "
                    + "on n.oid = c.relnamespace where c.relkind in ('r', 'p') and n.nspname not in "
                    + "('pg_catalog', 'information_schema') and n.nspname not like 'pg\\_toast%'"));
            return new TargetState(true, Integer.parseInt(t.value("show server_version_num")) / 10000,
                    t.value("show server_version"), tables, t.value("select current_user"), false,
                    tables > 0 ? cannotReplace(t, replacing) : List.of());
        }
    }

    /**
     * Creates the target from template0 with the source's encoding and locale when they are known and
     * exist on this server; with the server's defaults otherwise (and a warning).
     */
    public void createDatabase(PgConnection target, Manifest.Source source) {
        String create = "create database " + PsqlSession.ident(target.database()) + " template template0";
        PgConnection maintenance = target.withDatabase("postgres");
        if (source != null && source.encoding() != null) {
            // A failed statement ends a psql session, hence one session per attempt.
            try (PsqlSession s = PsqlSession.open(tools.newest("psql"), maintenance)) {
                s.query(create + " encoding " + PsqlSession.literal(source.encoding()) + " lc_collate "
                        + PsqlSession.literal(source.collate()) + " lc_ctype " + PsqlSession.literal(source.ctype()));
                return;
            } catch (LifeboatException e) {
                if (e.getMessage().contains("permission denied")) {
                    throw e; // not a matter of locale: the user may not create databases (inspect checks it first)
                }
                LOG.warn("could not create {} with the source's encoding {} and locale {}: {}; using the server's "
                        + "defaults", target.database(), source.encoding(), source.collate(), e.getMessage());
            }
        }
        try (PsqlSession s = PsqlSession.open(tools.newest("psql"), maintenance)) {
            s.query(create);
        }
    }

    /**
     * Runs pg_restore over {@code archive}.
     *
     * @param archive    opens the archive stream (called twice when tables are selected: once for the list)
     * @param tables     schema-qualified tables to restore alone, with what the manifest knows of them; empty = all
     * @param dumpMajor  major version of the pg_dump that wrote the archive
     * @param privileges restore GRANTs and REVOKEs (they fail on a server that lacks the roles they name)
     */
    public void restore(PgConnection target, Supplier<InputStream> archive, List<Manifest.TableInfo> tables,
                        int serverMajor, int dumpMajor, boolean privileges) throws IOException, InterruptedException {
        PgTools.Binary pgRestore = tools.choose("pg_restore", Math.max(serverMajor, dumpMajor),
                "restoring into " + target);
        Path listFile = null;
        try {
            List<String> cmd = new ArrayList<>(List.of(pgRestore.path().toString(), "--single-transaction",
                    "--exit-on-error", "--clean", "--if-exists", "--no-owner", "--no-password",
                    "--dbname=dbname=" + quoteConninfo(target.database())));
            if (!privileges) {
                cmd.add("--no-privileges");
            }
            if (!tables.isEmpty()) {
                List<String> toc = list(pgRestore, archive);
                List<String> selected = select(toc, tables);
                listFile = Files.createTempFile("lifeboat-restore-", ".list",
                        PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
                Files.write(listFile, selected, StandardCharsets.UTF_8);
                cmd.add("--use-list=" + listFile);
            }
            run(cmd, target, archive.get(), "pg_restore into " + target);
        } finally {
            if (listFile != null) {
                Files.deleteIfExists(listFile);
            }
        }
    }

    private List<String> list(PgTools.Binary pgRestore, Supplier<InputStream> archive)
            throws IOException, InterruptedException {
        ProcessBuilder pb = new ProcessBuilder(pgRestore.path().toString(), "--list");
        Process p = pb.start();
        StderrTail err = new StderrTail(p.getErrorStream(), "pg_restore-list");
        Thread feeder = feed(archive.get(), p.getOutputStream(), p);
        byte[] out = p.getInputStream().readAllBytes();
        int rc = p.waitFor();
        feeder.join();
        if (rc != 0) {
            throw new LifeboatException(ErrorCode.DATABASE, "pg_restore --list failed: " + err.text(),
                    "check the backup with 'lifeboat show' and 'lifeboat cat'");
        }
        return List.of(new String(out, StandardCharsets.UTF_8).split("\n"));
    }

    /**
     * A check that an archive parses: {@code pg_restore --list} reads its header and table of contents
     * from whatever is written to {@link #input()}; it stops reading after the table of contents, after
     * which writes are silently dropped, so the caller can go on reading the whole stream for checksums.
     */
    public final class ArchiveCheck implements AutoCloseable {
        private final Process process;
        private final StderrTail err;
        private final java.io.ByteArrayOutputStream listing = new java.io.ByteArrayOutputStream();
        private final Thread reader;
        private boolean open = true;

        ArchiveCheck(Process process) {
            this.process = process;
            this.err = new StderrTail(process.getErrorStream(), "pg_restore-list");
            this.reader = new Thread(() -> {
                try {
                    process.getInputStream().transferTo(listing);
                } catch (IOException ignored) {
                    // process gone
                }
            }, "pg_restore-list-out");
            reader.setDaemon(true);
            reader.start();
        }

        /** Feeds bytes of the archive; ignores them once pg_restore has stopped reading. */
        public void write(byte[] b, int off, int len) {
            if (!open) {
                return;
            }
            try {
                process.getOutputStream().write(b, off, len);
            } catch (IOException stopped) {
                open = false;
            }
        }

        /** Ends the input and returns the number of table-of-contents entries; throws when it did not parse. */
        public int finish() throws InterruptedException {
            try {
                process.getOutputStream().close();
            } catch (IOException ignored) {
                // already closed by pg_restore
            }
            int rc = process.waitFor();
            reader.join();
            String out = listing.toString(StandardCharsets.UTF_8);
            if (rc != 0) {
                throw new LifeboatException(ErrorCode.INTEGRITY, "pg_restore --list cannot parse the archive: "
                        + err.text(), "the dump is damaged; restore an older backup");
            }
            return (int) out.lines().filter(l -> !l.startsWith(";") && !l.isBlank()).count();
        }

        @Override
        public void close() {
            process.destroyForcibly();
        }
    }

    /** Starts a parse check of an archive written by a pg_dump of major version {@code dumpMajor}. */
    public ArchiveCheck checkArchive(int dumpMajor) throws IOException {
        PgTools.Binary pgRestore = tools.choose("pg_restore", dumpMajor, "checking a pg_dump " + dumpMajor + " archive");
        return new ArchiveCheck(new ProcessBuilder(pgRestore.path().toString(), "--list").start());
    }

    /** Exact row counts of the given tables in {@code db}; a missing table counts as -1. */
    public java.util.Map<String, Long> countRows(PgConnection db, List<Manifest.TableInfo> tables) {
        java.util.Map<String, Long> counts = new java.util.LinkedHashMap<>();
        try (PsqlSession s = PsqlSession.open(tools.newest("psql"), db)) {
            for (Manifest.TableInfo t : tables) {
                String rel = PsqlSession.ident(t.schema()) + "." + PsqlSession.ident(t.name());
                boolean exists = !s.query("select 1 from pg_class c join pg_namespace n on n.oid = c.relnamespace "
                        + "where n.nspname = " + PsqlSession.literal(t.schema()) + " and c.relname = "
                        + PsqlSession.literal(t.name())).isEmpty();
                counts.put(t.qualifiedName(), exists ? Long.parseLong(s.value("select count(*) from only " + rel)) : -1L);
            }
        }
        return counts;
    }

    /**
     * The tables of {@code tables} that exist in the target and that its user may not drop (it is neither their
     * owner, nor the owner of their schema, nor a member of either, nor a superuser), each with its owner: a
     * restore over them would fail at its first DROP, after the safety backup.
     */
    private static List<String> cannotReplace(PsqlSession s, List<Manifest.TableInfo> tables) {
        if (tables.isEmpty()) {
            return List.of();
        }
        StringBuilder values = new StringBuilder();
        for (Manifest.TableInfo t : tables) {
            values.append(values.length() == 0 ? "" : ", ").append('(').append(PsqlSession.literal(t.schema()))
                    .append(", ").append(PsqlSession.literal(t.name())).append(')');
        }
        return s.query("select encode(convert_to(quote_ident(n.nspname) || '.' || quote_ident(c.relname) "
                + "|| ' (owned by ' || pg_get_userbyid(c.relowner) || ')', 'UTF8'), 'hex') "
                + "from pg_class c join pg_namespace n on n.oid = c.relnamespace "
                + "join (values " + values + ") as w(s, t) on w.s = n.nspname and w.t = c.relname "
                + "where c.relkind in ('r', 'p') and not pg_has_role(c.relowner, 'USAGE') "
                + "and not pg_has_role(n.nspowner, 'USAGE') order by 1")
                .stream().map(r -> PostgresDump.unhex(r[0])).toList();
    }

    /** Runs a user's check query and returns its first row's fields, joined by {@code |}. */
    public String checkQuery(PgConnection db, String sql) {
        try (PsqlSession s = PsqlSession.open(tools.newest("psql"), db)) {
            List<String[]> rows = s.query(sql);
            return rows.isEmpty() ? "(no rows)" : String.join("|", rows.get(0));
        }
    }

    /**
     * Drops a database this restore created and left empty (its restore failed and rolled back), so that the same
     * command with {@code --create} can be run again; one that someone else has connected to meanwhile is kept.
     */
    public void dropCreated(PgConnection target) {
        try (PsqlSession s = PsqlSession.open(tools.newest("psql"), target.withDatabase("postgres"))) {
            s.query("drop database if exists " + PsqlSession.ident(target.database()));
        } catch (LifeboatException e) {
            LOG.warn("could not drop database {}, which this restore created: {}; drop it before running the restore "
                    + "with --create again", target.database(), e.getMessage());
        }
    }

    /** Drops a database, ending its sessions (used for drill scratch databases). */
    public void dropDatabase(PgConnection target) {
        try (PsqlSession s = PsqlSession.open(tools.newest("psql"), target.withDatabase("postgres"))) {
            s.query("drop database if exists " + PsqlSession.ident(target.database()) + " with (force)");
        }
    }

    /**
     * The table-of-contents lines that restore the given tables with their data, constraints, indexes,
     * triggers, policies, defaults, owned sequences, comments and grants.
     */
    static List<String> select(List<String> toc, List<Manifest.TableInfo> tables) {
        List<String> out = new ArrayList<>();
        Set<String> matched = new HashSet<>();
        for (String line : toc) {
            if (line.startsWith(";") || line.isBlank()) {
                continue;
            }
            TocEntry e = TocEntry.parse(line);
            if (e == null) {
                continue;
            }
            for (Manifest.TableInfo t : tables) {
                if (e.belongsTo(t)) {
                    out.add(line);
                    if (e.type().equals("TABLE")) {
                        matched.add(t.qualifiedName());
                    }
                    break;
                }
            }
        }
        for (Manifest.TableInfo t : tables) {
            if (!matched.contains(t.qualifiedName())) {
                throw new LifeboatException(ErrorCode.NOT_FOUND, "table " + t.qualifiedName()
                        + " is not in the backup's archive", "list the tables with 'lifeboat show <id>'");
            }
        }
        return out;
    }

    private static String quoteConninfo(String value) {
        return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'";
    }

    private void run(List<String> cmd, PgConnection target, InputStream in, String what)
            throws IOException, InterruptedException {
        // --clean drops each table: a session that holds one open in a transaction must not stall the restore for
        // ever. The archive sets lock_timeout to 0, so a watch finds pg_restore's session by its name and cancels
        // its statement once it has waited too long.
        String appName = "lifeboat-restore-" + java.util.UUID.randomUUID().toString().substring(0, 8);
        ProcessBuilder pb = new ProcessBuilder(cmd);
        pb.environment().clear();
        pb.environment().putAll(target.withApplicationName(appName).environment(System.getenv()));
        pb.redirectOutput(ProcessBuilder.Redirect.DISCARD);
        Process p = pb.start();
        LockWatch watch = LockWatch.start(tools, target, appName, lockWait, "restoring into", true);
        StderrTail err = new StderrTail(p.getErrorStream(), "pg_restore");
        IOException[] feedError = new IOException[1];
        Thread feeder = new Thread(() -> {
            try (InputStream src = in) {
                OutputStream stdin = p.getOutputStream();
                // Large writes: one system call moves a pipe's worth, not 8 KiB.
                byte[] buf = new byte[1 << 20];
                int n;
                while ((n = src.read(buf)) >= 0) {
                    stdin.write(buf, 0, n);
                }
                stdin.close(); // end of input: pg_restore may now commit
            } catch (IOException e) {
                feedError[0] = e;
                // Kill before closing stdin: pg_restore must not mistake a broken stream for its end.
                p.destroyForcibly();
            }
        }, "pg_restore-feeder");
        feeder.start();
        int rc;
        try (watch) {
            rc = p.waitFor();
            feeder.join();
        }
        // A broken pipe only means pg_restore stopped reading; its own error says why.
        if (feedError[0] != null && !String.valueOf(feedError[0].getMessage()).contains("Broken pipe")) {
            throw feedError[0];
        }
        if (rc != 0) {
            String text = err.text();
            if (watch.cancelledFor() != null) {
                throw LockWait.error(target, "restoring into", LockWait.table(text), lockWait, watch.cancelledFor(),
                        "the transaction was rolled back; the target is as it was");
            }
            throw new LifeboatException(ErrorCode.DATABASE, what + " failed (exit " + rc + "): " + text,
                    "the transaction was rolled back; the target is as it was");
        }
    }

    private static Thread feed(InputStream in, OutputStream out, Process p) {
        Thread t = new Thread(() -> {
            try (InputStream src = in; OutputStream dst = out) {
                src.transferTo(dst);
            } catch (IOException ignored) {
                // pg_restore --list stops reading after the table of contents
            }
        }, "pg_restore-list-feeder");
        t.setDaemon(true);
        t.start();
        return t;
    }
}
