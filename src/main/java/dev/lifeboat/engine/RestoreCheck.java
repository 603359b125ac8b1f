package dev.lifeboat.engine;

import dev.lifeboat.core.ErrorCode;
import dev.lifeboat.core.LifeboatException;
import dev.lifeboat.repository.Artifact;
import dev.lifeboat.repository.BackupStatus;
import dev.lifeboat.repository.ChunkIndex;
import dev.lifeboat.repository.ChunkLists;
import dev.lifeboat.repository.ChunkRef;
import dev.lifeboat.repository.Manifest;
import dev.lifeboat.repository.Repository;

import java.io.IOException;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What a restore checks of its backup before anything is asked or changed (the CLI's question, the API's
 * confirmation token, the safety backup): every chunk of the artifact to restore is in the repository with the
 * size its manifest records, since pg_restore would stop at the first that is not (always refused); and the
 * backup is not recorded as corrupt by a verify (refused unless forced). Either refusal names the newest good
 * backup of the same database: not recorded as corrupt, every chunk of its dump present, and none of them one
 * that a verify found damaged in another backup.
 *
 * @param corrupt    the verify's finding that {@code force} overrode, or null when the backup is not corrupt
 * @param newestGood the newest good backup of the same database when {@code corrupt} is set (else not looked
 *                   for), or null when there is none
 */
public record RestoreCheck(String backupId, String database, BackupStatus corrupt, Manifest newestGood) {
    /** How many manifests the search for a good backup reads at most, newest first. */
    static final int SEARCH_LIMIT = 200;

    /** A restore refused by the check; {@link #forcible()} when {@code --force} would let it go ahead. */
    public static final class Refused extends LifeboatException {
        private final String database;
        private final String newestGood;
        private final boolean forcible;

        Refused(String message, String hint, String database, Manifest newestGood, boolean forcible) {
            super(ErrorCode.INTEGRITY, message, hint);
            this.database = database;
            this.newestGood = newestGood == null ? null : newestGood.id();
            this.forcible = forcible;
        }

        /** The database the restore was for. */
        public String database() {
            return database;
        }

        /** The id of the newest good backup of the same database, or null. */
        public String newestGood() {
            return newestGood;
        }

        public boolean forcible() {
            return forcible;
        }
    }

    /**
     * Checks the backup whose {@code artifact} is to be restored; one listing of the repository's chunks.
     *
     * @throws Refused when a chunk is missing or of the wrong size, or when the backup is recorded as corrupt and
     *                 {@code force} is false
     */
    public static RestoreCheck of(Repository repo, Manifest manifest, Artifact artifact, boolean force)
            throws IOException {
        return of(repo, manifest, List.of(artifact), force);
    }

    /**
     * {@link #of(Repository, Manifest, Artifact, boolean)} for several artifacts (those of the sources a restore of a
     * stack writes), with one listing of the repository's chunks for all of them. The newest good backup named is
     * that of the source of the first damaged artifact, or of the first artifact.
     */
    public static RestoreCheck of(Repository repo, Manifest manifest, List<Artifact> artifacts, boolean force)
            throws IOException {
        ChunkIndex present = new ChunkIndex(); // chunk id -> stored size, compact for millions of chunks
        repo.forEachChunk((id, stored) -> present.put(id, (int) Math.min(Integer.MAX_VALUE, stored)));
        for (Artifact artifact : artifacts) {
            List<String> damaged = damaged(repo, artifact, present);
            if (!damaged.isEmpty()) {
                Manifest good = newestGood(repo, manifest.id(), artifact.source(), present, Set.of());
                throw new Refused("backup " + manifest.id() + ", artifact " + artifact.name() + ": " + damaged.get(0)
                        + (damaged.size() > 1 ? " (and " + (damaged.size() - 1) + " more chunks)" : "")
                        + "; nothing was changed", "restore that blob from a replica, or "
                        + instead(good, artifact.source()), artifact.source(), good, false);
            }
        }
        String source = artifacts.isEmpty() ? null : artifacts.get(0).source();
        BackupStatus status = repo.status(manifest.id());
        if (status == null || !BackupStatus.CORRUPT.equals(status.status())) {
            return new RestoreCheck(manifest.id(), source, null, null);
        }
        Manifest good = source == null ? null
                : newestGood(repo, manifest.id(), source, present, damagedChunks(status));
        RestoreCheck check = new RestoreCheck(manifest.id(), source, status, good);
        if (!force) {
            throw new Refused(check.finding() + "; nothing was changed", instead(good, source)
                    + "; or, to restore this backup anyway, pass --force (\"force\": true through the API): a damaged "
                    + "chunk of what it restores stops the restore, which then rolls back", source, good,
                    true);
        }
        return check;
    }

