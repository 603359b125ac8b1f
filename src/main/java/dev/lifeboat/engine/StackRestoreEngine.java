package dev.lifeboat.engine;

import dev.lifeboat.config.Hook;
import dev.lifeboat.core.ErrorCode;
import dev.lifeboat.core.LifeboatException;
import dev.lifeboat.repository.Artifact;
import dev.lifeboat.repository.ArtifactReader;
import dev.lifeboat.repository.Keys;
import dev.lifeboat.repository.Manifest;
import dev.lifeboat.repository.Repository;
import dev.lifeboat.repository.RepositoryLock;
import dev.lifeboat.source.RestoreOptions;
import dev.lifeboat.source.Restorer;
import dev.lifeboat.source.Source;
import dev.lifeboat.source.SourceContext;
import dev.lifeboat.source.SourceSpec;
import dev.lifeboat.source.Sources;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * Restores a backup of the stack (sources of any type) in three phases, as seed 004 asks: the before-restore hook;
 * every chosen source into its place (after one confirmation that lists every target, and one safety backup of
 * every target that holds data); the after-restore hook only when every source was restored. A failure restarts
 * nothing and says which source failed, what was restored already, and the safety backup's id.
 *
 * <p>Each source is restored into the place lifeboat.yml names for the source of the same name, or into
 * {@code --to} for one {@code --source}: never into a place read from the repository.
 */
public final class StackRestoreEngine {
    /**
     * @param backupId     full id, a unique start or end of one, or {@code latest}
     * @param configured   lifeboat.yml's sources: where each goes
     * @param only         the sources to restore; empty for every source of the backup
     * @param to           where the one source of {@code only} goes instead; null for the configured place
     * @param options      create, overwrite, delete, parts, privileges, owners
     * @param hooks        the stack's hooks (before-restore, after-restore)
     * @param safetyBackup back up every target that holds data first
     * @param force        restore a backup recorded as corrupt
     */
    public record Request(String backupId, List<SourceSpec> configured, List<String> only, String to,
                          RestoreOptions options, Map<String, Hook> hooks, boolean safetyBackup, boolean force) {}

    /**
     * A source that failed to restore, after the safety backup: the message says what was restored already and
     * the safety backup's id, which callers also get as fields (the service's job result).
     */
    public static final class Failed extends LifeboatException {
        private final String safetyBackupId;
        private final List<String> restored;

        Failed(ErrorCode code, String message, String hint, Throwable cause, String safetyBackupId,
               List<String> restored) {
            super(code, message, hint, cause);
            this.safetyBackupId = safetyBackupId;
            this.restored = restored;
        }

        /** The safety backup taken first, or null when none was. */
        public String safetyBackupId() {
            return safetyBackupId;
        }

        /** The sources restored before the one that failed. */
        public List<String> restored() {
            return restored;
        }
    }

    /** What happened: the backup, the sources restored in order, the safety backup taken first (or null). */
    public record Result(String backupId, List<String> restored, String safetyBackupId) {}

    private final Repository repo;
    private final Keys keys;
    private final BackupEngine backups;
    private final Progress progress;
    private final Confirmation confirmation;
    private final Consumer<String> notice;

    /**
     * @param backups takes the safety backup (with this host's writing keys and the engine's tools)
     */
    public StackRestoreEngine(Repository repo, Keys keys, BackupEngine backups, Progress progress,
                              Confirmation confirmation, Consumer<String> notice) {
        this.repo = repo;
        this.keys = keys;
        this.backups = backups;
        this.progress = progress;
        this.confirmation = confirmation;
        this.notice = notice;
    }

    /**
     * The keys a safety backup is written with: this host's writing keys, or {@code restoreKeys} where it has no
     * signing key (the engine then refuses a safety backup only when one is due, saying why).
     */
    public static Keys safetyKeys(Repository repo, dev.lifeboat.repository.LocalKeyCache cache,
                                  List<String> identities, Keys restoreKeys) throws IOException {
        try {
            return repo.writeKeys(cache, identities);
        } catch (LifeboatException e) {
            if (e.code() != ErrorCode.ENCRYPTION) {
                throw e;
            }
            return restoreKeys;
        }
    }

