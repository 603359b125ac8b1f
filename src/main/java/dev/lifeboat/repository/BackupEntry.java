package dev.lifeboat.repository;

/**
 * One backup as listing sees it: its manifest (or why it could not be read), its verification status and
 * whether it is pinned. A backup whose manifest is garbage is still listed, as corrupt, so that one bad
 * blob never hides the others.
 */
public record BackupEntry(String id, Manifest manifest, String manifestError, BackupStatus status, boolean pinned) {
    /** {@code completed}, {@code verified}, {@code drilled} or {@code corrupt}. */
    public String effectiveStatus() {
        if (manifest == null) {
            return BackupStatus.CORRUPT;
        }
        return status != null ? status.status() : manifest.status();
    }

    /** Complete backups count towards retention; corrupt ones do not. */
    public boolean complete() {
        return manifest != null && !BackupStatus.CORRUPT.equals(effectiveStatus());
    }
}