    /**
     * {@code backup X is recorded as corrupt by the read-data check of 2026-...: artifact app.dump: chunk ... is
     * not a valid zstd frame}: what the verify found, with its first problem.
     */
    public String finding() {
        if (corrupt == null) {
            return null;
        }
        BackupStatus found = corrupt.finding();
        List<String> problems = found.problems() == null ? List.of() : found.problems();
        return "backup " + backupId + " is recorded as corrupt by the " + found.level() + " check of "
                + (found.checked() == null ? "an unknown time" : found.checked().truncatedTo(ChronoUnit.SECONDS))
                + (problems.isEmpty() ? "" : ": " + problems.get(0)
                + (problems.size() > 1 ? " (and " + (problems.size() - 1) + " more problems)" : ""));
    }

    /** The warning a forced restore shows before its question: the finding and the good backup to use instead. */
    public String warning() {
        return corrupt == null ? null : finding() + "; " + instead(newestGood, database);
    }

    /** {@code restore the newest good backup of app instead: ID (taken ...)}, or that there is none. */
    static String instead(Manifest good, String database) {
        if (good == null) {
            return "no other backup of " + database + " is good (not recorded as corrupt, every chunk present) among the "
                    + SEARCH_LIMIT + " newest";
        }
        return "restore the newest good backup of " + database + " instead: " + good.id() + " (taken "
                + good.started().truncatedTo(ChronoUnit.SECONDS) + (good.safety() ? ", a safety backup taken before a "
                + "restore" : "") + ")";
    }

    /** What is wrong with the artifact's chunks as the listing found them: missing ones, ones of another size. */
    static List<String> damaged(Repository repo, Artifact artifact, ChunkIndex present) throws IOException {
        return damaged(repo, artifact, present, Set.of());
    }

    /**
     * {@link #damaged(Repository, Artifact, ChunkIndex)}, with the chunks in {@code bad} (known to be corrupt)
     * counted as damaged too; a chunk list that cannot be read is damage of its own.
     */
    static List<String> damaged(Repository repo, Artifact artifact, ChunkIndex present, Set<String> bad)
            throws IOException {
        List<String> out = new ArrayList<>();
        try {
            ChunkLists.forEach(repo.storage(), artifact, c -> {
                int size = ChunkIndex.isId(c.id()) ? present.get(c.id()) : ChunkIndex.MISSING;
                if (size == ChunkIndex.MISSING) {
                    out.add("chunk " + c.id() + " is missing from the repository");
                } else if (size != c.stored()) {
                    out.add("chunk " + c.id() + " has " + size + " bytes, the manifest says " + c.stored());
                } else if (bad.contains(c.id())) {
                    out.add("chunk " + c.id() + " is corrupt");
                }
            });
        } catch (LifeboatException e) {
            if (e.code() != dev.lifeboat.core.ErrorCode.INTEGRITY) {
                throw e;
            }
            out.add(e.getMessage());
        }
        return out;
    }

    private static final Pattern CHUNK_ID = Pattern.compile("\\bchunk ([0-9a-f]{64})\\b");

    /**
     * The chunks a verify named in the problems it found: other backups share them (a chunk is stored once), so
     * those are no good either, though not recorded as corrupt (a safety backup taken since, say).
     */
    static Set<String> damagedChunks(BackupStatus corrupt) {
        Set<String> out = new HashSet<>();
        List<String> problems = corrupt.finding().problems();
        for (String p : problems == null ? List.<String>of() : problems) {
            Matcher m = CHUNK_ID.matcher(p);
            while (m.find()) {
                out.add(m.group(1));
            }
        }
        return out;
    }

    /**
     * The newest backup other than {@code excluded} that holds source {@code database} (a database's dump, a tree's
     * artifacts), is not recorded as corrupt, and whose artifacts of that source have all their chunks present and none of them among {@code damaged} or named by a corrupt backup met
     * on the way; null when none is among the {@value #SEARCH_LIMIT} newest.
     */
    static Manifest newestGood(Repository repo, String excluded, String database, ChunkIndex present,
                               Set<String> damaged) throws IOException {
        Set<String> bad = new HashSet<>(damaged);
        List<String> ids = repo.backupIds();
        int read = 0;
        for (int i = ids.size() - 1; i >= 0 && read < SEARCH_LIMIT; i--) {
            String id = ids.get(i);
            if (id.equals(excluded)) {
                continue;
            }
            read++;
            Manifest m;
            try {
                m = repo.manifest(id);
            } catch (LifeboatException unreadable) {
                continue; // gone since the listing, or not valid: no restore point either way
            }
            List<Artifact> held = m.artifacts() == null ? List.of() : m.artifacts().stream()
                    .filter(a -> database.equals(a.source())).toList();
            if (held.isEmpty() && m.dumpOf(database) != null) {
                held = List.of(m.dumpOf(database)); // a format-1 backup names its dump by file
            }
            if (held.isEmpty()) {
                continue;
            }
            BackupStatus status = repo.status(id);
            if (status != null && BackupStatus.CORRUPT.equals(status.status())) {
                bad.addAll(damagedChunks(status));
                continue;
            }
            boolean good = true;
            for (Artifact a : held) {
                good &= damaged(repo, a, present, bad).isEmpty();
            }
            if (good) {
                return m;
            }
        }
        return null;
    }
}
