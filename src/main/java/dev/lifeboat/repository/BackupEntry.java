package dev.lifeboat.repository;

/**
 * One backup as listing sees it: its manifest (or why it could not be read), its verification status and
 * whether it is pinned. A backup whose manifest is garbage is still listed, as corrupt, so that one bad
 * blob never hides the others. Entries from a {@link Catalog} hold manifests without chunk lists
 * ({@link Manifest#withoutChunks()}).
 */
public record BackupEntry(String id, Manifest manifest, String manifestError, BackupStatus status, boolean pinned) {
    /** Listing order: oldest first by start time (ids have one-second resolution), then id. */
    public static final java.util.Comparator<BackupEntry> ORDER =
            java.util.Comparator.comparing(BackupEntry::started).thenComparing(BackupEntry::id);

    /** {@code completed}, {@code verified}, {@code drilled} or {@code corrupt}. */
    public String effectiveStatus() {
        if (manifest == null) {
            return BackupStatus.CORRUPT;
        }
        return status != null ? status.status() : manifest.status();
    }

    /**
     * {@link #effectiveStatus()} with the level of the check it rests on ({@link BackupStatus#statusLevel()}), as
     * {@code list} and the web UI show it: {@code verified (exists)}, {@code verified (read-data)},
     * {@code drilled (drill)}, {@code corrupt (read-data)}; {@code completed} when never checked, and
     * {@code corrupt (manifest)} for an unreadable manifest.
     */
    public String statusWithLevel() {
        if (manifest == null) {
            return BackupStatus.CORRUPT + " (manifest)";
        }
        String level = statusLevel();
        return effectiveStatus() + (level == null ? "" : " (" + level + ")");
    }

    /** The level of the check the status rests on, or null when the backup was never checked. */
    public String statusLevel() {
        return status == null || manifest == null ? null : status.statusLevel();
    }

    /**
     * Whether a check read its data ({@code read-data}, a slice of it, or a drill) and left it good: what the
     * service's {@code lifeboat_backups_unverified} counts the backups without. A corrupt backup is neither.
     */
    public boolean verifiedBeyondExistence() {
        return !BackupStatus.CORRUPT.equals(effectiveStatus()) && status != null
                && BackupStatus.rank(status.statusLevel()) > 0;
    }

    /**
     * When the backup started; for an unreadable manifest (or valid JSON without a start time, which would
     * otherwise fail the listing's sort), the second its id encodes.
     */
    public java.time.Instant started() {
        if (manifest != null && manifest.started() != null) {
            return manifest.started();
        }
        return java.time.LocalDateTime.parse(id.substring(0, 15),
                java.time.format.DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss")).toInstant(java.time.ZoneOffset.UTC);
    }

    /**
     * {@link Manifest#summary()} with the status verification gave it and the level of the check it rests on
     * ({@code statusLevel}, null when never checked); for an unreadable manifest, the id,
     * {@code corrupt} and the error.
     */
    public java.util.Map<String, Object> summary() {
        if (manifest == null) {
            java.util.Map<String, Object> row = new java.util.LinkedHashMap<>();
            row.put("id", id);
            row.put("status", effectiveStatus());
            row.put("error", manifestError);
            return row;
        }
        java.util.Map<String, Object> row = manifest.summary();
        row.put("status", effectiveStatus());
        row.put("statusLevel", statusLevel());
        if (row.get("sources") instanceof java.util.List<?> each) {
            for (Object one : each) {
                @SuppressWarnings("unchecked")
                java.util.Map<String, Object> source = (java.util.Map<String, Object>) one;
                source.put("status", sourceStatus(String.valueOf(source.get("name"))));
            }
        }
        return row;
    }

    /**
     * The status of one source of the backup: {@code corrupt} when the verify that found the backup corrupt named
     * one of its artifacts (or the source), otherwise the backup's status, or {@code completed} when the damage is
     * elsewhere.
     */
    public String sourceStatus(String source) {
        String backup = effectiveStatus();
        if (!BackupStatus.CORRUPT.equals(backup) || manifest == null) {
            return backup;
        }
        java.util.List<String> problems = status == null || status.problems() == null ? java.util.List.of()
                : status.problems();
        java.util.List<String> names = manifest.artifacts() == null ? java.util.List.of() : manifest.artifacts()
                .stream().filter(a -> source.equals(a.source())).map(Artifact::name).toList();
        for (String p : problems) {
            if (p.contains("source " + source + ":") || p.contains(" of " + source + ":")
                    || names.stream().anyMatch(n -> p.contains("artifact " + n + ":"))) {
                return BackupStatus.CORRUPT;
            }
        }
        return problems.isEmpty() ? BackupStatus.CORRUPT : "completed";
    }

    /** A restore's safety backup, which retention keeps by a rule of its own. */
    public boolean safety() {
        return manifest != null && manifest.safety();
    }

    /** Complete backups count towards retention; corrupt ones do not. */
    public boolean complete() {
        return manifest != null && !BackupStatus.CORRUPT.equals(effectiveStatus());
    }
}
