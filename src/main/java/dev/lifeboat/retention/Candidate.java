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
 * @param safety   a restore's safety backup: kept by {@code keepSafetyWithin} and {@code pinned} only, and counted
 *                 by no other rule, so that it never takes an ordinary backup's place
 */
public record Candidate(String id, Instant started, boolean complete, boolean pinned, boolean safety) {
    public Candidate {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(started, "started");
    }

    /** An ordinary backup (not a safety backup). */
    public Candidate(String id, Instant started, boolean complete, boolean pinned) {
        this(id, started, complete, pinned, false);
    }
}
