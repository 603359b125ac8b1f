package dev.lifeboat.core;

import java.io.IOException;

/** The failure of a task run on another thread, surfaced in the thread that waits for it. */
public final class Futures {
    private Futures() {
    }

    /**
     * Throws {@code cause} (an {@link java.util.concurrent.ExecutionException}'s) when it is unchecked; returns it,
     * or wraps it, as an IOException for the caller to throw: {@code throw Futures.rethrow(e.getCause())}.
     */
    public static IOException rethrow(Throwable cause) {
        if (cause instanceof IOException io) {
            return io;
        }
        if (cause instanceof RuntimeException re) {
            throw re;
        }
        if (cause instanceof Error err) {
            throw err;
        }
        return new IOException(cause);
    }
}
