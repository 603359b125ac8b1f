package dev.lifeboat.source.files;

import dev.lifeboat.source.SourceSpec;

import java.nio.file.FileSystems;
import java.nio.file.Path;
import java.nio.file.PathMatcher;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.PatternSyntaxException;

/**
 * What a tree leaves out: glob patterns ({@code *.tmp}, {@code cache/}, {@code logs/*.gz}). A pattern without a
 * {@code /} matches a name anywhere in the tree; one with a {@code /} inside matches the path from the tree's root;
 * a trailing {@code /} matches folders only.
 */
final class Excludes {
    private record Rule(String text, PathMatcher matcher, boolean whole, boolean dirsOnly) {}

    private final List<Rule> rules;

    private Excludes(List<Rule> rules) {
        this.rules = rules;
    }

    /** Nothing left out. */
    static Excludes none() {
        return new Excludes(List.of());
    }

    static Excludes of(SourceSpec spec, List<String> patterns) {
        List<Rule> rules = new ArrayList<>();
        for (String p : patterns) {
            boolean dirsOnly = p.endsWith("/");
            String glob = dirsOnly ? p.substring(0, p.length() - 1) : p;
            if (glob.isEmpty() || glob.startsWith("/")) {
                throw spec.error("exclude pattern '" + p + "' is empty or absolute", "patterns are relative to path, "
                        + "e.g. \"*.tmp\" or \"cache/\"");
            }
            try {
                rules.add(new Rule(p, FileSystems.getDefault().getPathMatcher("glob:" + glob), glob.contains("/"),
                        dirsOnly));
            } catch (PatternSyntaxException e) {
                throw spec.error("exclude pattern '" + p + "' is not a glob: " + e.getDescription(), null);
            }
        }
        return new Excludes(rules);
    }

    /** Whether {@code relative} (a path below the root) is left out. */
    boolean excludes(Path relative, boolean dir) {
        for (Rule r : rules) {
            if (r.dirsOnly && !dir) {
                continue;
            }
            Path subject = r.whole ? relative : relative.getFileName();
            if (subject != null && r.matcher.matches(subject)) {
                return true;
            }
        }
        return false;
    }
}
