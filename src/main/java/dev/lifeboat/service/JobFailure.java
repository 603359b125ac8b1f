package dev.lifeboat.service;

import dev.lifeboat.core.ErrorCode;
import dev.lifeboat.core.LifeboatException;

import java.util.Map;

/**
 * A job that failed and still has a result to show: a verify that found damage (what it found, as a passing
 * verify reports it), a restore that failed after its safety backup (which backup that is). {@link Jobs} records
 * the job as failed, with this message, and keeps the result; the API answers with both.
 */
public final class JobFailure extends LifeboatException {
    private final Map<String, Object> result;

    public JobFailure(ErrorCode code, String message, String hint, Map<String, Object> result, Throwable cause) {
        super(code, message, hint, cause);
        this.result = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(result));
    }

    /** What the job found or did before it failed. */
    public Map<String, Object> result() {
        return result;
    }
}
