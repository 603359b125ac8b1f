package dev.lifeboat.service;

import com.fasterxml.jackson.databind.JsonNode;
import dev.lifeboat.config.Settings;
import dev.lifeboat.core.ErrorCode;
import dev.lifeboat.core.LifeboatException;
import dev.lifeboat.engine.RestoreCheck;
import dev.lifeboat.engine.StackRestoreEngine;
import dev.lifeboat.source.postgres.PgTools;
import dev.lifeboat.repository.BackupEntry;
import dev.lifeboat.repository.Catalog;
import dev.lifeboat.repository.Repository;
import dev.lifeboat.engine.PolicyInForce;
import dev.lifeboat.repository.RepositoryPolicy;
import dev.lifeboat.repository.RepositoryLock;
import dev.lifeboat.retention.RetentionPolicy;
import dev.lifeboat.retention.Candidate;
import dev.lifeboat.retention.Decision;
import dev.lifeboat.retention.Retention;
import dev.lifeboat.state.Confirmed;
import dev.lifeboat.state.Principal;
import dev.lifeboat.state.Role;
import dev.lifeboat.state.Session;
import dev.lifeboat.state.StateStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The service as the REST API and the web UI see it: one method per thing a person can do, each checking
 * the caller's role, writing the audit log and calling {@link Operations} through the job queue. Neither
 * the API nor the UI holds any logic of its own beyond parsing and rendering.
 */
