package dev.lifeboat.source;

import dev.lifeboat.repository.Artifact;
import dev.lifeboat.repository.ChunkRef;

import java.io.IOException;
import java.io.InputStream;
import java.util.List;
import java.util.function.LongSupplier;

/**
 * Where a source's backup writes its artifacts: each stream is chunked, deduplicated, compressed and encrypted into
 * the repository, and comes back as the {@link Artifact} the manifest lists. Artifact names are unique in a backup;
 * the engine refuses a second one of a name.
 */
public interface ArtifactSink {
    /**
     * Reads {@code in} to its end and stores it as the artifact {@code name} of format {@code format} (what the
     * stream is, e.g. {@code exec-stdout}, which decides who reads it back), with a chunk boundary at the offset
     * {@code boundary} gives once it knows one ({@code () -> -1} for none).
     */
    Artifact write(String name, String format, InputStream in, LongSupplier boundary) throws IOException;

    /** {@link #write(String, String, InputStream, LongSupplier)} without a boundary. */
    default Artifact write(String name, String format, InputStream in) throws IOException {
        return write(name, format, in, () -> -1);
    }

    /**
     * Stores {@code in} as chunks of its own (its first byte starts a chunk, its last ends one, so that its chunks
     * never depend on what comes before or after it: a file of a tree) and gives them in order, with the stream's
     * size and SHA-256, for an artifact that {@link #assemble} makes later.
     */
    Part chunks(InputStream in) throws IOException;

    /** A stream stored by {@link #chunks}: its chunks in order, its bytes, its SHA-256 (hex). */
    record Part(List<ChunkRef> chunks, long size, String sha256) {}

    /**
     * The chunk {@code ref} with its stored size, when the repository holds a chunk of that id and plain size, so
     * that a source may reuse it without reading its data again; null when it does not.
     */
    ChunkRef held(ChunkRef ref) throws IOException;

    /**
     * Starts the artifact {@code name}, made of the chunks (from {@link #chunks} or {@link #held}) added to it in
     * order, whose plain bytes, concatenated, are its stream. Its list is kept out of memory beyond the first
     * thousand chunks, so that a tree of a million files costs no more memory than one of a thousand.
     */
    Assembly assemble(String name, String format) throws IOException;

    /** An artifact being assembled from chunks stored already. */
    interface Assembly {
        void add(ChunkRef chunk) throws IOException;

        /** How many chunks were added: the index the next one will have. */
        long count();

        /**
         * Records the artifact; {@code sha256} of its stream, or null when the source checks its parts by hashes of
         * their own (a tree's files).
         */
        Artifact finish(String sha256) throws IOException;
    }

    /**
     * The newest complete backup of a source of this name and type that this host can read (a plain repository, or
     * an encrypted one with the identity), for a source that reuses what did not change (a file tree's unchanged
     * files); on a host with the public key only, the backup of which a {@link #localCopy} was kept, with that copy
     * as the only artifact it can open; empty when there is none.
     */
    java.util.Optional<Previous> previous(String type) throws IOException;

    /**
     * Where a source may keep a local copy of the artifact {@code name} it writes, for {@link #previous} to give back
     * to the next backup when the repository cannot: a backup host of an encrypted repository holds the public key
     * only, and so cannot read a tree's last listing from it. Null when no copy is kept (a host that can read its
     * backups). The copy counts only once the backup is committed; the engine drops it otherwise.
     */
    default java.io.OutputStream localCopy(String name) throws IOException {
        return null;
    }

    /** A source's last backup: what its manifest recorded, its artifacts, and their bytes. */
    interface Previous {
        String backupId();

        dev.lifeboat.repository.Manifest.Source recorded();

        List<Artifact> artifacts();

        InputStream open(Artifact artifact) throws IOException;

        /** The chunks of one of {@link #artifacts}, in order, wherever its manifest lists them. */
        dev.lifeboat.repository.ChunkLists.Refs chunks(Artifact artifact);
    }
}
