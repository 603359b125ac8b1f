package dev.lifeboat.source;

import dev.lifeboat.core.ErrorCode;
import dev.lifeboat.core.LifeboatException;
import dev.lifeboat.repository.Manifest;
import dev.lifeboat.source.exec.ExecType;
import dev.lifeboat.source.files.FilesType;
import dev.lifeboat.source.postgres.PostgresType;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** The source types this build knows: a new type is one folder under this package and one line here. */
public final class Sources {
    private static final List<SourceType> TYPES = List.of(
            new PostgresType(),
            new ExecType(),
            new FilesType());

    private Sources() {}

    public static List<SourceType> types() {
        return TYPES;
    }

    /** The type lifeboat.yml names {@code name}, or an error listing the known ones. */
    public static SourceType type(String source, String name) {
        for (SourceType t : TYPES) {
            if (t.name().equals(name)) {
                return t;
            }
        }
        throw new LifeboatException(ErrorCode.USAGE, "source " + source + ": unknown type '" + name + "'",
                "the types this Lifeboat knows are: " + String.join(", ", TYPES.stream().map(SourceType::name).toList()));
    }

    /** The type that wrote a recorded source; empty for a type this version does not know (a newer one). */
    public static Optional<SourceType> recorded(Manifest.Source s) {
        if (s == null || s.type() == null) {
            return Optional.empty();
        }
        return TYPES.stream().filter(t -> t.recordedType().equals(s.type()) || t.name().equals(s.type())).findFirst();
    }

    /** The type of {@code s}, or an error saying that this version does not know it. */
    public static SourceType recordedOrFail(Manifest.Source s, String backupId) {
        return recorded(s).orElseThrow(() -> new LifeboatException(ErrorCode.INTEGRITY, "backup " + backupId
                + ": source " + s.name() + " is of type '" + s.type() + "', which this Lifeboat does not know",
                "use a Lifeboat version that knows it (the one that took the backup or newer)"));
    }

    /**
     * The PostgreSQL sources of {@code --db} URLs (or DATABASE_URL, or lifeboat.yml's {@code databases:}), named after
     * their databases: what a backup reads when no {@code sources:} are configured.
     */
    public static List<Source> databases(List<String> urls, boolean all, boolean globals, SourceContext context) {
        return PostgresType.fromCommandLine(urls, all, globals, context);
    }

    /** Makes the sources of a configuration, in its order, each checked ({@link SourceType#configure}). */
    public static List<Source> configure(List<SourceSpec> specs, SourceContext context) {
        Map<String, Source> out = new LinkedHashMap<>();
        for (SourceSpec spec : specs) {
            if (!SourceNames.valid(spec.name())) {
                throw new LifeboatException(ErrorCode.USAGE, "source name '" + spec.name() + "' is not allowed",
                        SourceNames.RULE);
            }
            if (spec.type() == null || spec.type().isBlank()) {
                throw spec.error("no type is given", "add type: one of " + String.join(", ",
                        TYPES.stream().map(SourceType::name).toList()));
            }
            if (out.containsKey(spec.name())) {
                throw spec.error("the name is given twice", "give each source a name of its own");
            }
            out.put(spec.name(), type(spec.name(), spec.type()).configure(spec, context));
        }
        return List.copyOf(out.values());
    }

    /** The recorded fields' problems of {@code s}, by its type; none for a type this version does not know. */
    public static void problems(Manifest.Source s, String name, List<String> problems) {
        recorded(s).ifPresent(t -> t.problems(s, name, problems));
    }

    /** What {@code s} held ({@link SourceType#contents}); null for an unknown type or one that shows none. */
    public static SourceType.Contents contents(Manifest.Source s) {
        return recorded(s).map(t -> t.contents(s)).orElse(null);
    }

    /** What people see of {@code s} ({@link SourceType#describe}); nothing for an unknown type. */
    public static Map<String, String> describe(Manifest.Source s) {
        return recorded(s).map(t -> t.describe(s)).orElse(Map.of());
    }
}
