package dev.lifeboat.state;

import dev.lifeboat.core.ErrorCode;
import dev.lifeboat.core.LifeboatException;

import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** The jobs of {@code lifeboat serve}: a row when a job starts, completed when it ends. */
public final class JobHistory {
    private static final String COLUMNS = "id, kind, requested_by, status, started, finished, backup_id, error, details";

    private final StateStore store;

    JobHistory(StateStore store) {
        this.store = store;
    }

    /** Records a job that starts now, {@link JobStatus#RUNNING}, with a new id. */
    public JobRecord start(String kind, String requestedBy, Map<String, ?> details) {
        String id = Sql.newId();
        Instant started = Instant.parse(Sql.time(store.clock().instant()));
        String json = Sql.json(details);
        store.call("record job", c -> {
            try (PreparedStatement ps = c.prepareStatement("INSERT INTO job_history (id, kind, requested_by, "
                    + "status, started, details) VALUES (?, ?, ?, ?, ?, ?)")) {
                ps.setString(1, id);
                ps.setString(2, kind);
                ps.setString(3, requestedBy);
                ps.setString(4, JobStatus.RUNNING.label());
                ps.setString(5, Sql.time(started));
                ps.setString(6, json);
                return ps.executeUpdate();
            }
        });
        return new JobRecord(id, kind, requestedBy, JobStatus.RUNNING, started, null, null, null,
                Sql.details(json));
    }

    /**
     * Records the end of a job, now.
     *
     * @param status not {@link JobStatus#RUNNING}
     * @param backupId the backup it made or used, or null
     * @param error what failed, or null
     * @throws LifeboatException {@link ErrorCode#NOT_FOUND} for an unknown id
     */
    public JobRecord finish(String id, JobStatus status, String backupId, String error) {
        if (status == JobStatus.RUNNING) {
            throw new IllegalArgumentException("a job cannot finish as running");
        }
        return store.call("record job end", c -> {
            try (PreparedStatement ps = c.prepareStatement("UPDATE job_history SET status = ?, finished = ?, "
                    + "backup_id = ?, error = ? WHERE id = ?")) {
                ps.setString(1, status.label());
                ps.setString(2, Sql.time(store.clock().instant()));
                ps.setString(3, backupId);
                ps.setString(4, error);
                ps.setString(5, id);
                if (ps.executeUpdate() == 0) {
                    throw new LifeboatException(ErrorCode.NOT_FOUND, "no job with id '" + id + "'",
                            "list the jobs to find its id");
                }
            }
            try (PreparedStatement ps = c.prepareStatement("SELECT " + COLUMNS + " FROM job_history WHERE id = ?")) {
                ps.setString(1, id);
                try (ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    return read(rs);
                }
            }
        });
    }

    /** The newest {@code limit} jobs, newest first. */
    public List<JobRecord> recent(int limit) {
        return store.call("read job history", c -> {
            try (PreparedStatement ps = c.prepareStatement("SELECT " + COLUMNS + " FROM job_history "
                    + "ORDER BY started DESC, rowid DESC LIMIT ?")) {
                ps.setInt(1, limit);
                try (ResultSet rs = ps.executeQuery()) {
                    List<JobRecord> out = new ArrayList<>();
                    while (rs.next()) {
                        out.add(read(rs));
                    }
                    return out;
                }
            }
        });
    }

    private static JobRecord read(ResultSet rs) throws SQLException {
        return new JobRecord(rs.getString("id"), rs.getString("kind"), rs.getString("requested_by"),
                JobStatus.of(rs.getString("status")), Sql.instant(rs.getString("started")),
                Sql.instant(rs.getString("finished")), rs.getString("backup_id"), rs.getString("error"),
                Sql.details(rs.getString("details")));
    }
}
