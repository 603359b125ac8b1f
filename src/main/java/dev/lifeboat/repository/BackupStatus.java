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
