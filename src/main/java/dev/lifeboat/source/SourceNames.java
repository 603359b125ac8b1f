package dev.lifeboat.source;

/**
 * What a source may be called: its name starts its artifacts' names and is typed on command lines. PostgreSQL
 * sources given as {@code --db} are named after their database, whatever characters that has, so the rule keeps
 * out only what no name should hold.
 */
public final class SourceNames {
    public static final String RULE = "a source's name is 1 to 128 characters, without '/', control characters or a "
            + "leading '.' or '-'";

    private SourceNames() {}

    public static boolean valid(String name) {
        if (name == null || name.isBlank() || name.length() > 128 || name.startsWith(".") || name.startsWith("-")) {
            return false;
        }
        return name.chars().noneMatch(c -> c == '/' || Character.isISOControl(c));
    }
}
