package dev.lifeboat.state;

import dev.lifeboat.core.ErrorCode;
import dev.lifeboat.core.LifeboatException;
import dev.lifeboat.core.Secrets;

import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Sessions of the web UI, each opened with an API token. A session id is {@code lbs_} followed by 32 random
 * bytes in base64url without padding; only its SHA-256 is stored, with the id of the API token. A session ends
 * when it expires, when it is deleted (sign-out), or when its API token is revoked. Expiry is fixed at
 * creation (no sliding). The {@code last_seen} column keeps the creation time: a session is read on every
 * request (the job page polls every second), and nothing needs its latest use, so reading writes nothing.
 */
public final class SessionStore {
    public static final String PREFIX = "lbs_";
    private static final Pattern ID = Pattern.compile("lbs_[A-Za-z0-9_-]{43}");

    private final StateStore store;

    SessionStore(StateStore store) {
        this.store = store;
    }

    /**
     * Opens a session for {@code principal}, valid for {@code ttl}, with a new id and CSRF token. Deletes the
     * sessions that have expired.
     *
     * @throws LifeboatException {@link ErrorCode#USAGE} when the principal's API token is unknown or revoked
     */
    public Session create(Principal principal, Duration ttl) {
        Objects.requireNonNull(principal, "principal");
        if (ttl == null || ttl.isNegative() || ttl.isZero()) {
            throw new IllegalArgumentException("a session needs a positive time to live, not " + ttl);
        }
        String id = Secrets.newSecret(PREFIX);
        String csrf = Secrets.newSecret("");
        Instant now = Instant.parse(Sql.time(store.clock().instant()));
        Instant expires = now.plus(ttl);
        store.call("create session", c -> {
            try (PreparedStatement ps = c.prepareStatement("DELETE FROM web_session WHERE expires <= ?")) {
                ps.setString(1, Sql.time(now));
                ps.executeUpdate();
            }
            try (PreparedStatement ps = c.prepareStatement("INSERT INTO web_session (session_hash, principal_id, "
                    + "created, expires, last_seen, csrf_token) SELECT ?, id, ?, ?, ?, ? FROM api_token "
                    + "WHERE id = ? AND revoked IS NULL")) {
                ps.setString(1, Sql.hash(id));
                ps.setString(2, Sql.time(now));
                ps.setString(3, Sql.time(expires));
                ps.setString(4, Sql.time(now));
                ps.setString(5, csrf);
                ps.setString(6, principal.id());
                if (ps.executeUpdate() != 1) {
                    throw new LifeboatException(ErrorCode.USAGE, "API token " + principal.id()
                            + " is unknown or revoked", "sign in with a valid API token");
                }
            }
            return null;
        });
        return new Session(id, csrf, principal, expires);
    }

    /**
     * The session with this id, with its principal as the API token is now (name, role); empty when the id is
     * malformed or unknown, the session expired, or its API token was revoked. A read only: writes nothing.
     */
    public Optional<Session> find(String sessionId) {
        if (sessionId == null || !ID.matcher(sessionId).matches()) {
            return Optional.empty();
        }
        String hash = Sql.hash(sessionId);
        String now = Sql.time(store.clock().instant());
        return store.call("find session", c -> {
            try (PreparedStatement ps = c.prepareStatement("SELECT s.expires, s.csrf_token, t.id, t.name, t.role "
                    + "FROM web_session s JOIN api_token t ON t.id = s.principal_id "
                    + "WHERE s.session_hash = ? AND s.expires > ? AND t.revoked IS NULL")) {
                ps.setString(1, hash);
                ps.setString(2, now);
                try (ResultSet rs = ps.executeQuery()) {
                    if (!rs.next()) {
                        return Optional.<Session>empty();
                    }
                    return Optional.of(new Session(sessionId, rs.getString("csrf_token"), new Principal(
                            rs.getString("id"), rs.getString("name"), Role.parse(rs.getString("role"))),
                            Sql.instant(rs.getString("expires"))));
                }
            }
        });
    }

    /** Ends a session (sign-out). Nothing happens for an unknown id. */
    public void delete(String sessionId) {
        if (sessionId == null || !ID.matcher(sessionId).matches()) {
            return;
        }
        store.call("delete session", c -> {
            try (PreparedStatement ps = c.prepareStatement("DELETE FROM web_session WHERE session_hash = ?")) {
                ps.setString(1, Sql.hash(sessionId));
                return ps.executeUpdate();
            }
        });
    }
}
