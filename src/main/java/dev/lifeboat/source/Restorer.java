package dev.lifeboat.source;

import dev.lifeboat.repository.Artifact;

import java.io.IOException;
import java.io.InputStream;
import java.util.List;

/**
 * The restore of one recorded source into one target, in the steps every restore takes: {@link #inspect} before
 * anything is changed (and before the person confirms), then, when the target holds data, a backup of it taken
 * through {@link #safetySource}, then {@link #restore}.
 */
public interface Restorer {
    /** The target in people's words, for the confirmation and the messages: {@code folder /srv/app/files}. */
    String target();

    /**
     * Looks at the target without changing it: refuses, naming the source and the target, what cannot work (a
     * missing database without {@code --create}, a non-empty folder without {@code --overwrite}, no right to write),
     * and says whether it holds data a safety backup should keep.
     */
    Inspection inspect() throws IOException, InterruptedException;

    /** A source reading the target as it is now, for the safety backup; null when the type cannot read it back. */
    Source safetySource();

    /**
     * Writes the backup into the target. Every artifact is read through {@code artifacts}, which checks each chunk
     * against its id as it goes: a corrupt chunk fails the restore before its bytes are used.
     */
    void restore(Artifacts artifacts) throws IOException, InterruptedException;

    /**
     * What {@link #inspect} found.
     *
     * @param holdsData whether the target holds data now (a safety backup is then taken first)
     * @param summary   what it holds, in people's words ({@code 12 tables}, {@code 340 files, 1.2 GiB})
     */
    record Inspection(boolean holdsData, String summary) {}

    /** The recorded source's artifacts, and a way to read each. */
    interface Artifacts {
        List<Artifact> list();

        /** The artifact's bytes, each chunk checked against its id; a failure is an {@link IOException}. */
        InputStream open(Artifact artifact) throws IOException;

        /** {@code list}, each opened by {@code opener} (an {@code ArtifactReader}'s {@code open}). */
        static Artifacts of(List<Artifact> list, Opener opener) {
            List<Artifact> copy = List.copyOf(list);
            return new Artifacts() {
                @Override
                public List<Artifact> list() {
                    return copy;
                }

                @Override
                public InputStream open(Artifact artifact) throws IOException {
                    return opener.open(artifact);
                }
            };
        }
    }

    /** How an artifact's bytes are read. */
    @FunctionalInterface
    interface Opener {
        InputStream open(Artifact artifact) throws IOException;
    }
}
