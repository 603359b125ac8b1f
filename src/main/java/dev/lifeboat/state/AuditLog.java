package dev.lifeboat.state;

import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** Append-only record of what was done through the API. Entries are never updated. */
public final class AuditLog {
    private final StateStore store;

    AuditLog(StateStore store) {
        this.store = store;
    }

    /**
     * Appends an entry stamped with the current time.
     *
     * @param details a JSON-serializable object, or null
     */
    public AuditEntry record(String actor, String action, String target, String result, Map<String, ?> details) {
        Instant at = store.clock().instant();
        String json = Sql.json(details);
        long id = store.call("write audit log", c -> {
            try (PreparedStatement ps = c.prepareStatement("INSERT INTO audit_log (at, actor, action, target, "
                    + "result, details) VALUES (?, ?, ?, ?, ?, ?) RETURNING id")) {
                ps.setString(1, Sql.time(at));
                ps.setString(2, actor);
                ps.setString(3, action);
                ps.setString(4, target);
                ps.setString(5, result);
                ps.setString(6, json);
                try (ResultSet keys = ps.executeQuery()) {
                    keys.next();
                    return keys.getLong(1);
                }
            }
        });
        return new AuditEntry(id, Instant.parse(Sql.time(at)), actor, action, target, result,
                Sql.details(json));
    }

    /** The newest {@code limit} entries, newest first. */
    public List<AuditEntry> recent(int limit) {
        return store.call("read audit log", c -> {
            try (PreparedStatement ps = c.prepareStatement("SELECT id, at, actor, action, target, result, details "
                    + "FROM audit_log ORDER BY id DESC LIMIT ?")) {
                ps.setInt(1, limit);
                try (ResultSet rs = ps.executeQuery()) {
                    List<AuditEntry> out = new ArrayList<>();
                    while (rs.next()) {
                        out.add(new AuditEntry(rs.getLong("id"), Sql.instant(rs.getString("at")),
                                rs.getString("actor"), rs.getString("action"), rs.getString("target"),
                                rs.getString("result"), Sql.details(rs.getString("details"))));
                    }
                    return out;
                }
            }
        });
    }
}
