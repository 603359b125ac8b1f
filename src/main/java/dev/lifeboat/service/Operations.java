package dev.lifeboat.service;

import dev.lifeboat.config.Settings;
import dev.lifeboat.core.ErrorCode;
import dev.lifeboat.core.LifeboatException;
import dev.lifeboat.crypto.IdentityFile;
import dev.lifeboat.engine.BackupEngine;
import dev.lifeboat.engine.BackupRequest;
import dev.lifeboat.engine.PruneEngine;
import dev.lifeboat.engine.PruneRequest;
import dev.lifeboat.engine.RestoreCheck;
import dev.lifeboat.engine.RestoreEngine;
import dev.lifeboat.engine.RestoreRequest;
import dev.lifeboat.engine.StackRestoreEngine;
import dev.lifeboat.source.RestoreOptions;
import dev.lifeboat.engine.VerifyEngine;
import dev.lifeboat.engine.VerifyRequest;
import dev.lifeboat.source.postgres.PgConnection;
import dev.lifeboat.source.postgres.PgTools;
import dev.lifeboat.repository.Artifact;
import dev.lifeboat.repository.BackupStatus;
import dev.lifeboat.repository.Catalog;
import dev.lifeboat.repository.Keys;
import dev.lifeboat.repository.LocalKeyCache;
import dev.lifeboat.repository.Manifest;
import dev.lifeboat.repository.Repository;
import dev.lifeboat.retention.Decision;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * What the service's jobs do: each method builds the same request record the CLI builds and makes the
 * same engine call. The HTTP layer and the scheduler only decide when to call them.
 */
public final class Operations {
    /** How old the catalog's snapshot may be for a progress estimate: an older size is as good a guess. */
    private static final Duration ESTIMATE_AGE = Duration.ofHours(1);

    private final Repository repo;
    private final Catalog catalog;
    private final Settings settings;
    private final Supplier<ServiceConfig> config;
    private final PgTools tools;
    private final Clock clock;

    public Operations(Repository repo, Catalog catalog, Settings settings, Supplier<ServiceConfig> config, PgTools tools,
                      Clock clock) {
        this.repo = repo;
        this.catalog = catalog;
        this.settings = settings;
        this.config = config;
        this.tools = tools;
        this.clock = clock;
    }

    /**
     * Backs up the configured stack (lifeboat.yml's sources: with its hooks), else the configured databases; then, when {@code applyRetention}, prunes what the retention
     * policy no longer keeps (the seed's auto-purge). A failed prune does not undo the backup: the result
     * says what failed.
     */
    /** {@code r} as the stack's backup when sources are configured (they take the place of the databases). */
    private BackupRequest stack(BackupRequest r) {
        return settings.sources.isEmpty() ? r : r.withStack(settings.sources, settings.hooks, settings.sourcesInParallel);
    }

    public Map<String, Object> backup(Job job, String label, boolean applyRetention) throws Exception {
        if (settings.databases.isEmpty() && settings.sources.isEmpty()) {
            throw new LifeboatException(ErrorCode.USAGE, "no source or database is configured to back up",
                    "set the sources: (or databases:) of lifeboat.yml, or DATABASE_URL, then restart the service");
        }
        repo.requireRecipients(settings.recipients);
        Keys keys = repo.writeKeys(new LocalKeyCache(settings.keyDir, settings.signingKey), identities());
        // The estimate for the job's progress comes from the backups the service already holds in memory.
        Manifest m = new BackupEngine(repo, keys, tools, job, clock).withLocalCopies(settings.keyDir)
                .withLastDumpSize(db -> BackupEngine.lastDumpSize(catalog.entries(ESTIMATE_AGE), db))
                .run(stack(new BackupRequest(settings.databases, false, settings.globals, label,
                        settings.compressionLevel, settings.threads, null)));
        Map<String, Object> out = BackupView.withSize(m.summary());
        if (applyRetention) {
            try {
                out.put("prune", prune(job, false));
            } catch (LifeboatException e) {
                out.put("prune", Map.of("error", e.getMessage()));
            }
        }
        return out;
    }

    /** Applies the retention policy in force and removes what it no longer keeps. */
    public Map<String, Object> prune(Job job, boolean dryRun) throws IOException {
        ServiceConfig c = config.get();
        job.start("prune", -1);
        PruneEngine.Result r = new PruneEngine(repo, clock).run(new PruneRequest(c.retention(), c.retentionZone(),
                dryRun));
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("removedBackups", r.decisions().stream().filter(d -> !d.keep()).map(Decision::id).toList());
        out.put("keptBackups", r.decisions().stream().filter(Decision::keep).count());
        out.put("removedChunks", r.unreferencedChunks());
        out.put("freedBytes", r.unreferencedBytes());
        out.put("dryRun", r.dryRun());
        out.put("policy", c.retention().summary());
        out.put("policySource", c.retentionSource());
        return out;
    }

