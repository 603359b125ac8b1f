package dev.lifeboat.repository;

import java.time.Instant;
import java.util.List;

/**
 * {@code backups/<id>/status.json}: what verification found, written beside the manifest so that the
 * repository stays the single source of truth. The manifest itself is never rewritten.
 *
 * @param status  {@code verified}, {@code drilled} or {@code corrupt}
 * @param checked when the last check ended
 * @param level   what the last check did: {@code exists}, {@code read-data}, {@code read-data-subset k/n}, {@code drill}
 * @param problems what failed, each naming artifact and chunk; empty when the check passed
 * @param drill   the last restore drill's outcome, when one ran
 * @param history earlier results, newest first, at most {@value #HISTORY}
 */
public record BackupStatus(String status, Instant checked, String level, List<String> problems, Drill drill,
                           List<BackupStatus> history) {
    public static final String VERIFIED = "verified";
    public static final String DRILLED = "drilled";
    public static final String CORRUPT = "corrupt";
    public static final int HISTORY = 10;
    /** The status blob's format version; absent in blobs written before it was recorded, which means 1. */
    public static final int FORMAT_VERSION = 1;
    /** Every value {@link #status()} may take in this format version; another one is no status. */
    public static final java.util.Set<String> VALUES = java.util.Set.of(VERIFIED, DRILLED, CORRUPT);

    public static String blobName(String id) {
        return BackupBlobs.name(id, BackupBlobs.STATUS);
    }

    /**
     * A restore drill: the measured recovery time, and what was compared.
     *
     * @param scratchDatabase the database restored into and dropped afterwards
     * @param seconds         time from start of restore to end of checks: the recovery time
     * @param tablesChecked   tables whose row counts matched the manifest
     * @param mismatches      tables whose counts differed, as {@code schema.table: expected N, found M}
     * @param queryResult     the configured check query's result, if any
     */
    public record Drill(String scratchDatabase, double seconds, int tablesChecked, List<String> mismatches,
                        String queryResult) {}

    /**
     * How thorough a check of this level is: {@code exists} 0, {@code read-data-subset k/n} 1, {@code read-data} 2,
     * {@code drill} 3; an unknown level counts as {@code exists}.
     */
    public static int rank(String level) {
        if (level == null) {
            return 0;
        }
        if (level.equals("drill")) {
            return 3;
        }
        if (level.equals("read-data")) {
            return 2;
        }
        return level.startsWith("read-data-subset") ? 1 : 0;
    }

    /**
     * The level of the check this status rests on, which {@code list} and the web UI show beside it
     * ({@code verified (read-data)}): for {@code verified} and {@code drilled}, the most thorough of the checks
     * that gave or kept this status, this one and those before it without a change of status (a chunks-exist
     * check after a full read leaves it read-data); for {@code corrupt}, the newest check that found problems.
     * Only the results kept here count: this one and its {@value #HISTORY} earlier ones.
     */
    public String statusLevel() {
        if (CORRUPT.equals(status)) {
            return finding().level();
        }
        List<BackupStatus> checks = new java.util.ArrayList<>();
        checks.add(this);
        if (history != null) {
            checks.addAll(history);
        }
        String best = level;
        for (BackupStatus c : checks) {
            if (!java.util.Objects.equals(c.status, status)) {
                break;
            }
            if (rank(c.level) > rank(best)) {
                best = c.level;
            }
        }
        return best;
    }

    /**
     * For a corrupt status, the newest check that found the problems (a later cheap check that passed keeps the
     * status corrupt and finds none); this result when none among those kept here did, or the status is not
     * corrupt.
     */
    public BackupStatus finding() {
        if (!CORRUPT.equals(status) || problems != null && !problems.isEmpty() || history == null) {
            return this;
        }
        for (BackupStatus c : history) {
            if (!CORRUPT.equals(c.status)) {
                break;
            }
            if (c.problems != null && !c.problems.isEmpty()) {
                return c;
            }
        }
        return this;
    }

    /** This result with {@code previous} (and its history) pushed into the history. */
    public BackupStatus after(BackupStatus previous) {
        if (previous == null) {
            return this;
        }
        List<BackupStatus> h = new java.util.ArrayList<>();
        h.add(new BackupStatus(previous.status, previous.checked, previous.level, previous.problems, previous.drill, null));
        if (previous.history != null) {
            h.addAll(previous.history);
        }
        return new BackupStatus(status, checked, level, problems, drill, List.copyOf(h.subList(0, Math.min(HISTORY, h.size()))));
    }
}
