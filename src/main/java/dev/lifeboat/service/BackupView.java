package dev.lifeboat.service;

import dev.lifeboat.repository.BackupEntry;
import dev.lifeboat.repository.BackupStatus;
import dev.lifeboat.repository.Manifest;
import dev.lifeboat.retention.Decision;

import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A backup as the API and the web UI show it: the repository's entry plus what retention says of it now.
 *
 * @param retention what the retention policy in force decides: kept (and by which rules) or due for removal
 * @param expires   when the age rule stops keeping it ({@code started + retentionDays}); other rules, such
 *                  as the minimum count, may keep it longer; null when the age rule is off
 */
public record BackupView(BackupEntry entry, Decision retention, Instant expires) {

    public String id() {
        return entry.id();
    }

    public String status() {
        return entry.effectiveStatus();
    }

    public Manifest manifest() {
        return entry.manifest();
    }

    /** The list row: what an operator scans at 3 a.m. */
    public Map<String, Object> summary() {
        Map<String, Object> row = withSize(entry.summary());
        row.put("verification", verification(entry.status(), false));
        row.put("pinned", entry.pinned());
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("keep", retention == null || retention.keep());
        r.put("reasons", retention == null ? List.of() : retention.reasons());
        r.put("expires", expires);
        row.put("retention", r);
        return row;
    }

    /** The detail: the summary plus the manifest (sources, artifacts, tables) and verification history. */
    public Map<String, Object> detail() {
        Map<String, Object> out = summary();
        out.put("verification", verification(entry.status(), true));
        if (entry.manifest() != null) {
            out.put("manifest", entry.manifest());
        }
        return out;
    }

    /**
     * {@code row} (a {@link Manifest#summary()}) with {@code size} after {@code storedBytes}, which it equals: the
     * Atlas seed's size of a backup, what it takes on the storage in bytes (compressed, and encrypted if the
     * repository is), as the seed's compressed dump file would. A row without sizes (an unreadable manifest)
     * is returned as it is. The CLI, whose SIZE column is the data's size, does not use it.
     */
    public static Map<String, Object> withSize(Map<String, Object> row) {
        if (!row.containsKey("storedBytes")) {
            return row;
        }
        Map<String, Object> out = new LinkedHashMap<>();
        row.forEach((key, value) -> {
            out.put(key, value);
            if (key.equals("storedBytes")) {
                out.put("size", value);
            }
        });
        return out;
    }

    static Map<String, Object> verification(BackupStatus s, boolean withHistory) {
        Map<String, Object> v = new LinkedHashMap<>();
        if (s == null) {
            v.put("status", "never");
            return v;
        }
        v.put("status", s.status());
        v.put("checked", s.checked());
        v.put("level", s.level());
        v.put("problems", s.problems());
        if (s.drill() != null) {
            v.put("drill", s.drill());
        }
        if (withHistory) {
            v.put("history", s.history());
        }
        return v;
    }
}
