package dev.lifeboat.repository;

import java.util.List;

/**
 * One stream in a backup, such as a database's pg_dump archive.
 *
 * @param name       unique within the backup, used by {@code lifeboat cat} (e.g. {@code app.dump})
 * @param source     the name of the source it came from
 * @param format     {@link #PG_DUMP_CUSTOM} or {@link #PG_DUMPALL_GLOBALS}: what the stream is, and the one thing that
 *                   says whether it is a database's dump (never its name)
 * @param size       plain bytes
 * @param storedSize bytes of the stored chunks this artifact references (shared chunks counted)
 * @param sha256     hex SHA-256 of the plain stream; null for an artifact whose parts carry hashes of their own (the
 *                   contents of a file tree, whose files' hashes are in its tree artifact)
 * @param chunks     the chunks whose plain bytes, concatenated, are the stream, listed in the manifest; null when
 *                   they are listed in the backup's chunk-list blob instead ({@code chunkList})
 * @param chunkList  manifest format 3 on: where the chunks of an artifact of more than {@value
 *                   ChunkLists#INLINE_MAX} are listed instead ({@link ChunkLists}); null when {@code chunks} lists
 *                   them. Read them either way through {@link Repository#chunks(Artifact)}.
 */
public record Artifact(String name, String source, String format, long size, long storedSize, String sha256,
                       List<ChunkRef> chunks, ChunkList chunkList) {
    @com.fasterxml.jackson.annotation.JsonCreator
    public Artifact {
    }

    /** An artifact whose chunks the manifest lists. */
    public Artifact(String name, String source, String format, long size, long storedSize, String sha256,
                    List<ChunkRef> chunks) {
        this(name, source, format, size, storedSize, sha256, chunks, null);
    }

    /**
     * Where an artifact's chunks are listed in {@code backups/<backup>/chunk-lists.bin} ({@link ChunkLists}).
     *
     * @param backup the backup whose blob it is: always the manifest's own id (checked), never a path to follow
     * @param offset where the list starts in the blob, in bytes (a multiple of {@value ChunkLists#RECORD})
     * @param count  how many chunks it lists
     * @param blocks the hex SHA-256 of each block of {@value ChunkLists#BLOCK} records (the last one may be
     *               shorter), each checked before any record of it is used
     */
    public record ChunkList(String backup, long offset, long count, List<String> blocks) {}

    /** How many chunks the artifact has, wherever they are listed. */
    public long chunkCount() {
        return chunks != null ? chunks.size() : chunkList != null ? chunkList.count() : 0;
    }
    /** A database's {@code pg_dump --format=custom} archive, for pg_restore: what a restore restores. */
    public static final String PG_DUMP_CUSTOM = "pg_dump-custom";
    /** The SQL of {@code pg_dumpall --globals-only} (roles, tablespaces): never restored as a database. */
    public static final String PG_DUMPALL_GLOBALS = "pg_dumpall-globals";

    /** Whether this is a database's dump, which restore, verify's archive check and drills take. */
    public boolean databaseDump() {
        return PG_DUMP_CUSTOM.equals(format);
    }

    /** Whether this is the server's globals (roles, tablespaces). */
    public boolean globals() {
        return PG_DUMPALL_GLOBALS.equals(format);
    }

    /** This artifact without its chunk list ({@code null}); see {@link Manifest#withoutChunks()}. */
    public Artifact withoutChunks() {
        return new Artifact(name, source, format, size, storedSize, sha256, null, null);
    }
}
