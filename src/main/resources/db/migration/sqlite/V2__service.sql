-- What `lifeboat serve` needs beyond V1: interrupted jobs and the instance that ran a job, confirmation tokens
-- for destructive requests, and web UI sessions. db/migration/postgres/V2__service.sql is the same for PostgreSQL.

-- SQLite cannot change a CHECK constraint: rebuild job_history with 'interrupted' allowed and the new column.
-- Rows keep their rowid, which orders jobs started in the same millisecond.
CREATE TABLE job_history_v2 (
    id           TEXT NOT NULL PRIMARY KEY,              -- short random hex
    kind         TEXT NOT NULL,                          -- backup, restore, verify, prune, ...
    requested_by TEXT NOT NULL,                          -- token name, 'scheduler', 'cli'
    status       TEXT NOT NULL CHECK (status IN ('running', 'succeeded', 'failed', 'cancelled', 'interrupted')),
    started      TEXT NOT NULL,
    finished     TEXT,
    backup_id    TEXT,                                   -- the backup it made or used, when there is one
    error        TEXT,                                   -- what failed, for status 'failed' and 'interrupted'
    details      TEXT,                                   -- JSON object: the request, counts, durations
    instance     TEXT                                    -- the service instance that runs or ran it
) STRICT;

INSERT INTO job_history_v2 (rowid, id, kind, requested_by, status, started, finished, backup_id, error, details)
    SELECT rowid, id, kind, requested_by, status, started, finished, backup_id, error, details FROM job_history;

DROP TABLE job_history;
ALTER TABLE job_history_v2 RENAME TO job_history;

CREATE INDEX job_history_started ON job_history (started);
CREATE INDEX job_history_requester ON job_history (kind, requested_by, started);
CREATE INDEX job_history_running ON job_history (instance) WHERE status = 'running';

CREATE TABLE confirmation_token (
    token_hash   TEXT NOT NULL PRIMARY KEY,              -- SHA-256 of the token, lower-case hex; never the token
    backup_id    TEXT NOT NULL,                          -- the backup the confirmed operation is about
    principal_id TEXT NOT NULL,                          -- api_token.id of the one who may use it
    target       TEXT,                                   -- where the operation goes (a restore's database), if any
    created      TEXT NOT NULL,
    expires      TEXT NOT NULL,
    used         TEXT                                    -- when it was consumed; NULL until then
) STRICT;

CREATE INDEX confirmation_token_expires ON confirmation_token (expires);

CREATE TABLE web_session (
    session_hash TEXT NOT NULL PRIMARY KEY,              -- SHA-256 of the session id, lower-case hex; never the id
    principal_id TEXT NOT NULL REFERENCES api_token (id) ON DELETE CASCADE, -- the API token it was opened with
    created      TEXT NOT NULL,
    expires      TEXT NOT NULL,
    last_seen    TEXT NOT NULL,
    csrf_token   TEXT NOT NULL                           -- forms send it back
) STRICT;

CREATE INDEX web_session_expires ON web_session (expires);
CREATE INDEX web_session_principal ON web_session (principal_id);