    /**
     * What a restore would do, worked out before anything is asked or changed: the backup (read whole, its
     * signature checked), the sources chosen, and for each the restorer that knows its target.
     */
    public record Plan(Manifest manifest, List<Manifest.Source> chosen, List<Restorer> restorers,
                       SourceContext context) {
        /** Where each chosen source goes: {@code name -> target}, in restore order. */
        public List<Target> targets() {
            List<Target> out = new ArrayList<>();
            for (int i = 0; i < chosen.size(); i++) {
                out.add(new Target(chosen.get(i).name(), chosen.get(i).type(), restorers.get(i).target()));
            }
            return out;
        }
    }

    /** One source's target, as a person confirming the restore must see it. */
    public record Target(String source, String type, String target) {}

    /**
     * Reads the backup and configures the restorer of every chosen source; refuses, before anything is asked, a
     * source that lifeboat.yml does not place, a type this version does not know, or a bad option.
     */
    public Plan plan(Request request) throws IOException {
        Manifest manifest = repo.resolveManifest(request.backupId(), null); // read whole, signature checked
        List<Manifest.Source> chosen = chosen(manifest, request.only());
        if (request.to() != null && chosen.size() != 1) {
            throw new LifeboatException(ErrorCode.USAGE, "--to takes the target of one source",
                    "name it with --source NAME, e.g. --source " + chosen.get(0).name() + " --to ...");
        }
        SourceContext context = backups.context();
        List<Restorer> restorers = new ArrayList<>();
        for (Manifest.Source recorded : chosen) {
            var type = Sources.recordedOrFail(recorded, manifest.id());
            SourceSpec spec = request.configured().stream().filter(s -> s.name().equals(recorded.name())).findFirst()
                    .orElse(request.to() == null ? null : type.forTarget(recorded.name(), request.to()));
            if (spec == null) {
                throw new LifeboatException(ErrorCode.USAGE, "backup " + manifest.id() + " holds source "
                        + recorded.name() + ", which lifeboat.yml's sources: do not name, so Lifeboat does not know "
                        + "where it goes", "add it to lifeboat.yml (of type " + type.name() + "), restore it alone "
                        + "with --source " + recorded.name() + " --to TARGET, or leave it out with --source for the "
                        + "others");
            }
            Source source = Sources.configure(List.of(spec), context).get(0);
            restorers.add(source.restorer(recorded, request.options(), request.to()));
        }
        return new Plan(manifest, chosen, restorers, context);
    }

    /**
     * Every chunk of every chosen source present, and the backup not recorded as corrupt unless {@code force}
     * ({@link RestoreCheck.Refused} otherwise, naming the newest good backup).
     *
     * @return the first check that found the backup recorded as corrupt (a forced restore), else a clean one
     */
    public RestoreCheck check(Plan plan, boolean force) throws IOException {
        List<Artifact> all = new ArrayList<>();
        for (Manifest.Source recorded : plan.chosen()) {
            all.addAll(artifactsOf(plan.manifest(), recorded));
        }
        return RestoreCheck.of(repo, plan.manifest(), all, force);
    }

    public Result run(Request request) throws IOException, InterruptedException {
        return run(plan(request), request);
    }