    /**
     * Verifies one backup: every chunk read and checked, every artifact's checksum recomputed, dumps parsed
     * by pg_restore; with {@code drill}, restored into a scratch database too. The result is recorded in the
     * repository, so the backup's status moves from completed to verified (or corrupt); damage found fails the
     * job ({@link JobFailure}, {@link ErrorCode#INTEGRITY}) with the same result.
     */
    public Map<String, Object> verify(Job job, String backupId, boolean drill) throws Exception {
        List<String> ids = identities();
        Keys keys = ids.isEmpty() ? Keys.PLAIN : repo.readKeys(ids);
        List<VerifyEngine.Result> results = new ArrayList<>();
        String scratch = settings.databases.isEmpty() ? null : settings.databases.get(0);
        new VerifyEngine(repo, keys, tools, job, clock, results::add).run(new VerifyRequest(List.of(backupId), false,
                true, null, drill, scratch, settings.drillQuery, true, settings.sources));
        VerifyEngine.Result r = results.get(0);
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("id", r.id());
        out.put("status", r.status());
        out.put("level", r.level());
        out.put("ok", r.ok());
        out.put("problems", r.problems());
        if (r.drill() != null) {
            out.put("drill", r.drill());
        }
        if (!r.ok()) {
            // A verify that finds damage is a failed job: the API's 422, the log, the job pages, the failure count.
            throw new JobFailure(ErrorCode.INTEGRITY, "backup " + r.id() + " is corrupt: " + r.problems().get(0)
                    + (r.problems().size() > 1 ? " (and " + (r.problems().size() - 1) + " more problems)" : ""),
                    "restore missing or damaged blobs from a replica and verify again, or rely on another backup; a "
                            + "restore of this one is refused unless forced", out, null);
        }
        return out;
    }

    /**
     * Where a restore of {@code backupId} (a full id) goes: the configured connection of the database it came
     * from.
     */
    public RestorePlan planRestore(String backupId, String database) throws IOException {
        Manifest m = repo.manifest(backupId);
        List<Artifact> dumps = m.databaseDumps();
        Artifact artifact;
        if (database != null) {
            artifact = m.dumpOf(database);
            if (artifact == null) {
                throw new LifeboatException(ErrorCode.NOT_FOUND, "backup " + m.id() + " has no database '" + database
                        + "'", "its databases are " + dumps.stream().map(Artifact::source).toList());
            }
        } else if (dumps.size() == 1) {
            artifact = dumps.get(0);
        } else {
            throw new LifeboatException(ErrorCode.USAGE, "backup " + m.id() + " holds several databases",
                    "name one with \"database\": one of " + dumps.stream().map(Artifact::source).toList());
        }
        String source = artifact.source();
        if (settings.databases.isEmpty()) {
            throw new LifeboatException(ErrorCode.USAGE, "no database is configured to restore into",
                    "set DATABASE_URL or the databases: list of lifeboat.yml");
        }
        String spec = null;
        for (String configured : settings.databases) {
            if (source.equals(PgConnection.parse(configured).database())) {
                spec = configured;
                break;
            }
        }
        if (spec == null) {
            spec = PgConnection.parse(settings.databases.get(0)).withDatabase(source).toKeywords();
        }
        return new RestorePlan(m.id(), source, artifact.name(), PgConnection.parse(spec).toString(), spec);
    }

    /**
     * A restore's target. {@code display} ({@code user@host:port/db}) is shown to the person who must
     * confirm it; {@code spec} may hold a password and never leaves the process.
     */
    public record RestorePlan(String backupId, String database, String artifact, String display, String spec) {
        @Override
        public String toString() {
            return "restore of " + database + " from " + backupId + " into " + display;
        }
    }

    /**
     * What a restore checks before it asks anything ({@link RestoreCheck}): every chunk of the dump present, and
     * the backup not recorded as corrupt unless {@code force}; refused with the newest good backup named.
     */
    public RestoreCheck checkRestore(RestorePlan plan, boolean force) throws IOException {
        Manifest m = repo.manifest(plan.backupId());
        return RestoreCheck.of(repo, m, m.artifact(plan.artifact()), force);
    }

    /**
     * Refuses a backup recorded as corrupt unless {@code force}: the second step of a restore checks this before it
     * uses its confirmation, which stays valid.
     */
    public void requireNotCorrupt(String backupId, boolean force) throws IOException {
        BackupStatus s = repo.status(backupId);
        if (!force && s != null && BackupStatus.CORRUPT.equals(s.status())) {
            throw new LifeboatException(ErrorCode.INTEGRITY, "backup " + backupId + " is recorded as corrupt; "
                    + "nothing was done", "confirm with \"force\": true, as the request was, to restore it anyway; "
                    + "the confirmation token is still valid");
        }
    }

