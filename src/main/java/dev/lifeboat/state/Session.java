package dev.lifeboat.state;

import java.time.Instant;

/**
 * A web UI session: its {@code id} (the cookie value; only its hash is stored), the {@code csrfToken} that forms
 * must send back, who it is for, and when it ends. {@link #toString()} leaves both secrets out.
 */
public record Session(String id, String csrfToken, Principal principal, Instant expires) {
    @Override
    public String toString() {
        return "Session[id=<redacted>, csrfToken=<redacted>, principal=" + principal + ", expires=" + expires + "]";
    }
}
