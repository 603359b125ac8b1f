package dev.lifeboat.source;

import java.util.List;

/**
 * How a restore goes, as the CLI and the REST API say it; each type takes what applies to it and refuses, naming the
 * option, what does not (a {@code --table} for a file tree).
 *
 * @param create     create the target first (a database); it must not exist
 * @param overwrite  write into a target that holds data already (a non-empty folder)
 * @param delete     remove from the target what the backup does not hold (a folder's extra files)
 * @param parts      a part of the source to restore alone: tables of a database, paths (globs) of a tree
 * @param privileges restore GRANTs and REVOKEs (PostgreSQL)
 * @param owners     keep the objects' or files' owners where the target can
 */
public record RestoreOptions(boolean create, boolean overwrite, boolean delete, List<String> parts,
                             boolean privileges, boolean owners) {
    public RestoreOptions {
        parts = parts == null ? List.of() : List.copyOf(parts);
    }

    /** Everything, into a target as it is, with privileges and owners. */
    public static final RestoreOptions DEFAULT = new RestoreOptions(false, false, false, List.of(), true, true);
}
