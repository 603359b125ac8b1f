package dev.lifeboat.source.postgres;

import dev.lifeboat.source.Pipes;
import dev.lifeboat.source.StderrTail;
import dev.lifeboat.core.ErrorCode;
import dev.lifeboat.core.LifeboatException;
import dev.lifeboat.core.Units;
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
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * Restores a pg_dump custom-format archive, streamed from the repository into pg_restore's stdin, in
 * one transaction ({@code --single-transaction}): if anything fails, the server rolls back and the target is as it
 * was. If the stream fails midway, pg_restore is killed before it sees end-of-input, so a partial archive is never
 * committed. Objects keep their owners where the target has the roles ({@code --no-owner} otherwise, or when asked);
 * only a target that holds objects is cleaned first ({@code --clean --if-exists}); the database's own owner,
 * settings, comment and privileges are applied as pg_restore {@code --create} applies them ({@link DatabaseProperties}).
 */
public final class PostgresRestore {
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(PostgresRestore.class);
    private final PgTools tools;
    private final Duration lockWait;

    /** Waits for table locks up to {@link PgTools#lockWait()}. */
    public PostgresRestore(PgTools tools) {
        this.tools = tools;
        this.lockWait = tools.lockWait();
    }

    /**
     * What the target looks like before the restore. {@code user} is the role the restore connects as,
     * {@code mayCreate} whether it may create databases (known only when the target does not exist), and
     * {@code cannotReplace} the tables the restore would replace that the user may not drop, each with its owner.
     * For tables restored alone, {@code recreated} names what depends on them that the restore drops and creates
     * again around them, and {@code refused} what keeps them from being restored alone, with what to do.
     */
    public record TargetState(boolean exists, int serverMajor, String serverVersion, long userTables, String user,
                              boolean mayCreate, List<String> cannotReplace, List<String> recreated,
                              List<TableDependents.Refusal> refused) {}

    /** {@link #inspect(PgConnection, List, boolean)} for a restore of the whole database. */
    public TargetState inspect(PgConnection target, List<TableInfo> replacing) {
        return inspect(target, replacing, false);
    }

