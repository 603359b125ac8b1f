package dev.lifeboat.engine;

import dev.lifeboat.source.postgres.TableInfo;
import dev.lifeboat.core.ErrorCode;
import dev.lifeboat.core.Futures;
import dev.lifeboat.core.LifeboatException;
import dev.lifeboat.core.Units;
import dev.lifeboat.source.postgres.PgConnection;
import dev.lifeboat.source.postgres.PgRecord;
import dev.lifeboat.source.postgres.PgTools;
import dev.lifeboat.source.postgres.PostgresRestore;
import dev.lifeboat.source.postgres.TableDependents;
import dev.lifeboat.repository.Artifact;
import dev.lifeboat.repository.ArtifactReader;
import dev.lifeboat.repository.Keys;
import dev.lifeboat.repository.Manifest;
import dev.lifeboat.repository.Repository;
import dev.lifeboat.repository.RepositoryLock;

import java.io.IOException;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Restores a database from a backup, as a list of steps: find the backup and its archive, check the
 * identity, that every chunk is present and that the backup is not recorded as corrupt ({@link RestoreCheck}),
 * look at the target, ask for confirmation, take a safety backup of a target that holds tables, create the
 * target if asked, and stream the archive into pg_restore in one transaction. A failure after the safety
 * backup names it ({@link FailedAfterSafetyBackup}).
 */
public final class RestoreEngine {
    /** What happened: the backup restored and the safety backup taken first, if any. */
    public record Result(String backupId, String artifact, String target, String safetyBackupId) {}

    private final Repository repo;
    private final Keys keys;
    private final PgTools tools;
    private final Progress progress;
    private final Confirmation confirmation;
    private final Consumer<String> notice;

    /**
     * @param notice told of steps a person should see (the safety backup's id), before the restore ends
     */
    public RestoreEngine(Repository repo, Keys keys, PgTools tools, Progress progress, Confirmation confirmation,
                         Consumer<String> notice) {
        this.repo = repo;
        this.keys = keys;
        this.tools = tools;
        this.progress = progress;
        this.confirmation = confirmation;
        this.notice = notice;
    }

