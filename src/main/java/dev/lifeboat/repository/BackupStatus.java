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
    /**
     * The status blob's format version: 2 adds each source's own drill record ({@link Drill#sources()}); absent in
     * blobs written before it was recorded, which means 1.
     */
    public static final int FORMAT_VERSION = 2;
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
     * @param sources         format 2 on: what the drill of each source compared, in the manifest's order (null in
     *                        drills recorded before)
     */
    public record Drill(String scratchDatabase, double seconds, int tablesChecked, List<String> mismatches,
                        String queryResult, List<SourceDrill> sources) {
        @com.fasterxml.jackson.annotation.JsonCreator
        public Drill {
        }

        /** A drill recorded without its sources' own records (format 1). */
        public Drill(String scratchDatabase, double seconds, int tablesChecked, List<String> mismatches,
                     String queryResult) {
            this(scratchDatabase, seconds, tablesChecked, mismatches, queryResult, null);
        }
    }

    /**
     * The drill of one source: what its type restored and compared with the manifest's record.
     *
     * @param name       the source's name
     * @param type       its type
     * @param seconds    how long its restore and checks took
     * @param compared   what was compared and matched, counted by what it is: {@code files} and {@code bytes} for a
     *                   tree, {@code tables} and {@code rows} for a database, {@code commands} for an exec source's
     *                   drill command that accepted the output; empty when nothing matched
     * @param mismatches what differed; empty when the drill passed
     */
    public record SourceDrill(String name, String type, double seconds, java.util.Map<String, Long> compared,
                              List<String> mismatches) {
        /** {@code uploads (files): 1,200 files, 403.0 KiB in 0.4 s}, for people. */
        public String summary() {
            StringBuilder b = new StringBuilder(name).append(" (").append(type).append("): ");
            List<String> parts = new java.util.ArrayList<>();
            if (compared != null) {
                compared.forEach((what, n) -> parts.add(what.equals("bytes") ? dev.lifeboat.core.Units.bytes(n)
                        : String.format(java.util.Locale.ROOT, "%,d %s", n, what)));
            }
            b.append(parts.isEmpty() ? "nothing compared" : String.join(", ", parts) + " match");
            b.append(String.format(java.util.Locale.ROOT, " in %.1f s", seconds));
            if (mismatches != null && !mismatches.isEmpty()) {
                b.append("; ").append(mismatches.size()).append(" mismatch(es)");
            }
            return b.toString();
        }
    }

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
