package dev.lifeboat.state;

import dev.lifeboat.core.ErrorCode;
import dev.lifeboat.core.Hex;
import dev.lifeboat.core.LifeboatException;
import dev.lifeboat.core.Secrets;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * API tokens of {@code lifeboat serve}. A token is {@code lb_} followed by 32 random bytes in base64url
 * without padding (46 characters). Only its SHA-256 hash is stored: tokens have 256 bits of entropy, so a
 * plain hash cannot be reversed by guessing, and needs no salt or slow KDF (GitHub stores its tokens so).
 * There are no default tokens: a new store authenticates nobody.
 */
public final class TokenStore {
    public static final String PREFIX = "lb_";
    private static final Pattern TOKEN = Pattern.compile("lb_[A-Za-z0-9_-]{43}");
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._@-]{0,63}");
    private static final String COLUMNS = "id, name, role, created, last_used, revoked";
    /**
     * How stale {@code last_used} may be: an API call writes it only when it is older, so that a client polling
     * the API every second costs a read, not a write, per call.
     */
    static final Duration LAST_USED_PRECISION = Duration.ofSeconds(60);

    private final StateStore store;

    TokenStore(StateStore store) {
        this.store = store;
    }

    /**
     * Creates a token and returns it with its plaintext, which exists nowhere else afterwards.
     *
     * @param name unique among tokens that are not revoked; null for {@code <role>-<id>}
     * @throws LifeboatException {@link ErrorCode#USAGE} when the name is taken or malformed
     */
    public CreatedToken create(Role role, String name) {
        String token = Secrets.newSecret(PREFIX);
        String id = Sql.newId();
        String chosen = name != null ? name : role.label() + "-" + id;
        if (!NAME.matcher(chosen).matches()) {
            throw new LifeboatException(ErrorCode.USAGE, "invalid token name '" + chosen + "'",
                    "use 1 to 64 letters, digits, '.', '_', '@' or '-', starting with a letter or digit");
        }
        TokenInfo info = new TokenInfo(id, chosen, role, store.clock().instant(), null, null);
        store.call("create token", c -> {
            try (PreparedStatement ps = c.prepareStatement(
                    "INSERT INTO api_token (id, name, role, token_hash, created) VALUES (?, ?, ?, ?, ?)")) {
                ps.setString(1, id);
                ps.setString(2, chosen);
                ps.setString(3, role.label());
                ps.setString(4, Hex.of(sha256(token)));
                ps.setString(5, Sql.time(info.created()));
                ps.executeUpdate();
            } catch (SQLException e) {
                String m = String.valueOf(e.getMessage());
                if (Sql.isUniqueViolation(e) && (m.contains("api_token.name") || m.contains("api_token_active_name"))) {
                    throw new LifeboatException(ErrorCode.USAGE, "a token named '" + chosen + "' already exists",
                            "choose another name, or revoke that token first", e);
                }
                throw e;
            }
            return null;
        });
        return new CreatedToken(info, token);
    }

    /** Every token, revoked ones included, oldest first. Never hashes or tokens. */
    public List<TokenInfo> list() {
        return store.call("list tokens", c -> {
            try (PreparedStatement ps = c.prepareStatement(
                    "SELECT " + COLUMNS + " FROM api_token ORDER BY created, id");
                 ResultSet rs = ps.executeQuery()) {
                List<TokenInfo> out = new ArrayList<>();
                while (rs.next()) {
                    out.add(read(rs));
                }
                return out;
            }
        });
    }

    /**
     * Revokes a token, found by id, else by the name of a token that is not revoked. Idempotent: a token
     * already revoked keeps its first revocation time.
     *
     * @return the token as it is now, revoked
     * @throws LifeboatException {@link ErrorCode#NOT_FOUND} when no token has that id or name
     */
    public TokenInfo revoke(String idOrName) {
        return store.call("revoke token", c -> {
            TokenInfo found = find(c, "id = ?", idOrName);
            if (found == null) {
                found = find(c, "name = ? AND revoked IS NULL", idOrName);
            }
            if (found == null) {
                found = find(c, "name = ? ORDER BY revoked DESC LIMIT 1", idOrName);
            }
            if (found == null) {
                throw new LifeboatException(ErrorCode.NOT_FOUND, "no API token with id or name '" + idOrName + "'",
                        "list the tokens with: lifeboat token list");
            }
            if (found.isRevoked()) {
                return found;
            }
            Instant now = store.clock().instant();
            try (PreparedStatement ps = c.prepareStatement(
                    "UPDATE api_token SET revoked = ? WHERE id = ? AND revoked IS NULL")) {
                ps.setString(1, Sql.time(now));
                ps.setString(2, found.id());
                ps.executeUpdate();
            }
            return find(c, "id = ?", found.id());
        });
    }

    /**
     * The principal a presented token stands for, or empty when it is malformed, unknown or revoked.
     * The lookup is by hash, and the hashes are compared in constant time. Records the time of use, to within
     * {@link #LAST_USED_PRECISION}: one conditional {@code UPDATE}, which writes nothing when the recorded use
     * is more recent.
     */
    public Optional<Principal> authenticate(String presentedToken) {
        if (presentedToken == null || !TOKEN.matcher(presentedToken).matches()) {
            return Optional.empty();
        }
        byte[] hash = sha256(presentedToken);
        return store.call("authenticate token", c -> {
            String id;
            String name;
            Role role;
            try (PreparedStatement ps = c.prepareStatement(
                    "SELECT id, name, role, token_hash FROM api_token WHERE token_hash = ? AND revoked IS NULL")) {
                ps.setString(1, Hex.of(hash));
                try (ResultSet rs = ps.executeQuery()) {
                    if (!rs.next() || !MessageDigest.isEqual(hash, Hex.parse(rs.getString("token_hash")))) {
                        return Optional.empty();
                    }
                    id = rs.getString("id");
                    name = rs.getString("name");
                    role = Role.parse(rs.getString("role"));
                }
            }
            Instant now = store.clock().instant();
            try (PreparedStatement ps = c.prepareStatement("UPDATE api_token SET last_used = ? "
                    + "WHERE id = ? AND (last_used IS NULL OR last_used < ?)")) {
                ps.setString(1, Sql.time(now));
                ps.setString(2, id);
                ps.setString(3, Sql.time(now.minus(LAST_USED_PRECISION)));
                ps.executeUpdate();
            }
            return Optional.of(new Principal(id, name, role));
        });
    }

    /**
     * The principal of the token with this id, or empty when there is none or it is revoked. Does not record a
     * use: for web sessions, which hold the token id rather than the token.
     */
    public Optional<Principal> find(String id) {
        if (id == null) {
            return Optional.empty();
        }
        return store.call("find token", c -> {
            TokenInfo t = find(c, "id = ? AND revoked IS NULL", id);
            return t == null ? Optional.<Principal>empty() : Optional.of(new Principal(t.id(), t.name(), t.role()));
        });
    }

    private static TokenInfo find(java.sql.Connection c, String where, String value) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT " + COLUMNS + " FROM api_token WHERE " + where)) {
            ps.setString(1, value);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? read(rs) : null;
            }
        }
    }

    private static TokenInfo read(ResultSet rs) throws SQLException {
        return new TokenInfo(rs.getString("id"), rs.getString("name"), Role.parse(rs.getString("role")),
                Sql.instant(rs.getString("created")), Sql.instant(rs.getString("last_used")),
                Sql.instant(rs.getString("revoked")));
    }

    static byte[] sha256(String token) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(token.getBytes(StandardCharsets.US_ASCII));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JVM", e);
        }
    }
}