    public Result run(RestoreRequest request) throws IOException, InterruptedException {
        tools.prefetch("psql", "pg_restore");
        Manifest manifest = repo.resolveManifest(request.backupId(), request.artifact());
        Artifact artifact = chooseArtifact(manifest, request.artifact());
        Manifest.Source recorded = manifest.sources().stream().filter(s -> s.name().equals(artifact.source()))
                .findFirst().orElseThrow(() -> new LifeboatException(ErrorCode.INTEGRITY, "backup " + manifest.id()
                        + ": its dump " + artifact.name() + " names source '" + artifact.source() + "', which its "
                        + "manifest does not list", "restore " + Manifest.blobName(manifest.id()) + " from a replica, "
                        + "or restore another backup"));
        PgRecord source = PgRecord.of(recorded);
        List<TableInfo> tables = chooseTables(recorded.name(), source, request.tables());
        PgConnection target = target(request.target());

        try (RepositoryLock lock = repo.lock(RepositoryLock.Kind.SHARED, "restore " + manifest.id())) {
            // The listing of chunks and the look at the target both mostly wait (storage, psql): side by side.
            FutureTask<RestoreCheck> checked = new FutureTask<>(() -> RestoreCheck.of(repo, manifest, artifact,
                    request.force()));
            Thread checker = new Thread(checked, "restore-chunk-check");
            checker.setDaemon(true);
            checker.start();
            PostgresRestore restore = new PostgresRestore(tools);
            PostgresRestore.TargetState state;
            RestoreCheck check;
            try {
                state = restore.inspect(target, tables.isEmpty() ? source.tables() : tables, !tables.isEmpty());
            } finally {
                // a missing chunk or a corrupt backup is the first thing to report, before the target
                check = awaitCheck(checked);
            }
            if (check.corrupt() != null) {
                notice.accept("Warning: " + check.warning() + ". Restoring it anyway, as forced.");
            }
            if (!state.exists() && !request.create()) {
                throw new LifeboatException(ErrorCode.NOT_FOUND, "database " + target.database()
                        + " does not exist on " + target, "pass --create to create it, or check the name");
            }
            if (!state.exists() && !state.mayCreate()) {
                throw new LifeboatException(ErrorCode.DATABASE, "user " + state.user() + " may not create databases on "
                        + target + ", so --create cannot make " + target.database(), "create it as a user that may "
                        + "(createdb -T template0 -O " + state.user() + " " + target.database() + ") and restore "
                        + "without --create, or grant the right: ALTER ROLE " + state.user() + " CREATEDB");
            }
            if (state.exists() && request.create()) {
                throw new LifeboatException(ErrorCode.USAGE, "database " + target.database() + " already exists on "
                        + target, "leave out --create to restore over it (a safety backup is taken first)");
            }
            List<String> foreign = state.cannotReplace();
            if (!foreign.isEmpty()) {
                throw new LifeboatException(ErrorCode.DATABASE, "user " + state.user() + " may not replace "
                        + foreign.size() + (foreign.size() == 1 ? " table" : " tables") + " of " + target + ": "
                        + Units.firstOf(foreign, 10) + "; nothing was changed", WHO_MAY_REPLACE + ": " + REPLACE_AS);
            }
            if (!state.refused().isEmpty()) {
                throw TableDependents.refusal(String.join(", ", tables.stream().map(TableInfo::qualifiedName)
                        .toList()), "database '" + target.database() + "' on " + target, state.refused(),
                        "nothing was changed");
            }
            if (state.exists() && state.userTables() > 0 && request.safetyBackup() && repo.config().signed()
                    && keys.signingKey() == null) {
                throw UserErrors.cannotSignSafetyBackup(repo, target.database(), "the target holds");
            }
            String question = "Restore " + artifact.name() + " of backup " + manifest.id()
                    + (check.corrupt() != null ? " (recorded as corrupt)" : "")
                    + (tables.isEmpty() ? "" : " (tables " + String.join(", ", request.tables()) + ")")
                    + " into database '" + target.database() + "' on " + target
                    + (state.exists() ? (state.userTables() > 0 ? ", replacing objects of the same names in its "
                    + state.userTables() + " tables" : " (it holds no tables)") : " (to be created)")
                    + (state.recreated().isEmpty() ? "" : ", dropping and creating again what depends on "
                    + (tables.size() == 1 ? "it" : "them") + ": " + Units.firstOf(state.recreated(), 10)) + "?";
            if (!confirmation.confirm(question, target.database())) {
                throw new LifeboatException(ErrorCode.ABORTED, "restore into " + target.database()
                        + " was not confirmed; nothing was changed", null);
            }
            String safetyId = null;
            if (state.exists() && state.userTables() > 0 && request.safetyBackup()) {
                notice.accept("Taking a safety backup of " + target.database() + " before the restore...");
                Manifest safety;
                try {
                    safety = new BackupEngine(repo, keys, tools, progress, Clock.systemUTC()).run(
                            new BackupRequest(List.of(request.target()), false, false,
                                    "pre-restore of " + target.database() + " before restoring " + manifest.id(),
                                    repo.config().compression().level(), 2, Manifest.SAFETY));
                } catch (java.io.InterruptedIOException e) {
                    throw e; // a stop, not a failure
                } catch (IOException | LifeboatException e) {
                    if (e instanceof LifeboatException le && le.code() == ErrorCode.ABORTED) {
                        throw le;
                    }
                    throw safetyBackupFailed(target.database(), e);
                }
                safetyId = safety.id();
                notice.accept("Safety backup " + safetyId + " taken of " + target.database() + ".");
            }
            if (!state.exists()) {
                restore.createDatabase(target, source);
            }
            int dumpMajor = majorOf(source.dumpTool());
            ArtifactReader reader = repo.artifactReader(keys);
            try {
                restore.restore(target, () -> reader.open(artifact), () -> afterTheLastByte(progress.track(
                        reader.open(artifact), "restore " + artifact.name(), artifact.size())), tables,
                        state.serverMajor(), dumpMajor, new PostgresRestore.Options(!state.exists(),
                                request.privileges(), request.owners(), notice));
            } catch (LifeboatException e) {
                dropIfCreated(restore, target, state);
                throw afterSafetyBackup(explain(e, manifest, !state.exists()), safetyId, target.database());
            } catch (java.io.InterruptedIOException | java.nio.channels.ClosedByInterruptException e) {
                dropIfCreated(restore, target, state);
                throw e; // a stop, not a failure
            } catch (IOException e) {
                dropIfCreated(restore, target, state);
                if (safetyId == null) {
                    throw e;
                }
                throw afterSafetyBackup(UserErrors.ofStorage(e), safetyId, target.database());
            } catch (InterruptedException | RuntimeException e) {
                dropIfCreated(restore, target, state);
                throw e;
            }
            return new Result(manifest.id(), artifact.name(), target.toString(), safetyId);
        }
    }

