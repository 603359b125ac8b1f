package dev.lifeboat.api;

import dev.lifeboat.core.ErrorCode;
import dev.lifeboat.core.LifeboatException;
import dev.lifeboat.engine.RestoreCheck;
import dev.lifeboat.service.Service;
import dev.lifeboat.service.ServiceConfig;
import dev.lifeboat.state.ConfirmationException;
import dev.lifeboat.state.Principal;
import dev.lifeboat.state.Role;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * An error as the API returns it: {@code {"error": {"code": "not_found", "message": "...", "hint": "..."}}},
 * with an HTTP status. Codes are stable; clients branch on them, never on messages.
 */
public final class ApiError extends RuntimeException {
    private final int status;
    private final String code;
    private final String hint;
    private final Map<String, Object> extra = new LinkedHashMap<>();
    private Long retryAfter;

    public ApiError(int status, String code, String message, String hint) {
        super(message);
        this.status = status;
        this.code = code;
        this.hint = hint;
    }

    public ApiError with(String key, Object value) {
        extra.put(key, value);
        return this;
    }

    /** Sets the {@code Retry-After} header's seconds, for a 429 or a 503. */
    public ApiError retryAfter(long seconds) {
        this.retryAfter = seconds;
        return this;
    }

    /** The seconds of the {@code Retry-After} header to send, or null for none. */
    public Long retryAfterSeconds() {
        return retryAfter;
    }

    public int status() {
        return status;
    }

    public String code() {
        return code;
    }

    /** What to do about it, or null. */
    public String hint() {
        return hint;
    }

    public Map<String, Object> body() {
        Map<String, Object> e = new LinkedHashMap<>();
        e.put("code", code);
        e.put("message", getMessage());
        if (hint != null) {
            e.put("hint", hint);
        }
        e.putAll(extra);
        return Map.of("error", e);
    }

    /**
     * An error of the engine or the service as the API and the web UI answer it: the status and code of its
     * {@link ErrorCode} ({@link #of(ErrorCode, String, String)}), with the field of a
     * {@link ServiceConfig.InvalidField}, with the newest good backup and whether {@code force} would do of a
     * {@link RestoreCheck.Refused} restore; 503 {@code not_configured} for {@link Service.NotConfigured}; and for a
     * {@link ConfirmationException} its own status and code: 400 {@code confirmation_invalid} (unknown), 403
     * {@code confirmation_mismatch} (wrong user or backup), 409 {@code confirmation_used}, 410
     * {@code confirmation_expired}.
     */
    public static ApiError of(LifeboatException e) {
        if (e instanceof Service.NotConfigured) {
            return new ApiError(503, "not_configured", e.getMessage(), e.hint());
        }
        if (e instanceof ConfirmationException c) {
            return switch (c.failure()) {
                case EXPIRED -> new ApiError(410, "confirmation_expired", e.getMessage(), e.hint());
                case USED -> new ApiError(409, "confirmation_used", e.getMessage(), e.hint());
                case UNKNOWN -> new ApiError(400, "confirmation_invalid", e.getMessage(), e.hint());
                case WRONG_BACKUP, WRONG_USER -> new ApiError(403, "confirmation_mismatch", e.getMessage(), e.hint());
            };
        }
        ApiError a = of(e.code(), e.getMessage(), e.hint());
        if (e instanceof ServiceConfig.InvalidField f) {
            a.with("field", f.field());
        }
        if (e instanceof RestoreCheck.Refused r) {
            a.with("newestGoodBackupId", r.newestGood()).with("forcible", r.forcible());
        }
        return a;
    }

    /** 403 for a caller whose role is too low for a read ({@code Auth.require}, the web UI's audit page). */
    public static ApiError forbidden(Principal p, Role role) {
        return new ApiError(403, "forbidden", "token '" + p.name() + "' has role " + p.role().label()
                + "; this needs " + role.label(), "use a token with role " + role.label()
                + " (lifeboat token create --role " + role.label() + ")");
    }

    /**
     * 403 for a call the service refused for the caller's role (it wrote the refusal to the audit log); 429
     * {@code too_many_denied} with {@code Retry-After} (and {@code retryAfterSeconds}) for a caller refused more
     * often than the audit log writes refusals one by one ({@link Service.TooManyDenied}).
     */
    public static ApiError of(Service.Forbidden e) {
        if (e instanceof Service.TooManyDenied t) {
            return new ApiError(429, "too_many_denied", e.getMessage(), "wait "
                    + t.retryAfterSeconds() + " s before another request this token's role does not allow, or use a "
                    + "token with a higher role").with("retryAfterSeconds", t.retryAfterSeconds())
                    .retryAfter(t.retryAfterSeconds());
        }
        return new ApiError(403, "forbidden", e.getMessage(), "use a token with a higher role");
    }

    /** The HTTP status and API code of a user error of the engine. */
    public static ApiError of(ErrorCode code, String message, String hint) {
        return switch (code) {
            case USAGE -> new ApiError(400, "invalid_request", message, hint);
            case NOT_FOUND -> new ApiError(404, "not_found", message, hint);
            case LOCKED -> new ApiError(409, "conflict", message, hint);
            case ABORTED -> new ApiError(409, "aborted", message, hint);
            case INTEGRITY -> new ApiError(422, "integrity", message, hint);
            case ENCRYPTION -> new ApiError(422, "encryption", message, hint);
            case DATABASE -> new ApiError(502, "database", message, hint);
            case SOURCE -> new ApiError(502, "source_failed", message, hint);
            case TOOLS -> new ApiError(500, "tools_missing", message, hint);
            case STORAGE -> new ApiError(503, "storage_unavailable", message, hint);
            case REPOSITORY -> new ApiError(503, "repository", message, hint);
            case INTERNAL -> new ApiError(500, "internal", message, hint);
        };
    }
}
