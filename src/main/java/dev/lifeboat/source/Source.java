package dev.lifeboat.source;

import dev.lifeboat.repository.Manifest;

import java.io.IOException;

/**
 * One thing a backup reads and a restore writes back: a PostgreSQL database, a file tree, any service with a dump
 * command. Each type lives in a folder of its own under this package and is registered in {@link Sources}; the
 * engines, the service, the CLI, the REST API and the web UI know no type.
 *
 * <p>The contract every type keeps (tested by {@code SourceContractTest}, which every type's test extends against a
 * real instance of what it reads):
 * <ul>
 *   <li><b>Configuration is checked when the source is made</b> ({@link SourceType#configure}), without any I/O: an
 *       unknown or missing field is a {@link dev.lifeboat.core.LifeboatException} of code USAGE whose one-line
 *       message names the source ({@link SourceSpec#error}).</li>
 *   <li><b>{@link #prepare} reaches what the source reads</b> (connects, checks versions and rights, opens the path,
 *       takes a snapshot where the type has one) before the first byte of any source of the backup is written; a
 *       failure there leaves the repository untouched and names the source.</li>
 *   <li><b>{@link Prepared#backup} streams one or more artifacts</b> into the {@link ArtifactSink} and returns what
 *       the manifest records of the source ({@link Manifest.Source}: its type's own fields and the counts a drill
 *       compares later). It never writes the manifest: a backup interrupted at any moment commits nothing, and the
 *       chunks it stored are the next prune's to remove.</li>
 *   <li><b>An unchanged second backup adds almost nothing</b>: what the source writes for unchanged data is
 *       byte-identical, so that its chunks deduplicate (or the type reuses the previous backup's chunks without
 *       reading, as a file tree does).</li>
 *   <li><b>{@link #restorer} writes a backup of the source back</b>, into the place this configuration names or
 *       another ({@code --to}); the place always comes from the host's configuration or the command line, never
 *       from the repository (storage is untrusted: nothing read from it is a place to send credentials or a path to
 *       follow).</li>
 *   <li><b>Failures are explained in the source's own words</b>: a {@link dev.lifeboat.core.LifeboatException} whose
 *       message names the source and what failed, and whose hint says what to do; the tail of a program's standard
 *       error where a program failed; never a password.</li>
 * </ul>
 */
public interface Source {
    /** Its name in lifeboat.yml: unique in a backup, the prefix of its artifacts' names, named in its errors. */
    String name();

    /** Its type, as registered in {@link Sources}: {@code postgres}, {@code files}, {@code exec}. */
    String type();

    /**
     * Whether the backup reads it while the stack is stopped (between the before-backup and after-backup hooks);
     * false for a source consistent on its own (a PostgreSQL dump reads one snapshot), which is then read outside
     * that window so that the application is stopped for less time. {@code stop: false|true} in lifeboat.yml.
     */
    boolean readWhileStopped();

    /**
     * Checks that the source can be read now and holds what it opened (a connection, a snapshot) until the returned
     * {@link Prepared} is closed. Writes nothing anywhere.
     */
    Prepared prepare() throws IOException, InterruptedException;

    /**
     * The restore of {@code recorded} (this source, as a manifest recorded it) into {@code to}, or into the place
     * this configuration names when {@code to} is null.
     */
    Restorer restorer(Manifest.Source recorded, RestoreOptions options, String to);

    /** A source prepared for one backup. */
    interface Prepared extends AutoCloseable {
        /** Bytes the backup will probably read, for a progress bar; -1 when the type cannot guess. */
        default long estimatedBytes() {
            return -1;
        }

        /**
         * Streams the source's artifacts into {@code sink}, to their end, and says what the manifest records. A
         * failure (the program's exit status, a file that vanished and cannot be skipped) fails this source, and
         * with it the backup.
         */
        Manifest.Source backup(ArtifactSink sink) throws IOException, InterruptedException;

        /** Lets go of what {@link #prepare} opened; after a failure too. Never throws. */
        @Override
        void close();
    }
}