public final class Service implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Service.class);
    /** How long a configuration read from the state store is reused before it is read again. */
    static final Duration CONFIG_MAX_AGE = Duration.ofSeconds(2);
    /**
     * How old the backup list may be when a request reads it. Jobs of this service invalidate it at once; a
     * background refresh every half of this keeps it fresh, so that requests do not wait for the listing of
     * the repository; changes made by other processes (the CLI, other instances) show within this time.
     */
    static final Duration LIST_MAX_AGE = Duration.ofSeconds(60);

    private final Settings settings;
    private final StateStore state;
    private final Repository repo;
    private final Catalog catalog;
    private final Clock clock;
    private final String instance;
    private final Jobs jobs;
    private final Operations ops;
    private final ServiceMetrics metrics;
    private final Duration confirmationTtl;
    private final AuditGuard auditGuard;
    private BackupScheduler scheduler;
    private volatile Config config;
    private volatile Views views;
    private final java.util.concurrent.ScheduledExecutorService refresher =
            java.util.concurrent.Executors.newSingleThreadScheduledExecutor(r -> {
                Thread t = new Thread(r, "lifeboat-catalog");
                t.setDaemon(true);
                return t;
            });

    /** The configuration last read, and when. */
    private record Config(ServiceConfig value, Instant at) {}

    /** The retention policy last read from the repository, and when. */
    private record PolicyRead(PolicyInForce value, Instant at) {}

    static final Duration POLICY_MAX_AGE = Duration.ofSeconds(30);
    private volatile PolicyRead policyRead;
    /** Notes about the policy already logged, so that each is logged once. */
    private final java.util.Set<String> policyNotes = java.util.concurrent.ConcurrentHashMap.newKeySet();

    /** The last list computed: for the same snapshot and configuration, within a minute, it is reused. */
    private record Views(List<BackupEntry> snapshot, ServiceConfig config, Instant at, List<BackupView> list) {}

    /**
     * @param confirmationTtl how long a restore's confirmation token is valid
     */
    public Service(Settings settings, StateStore state, Repository repo, JobGate gate, String instance,
                   Duration confirmationTtl, Clock clock) {
        this.confirmationTtl = confirmationTtl;
        this.settings = settings;
        this.state = state;
        this.repo = repo;
        this.catalog = new Catalog(repo);
        this.clock = clock;
        this.instance = instance;
        this.auditGuard = new AuditGuard(state.audit(), clock, settings.service.auditRetention,
                dev.lifeboat.state.AuditLog.DEFAULT_MAX_ENTRIES, AuditGuard.DEFAULT_MAX_DENIED, AuditGuard.DEFAULT_WINDOW);
        config(); // fails now, naming the setting, if a stored or configured value is invalid
        this.jobs = new Jobs(state, instance, gate, clock);
        this.ops = new Operations(repo, catalog, settings, this::config, PgTools.search(settings.pgBin, settings.pgLockWait), clock);
        this.metrics = new ServiceMetrics(() -> scheduler == null ? Optional.empty() : scheduler.nextRun(),
                () -> scheduler != null && scheduler.running(),
                () -> jobs.active().size());
        jobs.onEnd(job -> catalog.invalidate());
        jobs.onEnd(metrics::jobEnded);
        // before the job's answer: what a verify found shows in /metrics (lifeboat_backups_corrupt) when it answers
        jobs.onEnd(job -> countBackups(LIST_MAX_AGE));
        jobs.onEnd(job -> {
            Map<String, Object> d = new LinkedHashMap<>();
            d.put("job", job.id());
            if (job.failure() != null) {
                d.put("error", job.failure().message());
            }
            d.putAll(job.result()); // a failed job's too: what a verify found, a restore's safety backup
            state.audit().record(job.requestedBy(), job.kind().label() + ".end", (String) job.result()
                    .getOrDefault("id", job.target()), job.state().label(), d);
        });
        jobs.onEnd(job -> {
            try {
                refresher.execute(() -> metrics.measure(repo.storage()));
            } catch (java.util.concurrent.RejectedExecutionException stopping) {
                // the service is stopping: nothing to measure for
            }
        });
        if (settings.databases.isEmpty() && settings.sources.isEmpty()) {
            LOG.warn("no database is configured: backups and restores will be refused until DATABASE_URL or the "
                    + "databases: list (or the sources:) of lifeboat.yml is set");
        }
    }

    /**
     * Records jobs a previous run of this instance left running as interrupted, seeds the metrics from the
     * repository, and starts the scheduler ({@code scheduler} null: the local one).
     */
    public void start(BackupScheduler clustered) {
        int interrupted = state.jobs().markInterrupted(instance);
        if (interrupted > 0) {
            LOG.warn("{} job(s) of the last run of this service were cut short; recorded as interrupted", interrupted);
        }
        scheduler = clustered != null ? clustered : new LocalScheduler(this::config, clock, this::scheduledBackup,
                this::lastScheduledRun);
        refresher.execute(this::refreshRepositoryMetrics); // loads the list in the background: the port opens at once
        long every = LIST_MAX_AGE.toMillis() / 2;
        // what other processes (the CLI, other instances) verified shows in the list and the metrics within this time
        refresher.scheduleWithFixedDelay(() -> countBackups(LIST_MAX_AGE.dividedBy(2)), every, every,
                java.util.concurrent.TimeUnit.MILLISECONDS);
        // on the background thread rather than in requests: a service nobody calls prunes its audit log too
        refresher.scheduleWithFixedDelay(this::maintainAudit, AUDIT_MAINTENANCE.toMillis(),
                AUDIT_MAINTENANCE.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS);
        scheduler.start();
    }

    /** How often {@link #maintainAudit} runs in a started service. */
    static final Duration AUDIT_MAINTENANCE = Duration.ofMinutes(1);

    /**
     * Writes the counts of denied requests that were not written one by one, once their window is over, and
     * about once an hour prunes the audit log: entries older than {@code LIFEBOAT_AUDIT_RETENTION_DAYS} (400
     * by default) and all but the newest million. Runs every minute in a started service; never throws.
     */
    public void maintainAudit() {
        try {
            auditGuard.maintain();
        } catch (RuntimeException e) { // a scheduled task that throws is never run again
            LOG.warn("audit log maintenance failed (tried again in a minute): {}", e.toString());
        }
    }

    /** On the refresher thread: the list of backups (refreshed when stale) and the repository's size. */
    private void refreshRepositoryMetrics() {
        countBackups(LIST_MAX_AGE);
        metrics.measure(repo.storage());
    }

    /** The backups' counts in the metrics (all, corrupt, unverified), from the list refreshed when older than this. */
    private void countBackups(Duration maxAge) {
        try {
            metrics.seed(catalog.entries(maxAge));
        } catch (IOException | RuntimeException e) {
            LOG.warn("cannot list the repository's backups: {}", e.toString());
        }
    }

    /** When the last scheduled backup started: the job history, else the newest backup in the repository. */
    Optional<Instant> lastScheduledRun() {
        Optional<Instant> fromHistory = state.jobs().lastStarted(JobKind.BACKUP.label(), SCHEDULER);
        if (fromHistory.isPresent()) {
            return fromHistory;
        }
        try {
            return catalog.entries(LIST_MAX_AGE).stream().filter(e -> e.manifest() != null && !e.manifest().safety())
                    .map(BackupEntry::started).max(Instant::compareTo);
        } catch (IOException | RuntimeException e) {
            return Optional.empty();
        }
    }

    public static final String SCHEDULER = "scheduler";

    /**
     * The scheduler's trigger: a backup with auto-purge, skipped with a log line if one is already running.
     *
     * @return the job, or empty when it was not started
     */
    public Optional<Job> scheduledBackup(Instant slot, boolean missed) {
        Map<String, Object> details = new LinkedHashMap<>();
        details.put("slot", slot.toString());
        details.put("missed", missed);
        try {
            Job job = jobs.submit(JobKind.BACKUP, null, SCHEDULER, details,
                    accepted -> state.audit().record(SCHEDULER, "backup.schedule", null, "ok", details),
                    j -> ops.backup(j, missed ? "scheduled (missed " + slot + ")" : "scheduled", true));
            return Optional.of(job);
        } catch (LifeboatException e) {
            LOG.warn("scheduler: backup of {} not started: {}", slot, e.getMessage());
            state.audit().record(SCHEDULER, "backup.schedule", null, "failed", Map.of("slot", slot.toString(),
                    "error", e.getMessage()));
            return Optional.empty();
        }
    }

    /**
     * The clustered scheduler's trigger: runs the backup and returns when it has ended, so that the
     * scheduled run stays locked by this instance meanwhile.
     */
    public void runScheduledBackup(Instant slot, boolean missed) {
        scheduledBackup(slot, missed).ifPresent(job -> {
            try {
                Jobs.await(job, Duration.ofDays(1));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
    }

    // ---- reading

    public Settings settings() {
        return settings;
    }

    public StateStore state() {
        return state;
    }

    public Repository repository() {
        return repo;
    }

    /** Resolves an id, a unique start or end of one, or {@code latest}, against the list in memory, listing again on a miss. */
    public String resolve(String idOrPrefix) throws IOException {
        try {
            return repo.resolve(idOrPrefix, ids(catalog.entries(LIST_MAX_AGE)));
        } catch (LifeboatException e) {
            if (e.code() != ErrorCode.NOT_FOUND) {
                throw e;
            }
            catalog.invalidate(); // made by another process since the last refresh?
            try {
                return repo.resolve(idOrPrefix, ids(catalog.entries(LIST_MAX_AGE)));
            } catch (LifeboatException again) {
                throw again.code() == ErrorCode.NOT_FOUND ? withoutLocation(again) : again;
            }
        }
    }

    /**
     * The same error without the repository's location, which the service's callers (viewers included) have no
     * need to learn from a mistyped id; an admin reads it in the config.
     */
    private LifeboatException withoutLocation(LifeboatException e) {
        String where = repo.storage().location();
        String message = e.getMessage().replace(" in repository " + where, "").replace("repository " + where,
                "the repository");
        String hint = e.hint() == null ? null : e.hint().replace("run 'lifeboat list'", "list the backups");
        return new LifeboatException(e.code(), message, hint, e);
    }

    private static List<String> ids(List<BackupEntry> entries) {
        return entries.stream().map(BackupEntry::id).sorted().toList();
    }

    public Jobs jobs() {
        return jobs;
    }

    public ServiceMetrics metrics() {
        return metrics;
    }

    /**
     * The configuration in force. It is read from the state store again after {@link #CONFIG_MAX_AGE}, since
     * with a shared PostgreSQL state store another instance may have changed it; a change made here is
     * seen at once.
     */
    public ServiceConfig config() {
        return config(false);
    }

    /**
     * The configuration as the state store has it now, for pages and answers that show it (so that a change
     * made on another instance is seen at once there).
     */
    public ServiceConfig freshConfig() {
        return config(true);
    }

    private ServiceConfig config(boolean fresh) {
        Config c = config;
        Instant now = clock.instant();
        if (fresh || c == null || Duration.between(c.at(), now).compareTo(CONFIG_MAX_AGE) >= 0 || now.isBefore(c.at())) {
            PolicyInForce p = policy(fresh);
            c = new Config(ServiceConfig.load(settings, state.settings(), p.policy(), p.zone(), p.source()), now);
            config = c;
        }
        return c.value();
    }

    /**
     * The repository's retention policy, read again after {@link #POLICY_MAX_AGE} (a CLI on another host may have
     * set it); lifeboat.yml's or the environment's rules are stored first when they changed. When the storage
     * cannot be read, the policy read last stays in force.
     */
    private PolicyInForce policy(boolean fresh) {
        PolicyRead last = policyRead;
        Instant now = clock.instant();
        if (!fresh && last != null && Duration.between(last.at(), now).compareTo(POLICY_MAX_AGE) < 0
                && !now.isBefore(last.at())) {
            return last.value();
        }
        try {
            moveLegacyRetention();
            PolicyInForce p = PolicyInForce.resolveAndStore(repo, settings.retentionFrom == null ? null
                    : settings.retention, settings.retentionFrom, settings.timeZone, clock);
            for (String note : p.notes()) {
                if (policyNotes.add(note)) {
                    LOG.warn("retention: {}", note);
                }
            }
            policyRead = new PolicyRead(p, now);
            return p;
        } catch (IOException e) {
            if (last != null) {
                LOG.warn("could not read the repository's retention policy ({}); the one read at {} stays in force",
                        e.toString(), last.at());
                return last.value();
            }
            throw new LifeboatException(ErrorCode.STORAGE, "could not read the repository's retention policy ("
                    + RepositoryPolicy.BLOB + "): " + e.getMessage(), "check that the storage is reachable", e);
        }
    }

    /** Retention days set through the API of an earlier release, in the state store, move into the repository once. */
    private void moveLegacyRetention() throws IOException {
        Optional<Long> days = ServiceConfig.legacyRetentionDays(state.settings());
        if (days.isEmpty() || settings.retentionFrom != null || repo.policy().isPresent()) {
            return;
        }
        RetentionPolicy p = settings.retention.withKeepWithin(Duration.ofDays(days.get()));
        repo.writePolicy(new RepositoryPolicy(RepositoryPolicy.FORMAT_VERSION, RepositoryPolicy.Rules.of(p),
                settings.timeZone.getId(), clock.instant(), "an admin through the API (moved from the service's state "
                + "store)", RepositoryPolicy.FROM_API, null));
        state.settings().remove(ServiceConfig.RETENTION_DAYS); // moved: not looked at, nor read for, again
        LOG.info("retention: moved the retention days set through the API ({} days) into the repository", days.get());
    }

    public Optional<Instant> nextRun() {
        return scheduler == null ? Optional.empty() : scheduler.nextRun();
    }

    /** Whether the scheduler was started and still runs; false before {@link #start} and after it died. */
    public boolean schedulerRunning() {
        return scheduler != null && scheduler.running();
    }

    /**
     * Every backup, newest first, with what retention decides of it now. The same list object is returned
     * while neither the repository's backups nor the configuration changed, for up to a minute (retention
     * decisions move with time), so callers may cache what they derive from it by identity.
     */
    public List<BackupView> backups() throws IOException {
        List<BackupEntry> entries = catalog.entries(LIST_MAX_AGE);
        ServiceConfig c;
        try {
            c = config();
        } catch (LifeboatException unreadablePolicy) {
            // policy.json cannot be read (prune refuses meanwhile): the list is still served, without retention's
            // decisions, rather than failing for everyone
            if (policyNotes.add(unreadablePolicy.getMessage())) {
                LOG.warn("the backup list is served without retention decisions: {}", unreadablePolicy.getMessage());
            }
            c = null;
        }
        Instant now = clock.instant();
        Views last = views;
        if (last != null && last.snapshot() == entries && java.util.Objects.equals(last.config(), c)
                && Duration.between(last.at(), now).compareTo(Duration.ofMinutes(1)) < 0) {
            return last.list();
        }
        Map<String, Decision> decisions = new HashMap<>();
        if (c != null) {
            List<Candidate> candidates = new ArrayList<>(entries.size());
            for (BackupEntry e : entries) {
                candidates.add(new Candidate(e.id(), e.started(), e.complete(), e.pinned(), e.safety()));
            }
            for (Decision d : Retention.decide(candidates, c.retention(), now, c.retentionZone())) {
                decisions.put(d.id(), d);
            }
        }
        List<BackupView> out = new ArrayList<>(entries.size());
        for (int i = entries.size() - 1; i >= 0; i--) {
            BackupEntry e = entries.get(i);
            // a safety backup's age rule is its own
            Duration within = c == null ? null : e.safety() ? c.retention().keepSafetyWithin() : c.retention().keepWithin();
            out.add(new BackupView(e, decisions.get(e.id()), within == null ? null : e.started().plus(within)));
        }
        List<BackupView> list = java.util.Collections.unmodifiableList(out);
        views = new Views(entries, c, now, list);
        return list;
    }

    /** One backup by id or unique prefix. */
    public BackupView backup(String idOrPrefix) throws IOException {
        String id = resolve(idOrPrefix);
        for (BackupView v : backups()) {
            if (v.id().equals(id)) {
                return v;
            }
        }
        catalog.invalidate();
        return backups().stream().filter(v -> v.id().equals(id)).findFirst().orElseThrow(() ->
                new LifeboatException(ErrorCode.NOT_FOUND, "no backup with id '" + idOrPrefix + "'",
                        "list the backups to see their ids"));
    }

    // ---- web UI sessions

    /**
     * Signs in to the web UI with an API token: a session for the token's principal, valid for {@code ttl},
     * written to the audit log. Empty when the token is malformed, unknown or revoked; such attempts are not
     * audited, so that nobody without a token can fill the log.
     */
    public Optional<Session> signIn(String apiToken, Duration ttl) {
        Optional<Principal> who = state.tokens().authenticate(apiToken);
        if (who.isEmpty()) {
            return Optional.empty();
        }
        Session s = state.sessions().create(who.get(), ttl);
        state.audit().record(who.get().name(), "session.create", null, "ok", Map.of("expires", s.expires().toString()));
        return Optional.of(s);
    }

    /** The web session with this id, with its principal's current role; empty when unknown, expired or revoked. */
    public Optional<Session> session(String sessionId) {
        return state.sessions().find(sessionId);
    }

    /** Ends a web session (sign-out), written to the audit log. */
    public void signOut(Session session) {
        state.sessions().delete(session.id());
        state.audit().record(session.principal().name(), "session.delete", null, "ok", null);
    }

    // ---- acting; each call is checked against the role and written to the audit log

    /**
     * Starts a backup now (operator), then applies retention and prunes, as after a scheduled backup (the
     * seed's auto-purge); the job's result has the backup's id, sizes and status, and what prune removed.
     */
    public Job startBackup(Principal who, String label) {
        require(who, Role.OPERATOR, "backup.create", null);
        requireDatabase(who, "backup.create", null);
        return audited(who, "backup.create", null, Map.of("label", String.valueOf(label)), accepted ->
                jobs.submit(JobKind.BACKUP, null, who.name(), label == null ? Map.of() : Map.of("label", label),
                        accepted, job -> ops.backup(job, label, true)));
    }

    /** Verifies a backup (operator): reads every chunk; with {@code drill}, restores it into a scratch database. */
    public Job startVerify(Principal who, String idOrPrefix, boolean drill) throws IOException {
        require(who, Role.OPERATOR, "backup.verify", idOrPrefix);
        String id = resolveAudited(who, "backup.verify", idOrPrefix);
        return audited(who, "backup.verify", id, Map.of("drill", drill), accepted ->
                jobs.submit(JobKind.VERIFY, id, who.name(), Map.of("drill", drill), accepted,
                        job -> ops.verify(job, id, drill)));
    }

    /** Step one of a restore (admin): says where it would go and returns a single-use token, valid 5 minutes. */
    public RestoreOffer requestRestore(Principal who, String idOrPrefix, String database) throws IOException {
        return requestRestore(who, idOrPrefix, database, false);
    }

    /**
     * {@link #requestRestore(Principal, String, String)}, refusing first, with no token issued, a backup with a
     * missing chunk, or one recorded as corrupt unless {@code force} ({@link RestoreCheck.Refused}, naming the
     * newest good backup of the database).
     */
    public RestoreOffer requestRestore(Principal who, String idOrPrefix, String database, boolean force)
            throws IOException {
        return requestRestore(who, idOrPrefix, database, null, force);
    }

    /**
     * Step one of a restore of a database ({@code database}), of one source of the stack ({@code source}), or, with
     * neither and lifeboat.yml's sources: configured, of the whole stack in three phases (before-restore, every
     * source into its configured place, after-restore). The offer lists every target; the token is bound to
     * this choice.
     */
    public RestoreOffer requestRestore(Principal who, String idOrPrefix, String database, String source,
                                       boolean force) throws IOException {
        require(who, Role.ADMIN, "restore.request", idOrPrefix);
        requireDatabase(who, "restore.request", idOrPrefix);
        String id = resolveAudited(who, "restore.request", idOrPrefix);
        RestoreChoice choice;
        List<StackRestoreEngine.Target> targets;
        RestoreCheck check;
        try {
            if (database != null && source != null) {
                throw new LifeboatException(ErrorCode.USAGE, "a restore takes a database or a source, not both",
                        "send \"source\" for a source of lifeboat.yml's sources:, \"database\" for a database of a "
                                + "backup taken with the databases: list");
            }
            if (source != null || (database == null && !settings.sources.isEmpty())) {
                Operations.StackPlan plan = ops.planStack(id, source, force);
                choice = source == null ? RestoreChoice.wholeStack() : RestoreChoice.ofSource(source);
                targets = plan.targets();
                check = plan.check();
            } else {
                Operations.RestorePlan plan = ops.planRestore(id, database);
                choice = RestoreChoice.ofDatabase(plan.database());
                targets = List.of(new StackRestoreEngine.Target(plan.database(), "postgresql", plan.display()));
                check = ops.checkRestore(plan, force);
            }
        } catch (LifeboatException e) {
            state.audit().record(who.name(), "restore.request", id, "failed", Map.of("error", e.getMessage()));
            throw e;
        }
        String token = state.confirmations().issue(id, who, choice.encoded(), confirmationTtl);
        Map<String, Object> details = new LinkedHashMap<>(choice.details());
        details.put("target", RestoreChoice.describe(targets));
        if (check.corrupt() != null) {
            details.put("force", true);
            details.put("warning", check.warning());
        }
        state.audit().record(who.name(), "restore.request", id, "ok", details);
        return new RestoreOffer(id, choice, targets, token, clock.instant().plus(confirmationTtl),
                check.finding(), check.newestGood() == null ? null : check.newestGood().id());
    }

    /**
     * What step one returns. The person confirming must see every target; the web UI has them type
     * {@link #confirmWord()}.
     *
     * @param corrupt    for a backup recorded as corrupt (a forced request), what the verify found, else null
     * @param newestGood then, the newest good backup of the database, or null
     */
    public record RestoreOffer(String backupId, RestoreChoice choice, List<StackRestoreEngine.Target> targets,
                               String confirmationToken, Instant expires, String corrupt, String newestGood) {
        /** The database of a database's restore, else null. */
        public String database() {
            return choice.database();
        }

        /** The target of a database's restore ({@code user@host:port/db}); for the stack, every target. */
        public String target() {
            return choice.database() != null ? targets.get(0).target() : RestoreChoice.describe(targets);
        }

        /** What a person types to confirm: the database's or source's name, or the backup's last 6 characters. */
        public String confirmWord() {
            return choice.confirmWord(backupId);
        }
    }

    /**
     * What a confirmation token is issued for: a database, one source, or the whole stack; stored with the token
     * as {@code database:NAME}, {@code source:NAME} or {@code stack}.
     */
    public record RestoreChoice(String database, String source, boolean stack) {
        public static RestoreChoice ofDatabase(String name) {
            return new RestoreChoice(name, null, false);
        }

        public static RestoreChoice ofSource(String name) {
            return new RestoreChoice(null, name, false);
        }

        public static RestoreChoice wholeStack() {
            return new RestoreChoice(null, null, true);
        }

        public String encoded() {
            return stack ? "stack" : source != null ? "source:" + source : "database:" + database;
        }

        public static RestoreChoice decode(String stored) {
            if ("stack".equals(stored)) {
                return wholeStack();
            }
            if (stored != null && stored.startsWith("source:")) {
                return ofSource(stored.substring("source:".length()));
            }
            if (stored != null && stored.startsWith("database:")) {
                return ofDatabase(stored.substring("database:".length()));
            }
            return ofDatabase(stored); // issued by a version that knew databases only
        }

        /** What a person types to confirm this restore of {@code backupId}. */
        public String confirmWord(String backupId) {
            return stack ? backupId.substring(backupId.length() - 6) : source != null ? source : database;
        }

        /** What the confirmation is for, said to the person typing. */
        public String confirmWhat() {
            return stack ? "the backup's last 6 characters" : source != null ? "the source's name"
                    : "the database's name";
        }

        /** {@code database app}, {@code source uploads}, {@code every source of the backup}. */
        public String what() {
            return stack ? "every source of the backup" : source != null ? "source " + source : "database " + database;
        }

        Map<String, Object> details() {
            return stack ? Map.of("sources", "all") : source != null ? Map.of("source", source)
                    : Map.of("database", database);
        }

        /** {@code uploads -> /srv/files, app -> app@db:5432/app}. */
        static String describe(List<StackRestoreEngine.Target> targets) {
            return String.join(", ", targets.stream().map(t -> t.source() + " -> " + t.target()).toList());
        }
    }

    /**
     * Where a restore of {@code idOrPrefix} as {@code choice} would write (admin): what the confirmation shows again
     * when a person typed the wrong word.
     */
    public List<StackRestoreEngine.Target> restoreTargets(Principal who, String idOrPrefix, RestoreChoice choice)
            throws IOException {
        require(who, Role.ADMIN, "restore.request", idOrPrefix);
        String id = resolve(idOrPrefix);
        if (choice.database() == null && (choice.source() != null || !settings.sources.isEmpty())) {
            return ops.stackTargets(id, choice.source());
        }
        Operations.RestorePlan plan = ops.planRestore(id, choice.database());
        return List.of(new StackRestoreEngine.Target(plan.database(), "postgresql", plan.display()));
    }

    /** Whether a restore without a database named is of the stack (lifeboat.yml has sources:). */
    public boolean restoresStack() {
        return !settings.sources.isEmpty();
    }

    /**
     * Step two (admin): consumes the token (bound to this backup and this user, single use, 5 minutes) and
     * queues the restore, which takes a safety backup first and restores in one transaction.
     */
    public Job confirmRestore(Principal who, String idOrPrefix, String confirmationToken) throws IOException {
        return confirmRestore(who, idOrPrefix, confirmationToken, null, false);
    }

    /**
     * {@link #confirmRestore(Principal, String, String)}; when {@code typed} is not null (the web UI has the person
     * type what {@link RestoreOffer#confirmWord()} said), it must be that word for the token's choice, else nothing
     * is done and the token stays valid. A backup recorded as corrupt needs {@code force} here too, as in step
     * one (a token says nothing of it); without, nothing is done and the token stays valid.
     */
    public Job confirmRestore(Principal who, String idOrPrefix, String confirmationToken, String typed,
                              boolean force) throws IOException {
        require(who, Role.ADMIN, "restore.confirm", idOrPrefix);
        String id = resolveAudited(who, "restore.confirm", idOrPrefix);
        Confirmed ok;
        try {
            ops.requireNotCorrupt(id, force);
            ok = state.confirmations().consume(confirmationToken, id, who, typed,
                    stored -> RestoreChoice.decode(stored).confirmWord(id));
        } catch (LifeboatException e) {
            state.audit().record(who.name(), "restore.confirm", id, "denied", Map.of("error", e.getMessage()));
            throw e;
        }
        RestoreChoice choice = RestoreChoice.decode(ok.target());
        Map<String, Object> details = new LinkedHashMap<>(choice.details());
        if (force) {
            details.put("force", true);
        }
        if (choice.database() == null) {
            String targets = RestoreChoice.describe(ops.stackTargets(id, choice.source()));
            Map<String, Object> audit = new LinkedHashMap<>(choice.details());
            audit.put("target", targets);
            return audited(who, "restore.confirm", id, audit, accepted -> jobs.submit(JobKind.RESTORE, id, who.name(),
                    details, accepted, job -> ops.restoreStack(job, id, choice.source(), force)));
        }
        Operations.RestorePlan chosen = ops.planRestore(id, choice.database());
        return audited(who, "restore.confirm", id, Map.of("database", chosen.database(), "target", chosen.display()),
                accepted -> jobs.submit(JobKind.RESTORE, id, who.name(), details, accepted,
                        job -> ops.restore(job, chosen, force)));
    }

    /** Changes schedule, time zone or retention (admin); nothing changes when any field is wrong. */
    public ServiceConfig updateConfig(Principal who, JsonNode body) {
        require(who, Role.ADMIN, "config.update", null);
        ServiceConfig next;
        try {
            ServiceConfig before = freshConfig();
            next = before.update(body, state.settings(), who.name());
            if (!next.retention().equals(before.retention()) || !next.retentionZone().equals(before.retentionZone())) {
                writePolicy(who, next);
            }
        } catch (LifeboatException e) {
            state.audit().record(who.name(), "config.update", null, "failed", Map.of("error", e.getMessage()));
            throw e;
        }
        config = new Config(next, clock.instant()); // seen at once here; other instances within CONFIG_MAX_AGE
        if (scheduler != null) {
            scheduler.reschedule();
        }
        state.audit().record(who.name(), "config.update", null, "ok", next.toJson());
        LOG.info("configuration changed by {}: {}", who.name(), next.toJson());
        return next;
    }

    /** Writes a retention change made through the API to the repository, where every prune reads it. */
    private void writePolicy(Principal who, ServiceConfig next) {
        try {
            Optional<RepositoryPolicy> stored = repo.policy();
            repo.writePolicy(new RepositoryPolicy(RepositoryPolicy.FORMAT_VERSION,
                    RepositoryPolicy.Rules.of(next.retention()), next.retentionZone().getId(), clock.instant(),
                    who.name() + " through the API on host " + RepositoryLock.hostname(), RepositoryPolicy.FROM_API,
                    stored.map(RepositoryPolicy::configured).orElse(null)));
            policyRead = null;
        } catch (IOException e) {
            throw new LifeboatException(ErrorCode.STORAGE, "the retention policy could not be written to the "
                    + "repository (" + RepositoryPolicy.BLOB + "): " + e.getMessage() + "; any schedule or time zone in "
                    + "the same request was saved", "check the storage and set the retention again", e);
        }
    }

    private String resolveAudited(Principal who, String action, String idOrPrefix) throws IOException {
        try {
            return resolve(idOrPrefix);
        } catch (LifeboatException e) {
            state.audit().record(who.name(), action, idOrPrefix, "failed", Map.of("error", e.getMessage()));
            throw e;
        }
    }

    /** Refuses, before any job is queued, a backup or restore when no database is configured. */
    private void requireDatabase(Principal who, String action, String target) {
        if (settings.databases.isEmpty() && settings.sources.isEmpty()) {
            NotConfigured e = new NotConfigured();
            state.audit().record(who.name(), action, target, "failed", Map.of("error", e.getMessage()));
            throw e;
        }
    }

    /** The service was started without a database to back up or restore into: the operator's to fix. */
    public static final class NotConfigured extends LifeboatException {
        NotConfigured() {
            super(ErrorCode.USAGE, "the service has no database configured",
                    "set DATABASE_URL or the databases: list of lifeboat.yml, then restart lifeboat serve");
        }
    }

    /** Refuses a caller whose role is too low, and writes the refusal to the audit log. */
    public void require(Principal who, Role role, String action, String target) {
        if (!who.allows(role)) {
            Optional<Duration> wait = auditGuard.deny(who);
            if (wait.isPresent()) { // counted; written as one audit.suppressed entry when the window is over
                throw new TooManyDenied(who, role, wait.get(), auditGuard.maxDenied(), auditGuard.window());
            }
            state.audit().record(who.name(), action, target, "denied", Map.of("role", who.role().label(),
                    "required", role.label()));
            throw new Forbidden(who, role);
        }
    }

    /** A caller whose role does not allow the call. */
    public static class Forbidden extends RuntimeException {
        public Forbidden(Principal who, Role required) {
            super("token '" + who.name() + "' has role " + who.role().label() + "; this needs " + required.label());
        }

        Forbidden(String message) {
            super(message);
        }
    }

    /**
     * A caller refused more often than the audit log writes one by one ({@link AuditGuard}): refused all the same,
     * and told to wait; the API and the web UI answer 429 with {@code Retry-After}.
     */
    public static final class TooManyDenied extends Forbidden {
        private final long retryAfterSeconds;

        TooManyDenied(Principal who, Role required, Duration wait, int limit, Duration window) {
            super("token '" + who.name() + "' has role " + who.role().label() + "; this needs " + required.label()
                    + "; and it was refused " + limit + " times within "
                    + (window.equals(Duration.ofMinutes(1)) ? "a minute" : window.toSeconds() + " s"));
            this.retryAfterSeconds = Math.max(1, (wait.toMillis() + 999) / 1000);
        }

        /** Seconds until this token's refusals are written (and answered 403) again. */
        public long retryAfterSeconds() {
            return retryAfterSeconds;
        }
    }

    /** Submits a job, writing the request to the audit log before the job can start, or its refusal. */
    private Job audited(Principal who, String action, String target, Map<String, ?> details,
                        java.util.function.Function<java.util.function.Consumer<Job>, Job> submit) {
        try {
            return submit.apply(job -> {
                Map<String, Object> d = new LinkedHashMap<>(details);
                d.put("job", job.id());
                state.audit().record(who.name(), action, target, "ok", d);
            });
        } catch (LifeboatException e) {
            Map<String, Object> d = new LinkedHashMap<>(details);
            d.put("error", e.getMessage());
            state.audit().record(who.name(), action, target, "failed", d);
            throw e;
        }
    }

    /**
     * Stops the scheduler firing, then the jobs, giving a running one {@code grace} to end (see
     * {@link Jobs#shutdown}), then closes the scheduler. In that order because the clustered scheduler's
     * run lasts as long as its backup job: closing it first would wait for the backup, whatever the grace.
     */
    public void shutdown(Duration grace) {
        if (scheduler != null) {
            scheduler.stopFiring();
        }
        jobs.shutdown(grace);
        refresher.shutdownNow(); // after the jobs: their end hands work to it
        if (scheduler != null) {
            scheduler.close();
        }
    }

    @Override
    public void close() {
        shutdown(DEFAULT_SHUTDOWN_GRACE);
    }

    public static final Duration DEFAULT_SHUTDOWN_GRACE = Duration.ofSeconds(30);
}
