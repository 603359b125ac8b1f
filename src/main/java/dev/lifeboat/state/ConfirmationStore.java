package dev.lifeboat.state;

import dev.lifeboat.core.Secrets;
import dev.lifeboat.state.ConfirmationException.Failure;

import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * Confirmation tokens of {@code lifeboat serve}: a second step for destructive requests (a restore over a
 * database, say). {@link #issue} hands out a token bound to one backup, one target and one API token;
 * {@link #consume} accepts it exactly once, before it expires, from the same API token for the same backup.
 *
 * <p>A token is {@code lbc_} followed by 32 random bytes in base64url without padding; only its SHA-256 is
 * stored. Consuming is one conditional {@code UPDATE ... WHERE used IS NULL}, so of two concurrent consumers
 * (threads, or service instances sharing PostgreSQL) exactly one wins. Tokens that expired more than a day
 * ago are deleted when the next one is issued.
 */
public final class ConfirmationStore {
    public static final String PREFIX = "lbc_";
    /** How long expired tokens are kept, so that a late attempt hears "expired" rather than "unknown". */
    static final Duration KEEP_EXPIRED = Duration.ofDays(1);
    private static final Pattern TOKEN = Pattern.compile("lbc_[A-Za-z0-9_-]{43}");

    private final StateStore store;

    ConfirmationStore(StateStore store) {
        this.store = store;
    }

    /**
     * Issues a token that confirms an operation on {@code backupId} (towards {@code target}, may be null) for
     * {@code principal}, valid for {@code ttl}.
     *
     * @return the token; only its hash is kept
     */
    public String issue(String backupId, Principal principal, String target, Duration ttl) {
        Objects.requireNonNull(backupId, "backupId");
        Objects.requireNonNull(principal, "principal");
        if (ttl == null || ttl.isNegative() || ttl.isZero()) {
            throw new IllegalArgumentException("a confirmation token needs a positive time to live, not " + ttl);
        }
        String token = Secrets.newSecret(PREFIX);
        Instant now = store.clock().instant();
        store.call("issue confirmation token", c -> {
            try (PreparedStatement ps = c.prepareStatement("DELETE FROM confirmation_token WHERE expires < ?")) {
                ps.setString(1, Sql.time(now.minus(KEEP_EXPIRED)));
                ps.executeUpdate();
            }
            try (PreparedStatement ps = c.prepareStatement("INSERT INTO confirmation_token (token_hash, backup_id, "
                    + "principal_id, target, created, expires) VALUES (?, ?, ?, ?, ?, ?)")) {
                ps.setString(1, Sql.hash(token));
                ps.setString(2, backupId);
                ps.setString(3, principal.id());
                ps.setString(4, target);
                ps.setString(5, Sql.time(now));
                ps.setString(6, Sql.time(now.plus(ttl)));
                return ps.executeUpdate();
            }
        });
        return token;
    }

    /**
     * Consumes a token: succeeds once, when it was issued to {@code principal} for {@code backupId} and has not
     * expired.
     *
     * @throws ConfirmationException ({@link dev.lifeboat.core.ErrorCode#USAGE}) saying why it is refused:
     *         {@link Failure#UNKNOWN}, {@link Failure#WRONG_USER}, {@link Failure#WRONG_BACKUP},
     *         {@link Failure#USED} or {@link Failure#EXPIRED}, checked in that order
     */
    public Confirmed consume(String token, String backupId, Principal principal) {
        return consume(token, backupId, principal, null);
    }

    /**
     * {@link #consume(String, String, Principal)}, refusing also, without consuming the token, when
     * {@code typedTarget} is not null and differs from the target it was issued for (the database name a
     * person typed to confirm).
     *
     * @throws dev.lifeboat.core.LifeboatException ({@link dev.lifeboat.core.ErrorCode#USAGE}) for a typed name
     *         that is not the target; the token stays valid
     */
    public Confirmed consume(String token, String backupId, Principal principal, String typedTarget) {
        return consume(token, backupId, principal, typedTarget, java.util.function.UnaryOperator.identity());
    }

    /**
     * {@link #consume(String, String, Principal, String)}, where what a person types for a target is
     * {@code typedFor} of it (the target stored may be a key such as {@code source:uploads}, the word typed its
     * name).
     */
    public Confirmed consume(String token, String backupId, Principal principal, String typedTarget,
                             java.util.function.UnaryOperator<String> typedFor) {
        Objects.requireNonNull(principal, "principal");
        if (token == null || !TOKEN.matcher(token).matches()) {
            throw unknown();
        }
        String hash = Sql.hash(token);
        Instant now = store.clock().instant();
        return store.call("consume confirmation token", c -> {
            String issuedFor;
            String issuedTo;
            String target;
            Instant created;
            Instant expires;
            boolean used;
            try (PreparedStatement ps = c.prepareStatement("SELECT backup_id, principal_id, target, created, "
                    + "expires, used FROM confirmation_token WHERE token_hash = ?")) {
                ps.setString(1, hash);
                try (ResultSet rs = ps.executeQuery()) {
                    if (!rs.next()) {
                        throw unknown();
                    }
                    issuedFor = rs.getString("backup_id");
                    issuedTo = rs.getString("principal_id");
                    target = rs.getString("target");
                    created = Sql.instant(rs.getString("created"));
                    expires = Sql.instant(rs.getString("expires"));
                    used = rs.getString("used") != null;
                }
            }
            if (!issuedTo.equals(principal.id())) {
                // Says nothing about the token (its backup, whether used): it belongs to someone else.
                throw new ConfirmationException(Failure.WRONG_USER, "confirmation token was issued to another user",
                        "ask for a confirmation token with your own API token");
            }
            if (!issuedFor.equals(backupId)) {
                throw new ConfirmationException(Failure.WRONG_BACKUP, "confirmation token was issued for backup "
                        + issuedFor + ", not " + backupId, "ask for a confirmation token for backup " + backupId);
            }
            if (used) {
                throw used();
            }
            String validity = describe(Duration.between(created, expires));
            if (!now.isBefore(expires)) {
                throw expired(validity);
            }
            String expected = typedFor.apply(target);
            if (typedTarget != null && !typedTarget.equals(expected)) {
                throw new dev.lifeboat.core.LifeboatException(dev.lifeboat.core.ErrorCode.USAGE, "the name typed, '"
                        + typedTarget + "', is not the one to confirm this restore with, '" + expected + "'",
                        "type it exactly as shown; nothing was restored");
            }
            try (PreparedStatement ps = c.prepareStatement("UPDATE confirmation_token SET used = ? "
                    + "WHERE token_hash = ? AND used IS NULL AND expires > ?")) {
                ps.setString(1, Sql.time(now));
                ps.setString(2, hash);
                ps.setString(3, Sql.time(now));
                if (ps.executeUpdate() != 1) {
                    throw used(); // a concurrent consumer won between the read and this update
                }
            }
            return new Confirmed(issuedFor, target, issuedTo);
        });
    }

    private static ConfirmationException unknown() {
        return new ConfirmationException(Failure.UNKNOWN, "confirmation token is unknown",
                "ask for a new confirmation token and send it exactly as it was given");
    }

    private static ConfirmationException used() {
        return new ConfirmationException(Failure.USED, "confirmation token was already used",
                "each confirmation token confirms one request: ask for a new one");
    }

    private static ConfirmationException expired(String validity) {
        return new ConfirmationException(Failure.EXPIRED, "confirmation token has expired (valid " + validity
                + "); ask for a new one", "ask for a new confirmation token and use it within " + validity);
    }

    /** {@code 5 minutes}, {@code 1 hour}, {@code 90 seconds}. */
    static String describe(Duration d) {
        long s = d.toSeconds();
        if (s >= 3600 && s % 3600 == 0) {
            return plural(s / 3600, "hour");
        }
        if (s >= 60 && s % 60 == 0) {
            return plural(s / 60, "minute");
        }
        return plural(s, "second");
    }

    private static String plural(long n, String unit) {
        return n + " " + unit + (n == 1 ? "" : "s");
    }
}
