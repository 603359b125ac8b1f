package dev.lifeboat.core;

/**
 * Stable exit codes and error codes. The CLI exits with {@link #exitCode()}; the REST API reports
 * {@link #name()}. Never renumber: scripts and monitoring depend on them.
 */
public enum ErrorCode {
    /** A bug or an error nobody anticipated; the message carries a stack trace in the log. */
    INTERNAL(1, "unexpected error"),
    /** Bad command-line arguments or configuration. */
    USAGE(2, "invalid usage or configuration"),
    /** A backup, artifact or table that was asked for does not exist. */
    NOT_FOUND(3, "backup or artifact not found"),
    /** There is no repository at the location, or its format is not understood. */
    REPOSITORY(4, "repository missing or unreadable"),
    /** The storage could not be reached or refused an operation. */
    STORAGE(5, "storage unreachable or failing"),
    /** The database could not be reached, or pg_dump / pg_restore failed. */
    DATABASE(6, "database unreachable or PostgreSQL tool failed"),
    /** No identity was given, or it does not open this repository. */
    ENCRYPTION(7, "identity missing or wrong"),
    /** Another process holds a conflicting lock on the repository. */
    LOCKED(8, "repository locked by another process"),
    /** The user declined, or confirmation was needed but no terminal could ask for it. */
    ABORTED(9, "aborted: confirmation declined or required"),
    /** Stored data failed its checksum: a chunk is missing, truncated or altered. */
    INTEGRITY(10, "stored data is missing or corrupt"),
    /** No PostgreSQL client tools fit the server's version. */
    TOOLS(11, "required PostgreSQL client tools missing"),
    /** A source's own program (an exec source's command) or a hook failed, or ran out of time. */
    SOURCE(12, "a source's command or a hook failed");

    private final int exitCode;
    private final String summary;

    ErrorCode(int exitCode, String summary) {
        this.exitCode = exitCode;
        this.summary = summary;
    }

    public int exitCode() {
        return exitCode;
    }

    public String summary() {
        return summary;
    }
}
