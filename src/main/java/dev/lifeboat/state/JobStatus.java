package dev.lifeboat.state;

import java.util.Locale;

/**
 * Where a job is. Every job starts {@link #RUNNING} and ends in one of the others; {@link #INTERRUPTED} when the
 * service stopped (crashed, was killed, restarted) before the job ended.
 */
public enum JobStatus {
    RUNNING, SUCCEEDED, FAILED, CANCELLED, INTERRUPTED;

    /** The lower-case spelling used in JSON and in the database. */
    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }

    static JobStatus of(String label) {
        return valueOf(label.toUpperCase(Locale.ROOT));
    }
}
