package dev.lifeboat.state;

/**
 * A token just created: the only time its plaintext exists outside the caller's hands. Lifeboat keeps
 * only its SHA-256 hash, so it cannot be shown again. {@link #toString()} leaves the token out.
 */
public record CreatedToken(TokenInfo info, String token) {
    @Override
    public String toString() {
        return "CreatedToken[info=" + info + ", token=<redacted>]";
    }
}