    /**
     * Connects to the target itself first (the user may have no access to any other database); only when
     * it does not exist, to the server's {@code postgres} database to learn the version. {@code replacing}
     * are the tables the restore will drop and create, checked for who may drop them; with {@code alone}, they are
     * restored by themselves, and what depends on them is read too.
     */
    public TargetState inspect(PgConnection target, List<TableInfo> replacing, boolean alone) {
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
                        s.value("show server_version"), 0, role[0], "t".equals(role[1]), List.of(), List.of(),
                        List.of());
            }
        }
        try (t) {
            long tables = Long.parseLong(t.value("select count(*) from pg_class c join pg_namespace n "
                    + "on n.oid = c.relnamespace where c.relkind in ('r', 'p') and n.nspname not in "
                    + "('pg_catalog', 'information_schema') and n.nspname not like 'pg\\_toast%'"));
            List<String> cannotReplace = tables > 0 ? cannotReplace(t, replacing) : List.of();
            TableDependents.Plan plan = alone && tables > 0 ? TableDependents.of(t, replacing)
                    : new TableDependents.Plan(List.of(), List.of());
            return new TargetState(true, Integer.parseInt(t.value("show server_version_num")) / 10000,
                    t.value("show server_version"), tables, t.value("select current_user"), false, cannotReplace,
                    plan.described(), plan.refusals());
        }
    }

    /**
     * Creates the target from template0 with the source's encoding and locale when they are known and
     * exist on this server; with the server's defaults otherwise (and a warning).
     */
    public void createDatabase(PgConnection target, PgRecord source) {
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
     * How to restore.
     *
     * @param created    into a database this restore has just created: nothing to replace, so no {@code --clean}
     *                   (whose DROPs fail on some objects of an empty database, a NOT VALID constraint of a domain
     *                   for one); the database gets the archive's owner, settings, comment and privileges
     * @param privileges restore GRANTs and REVOKEs (they fail on a server that lacks the roles they name)
     * @param owners     keep every object's owner; {@code --no-owner} when false, and when the target lacks the
     *                   roles or the user may not give objects to them (which {@code notice} is told)
     * @param notice     told what the restore could not keep, as it goes
     */
    public record Options(boolean created, boolean privileges, boolean owners, Consumer<String> notice) {}

    /** Runs pg_restore over {@code archive} into a database just created, keeping owners where it can. */
    public void restore(PgConnection target, Supplier<InputStream> archive, List<TableInfo> tables,
                        int serverMajor, int dumpMajor, boolean privileges) throws IOException, InterruptedException {
        restore(target, archive, archive, tables, serverMajor, dumpMajor,
                new Options(true, privileges, true, LOG::warn));
    }

    /**
     * Runs pg_restore over {@code archive}, after reading its table of contents: which roles own its objects, and
     * the database's own entries.
     *
     * @param contents  opens the archive to read its table of contents (twice: for the list, for the database's own
     *                  entries), which is all pg_restore reads of it then
     * @param archive   opens the archive for the restore
     * @param tables    schema-qualified tables to restore alone, with what the manifest knows of them; empty = all
     *                  (and the database's own settings, comment and privileges too)
     * @param dumpMajor major version of the pg_dump that wrote the archive
     */
    public void restore(PgConnection target, Supplier<InputStream> contents, Supplier<InputStream> archive,
                        List<TableInfo> tables, int serverMajor, int dumpMajor, Options options)
            throws IOException, InterruptedException {
        PgTools.Binary pgRestore = tools.choose("pg_restore", Math.max(serverMajor, dumpMajor),
                "restoring into " + target);
        List<String> toc = list(pgRestore, contents);
        List<String> own = databaseEntries(toc);
        List<String> objects = toc.stream().filter(l -> !l.startsWith(";") && !l.isBlank() && !own.contains(l))
                .toList();
        List<String> selected = tables.isEmpty() ? objects : select(toc, tables);
        Target facts = look(target);
        boolean clean = !options.created() && !facts.empty();
        List<String> ordered = clean ? dropsInOrder(selected) : selected;
        boolean owners = options.owners() && ownersKept(selected, facts, options.notice());
        DatabaseProperties database = tables.isEmpty() && !own.isEmpty() ? databaseProperties(pgRestore, contents, own)
                : null;
        String ident = PsqlSession.ident(target.database());
        if (database != null && options.created()) {
            List<String> before = new ArrayList<>();
            String owner = database.owner() == null ? null : DatabaseProperties.unquote(database.owner());
            if (options.owners() && owner != null && !owner.equals(facts.user())) {
                if (facts.superuser() || Boolean.TRUE.equals(facts.roles().get(owner))) {
                    before.add("ALTER DATABASE " + ident + " OWNER TO " + database.owner());
                } else {
                    options.notice().accept("Database " + target.database() + " belongs to " + facts.user()
                            + ", not to " + owner + " as in the backup: " + (facts.roles().containsKey(owner)
                            ? "user " + facts.user() + " is not a member of role " + owner : "role " + owner
                            + " does not exist on this server") + "; restore as a superuser to keep its owner.");
                }
            }
            before.addAll(statements(database, DatabaseProperties.Phase.BEFORE, ident, options.privileges()));
            tell(options.notice(), target, each(target, before));
        }
        // Over an existing database, its own statements wait for the commit, but pg_restore's session sees the
        // backup's settings from the start, as in a database made for it (a materialized view's refresh may need them).
        String settings = database != null && !options.created() && (facts.superuser() || facts.ownsDatabase())
                ? sessionSettings(target, ident, database, facts.superuser()) : null;
        // Tables alone over a database that holds objects: what depends on them is dropped and created again in
        // the same transaction, which is psql's, running pg_restore's script between those steps.
        boolean alone = !tables.isEmpty() && clean;
        Path listFile = null;
        try {
            List<String> cmd = new ArrayList<>(List.of(pgRestore.path().toString()));
            cmd.addAll(alone ? List.of("--file=-") : List.of("--single-transaction", "--exit-on-error",
                    "--no-password", "--dbname=dbname=" + quoteConninfo(target.database())));
            if (clean) {
                cmd.addAll(List.of("--clean", "--if-exists"));
            }
            if (!owners) {
                cmd.add("--no-owner");
            }
            if (!options.privileges()) {
                cmd.add("--no-privileges");
            }
            if (!tables.isEmpty() || !ordered.equals(selected)) {
                listFile = Files.createTempFile("lifeboat-restore-", ".list",
                        PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
                Files.write(listFile, ordered, StandardCharsets.UTF_8);
                cmd.add("--use-list=" + listFile);
            }
            Attempt attempt = alone ? c -> restoreAlone(c, pgRestore, target, archive, tables, options.notice())
                    : c -> run(c, target, archive.get(), "pg_restore into " + target, settings);
            try {
                attempt.run(cmd);
            } catch (LifeboatException e) {
                String refused = owners && !facts.superuser() ? ownerRefused(e.getMessage()) : null;
                if (refused == null) {
                    throw e;
                }
                // rolled back: the same restore again, with the objects given to the user
                options.notice().accept("Objects keep their owners only where they can: PostgreSQL refused " + refused
                        + ", so the restored objects belong to " + facts.user() + " instead (--no-owner). To keep "
                        + "the owners, restore as a superuser; pass --no-owner to say this is intended.");
                cmd.add(1, "--no-owner");
                attempt.run(cmd);
            }
        } finally {
            if (listFile != null) {
                Files.deleteIfExists(listFile);
            }
        }
        if (database != null) {
            List<String> after = new ArrayList<>();
            if (!options.created()) {
                if (!facts.superuser() && !facts.ownsDatabase()) {
                    if (!database.isEmpty()) {
                        options.notice().accept("The settings, comment and privileges of database " + target.database()
                                + " were left as they are: only its owner or a superuser may change them, and user "
                                + facts.user() + " is neither.");
                    }
                    return;
                }
                after.addAll(resetExisting(target, ident, facts, options.privileges()));
                after.addAll(statements(database, DatabaseProperties.Phase.BEFORE, ident, options.privileges()));
            }
            after.addAll(statements(database, DatabaseProperties.Phase.AFTER, ident, options.privileges()));
            tell(options.notice(), target, each(target, after));
        }
    }

    /** One run of pg_restore with the arguments {@code cmd}, in one transaction. */
    private interface Attempt {
        void run(List<String> cmd) throws IOException, InterruptedException;
    }

    /** What the restore needs to know of the target before pg_restore starts; {@code roles}: is the user a member. */
    record Target(String user, boolean superuser, boolean ownsDatabase, boolean empty, Map<String, Boolean> roles) {}

    private Target look(PgConnection target) {
        try (PsqlSession s = PsqlSession.open(tools.newest("psql"), target)) {
            String[] me = s.query("select encode(convert_to(current_user, 'UTF8'), 'hex'), r.rolsuper, "
                    + "pg_has_role(d.datdba, 'USAGE') from pg_roles r, pg_database d where r.rolname = current_user "
                    + "and d.datname = current_database()").get(0);
            Map<String, Boolean> roles = new HashMap<>();
            for (String[] r : s.query("select encode(convert_to(rolname, 'UTF8'), 'hex'), "
                    + "pg_has_role(oid, 'MEMBER') from pg_roles")) {
                roles.put(PostgresDump.unhex(r[0]), "t".equals(r[1]));
            }
            String anyObject = s.value(ANY_OBJECT);
            return new Target(PostgresDump.unhex(me[0]), "t".equals(me[1]), "t".equals(me[2]),
                    "f".equals(s.value("select exists (" + anyObject + ")")), roles);
        }
    }

    /**
     * A query that writes the query that finds anything a database holds that was not in template0: a row of any
     * catalog of the database with an object id of its own (16384 and up), or any large object. Other sessions'
     * temporary schemas and tables do not count; pg_user_mapping is left out (only superusers may read it, and a
     * user mapping needs a server, which counts).
     */
    private static final String ANY_OBJECT = """
            select string_agg(case c.relname
                    when 'pg_largeobject_metadata' then 'select 1 from pg_catalog.pg_largeobject_metadata'
                    else format('select 1 from pg_catalog.%I where oid >= 16384', c.relname) || case c.relname
                        when 'pg_namespace' then ' and nspname !~ ''^pg_(toast_)?temp_'''
                        when 'pg_class' then ' and relnamespace not in (select oid from pg_catalog.pg_namespace '
                            || 'where nspname ~ ''^pg_(toast_)?temp_'')'
                        when 'pg_type' then ' and typnamespace not in (select oid from pg_catalog.pg_namespace '
                            || 'where nspname ~ ''^pg_(toast_)?temp_'')'
                        else '' end end, ' union all ')
            from pg_catalog.pg_class c
            where c.relnamespace = 'pg_catalog'::regnamespace and c.relkind = 'r' and not c.relisshared
              and c.relname <> 'pg_user_mapping'
              and exists (select 1 from pg_catalog.pg_attribute a where a.attrelid = c.oid and a.attname = 'oid')""";

    /**
     * Whether the restore keeps every object's owner: when every role that owns something in {@code entries} exists
     * on the target and the user may give objects to it (a superuser, or a member of the role). Otherwise the
     * objects will belong to the user, and {@code notice} is told why and how to keep them.
     */
    static boolean ownersKept(List<String> entries, Target target, Consumer<String> notice) {
        Set<String> missing = new TreeSet<>();
        Set<String> notMine = new TreeSet<>();
        List<String> spaced = target.roles().keySet().stream().filter(r -> r.contains(" ")).toList();
        for (String line : entries) {
            if (line.startsWith(";") || line.isBlank() || line.endsWith(" ")) {
                continue; // no owner
            }
            String last = line.substring(line.lastIndexOf(' ') + 1);
            String owner = target.roles().containsKey(last) ? last
                    : spaced.stream().filter(r -> line.endsWith(" " + r)).findFirst().orElse(last);
            Boolean member = target.roles().get(owner);
            if (member == null) {
                missing.add(owner);
            } else if (!member && !target.superuser()) {
                notMine.add(owner);
            }
        }
        if (missing.isEmpty() && notMine.isEmpty()) {
            return true;
        }
        String why = !missing.isEmpty()
                ? (missing.size() == 1 ? "role " : "roles ") + Units.firstOf(List.copyOf(missing), 10)
                        + (missing.size() == 1 ? ", which owns objects of the backup, does" : ", which own objects of "
                        + "the backup, do") + " not exist on this server"
                : "user " + target.user() + " may not give objects to " + (notMine.size() == 1 ? "role " : "roles ")
                        + Units.firstOf(List.copyOf(notMine), 10) + " (it is neither a superuser nor a member of "
                        + (notMine.size() == 1 ? "it" : "them") + ")";
        notice.accept("Objects keep their owners only where they can: " + why + ", so the restored objects belong to "
                + target.user() + " instead (--no-owner). To keep the owners, "
                + (!missing.isEmpty() ? "create the roles first (a backup taken with --globals holds them in "
                        + "globals.sql)" : "restore as a superuser") + "; pass --no-owner to say this is intended.");
        return false;
    }

    private static final java.util.regex.Pattern OWNER_REFUSED = java.util.regex.Pattern.compile(
            "ERROR: +(.*?); (?:Command was:|STATEMENT:) +(ALTER [^;]*? OWNER TO [^;]*)");

    /**
     * What PostgreSQL refused, when pg_restore failed at giving an object to its owner (a user who is a member of
     * the owner's role may still not: the new owner must be allowed to create in the object's schema); null when
     * it failed otherwise.
     */
    static String ownerRefused(String text) {
        java.util.regex.Matcher m = OWNER_REFUSED.matcher(text);
        return m.find() ? m.group(2).strip() + " (" + m.group(1).strip() + ")" : null;
    }

    /** The lines of the database's own entries: DATABASE, DATABASE PROPERTIES, and its COMMENT, ACL, SECURITY LABEL. */
    static List<String> databaseEntries(List<String> toc) {
        List<String> out = new ArrayList<>();
        for (String line : toc) {
            int semi = line.indexOf("; ");
            if (line.startsWith(";") || semi < 0) {
                continue;
            }
            String[] head = line.substring(semi + 2).split(" ", 3);
            if (head.length < 3) {
                continue;
            }
            String rest = head[2];
            if (rest.startsWith("DATABASE - ") || rest.startsWith("DATABASE PROPERTIES - ")
                    || rest.startsWith("COMMENT - DATABASE ") || rest.startsWith("ACL - DATABASE ")
                    || rest.startsWith("SECURITY LABEL - DATABASE ")) {
                out.add(line);
            }
        }
        return out;
    }

    /**
     * {@code entries} reordered so that pg_restore's {@code --clean}, which drops in the reverse order of the list,
     * can drop them: the constraint of a partition that is attached to its parent's (a primary key or unique
     * constraint of a partitioned table) cannot be dropped by itself, only with the parent's, so every such
     * constraint moves before the first constraint of the list, and the parents' are dropped first. Creating them
     * in that order is as good: the partitions' indexes are attached to the parent's later (INDEX ATTACH).
     */
    static List<String> dropsInOrder(List<String> entries) {
        Map<String, Set<String>> attached = new HashMap<>(); // schema -> names of the attached indexes
        for (String line : entries) {
            TocEntry e = TocEntry.parse(line);
            if (e != null && e.type().equals("INDEX ATTACH")) {
                attached.computeIfAbsent(e.schema(), k -> new HashSet<>()).add(e.tag());
            }
        }
        List<String> moved = new ArrayList<>();
        for (String line : entries) {
            TocEntry e = TocEntry.parse(line);
            if (e != null && e.type().equals("CONSTRAINT") && attached.getOrDefault(e.schema(), Set.of()).stream()
                    .anyMatch(index -> e.tag().endsWith(" " + index))) {
                moved.add(line);
            }
        }
        if (moved.isEmpty()) {
            return entries;
        }
        Set<String> movedLines = new HashSet<>(moved);
        List<String> out = new ArrayList<>();
        boolean placed = false;
        for (String line : entries) {
            TocEntry e = TocEntry.parse(line);
            if (!placed && e != null && e.type().equals("CONSTRAINT")) {
                out.addAll(moved);
                placed = true;
            }
            if (!movedLines.contains(line)) {
                out.add(line);
            }
        }
        return out;
    }

    /**
     * The database settings of the archive as options of a session ({@code -c name=value}, escaped as libpq wants):
     * each is set in a transaction that is rolled back, for the server to tell its value as it stores it. Settings
     * only a superuser may make are left out for other users (who could not connect with them), and so are those
     * the server refuses (the restore says so when it applies them after the commit).
     */
    private String sessionSettings(PgConnection target, String ident, DatabaseProperties database, boolean superuser) {
        List<String> options = new ArrayList<>();
        PsqlSession s = null;
        try {
            for (DatabaseProperties.Statement statement : database.statements()) {
                if (statement.kind() != DatabaseProperties.Kind.SETTING) {
                    continue;
                }
                if (s == null) {
                    s = PsqlSession.open(tools.newest("psql"), target);
                }
                try {
                    s.query("begin");
                    s.query("ALTER DATABASE " + ident + " RESET ALL");
                    s.query(statement.sql(ident));
                    for (String[] r : s.query("select encode(convert_to(x, 'UTF8'), 'hex'), coalesce((select context "
                            + "from pg_settings where name = split_part(x, '=', 1)), '') from pg_db_role_setting, "
                            + "unnest(setconfig) x where setrole = 0 and setdatabase = (select oid from pg_database "
                            + "where datname = current_database())")) {
                        if (superuser || !r[1].startsWith("superuser")) {
                            options.add("-c " + PostgresDump.unhex(r[0]).replace("\\", "\\\\").replace(" ", "\\ "));
                        }
                    }
                    s.query("rollback");
                } catch (LifeboatException e) {
                    s.close(); // the transaction went with the session
                    s = null;
                }
            }
        } finally {
            if (s != null) {
                s.close();
            }
        }
        return String.join(" ", options);
    }

    /** The statements of {@code phase} for the database {@code ident}; GRANTs and REVOKEs only with privileges. */
    private static List<String> statements(DatabaseProperties database, DatabaseProperties.Phase phase, String ident,
                                           boolean privileges) {
        return database.of(phase).stream()
                .filter(s -> privileges || s.kind() != DatabaseProperties.Kind.PRIVILEGE)
                .map(s -> s.sql(ident)).toList();
    }

    /**
     * What takes an existing database back to the state a new one starts in, before the archive's statements: no
     * settings (of its own and, for a superuser, of its roles), no comment, no connection limit, and (with
     * privileges) the default privileges: a restore brings back the database as it was, not as it is plus the backup.
     */
    private List<String> resetExisting(PgConnection target, String ident, Target facts, boolean privileges) {
        List<String> out = new ArrayList<>(List.of("ALTER DATABASE " + ident + " RESET ALL",
                "COMMENT ON DATABASE " + ident + " IS NULL", "ALTER DATABASE " + ident + " CONNECTION LIMIT -1"));
        try (PsqlSession s = PsqlSession.open(tools.newest("psql"), target)) {
            if (facts.superuser()) {
                for (String[] r : s.query("select encode(convert_to(quote_ident(r.rolname), 'UTF8'), 'hex') "
                        + "from pg_db_role_setting x join pg_roles r on r.oid = x.setrole join pg_database d "
                        + "on d.oid = x.setdatabase where d.datname = current_database() order by 1")) {
                    out.add("ALTER ROLE " + PostgresDump.unhex(r[0]) + " IN DATABASE " + ident + " RESET ALL");
                }
            }
            if (privileges) {
                List<String> grantees = s.query("select distinct encode(convert_to(case when a.grantee = 0 then "
                        + "'PUBLIC' else quote_ident(pg_get_userbyid(a.grantee)) end, 'UTF8'), 'hex') from "
                        + "pg_database d, aclexplode(d.datacl) a where d.datname = current_database() order by 1")
                        .stream().map(r -> PostgresDump.unhex(r[0])).toList();
                if (!grantees.isEmpty()) {
                    String owner = PostgresDump.unhex(s.value("select encode(convert_to(quote_ident("
                            + "pg_get_userbyid(datdba)), 'UTF8'), 'hex') from pg_database "
                            + "where datname = current_database()"));
                    out.add("REVOKE ALL ON DATABASE " + ident + " FROM " + String.join(", ", grantees) + " CASCADE");
                    out.add("GRANT ALL ON DATABASE " + ident + " TO " + owner);
                    out.add("GRANT CONNECT, TEMPORARY ON DATABASE " + ident + " TO PUBLIC");
                }
            }
        }
        return out;
    }

    /** Runs each statement on its own, so that one that fails does not keep the others; returns those that failed. */
    private List<String> each(PgConnection target, List<String> statements) {
        List<String> failed = new ArrayList<>();
        PsqlSession s = null;
        try {
            for (String sql : statements) {
                if (s == null) {
                    s = PsqlSession.open(tools.newest("psql"), target);
                }
                try {
                    s.query(sql);
                } catch (LifeboatException e) {
                    String why = e.getMessage().replaceFirst("^database [^:]*: ", "").strip();
                    failed.add(sql.replaceAll("\\s+", " ") + " (" + why + ")");
                    s.close(); // a failed statement ends a psql session
                    s = null;
                }
            }
        } finally {
            if (s != null) {
                s.close();
            }
        }
        return failed;
    }

    private static void tell(Consumer<String> notice, PgConnection target, List<String> failed) {
        if (!failed.isEmpty()) {
            notice.accept("Could not restore " + failed.size() + " of the settings, comment and privileges of database "
                    + target.database() + ": " + Units.firstOf(failed, 10) + ". The rest of the restore went ahead; "
                    + "apply them as a superuser or the database's owner (with the roles they name) to complete it.");
        }
    }

    /** The database's own statements in the archive: pg_restore --create writes them for the entries of {@code own}. */
    private DatabaseProperties databaseProperties(PgTools.Binary pgRestore, Supplier<InputStream> archive,
                                                  List<String> own) throws IOException, InterruptedException {
        Path listFile = Files.createTempFile("lifeboat-database-", ".list",
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        try {
            Files.write(listFile, own, StandardCharsets.UTF_8);
            return DatabaseProperties.parse(String.join("\n", output(pgRestore, archive, "--create",
                    "--use-list=" + listFile, "--file=-")));
        } finally {
            Files.deleteIfExists(listFile);
        }
    }

    /** The table of contents, with the database's own entries (which {@code --create} lists). */
    private List<String> list(PgTools.Binary pgRestore, Supplier<InputStream> archive)
            throws IOException, InterruptedException {
        return output(pgRestore, archive, "--create", "--list");
    }

    /** What pg_restore with {@code args} writes for the archive, a line each; it reads the table of contents only. */
    private List<String> output(PgTools.Binary pgRestore, Supplier<InputStream> archive, String... args)
            throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of(pgRestore.path().toString()));
        cmd.addAll(List.of(args));
        InputStream in = archive.get();
        Process p = Pipes.start(new ProcessBuilder(cmd), in);
        StderrTail err = new StderrTail(p.getErrorStream(), "pg_restore-list");
        Exception[] readError = new Exception[1];
        Thread feeder = feed(in, p.getOutputStream(), p, readError);
        byte[] out = p.getInputStream().readAllBytes();
        int rc = p.waitFor();
        feeder.join();
        // the archive could not be read (a chunk missing or damaged): that, not pg_restore's short input
        Pipes.rethrow(readError);
        if (rc != 0) {
            throw new LifeboatException(ErrorCode.DATABASE, "pg_restore " + String.join(" ", args) + " failed: "
                    + err.text(), "check the backup with 'lifeboat show' and 'lifeboat cat'");
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
    public java.util.Map<String, Long> countRows(PgConnection db, List<TableInfo> tables) {
        java.util.Map<String, Long> counts = new java.util.LinkedHashMap<>();
        try (PsqlSession s = PsqlSession.open(tools.newest("psql"), db)) {
            for (TableInfo t : tables) {
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
    private static List<String> cannotReplace(PsqlSession s, List<TableInfo> tables) {
        if (tables.isEmpty()) {
            return List.of();
        }
        String values = pairs(tables);
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

    /**
     * Drops a database, ending its sessions (used for drill scratch databases). A subscription keeps a database from
     * being dropped, and dropping one drops its replication slot on the publisher: the slot of the subscription the
     * backup was taken from, which a restored copy names too. So a subscription is first detached from its slot.
     */
    public void dropDatabase(PgConnection target) {
        try (PsqlSession s = PsqlSession.open(tools.newest("psql"), target)) {
            s.query(DROP_SUBSCRIPTIONS);
        } catch (LifeboatException e) {
            if (!e.getMessage().contains("does not exist")) {
                throw e;
            }
        }
        try (PsqlSession s = PsqlSession.open(tools.newest("psql"), target.withDatabase("postgres"))) {
            s.query("drop database if exists " + PsqlSession.ident(target.database()) + " with (force)");
        }
    }

    /** Detaches every subscription of the current database from its slot, then drops it (the slot stays). */
    private static final String DROP_SUBSCRIPTIONS = """
            do $lifeboat$
            declare
              s record;
            begin
              for s in select subname from pg_catalog.pg_subscription
                       where subdbid = (select oid from pg_catalog.pg_database where datname = current_database()) loop
                execute format('alter subscription %I disable', s.subname);
                execute format('alter subscription %I set (slot_name = none)', s.subname);
                execute format('drop subscription %I', s.subname);
              end loop;
            end
            $lifeboat$""";

    /**
     * The table-of-contents lines that restore the given tables with their data, constraints, indexes,
     * triggers, policies, defaults, owned sequences, comments and grants.
     */
    static List<String> select(List<String> toc, List<TableInfo> tables) {
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
            for (TableInfo t : tables) {
                if (e.belongsTo(t)) {
                    out.add(line);
                    if (e.type().equals("TABLE")) {
                        matched.add(t.qualifiedName());
                    }
                    break;
                }
            }
        }
        for (TableInfo t : tables) {
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

    /**
     * {@code settings}: options for pg_restore's session ({@code PGOPTIONS}), before those of the connection (which
     * win, as a connection's options win over a database's settings); or null.
     */
    private void run(List<String> cmd, PgConnection target, InputStream in, String what, String settings)
            throws IOException, InterruptedException {
        // --clean drops each table: a session that holds one open in a transaction must not stall the restore for
        // ever. The archive sets lock_timeout to 0, so a watch finds pg_restore's session by its name and cancels
        // its statement once it has waited too long.
        String appName = "lifeboat-restore-" + java.util.UUID.randomUUID().toString().substring(0, 8);
        ProcessBuilder pb = new ProcessBuilder(cmd);
        pb.environment().clear();
        pb.environment().putAll(target.withApplicationName(appName).environment(System.getenv()));
        if (settings != null && !settings.isEmpty()) {
            pb.environment().merge("PGOPTIONS", settings, (connection, database) -> database + " " + connection);
        }
        pb.redirectOutput(ProcessBuilder.Redirect.DISCARD);
        Process p = pb.start();
        LockWatch watch = LockWatch.start(tools, target, appName, lockWait, "restoring into", true);
        StderrTail err = new StderrTail(p.getErrorStream(), "pg_restore");
        Exception[] feedError = new Exception[1];
        Thread feeder = feedArchive(in, p, feedError);
        int rc;
        try (watch) {
            rc = p.waitFor();
            feeder.join();
        }
        Pipes.rethrow(feedError); // the archive could not be read (a chunk missing or damaged)
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

    /**
     * Feeds the archive {@code in} to pg_restore {@code p} on a thread of its own; a failure to read it goes into
     * {@code feedError}, after pg_restore was killed: it must not mistake a broken stream for its end (and commit).
     */
    private static Thread feedArchive(InputStream in, Process p, Exception[] feedError) {
        Thread feeder = new Thread(() -> {
            try (InputStream src = in) {
                // Large writes: one system call moves a pipe's worth, not 8 KiB.
                if (Pipes.copy(src, p.getOutputStream(), p, feedError, 1 << 20)) {
                    p.getOutputStream().close(); // end of input: pg_restore may now commit
                }
                // else pg_restore stopped reading (it failed, and its stderr says why): killing it now would close
                // that stderr before it is read and leave the error without its text
            } catch (IOException ignored) {
                // closing stdin or the source after pg_restore ended: its exit status decides
            }
        }, "pg_restore-feeder");
        feeder.start();
        return feeder;
    }

    /**
     * Restores {@code tables} alone over a database that holds objects, in one transaction of one psql session: the
     * tables are locked, what depends on them is read from the catalog ({@link TableDependents}) and dropped,
     * pg_restore's script of the tables ({@code cmd}, which writes it to its standard output) runs, and the
     * dependents are created again as they were, their foreign keys checked against the restored rows. Any failure
     * ends psql before its COMMIT, so the server rolls everything back.
     */
    private void restoreAlone(List<String> cmd, PgTools.Binary pgRestore, PgConnection target,
                              Supplier<InputStream> archive, List<TableInfo> tables, Consumer<String> notice)
            throws IOException, InterruptedException {
        String names = String.join(", ", tables.stream().map(TableInfo::qualifiedName).toList());
        String appName = "lifeboat-restore-" + java.util.UUID.randomUUID().toString().substring(0, 8);
        // the psql of pg_restore's own version (or the next) reads its script: the meta-commands it writes included
        PgTools.Binary psql = tools.choose("psql", pgRestore.major(), "restoring into " + target);
        TableDependents.Plan plan;
        LifeboatException explained = null; // a failure already told in full
        LockWatch watch = LockWatch.start(tools, target, appName, lockWait, "restoring into", true);
        try (watch; PsqlSession s = PsqlSession.open(psql, target.withApplicationName(appName),
                List.of("--echo-errors", "-v", "VERBOSITY=default"))) {
            // lock_timeout off as in pg_restore's script: the watch gives up on a lock after LIFEBOAT_PG_LOCK_WAIT
            for (String set : List.of("client_encoding = 'UTF8'", "client_min_messages = warning",
                    "statement_timeout = 0", "lock_timeout = 0")) {
                s.query("set " + set);
            }
            s.query("begin");
            for (String[] r : s.query("select encode(convert_to(c.oid::regclass::text, 'UTF8'), 'hex') from pg_class c "
                    + "join pg_namespace n on n.oid = c.relnamespace join (values " + pairs(tables) + ") as w(s, t) "
                    + "on w.s = n.nspname and w.t = c.relname where c.relkind in ('r', 'p') order by 1")) {
                s.query("LOCK TABLE " + PostgresDump.unhex(r[0]) + " IN ACCESS EXCLUSIVE MODE");
            }
            plan = TableDependents.of(s, tables);
            if (!plan.refusals().isEmpty()) { // the target changed since it was inspected
                explained = TableDependents.refusal(names, target.toString(), plan.refusals(),
                        "the transaction was rolled back and the target is as it was");
                throw explained;
            }
            for (TableDependents.Dependent d : plan.dropOrder()) {
                d.drop().forEach(s::query);
            }
            s.run(script(cmd, archive.get()));
            s.query("set client_encoding = 'UTF8'"); // the script set the archive's
            for (TableDependents.Dependent d : plan.dependents()) {
                for (String sql : d.create()) {
                    try {
                        s.query(sql);
                    } catch (LifeboatException e) {
                        explained = watch.cancelledFor() != null ? e : TableDependents.notCreated(d, names, target, e);
                        throw explained;
                    }
                }
            }
            s.query("commit");
        } catch (LifeboatException e) {
            if (watch.cancelledFor() != null) {
                throw LockWait.error(target, "restoring into", LockWait.table(e.getMessage()), lockWait,
                        watch.cancelledFor(), "the transaction was rolled back; the target is as it was");
            }
            throw e == explained ? e : TableDependents.failed(names, target, e);
        }
        TableDependents.tell(notice, plan, tables);
    }

    /**
     * The script pg_restore {@code cmd} writes of the archive {@code in}; at its end, a pg_restore that failed (or an
     * archive that could not be read) is an error, so that no script it left unfinished is run to its end.
     */
    private static InputStream script(List<String> cmd, InputStream in) throws IOException {
        Process p = Pipes.start(new ProcessBuilder(cmd), in);
        StderrTail err = new StderrTail(p.getErrorStream(), "pg_restore");
        Exception[] feedError = new Exception[1];
        Thread feeder = feedArchive(in, p, feedError);
        return new java.io.FilterInputStream(p.getInputStream()) {
            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                int n = super.read(b, off, len);
                if (n < 0) {
                    int rc;
                    try {
                        rc = p.waitFor();
                        feeder.join();
                    } catch (InterruptedException e) {
                        p.destroyForcibly();
                        Thread.currentThread().interrupt();
                        throw new java.io.InterruptedIOException("stopped while pg_restore wrote its script");
                    }
                    Pipes.rethrow(feedError); // the archive could not be read (a chunk missing or damaged)
                    if (rc != 0) {
                        throw new LifeboatException(ErrorCode.DATABASE, "pg_restore failed (exit " + rc + "): "
                                + err.text(), "the transaction was rolled back; the target is as it was");
                    }
                }
                return n;
            }

            @Override
            public void close() throws IOException {
                p.destroyForcibly(); // when psql stopped reading it; after its end, pg_restore has exited already
                super.close();
            }
        };
    }

    /** {@code (schema, name)} of each table, as SQL values. */
    static String pairs(List<TableInfo> tables) {
        StringBuilder values = new StringBuilder();
        for (TableInfo t : tables) {
            values.append(values.length() == 0 ? "" : ", ").append('(').append(PsqlSession.literal(t.schema()))
                    .append(", ").append(PsqlSession.literal(t.name())).append(')');
        }
        return values.toString();
    }

    /**
     * Copies {@code in} to pg_restore until either ends; a failure to read {@code in} goes into {@code readError}
     * (and ends pg_restore), one to write is pg_restore having read what it wanted: the table of contents.
     */
    private static Thread feed(InputStream in, OutputStream out, Process p, Exception[] readError) {
        Thread t = new Thread(() -> {
            try (InputStream src = in; OutputStream dst = out) {
                Pipes.copy(src, dst, p, readError, 1 << 16);
            } catch (IOException ignored) {
                // pg_restore --list stops reading after the table of contents
            }
        }, "pg_restore-list-feeder");
        t.setDaemon(true);
        t.start();
        return t;
    }
}
