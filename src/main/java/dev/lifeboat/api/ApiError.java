package dev.lifeboat.api;

import dev.lifeboat.core.ErrorCode;

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

    public int status() {
        return status;
    }

    public String code() {
        return code;
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
            case TOOLS -> new ApiError(500, "tools_missing", message, hint);
            case STORAGE -> new ApiError(503, "storage_unavailable", message, hint);
            case REPOSITORY -> new ApiError(503, "repository", message, hint);
            case INTERNAL -> new ApiError(500, "internal", message, hint);
        };
    }
}
