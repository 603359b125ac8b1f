package dev.lifeboat.state;

import dev.lifeboat.core.ErrorCode;
import dev.lifeboat.core.LifeboatException;

/**
 * A confirmation token that does not confirm the request. The code is {@link ErrorCode#USAGE} for every
 * {@link Failure}; {@link #failure()} says which, so that the HTTP layer chooses its status
 * ({@code dev.lifeboat.api.ApiError.of}): 400 unknown, 403 wrong user or backup, 409 used, 410 expired.
 */
public final class ConfirmationException extends LifeboatException {
    private static final long serialVersionUID = 1L;

    /** Why a confirmation token was refused. */
    public enum Failure {
        /** No such token: mistyped, never issued, or expired more than a day ago and deleted. */
        UNKNOWN,
        /** Issued, but its time ran out. */
        EXPIRED,
        /** Already consumed: each token confirms one request. */
        USED,
        /** Issued for another backup. */
        WRONG_BACKUP,
        /** Issued to another API token. */
        WRONG_USER
    }

    private final Failure failure;

    ConfirmationException(Failure failure, String message, String hint) {
        super(ErrorCode.USAGE, message, hint);
        this.failure = failure;
    }

    public Failure failure() {
        return failure;
    }
}
