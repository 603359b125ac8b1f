package dev.lifeboat.repository;

import java.util.List;

/**
 * One stream in a backup, such as a database's pg_dump archive.
 *
 * @param name       unique within the backup, used by {@code lifeboat cat} (e.g. {@code app.dump})
 * @param source     the name of the source it came from
 * @param format     {@code pg_dump-custom} or {@code pg_dumpall-globals}
 * @param size       plain bytes
 * @param storedSize bytes of the stored chunks this artifact references (shared chunks counted)
 * @param sha256     hex SHA-256 of the plain stream
 * @param chunks     the chunks whose plain bytes, concatenated, are the stream
 */
public record Artifact(String name, String source, String format, long size, long storedSize, String sha256,
                       List<ChunkRef> chunks) {
    /** This artifact without its chunk list ({@code null}); see {@link Manifest#withoutChunks()}. */
    public Artifact withoutChunks() {
        return new Artifact(name, source, format, size, storedSize, sha256, null);
    }
}
