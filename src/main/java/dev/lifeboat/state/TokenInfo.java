package dev.lifeboat.state;

import java.time.Instant;

/**
 * What is known about an API token, without its secret or hash. {@code lastUsed} (to within a minute: see
 * {@link TokenStore#authenticate}) and {@code revoked} may be null.
 */
public record TokenInfo(String id, String name, Role role, Instant created, Instant lastUsed, Instant revoked) {
    public boolean isRevoked() {
        return revoked != null;
    }
}
