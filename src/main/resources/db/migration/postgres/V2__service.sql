-- What `lifeboat serve` needs beyond V1, as db/migration/sqlite/V2__service.sql (which documents the columns).

ALTER TABLE job_history DROP CONSTRAINT job_history_status_check;
ALTER TABLE job_history ADD CONSTRAINT job_history_status_check
    CHECK (status IN ('running', 'succeeded', 'failed', 'cancelled', 'interrupted'));
ALTER TABLE job_history ADD COLUMN instance TEXT;

CREATE INDEX job_history_requester ON job_history (kind, requested_by, started);
CREATE INDEX job_history_running ON job_history (instance) WHERE status = 'running';

CREATE TABLE confirmation_token (
    token_hash   TEXT NOT NULL PRIMARY KEY,
    backup_id    TEXT NOT NULL,
    principal_id TEXT NOT NULL,
    target       TEXT,
    created      TEXT COLLATE "C" NOT NULL,
    expires      TEXT COLLATE "C" NOT NULL,
    used         TEXT COLLATE "C"
);

CREATE INDEX confirmation_token_expires ON confirmation_token (expires);

CREATE TABLE web_session (
    session_hash TEXT NOT NULL PRIMARY KEY,
    principal_id TEXT NOT NULL REFERENCES api_token (id) ON DELETE CASCADE,
    created      TEXT COLLATE "C" NOT NULL,
    expires      TEXT COLLATE "C" NOT NULL,
    last_seen    TEXT COLLATE "C" NOT NULL,
    csrf_token   TEXT NOT NULL
);

CREATE INDEX web_session_expires ON web_session (expires);
CREATE INDEX web_session_principal ON web_session (principal_id);
