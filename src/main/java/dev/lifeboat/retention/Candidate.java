package dev.lifeboat.retention;

import java.time.Instant;
import java.util.Objects;

/**
 * A backup as {@link Retention#decide} sees it.
 *
 * @param id       the backup id ({@code yyyyMMddTHHmmssZ-xxxxxx}); only breaks ties between equal start times
 * @param started  when the backup started, as recorded in its manifest; this, not the id, orders backups
 * @param complete false for a failed, interrupted or corrupt backup, which counts towards no rule but
 *                 {@code within} and {@code pinned}
 * @param pinned   kept whatever the policy says
 */
public record Candidate(String id, Instant started, boolean complete, boolean pinned) {
    public Candidate {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(started, "started");
    }
}
