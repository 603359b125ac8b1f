package dev.lifeboat.storage;

import java.util.regex.Pattern;

/** The one place that says what a blob name may look like. */
public final class BlobNames {
    private static final Pattern SEGMENT = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]*");

    private BlobNames() {}

    /** Returns {@code name} when it is a valid blob name, else throws {@link IllegalArgumentException}. */
    public static String check(String name) {
        if (name == null || name.isEmpty() || name.startsWith("/") || name.endsWith("/")) {
            throw new IllegalArgumentException("invalid blob name '" + name + "'");
        }
        for (String segment : name.split("/", -1)) {
            if (!SEGMENT.matcher(segment).matches() || segment.equals(".") || segment.equals("..")) {
                throw new IllegalArgumentException("invalid blob name '" + name + "'");
            }
        }
        return name;
    }

    /** A prefix for {@link Storage#list}: empty, or a valid name optionally ending in {@code /}. */
    public static String checkPrefix(String prefix) {
        if (prefix.isEmpty()) {
            return prefix;
        }
        check(prefix.endsWith("/") ? prefix.substring(0, prefix.length() - 1) : prefix);
        return prefix;
    }
}
