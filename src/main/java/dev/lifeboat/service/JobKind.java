package dev.lifeboat.service;

import java.util.Locale;

/** What a job does. Every kind touches the repository, so the service runs one job at a time. */
public enum JobKind {
    /** A backup of the configured databases, then retention and prune (auto-purge). */
    BACKUP,
    VERIFY,
    RESTORE,
    PRUNE;

    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }
}
