package dev.lifeboat.core;

/**
 * An error the user can act on: it says what failed, on which object, and what to do next. Anything
 * else that escapes a command is a bug and is reported with its stack trace.
 */
public class LifeboatException extends RuntimeException {
    private final ErrorCode code;
    private final String hint;

    public LifeboatException(ErrorCode code, String message, String hint) {
        this(code, message, hint, null);
    }

    public LifeboatException(ErrorCode code, String message, String hint, Throwable cause) {
        super(message, cause);
        this.code = code;
        this.hint = hint;
    }

    public ErrorCode code() {
        return code;
    }

    /** What to do next; may be null when there is nothing useful to suggest. */
    public String hint() {
        return hint;
    }
}
