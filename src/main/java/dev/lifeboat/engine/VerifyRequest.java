package dev.lifeboat.engine;

import dev.lifeboat.source.SourceSpec;

import java.util.List;

/**
 * A verification to run; the CLI and the REST API build the same record.
 *
 * @param backupIds  ids (or prefixes, or {@code latest}); empty with {@code all}
 * @param all        every backup in the repository
 * @param readData   read every chunk, recompute every artifact's SHA-256, parse dumps with pg_restore --list
 * @param subset     read only one slice of the chunks ({@code k/n} or {@code P%}); null for none
 * @param drill      restore into a scratch database and compare row counts
 * @param scratch    connection to the server for drills (its database name is ignored); null for the default
 * @param drillQuery a query to run in the scratch database after the restore; null for none
 * @param privileges a drill restores GRANTs and REVOKEs (they fail on a scratch server that lacks the roles)
 * @param configured lifeboat.yml's sources: what a drill of a source of the same name may run (an exec source's
 *                   drill command); never anything read from the repository
 */
public record VerifyRequest(List<String> backupIds, boolean all, boolean readData, String subset, boolean drill,
                            String scratch, String drillQuery, boolean privileges, List<SourceSpec> configured) {
    public VerifyRequest {
        configured = configured == null ? List.of() : List.copyOf(configured);
    }

    /** A verification without configured sources. */
    public VerifyRequest(List<String> backupIds, boolean all, boolean readData, String subset, boolean drill,
                         String scratch, String drillQuery, boolean privileges) {
        this(backupIds, all, readData, subset, drill, scratch, drillQuery, privileges, List.of());
    }
}
