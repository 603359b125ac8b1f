package dev.lifeboat.storage;

import java.io.IOException;

/**
 * A storage failure that trying again cannot fix, such as permission denied, no space left or a read-only file
 * system. It is reported at once (not retried), and carries what the user should do about it.
 */
public final class PermanentStorageException extends IOException {
    private final String hint;

    public PermanentStorageException(String message, String hint, Throwable cause) {
        super(message, cause);
        this.hint = hint;
    }

    /** What to do, for the error's "Try:" line. */
    public String hint() {
        return hint;
    }
}
