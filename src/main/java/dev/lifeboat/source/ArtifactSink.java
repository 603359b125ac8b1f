package dev.lifeboat.source;

import dev.lifeboat.repository.Artifact;

import java.io.IOException;
import java.io.InputStream;
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
}
