package dev.lifeboat.state;

import dev.lifeboat.core.ErrorCode;
import dev.lifeboat.core.LifeboatException;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The jobs of {@code lifeboat serve}: a row when a job is submitted, its start moved to when it begins to run
 * ({@link #running}), completed when it ends.
 */
public final class JobHistory {
    /** The error of the jobs {@link #markInterrupted} ends. */
    public static final String INTERRUPTED_ERROR = "the service stopped before the job ended";

    private static final String COLUMNS =
            "id, kind, requested_by, status, started, finished, backup_id, error, details, instance";

    private final StateStore store;

    JobHistory(StateStore store) {
        this.store = store;
    }

    /** Records a job that starts now, {@link JobStatus#RUNNING}, with a new id and no instance. */
    public JobRecord start(String kind, String requestedBy, Map<String, ?> details) {
        return start(kind, requestedBy, null, details);
    }

    /**
     * Records a job that starts now, {@link JobStatus#RUNNING}, with a new id.
     *
     * @param instance the service instance that runs it (see {@link #markInterrupted}), or null
     * @param details a JSON-serializable object, or null
     */
    public JobRecord start(String kind, String requestedBy, String instance, Map<String, ?> details) {
        String id = Sql.newId();
        Instant started = Instant.parse(Sql.time(store.clock().instant()));
        String json = Sql.json(details);
        store.call("record job", c -> {
            try (PreparedStatement ps = c.prepareStatement("INSERT INTO job_history (id, kind, requested_by, "
                    + "status, started, details, instance) VALUES (?, ?, ?, ?, ?, ?, ?)")) {
                ps.setString(1, id);
                ps.setString(2, kind);
                ps.setString(3, requestedBy);
                ps.setString(4, JobStatus.RUNNING.label());
                ps.setString(5, Sql.time(started));
                ps.setString(6, json);
                ps.setString(7, instance);
                return ps.executeUpdate();
            }
        });
        return new JobRecord(id, kind, requestedBy, JobStatus.RUNNING, started, null, null, null,
                Sql.details(json), instance);
    }

    /**
     * Records that a job recorded by {@link #start} begins to run now: its {@code started} becomes now. A
     * service queues a job first, and it may wait for another instance's job to end, so that the job history
     * shows when each job really ran and two jobs on one repository never seem to overlap.
     *
     * @return the start recorded
     * @throws LifeboatException {@link ErrorCode#NOT_FOUND} for an unknown id or a job that has ended
     */
    public Instant running(String id) {
        Instant started = Instant.parse(Sql.time(store.clock().instant()));
        store.call("record job start", c -> {
            try (PreparedStatement ps = c.prepareStatement("UPDATE job_history SET started = ? WHERE id = ? "
                    + "AND status = ?")) {
                ps.setString(1, Sql.time(started));
                ps.setString(2, id);
                ps.setString(3, JobStatus.RUNNING.label());
                if (ps.executeUpdate() == 0) {
                    throw new LifeboatException(ErrorCode.NOT_FOUND, "no running job with id '" + id + "'",
                            "list the jobs to find its id");
                }
                return null;
            }
        });
        return started;
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
            return find(c, id).orElseThrow();
        });
    }

    /**
     * Ends, as {@link JobStatus#INTERRUPTED} with the error {@value #INTERRUPTED_ERROR} and finished now, every
     * job of {@code instance} still {@link JobStatus#RUNNING}: for a service instance that starts again after
     * it stopped without ending its jobs. A null instance means the jobs recorded without one.
     *
     * @return how many jobs it ended
     */
    public int markInterrupted(String instance) {
        return store.call("mark interrupted jobs", c -> {
            try (PreparedStatement ps = c.prepareStatement("UPDATE job_history SET status = ?, finished = ?, "
                    + "error = ? WHERE status = ? AND " + (instance == null ? "instance IS NULL" : "instance = ?"))) {
                ps.setString(1, JobStatus.INTERRUPTED.label());
                ps.setString(2, Sql.time(store.clock().instant()));
                ps.setString(3, INTERRUPTED_ERROR);
                ps.setString(4, JobStatus.RUNNING.label());
                if (instance != null) {
                    ps.setString(5, instance);
                }
                return ps.executeUpdate();
            }
        });
    }

    /** The job with this id, if there is one. */
    public Optional<JobRecord> find(String id) {
        if (id == null) {
            return Optional.empty();
        }
        return store.call("read job", c -> find(c, id));
    }

    /**
     * When the newest job of this kind requested by {@code requestedBy} started, whatever its status; empty
     * when there is none (for rate limits: one backup per requester per hour, say).
     */
    public Optional<Instant> lastStarted(String kind, String requestedBy) {
        return store.call("read job history", c -> {
            try (PreparedStatement ps = c.prepareStatement(
                    "SELECT MAX(started) FROM job_history WHERE kind = ? AND requested_by = ?")) {
                ps.setString(1, kind);
                ps.setString(2, requestedBy);
                try (ResultSet rs = ps.executeQuery()) {
                    return rs.next() ? Optional.ofNullable(Sql.instant(rs.getString(1))) : Optional.<Instant>empty();
                }
            }
        });
    }

    /** The newest {@code limit} jobs, newest first (in start order for jobs started in the same millisecond). */
    public List<JobRecord> recent(int limit) {
        return newest("", null, limit);
    }

    /**
     * The newest {@code limit} jobs that ended having made or used backup {@code backupId} (their
     * {@code backup_id}), newest first as {@link #recent}. A job still running has no backup id yet.
     */
    public List<JobRecord> forBackup(String backupId, int limit) {
        return newest("WHERE backup_id = ? ", backupId, limit);
    }

    private List<JobRecord> newest(String where, String value, int limit) {
        return store.call("read job history", c -> {
            try (PreparedStatement ps = c.prepareStatement("SELECT " + COLUMNS + " FROM job_history " + where
                    + "ORDER BY started DESC, " + store.dialect().jobInsertionOrder() + " DESC LIMIT ?")) {
                int i = 1;
                if (value != null) {
                    ps.setString(i++, value);
                }
                ps.setInt(i, limit);
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

    private static Optional<JobRecord> find(Connection c, String id) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT " + COLUMNS + " FROM job_history WHERE id = ?")) {
            ps.setString(1, id);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? Optional.of(read(rs)) : Optional.empty();
            }
        }
    }

    private static JobRecord read(ResultSet rs) throws SQLException {
        return new JobRecord(rs.getString("id"), rs.getString("kind"), rs.getString("requested_by"),
                JobStatus.of(rs.getString("status")), Sql.instant(rs.getString("started")),
                Sql.instant(rs.getString("finished")), rs.getString("backup_id"), rs.getString("error"),
                Sql.details(rs.getString("details")), rs.getString("instance"));
    }
}