    /**
     * {@code in}, telling the progress once the whole archive was read and closed that pg_restore goes on with
     * indexes and constraints: on a big database that takes minutes after the bar reached 100%.
     */
    private java.io.InputStream afterTheLastByte(java.io.InputStream in) {
        return new java.io.FilterInputStream(in) {
            private boolean end;

            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                int n = super.read(b, off, len);
                end |= n < 0;
                return n;
            }

            @Override
            public void close() throws IOException {
                super.close();
                if (end) {
                    progress.step("All data sent; pg_restore is building indexes and constraints, then commits"
                            + " (this can take a while on a big database)...");
                }
            }
        };
    }

    static Artifact chooseArtifact(Manifest manifest, String name) {
        List<Artifact> dumps = manifest.databaseDumps();
        if (name != null) {
            Artifact a = manifest.dumpOf(name);
            if (a == null) {
                throw new LifeboatException(ErrorCode.NOT_FOUND, "backup " + manifest.id() + " has no database dump '"
                        + name + "'", "give --database one of its databases: " + String.join(", ",
                        dumps.stream().map(Artifact::source).toList()));
            }
            return a;
        }
        if (dumps.size() != 1) {
            throw new LifeboatException(ErrorCode.USAGE, "backup " + manifest.id() + " holds " + dumps.size()
                    + " database dumps", "choose one with --database NAME (one of "
                    + dumps.stream().map(Artifact::source).toList() + ")");
        }
        return dumps.get(0);
    }

    private static List<TableInfo> chooseTables(String name, PgRecord source, List<String> names) {
        List<TableInfo> out = new ArrayList<>();
        for (String n : names) {
            String qualified = n.contains(".") ? n : "public." + n;
            TableInfo t = source.tables().stream().filter(x -> x.qualifiedName().equals(qualified))
                    .findFirst().orElseThrow(() -> new LifeboatException(ErrorCode.NOT_FOUND, "table " + qualified
                            + " is not in the backup of " + name,
                            "list its tables with 'lifeboat show <id>' (a partitioned table is not one of them: its "
                                    + "partitions are, and cannot be restored alone either; restore into a new "
                                    + "database with --create and copy the rows over)"));
            out.add(t);
        }
        return out;
    }

    private static PgConnection target(String spec) {
        if (spec == null || spec.isBlank()) {
            throw new LifeboatException(ErrorCode.USAGE, "no target database for the restore",
                    "pass --to postgres://user@host:5432/dbname (or set --db / DATABASE_URL)");
        }
        try {
            PgConnection c = PgConnection.parse(spec);
            if (c.database() == null) {
                throw new IllegalArgumentException("the connection names no database");
            }
            return c;
        } catch (IllegalArgumentException e) {
            throw new LifeboatException(ErrorCode.USAGE, "invalid target database: " + e.getMessage(),
                    "use postgres://user@host:5432/dbname");
        }
    }

    private static <T> T awaitCheck(FutureTask<T> check) throws IOException, InterruptedException {
        try {
            return check.get();
        } catch (ExecutionException e) {
            throw Futures.rethrow(e.getCause());
        }
    }

    /** A restore that failed after its safety backup: the error names that backup, wherever it is reported. */
    public static final class FailedAfterSafetyBackup extends LifeboatException {
        private final String safetyBackupId;

        FailedAfterSafetyBackup(LifeboatException e, String safetyBackupId, String database) {
            super(e.code(), e.getMessage() + "; the safety backup taken of " + database + " first is "
                    + safetyBackupId, e.hint(), e);
            this.safetyBackupId = safetyBackupId;
        }

        public String safetyBackupId() {
            return safetyBackupId;
        }
    }

    private static LifeboatException afterSafetyBackup(LifeboatException e, String safetyId, String database) {
        return safetyId == null ? e : new FailedAfterSafetyBackup(e, safetyId, database);
    }

    static int majorOf(String tool) {
        String digits = tool.replaceAll("^\\D*(\\d+).*$", "$1");
        try {
            return Integer.parseInt(digits);
        } catch (NumberFormatException e) {
            return 0;
        }
    }


    /**
     * A safety backup that failed stops the restore before it touches the target; the error says so, and that
     * the restore can go ahead without one (at 3 a.m., with the backup disk full, that may be the right call).
     */
    static LifeboatException safetyBackupFailed(String database, Exception e) {
        LifeboatException cause = UserErrors.of(e);
        return new LifeboatException(cause.code(), "the safety backup of " + database + " failed, so nothing was "
                + "restored: " + cause.getMessage(), (cause.hint() != null ? cause.hint() + "; or" : "Or")
                + " restore without a safety backup (--no-safety-backup), which loses what " + database + " holds now", e);
    }

    /** A database this restore created is dropped when the restore fails: "as it was" is not there. */
    private static void dropIfCreated(PostgresRestore restore, PgConnection target, PostgresRestore.TargetState state) {
        if (!state.exists()) {
            restore.dropCreated(target);
        }
    }

    private static final Pattern MISSING_ROLE = Pattern.compile("role \"([^\"]+)\" does not exist");
    private static final Pattern DEPENDENT = Pattern.compile("cannot drop (\\w+ \\S+) because other objects depend on it"
            + "(?:; DETAIL: +(.+?) depends? on [^;]*)?");
    private static final String WHO_MAY_REPLACE = "a restore drops and creates the target's objects, so it must run "
            + "as their owner, the owner of their schema, or a superuser";
    private static final String REPLACE_AS = "restore as the database's owner, or into a new database (--create)";
    private static final Pattern NOT_OWNER = Pattern.compile("(?:must be owner of (\\w+(?: \\w+)? [^\\s;]+)"
            + "|permission denied for ((?:schema|database) [^\\s;]+))");
    private static final Pattern SUBSCRIPTION_SLOT = Pattern.compile("DROP SUBSCRIPTION cannot run inside a transaction "
            + "block.*?Command was: DROP SUBSCRIPTION (?:IF EXISTS )?(\\S+?);", Pattern.DOTALL);
    private static final Pattern DOMAIN_MISSING = Pattern.compile("does not exist.*?Command was: ALTER DOMAIN (\\S+) "
            + "DROP CONSTRAINT IF EXISTS", Pattern.DOTALL);
    private static final Pattern MISSING_EXTENSION = Pattern.compile("(?:extension \"([^\"]+)\" is not available"
            + "|could not open extension control file \"[^\"]*/([^/\"]+)\\.control\")");

    /**
     * What to do about a pg_restore that failed for a reason of the target, not of the backup: a role the dump
     * grants to is missing (a new server; the backup's {@code globals.sql} has them all), an object the backup
     * does not know depends on a table it replaces (PostgreSQL's own hint, DROP ... CASCADE, is not what a restore
     * wants), or an extension is not installed there. Other failures keep their message and hint.
     */
    static LifeboatException explain(LifeboatException e, Manifest manifest, boolean created) {
        String text = String.valueOf(e.getMessage());
        String rolledBack = "; the transaction was rolled back"
                + (created ? " and the database it created was dropped" : " and the target is as it was");
        Matcher m = MISSING_ROLE.matcher(text);
        if (m.find()) {
            Artifact globals = manifest.globals();
            return new LifeboatException(e.code(), e.getMessage(), "create role " + m.group(1) + " on this server first"
                    + (globals != null ? " (or every role of the backup: lifeboat cat " + manifest.id()
                            + " " + globals.name() + " | psql -d postgres)" : "")
                    + ", or restore without GRANTs (--no-privileges)" + rolledBack, e);
        }
        m = DEPENDENT.matcher(text);
        if (m.find()) {
            return new LifeboatException(e.code(), e.getMessage(), "the target holds "
                    + (m.group(2) != null ? m.group(2) + ", which the backup does not have and which depends"
                            : "objects the backup does not have that depend")
                    + " on " + m.group(1) + ": restore into a new database (--create) and switch over to it, or drop "
                    + "those objects first" + rolledBack, e);
        }
        m = NOT_OWNER.matcher(text);
        if (m.find()) {
            return new LifeboatException(e.code(), e.getMessage(), WHO_MAY_REPLACE + "; " + (m.group(1) != null
                    ? "the user restoring does not own " + m.group(1) : "the user restoring may not create in "
                    + m.group(2)) + ": " + REPLACE_AS + rolledBack, e);
        }
        m = SUBSCRIPTION_SLOT.matcher(text);
        if (m.find()) {
            return new LifeboatException(e.code(), e.getMessage(), "the target's subscription " + m.group(1) + " has a "
                    + "replication slot, and a subscription with one cannot be dropped inside the restore's "
                    + "transaction: restore into a new database (--create), or detach it first (ALTER SUBSCRIPTION "
                    + m.group(1) + " DISABLE; ALTER SUBSCRIPTION " + m.group(1) + " SET (slot_name = NONE)) and drop "
                    + "its slot on the publisher" + rolledBack, e);
        }
        m = DOMAIN_MISSING.matcher(text);
        if (m.find()) {
            return new LifeboatException(e.code(), e.getMessage(), "the target holds objects, but not domain "
                    + m.group(1) + " of the backup, and a NOT VALID constraint of a domain cannot be cleaned away when "
                    + "the domain is not there: restore into a new database (--create) or an empty one" + rolledBack, e);
        }
        m = MISSING_EXTENSION.matcher(text);
        if (m.find()) {
            String ext = m.group(1) != null ? m.group(1) : m.group(2);
            return new LifeboatException(e.code(), e.getMessage(), "install extension " + ext + " on the target's "
                    + "server (its package, such as postgresql-contrib or postgresql-<major>-" + ext + "), then run "
                    + "again" + rolledBack, e);
        }
        return e;
    }
}