    /**
     * Restores a backup into its database, after a safety backup of what is there now, in one transaction.
     * The confirmation was given through the API's two steps before the job was submitted. A failure after the
     * safety backup keeps its id in the job's result ({@code preRestoreBackupId}) and names it in the error.
     */
    public Map<String, Object> restore(Job job, RestorePlan plan, boolean force) throws Exception {
        Keys keys = repo.restoreKeys(new LocalKeyCache(settings.keyDir, settings.signingKey), identities());
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("id", plan.backupId());
        out.put("database", plan.database());
        RestoreEngine.Result r;
        try {
            r = new RestoreEngine(repo, keys, tools, job, (question, expected) -> true, msg -> {})
                    .run(new RestoreRequest(plan.backupId(), plan.artifact(), plan.spec(), false, List.of(),
                            true, true, true, force));
        } catch (RestoreEngine.FailedAfterSafetyBackup e) {
            out.put("target", plan.display());
            out.put("preRestoreBackupId", e.safetyBackupId());
            throw new JobFailure(e.code(), e.getMessage(), e.hint(), out, e);
        }
        out.put("target", r.target());
        out.put("preRestoreBackupId", r.safetyBackupId());
        return out;
    }

    /**
     * A restore of the stack: of every source of the backup, or of {@code source} alone, each into the place
     * lifeboat.yml's sources: give it (never a place read from the repository), with its hooks.
     */
    StackRestoreEngine.Request stackRequest(String backupId, String source, boolean force) {
        return new StackRestoreEngine.Request(backupId, settings.sources, source == null ? List.of() : List.of(source),
                null, RestoreOptions.DEFAULT, settings.hooks, true, force);
    }

    private StackRestoreEngine stackEngine(dev.lifeboat.engine.Progress progress, Keys keys, Keys writeKeys) {
        BackupEngine safety = new BackupEngine(repo, writeKeys, tools, progress, clock);
        return new StackRestoreEngine(repo, keys, safety, progress, (question, expected) -> true, msg -> {});
    }

    /**
     * Step one of a restore of the stack: where every source would go, and the same refusals as a database's
     * restore (a missing chunk; a backup recorded as corrupt unless {@code force}).
     */
    public StackPlan planStack(String backupId, String source, boolean force) throws IOException {
        StackRestoreEngine engine = stackEngine(dev.lifeboat.engine.Progress.NONE, Keys.PLAIN, Keys.PLAIN);
        StackRestoreEngine.Plan plan = engine.plan(stackRequest(backupId, source, force));
        return new StackPlan(plan.manifest().id(), source, plan.targets(), engine.check(plan, force));
    }

    /** Where every source would go, as {@link #planStack} says, without its checks. */
    public List<StackRestoreEngine.Target> stackTargets(String backupId, String source) throws IOException {
        return stackEngine(dev.lifeboat.engine.Progress.NONE, Keys.PLAIN, Keys.PLAIN)
                .plan(stackRequest(backupId, source, true)).targets();
    }

    /** What {@link #planStack} found: the targets in restore order, and the chunk and corruption check. */
    public record StackPlan(String backupId, String source, List<StackRestoreEngine.Target> targets,
                            RestoreCheck check) {}

    /**
     * Restores the stack (or one source) as {@link #planStack} showed it, in three phases, after a safety backup of
     * every target that holds data; a failure keeps the safety backup's id and what was restored in the job's
     * result.
     */
    public Map<String, Object> restoreStack(Job job, String backupId, String source, boolean force) throws Exception {
        List<String> ids = identities();
        Keys keys = repo.restoreKeys(new LocalKeyCache(settings.keyDir, settings.signingKey), ids);
        Keys writeKeys = StackRestoreEngine.safetyKeys(repo, new LocalKeyCache(settings.keyDir, settings.signingKey),
                ids, keys);
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("id", backupId);
        if (source != null) {
            out.put("source", source);
        }
        StackRestoreEngine engine = stackEngine(job, keys, writeKeys);
        StackRestoreEngine.Request request = stackRequest(backupId, source, force);
        StackRestoreEngine.Plan plan = engine.plan(request);
        out.put("target", String.join(", ", plan.targets().stream().map(t -> t.source() + " -> " + t.target())
                .toList()));
        StackRestoreEngine.Result r;
        try {
            r = engine.run(plan, request);
        } catch (StackRestoreEngine.Failed e) {
            out.put("restored", e.restored());
            out.put("preRestoreBackupId", e.safetyBackupId());
            throw new JobFailure(e.code(), e.getMessage(), e.hint(), out, e);
        }
        out.put("restored", r.restored());
        out.put("preRestoreBackupId", r.safetyBackupId());
        return out;
    }

    private List<String> identities() throws IOException {
        if (settings.identityFile == null) {
            return List.of();
        }
        return IdentityFile.read(Path.of(settings.identityFile));
    }

}
