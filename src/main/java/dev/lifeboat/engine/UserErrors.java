package dev.lifeboat.engine;

import dev.lifeboat.core.ErrorCode;
import dev.lifeboat.core.LifeboatException;
import dev.lifeboat.repository.CorruptChunkException;
import dev.lifeboat.storage.PermanentStorageException;

import java.io.IOException;
import java.nio.file.NoSuchFileException;

/**
 * Failures of the outside world that are not bugs (storage, corrupt data), as the user errors the CLI prints and
 * the service records: a code, a message naming the object, and what to do.
 */
public final class UserErrors {
    private UserErrors() {}

    /** {@code ex} (or the {@link LifeboatException} among its causes) as a user error, or null when it is a bug. */
    public static LifeboatException of(Throwable ex) {
        for (Throwable t = ex; t != null; t = t.getCause()) {
            if (t instanceof LifeboatException le) {
                return le;
            }
        }
        if (ex instanceof IOException io) {
            return ofStorage(io);
        }
        if (ex instanceof IllegalArgumentException ia) {
            return new LifeboatException(ErrorCode.USAGE, ia.getMessage(), "see lifeboat --help", ia);
        }
        if (ex instanceof InterruptedException ie) {
            return new LifeboatException(ErrorCode.ABORTED, "interrupted", null, ie);
        }
        return null;
    }

    /** A failed read or write of the repository: corrupt data, a missing blob, or the storage's own failure. */
    public static LifeboatException ofStorage(IOException io) {
        if (io instanceof CorruptChunkException c) {
            return new LifeboatException(ErrorCode.INTEGRITY, c.getMessage(),
                    "restore the chunk from a replica or use an older backup; nothing was committed", c);
        }
        if (io instanceof NoSuchFileException nf) {
            return new LifeboatException(ErrorCode.NOT_FOUND, "not found: " + nf.getFile()
                    + (nf.getReason() != null ? " (" + nf.getReason() + ")" : ""), "check the path", nf);
        }
        if (io instanceof PermanentStorageException p) {
            return new LifeboatException(ErrorCode.STORAGE, p.getMessage(), p.hint(), p);
        }
        return new LifeboatException(ErrorCode.STORAGE, String.valueOf(io.getMessage()),
                "check that the repository's storage is reachable and writable, then retry", io);
    }

    /**
     * A restore that would take a safety backup of {@code what} on a host without the repository's signing key:
     * refused before anything changes. {@code holder} is "the target holds" or "the targets hold".
     */
    static LifeboatException cannotSignSafetyBackup(dev.lifeboat.repository.Repository repo, String what,
                                                    String holder) {
        return new LifeboatException(ErrorCode.ENCRYPTION, "this host cannot take the safety backup of " + what
                + " before the restore: it has no key to sign backups of this repository (<key folder>/"
                + repo.config().id() + ".signing-key); nothing was changed", "copy that key from the backup host or "
                + "set LIFEBOAT_SIGNING_KEY, or restore without a safety backup (--no-safety-backup) once you are "
                + "sure " + holder + " nothing to keep");
    }
}
