package dev.lifeboat.state;

import java.time.Instant;
import java.util.Map;

/**
 * One job the service ran or runs: {@code kind} is backup, restore, verify, prune...; {@code finished},
 * {@code backupId} and {@code error} may be null; {@code details} is a JSON object (the request, counts);
 * {@code instance} is the service instance that runs or ran it, null when not recorded.
 */
public record JobRecord(String id, String kind, String requestedBy, JobStatus status, Instant started,
                        Instant finished, String backupId, String error, Map<String, Object> details,
                        String instance) {

    /** A job with no instance recorded. */
    public JobRecord(String id, String kind, String requestedBy, JobStatus status, Instant started,
                     Instant finished, String backupId, String error, Map<String, Object> details) {
        this(id, kind, requestedBy, status, started, finished, backupId, error, details, null);
    }
}
