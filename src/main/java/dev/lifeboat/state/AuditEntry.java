package dev.lifeboat.state;

import java.time.Instant;
import java.util.Map;

/**
 * One line of the audit log: who ({@code actor}) did what ({@code action}) on what ({@code target}, may be
 * null) with which {@code result} ({@code ok}, {@code denied}, {@code failed}); {@code details} is a JSON object.
 */
public record AuditEntry(long id, Instant at, String actor, String action, String target, String result,
                         Map<String, Object> details) {
}