    /** Restores what {@link #plan} worked out, as {@code request} says (hooks, safety backup, force). */
    public Result run(Plan plan, Request request) throws IOException, InterruptedException {
        Manifest manifest = plan.manifest();
        List<Manifest.Source> chosen = plan.chosen();
        List<Restorer> restorers = plan.restorers();
        SourceContext context = plan.context();
        try (RepositoryLock lock = repo.lock(RepositoryLock.Kind.SHARED, "restore " + manifest.id())) {
            RestoreCheck checked = check(plan, request.force()); // every chunk there, no recorded corruption
            if (checked.corrupt() != null) {
                notice.accept("Warning: " + checked.warning() + ". Restoring it anyway, as forced.");
            }
            List<Restorer.Inspection> found = new ArrayList<>();
            for (Restorer r : restorers) {
                found.add(r.inspect());
            }
            StringBuilder question = new StringBuilder("Restore backup " + manifest.id() + " into:");
            for (int i = 0; i < chosen.size(); i++) {
                question.append("\n  ").append(chosen.get(i).name()).append(" -> ").append(restorers.get(i).target())
                        .append(" (").append(found.get(i).summary()).append(")");
            }
            question.append("\n?");
            List<Source> safety = new ArrayList<>(); // what the targets hold now, for the safety backup
            for (int i = 0; i < restorers.size(); i++) {
                Source s = restorers.get(i).safetySource();
                if (request.safetyBackup() && found.get(i).holdsData() && s != null) {
                    safety.add(s);
                }
            }
            if (!safety.isEmpty() && !backups.canSign()) {
                throw UserErrors.cannotSignSafetyBackup(repo, String.join(", ", safety.stream().map(Source::name)
                        .toList()), "the targets hold");
            }
            if (!confirmation.confirm(question.toString(), manifest.id().substring(manifest.id().length() - 6))) {
                throw new LifeboatException(ErrorCode.ABORTED, "the restore of backup " + manifest.id()
                        + " was not confirmed; nothing was changed", null);
            }
            String safetyId = null;
            if (!safety.isEmpty()) {
                notice.accept("Taking a safety backup of " + String.join(", ", safety.stream().map(Source::name)
                        .toList()) + " before the restore...");
                Manifest taken;
                try {
                    taken = backups.run(new BackupRequest(List.of(), false, false, "pre-restore before restoring "
                            + manifest.id(), repo.config().compression().level(), 2, Manifest.SAFETY), safety);
                } catch (java.io.InterruptedIOException e) {
                    throw e;
                } catch (IOException | LifeboatException e) {
                    if (e instanceof LifeboatException le && le.code() == ErrorCode.ABORTED) {
                        throw le;
                    }
                    throw new LifeboatException(e instanceof LifeboatException le ? le.code() : ErrorCode.STORAGE,
                            "the safety backup before the restore failed, so nothing was changed: " + e.getMessage(),
                            "fix that and restore again, or restore with --no-safety-backup once you are sure the "
                                    + "targets hold nothing to keep", e);
                }
                safetyId = taken.id();
                notice.accept("Safety backup " + safetyId + " taken.");
            }
            Hook before = request.hooks().get("before-restore");
            if (before != null) {
                try {
                    HookRunner.run(before, null, context.environment(), progress);
                } catch (LifeboatException e) {
                    throw new LifeboatException(e.code(), e.getMessage() + "; nothing was restored"
                            + (safetyId == null ? "" : " (safety backup " + safetyId + ")"), e.hint(), e);
                }
            }
            List<String> restored = new ArrayList<>();
            ArtifactReader reader = repo.artifactReader(keys);
            for (int i = 0; i < chosen.size(); i++) {
                Manifest.Source recorded = chosen.get(i);
                List<Artifact> mine = artifactsOf(manifest, recorded);
                progress.step("restoring " + recorded.name() + " into " + restorers.get(i).target());
                try {
                    restorers.get(i).restore(Restorer.Artifacts.of(mine,
                            a -> progress.track(reader.open(a), "restore " + a.name(), a.size())));
                } catch (LifeboatException | IOException e) {
                    String msg = e instanceof LifeboatException ? e.getMessage() : UserErrors.ofStorage((IOException) e)
                            .getMessage();
                    throw new Failed(e instanceof LifeboatException le ? le.code() : ErrorCode.STORAGE,
                            "restoring source " + recorded.name() + " failed: " + msg + "; restored already: "
                                    + (restored.isEmpty() ? "none" : String.join(", ", restored))
                                    + "; nothing was restarted (after-restore did not run)"
                                    + (safetyId == null ? "" : "; the safety backup is " + safetyId),
                            safetyId == null ? "fix that and restore again" : "fix that and restore again, or put the "
                                    + "previous state back with: lifeboat restore " + safetyId, e, safetyId,
                            List.copyOf(restored));
                }
                restored.add(recorded.name());
            }
            Hook after = request.hooks().get("after-restore");
            if (after != null) {
                HookRunner.run(after, null, context.environment(), progress);
            }
            return new Result(manifest.id(), restored, safetyId);
        }
    }

    private static List<Artifact> artifactsOf(Manifest m, Manifest.Source s) {
        return m.artifacts().stream().filter(a -> s.name().equals(a.source())).toList();
    }

    private static List<Manifest.Source> chosen(Manifest m, List<String> only) {
        if (only == null || only.isEmpty()) {
            return m.sources();
        }
        List<Manifest.Source> out = new ArrayList<>();
        for (String name : only) {
            out.add(m.sources().stream().filter(s -> s.name().equals(name)).findFirst()
                    .orElseThrow(() -> new LifeboatException(ErrorCode.NOT_FOUND, "backup " + m.id() + " holds no "
                            + "source named '" + name + "'", "its sources are: " + String.join(", ",
                            m.sources().stream().map(Manifest.Source::name).toList()))));
        }
        return out;
    }
}
