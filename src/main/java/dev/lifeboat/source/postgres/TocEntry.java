package dev.lifeboat.source.postgres;

import dev.lifeboat.repository.Manifest;

import java.util.List;

/**
 * One line of {@code pg_restore --list}: {@code 215; 1259 16390 TABLE public users owner}. The type may
 * be several words, the tag may hold spaces (constraints are {@code table constraint}), the owner is
 * the last word.
 */
record TocEntry(String type, String schema, String tag) {
    /** Longest first, so that "TABLE DATA" is not read as "TABLE". */
    private static final List<String> TYPES = List.of("MATERIALIZED VIEW DATA", "SEQUENCE OWNED BY", "SEQUENCE SET",
            "FK CONSTRAINT", "TABLE DATA", "INDEX ATTACH", "ROW SECURITY", "DEFAULT ACL", "MATERIALIZED VIEW",
            "CONSTRAINT", "SEQUENCE", "TRIGGER", "POLICY", "DEFAULT", "COMMENT", "INDEX", "TABLE", "RULE", "ACL");

    static TocEntry parse(String line) {
        int semi = line.indexOf("; ");
        if (semi < 0) {
            return null;
        }
        String[] head = line.substring(semi + 2).split(" ", 3);
        if (head.length < 3) {
            return null;
        }
        String rest = head[2];
        for (String type : TYPES) {
            if (rest.startsWith(type + " ")) {
                String[] parts = rest.substring(type.length() + 1).split(" ", 2);
                if (parts.length < 2) {
                    return null;
                }
                String schema = parts[0];
                String tagAndOwner = parts[1];
                int lastSpace = tagAndOwner.lastIndexOf(' ');
                String tag = lastSpace < 0 ? tagAndOwner : tagAndOwner.substring(0, lastSpace);
                return new TocEntry(type, schema, tag);
            }
        }
        return null;
    }

    boolean belongsTo(TableInfo t) {
        if (!schema.equals(t.schema())) {
            return false;
        }
        String n = t.name();
        return switch (type) {
            case "TABLE", "TABLE DATA", "ROW SECURITY" -> tag.equals(n);
            case "CONSTRAINT", "FK CONSTRAINT", "TRIGGER", "POLICY", "DEFAULT", "RULE" -> tag.startsWith(n + " ");
            case "INDEX" -> t.indexes() != null && t.indexes().contains(tag);
            case "SEQUENCE", "SEQUENCE SET", "SEQUENCE OWNED BY" -> t.sequences() != null && t.sequences().contains(tag);
            case "COMMENT", "ACL" -> tag.equals("TABLE " + n) || tag.startsWith("COLUMN " + n + ".");
            default -> false;
        };
    }
}
