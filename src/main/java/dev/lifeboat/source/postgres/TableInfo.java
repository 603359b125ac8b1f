package dev.lifeboat.source.postgres;

import java.util.List;

/**
 * A table as seen in the dump's snapshot: its exact row count, and the names of its indexes and of the sequences it
 * owns (so that restoring a single table can bring them along).
 */
public record TableInfo(String schema, String name, long rows, List<String> indexes, List<String> sequences) {
    public String qualifiedName() {
        return schema + "." + name;
    }
}
