package dev.lifeboat.cli;

import dev.lifeboat.core.ErrorCode;
import dev.lifeboat.core.LifeboatException;
import dev.lifeboat.source.SourceSpec;

import java.util.ArrayList;
import java.util.List;

/** The configured sources a command takes: all of them, or those {@code --source} names. */
final class StackSources {
    private StackSources() {}

    /** {@code configured}, or those of it named in {@code only} (in the configuration's order); null means all. */
    static List<SourceSpec> chosen(List<SourceSpec> configured, List<String> only) {
        if (only == null || only.isEmpty()) {
            return configured;
        }
        List<String> known = configured.stream().map(SourceSpec::name).toList();
        for (String name : only) {
            if (!known.contains(name)) {
                throw new LifeboatException(ErrorCode.USAGE, "no source named '" + name + "' in lifeboat.yml",
                        "the sources are: " + String.join(", ", known));
            }
        }
        List<SourceSpec> out = new ArrayList<>();
        for (SourceSpec s : configured) {
            if (only.contains(s.name())) {
                out.add(s);
            }
        }
        return out;
    }
}
