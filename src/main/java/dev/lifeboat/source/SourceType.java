package dev.lifeboat.source;

import dev.lifeboat.repository.Manifest;

import java.util.List;
import java.util.Map;

/**
 * A kind of source ({@code postgres}, {@code files}, {@code exec}), registered in {@link Sources}: makes sources from
 * their configuration and reads what manifests record of them. See {@link Source} for the contract.
 */
public interface SourceType {
    /** The name lifeboat.yml's {@code type:} gives. */
    String name();

    /** The {@link Manifest.Source#type()} its backups record; the same as {@link #name()} unless history says. */
    default String recordedType() {
        return name();
    }

    /**
     * A source from its configuration, checked without any I/O: an unknown field, a missing one or a bad value is a
     * usage error naming the source ({@link SourceSpec#error}).
     */
    Source configure(SourceSpec spec, SourceContext context);

    /**
     * What is wrong with the type's own fields in {@code recorded}, added to {@code problems}, each naming
     * {@code name} (e.g. {@code source app}); nothing when they are well-formed. Run on every manifest read.
     */
    void problems(Manifest.Source recorded, String name, List<String> problems);

    /**
     * What people see of {@code recorded} in {@code show}, the REST API and the web UI, in this order: where it was
     * read from, versions, counts (e.g. {@code connection: db:5432/app}, {@code tables: 12}).
     */
    Map<String, String> describe(Manifest.Source recorded);

    /**
     * The configuration of a source named {@code name} whose place is {@code to} (a restore's {@code --to} when
     * lifeboat.yml names no such source: a tree backed up with {@code --files}); null when the type cannot be restored
     * from a place alone (an exec source needs its restore command).
     */
    default SourceSpec forTarget(String name, String to) {
        return null;
    }

    /**
     * What {@code verify --read-data} checks of the recorded source beyond every chunk's id: each file of a tree
     * against its SHA-256. The problems found, each naming what is wrong; none when the type has nothing more to
     * check. A type that checks here reads its artifacts itself ({@link #readsItsData}).
     */
    default List<String> checkData(Manifest.Source recorded, Restorer.Artifacts artifacts)
            throws java.io.IOException {
        return List.of();
    }

    /** Whether {@link #checkData} reads the source's artifacts whole, so that verify need not read them again. */
    default boolean readsItsData() {
        return false;
    }

    /**
     * A drill of the recorded source that needs no server: restore into {@code scratch} (an empty folder of this
     * process's own, removed afterwards) and compare what it finds with what the manifest recorded, or run what the
     * source's configuration {@code configured} (null when lifeboat.yml has no source of that name) says a drill runs.
     * What it compared and what differed; null when the type has no such drill (PostgreSQL's needs a scratch server,
     * which the engine holds).
     */
    default Drilled drill(Manifest.Source recorded, Restorer.Artifacts artifacts, java.nio.file.Path scratch,
                          SourceSpec configured, SourceContext context)
            throws java.io.IOException, InterruptedException {
        return null;
    }

    /**
     * A drill's outcome.
     *
     * @param compared   what matched, counted by what it is ({@code files}, {@code bytes}, {@code commands}), in the
     *                   order people read it
     * @param mismatches what differed, each naming the source
     */
    record Drilled(java.util.Map<String, Long> compared, List<String> mismatches) {
        public Drilled {
            compared = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(compared));
            mismatches = List.copyOf(mismatches);
        }
    }

    /**
     * What the source held, as a table people can read (a database's tables with their row counts); null when the
     * type shows none.
     */
    default Contents contents(Manifest.Source recorded) {
        return null;
    }

    /**
     * @param summary what the table is, e.g. {@code 12 tables with their row counts}
     * @param header  the columns' names
     * @param rows    the rows, each as long as the header
     */
    record Contents(String summary, List<String> header, List<List<String>> rows) {}
}
