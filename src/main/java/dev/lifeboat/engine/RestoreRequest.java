package dev.lifeboat.engine;

import java.util.List;

/**
 * A restore to run; the CLI and the REST API build the same record.
 *
 * @param backupId     full id, unique start or end of one, or {@code latest}
 * @param artifact     which database dump to restore when the backup has several; null when it has one
 * @param target       connection string of the database to restore into
 * @param create       create the target database first (it must not exist)
 * @param tables       schema-qualified tables to restore alone; empty restores everything
 * @param safetyBackup back up the target first when it holds tables
 * @param privileges   restore GRANTs and REVOKEs (false: {@code --no-privileges}, for a server without the roles)
 * @param owners       keep the objects' owners where the target has the roles (false: {@code --no-owner}, every
 *                     object belongs to the user restoring)
 * @param force        restore a backup that a verify recorded as corrupt ({@code --force}); one with a missing
 *                     chunk is refused all the same
 */
public record RestoreRequest(String backupId, String artifact, String target, boolean create, List<String> tables,
                             boolean safetyBackup, boolean privileges, boolean owners, boolean force) {
    /** A restore that refuses a backup recorded as corrupt. */
    public RestoreRequest(String backupId, String artifact, String target, boolean create, List<String> tables,
                          boolean safetyBackup, boolean privileges, boolean owners) {
        this(backupId, artifact, target, create, tables, safetyBackup, privileges, owners, false);
    }

    /** A restore that keeps owners where it can. */
    public RestoreRequest(String backupId, String artifact, String target, boolean create, List<String> tables,
                          boolean safetyBackup, boolean privileges) {
        this(backupId, artifact, target, create, tables, safetyBackup, privileges, true);
    }
}
