-- The state of `lifeboat serve` in PostgreSQL: the same tables and columns as db/migration/sqlite/V1__init.sql,
-- which documents them. Keep the two folders in step: the same versions, the same columns.
-- Times are ISO-8601 UTC text with milliseconds (2026-11-21T03:00:00.000Z), as in SQLite, with the "C"
-- collation so that they sort as bytes, as in SQLite, whatever the database's locale.
-- Never edit a migration once released: add V2__..., V3__... (Flyway checks the checksums).

CREATE TABLE api_token (
    id         TEXT COLLATE "C" NOT NULL PRIMARY KEY,
    name       TEXT NOT NULL,
    role       TEXT NOT NULL CHECK (role IN ('admin', 'operator', 'viewer')),
    token_hash TEXT NOT NULL UNIQUE,
    created    TEXT COLLATE "C" NOT NULL,
    last_used  TEXT COLLATE "C",
    revoked    TEXT COLLATE "C"
);

CREATE UNIQUE INDEX api_token_active_name ON api_token (name) WHERE revoked IS NULL;

CREATE TABLE job_history (
    id           TEXT COLLATE "C" NOT NULL PRIMARY KEY,
    kind         TEXT NOT NULL,
    requested_by TEXT NOT NULL,
    status       TEXT NOT NULL CONSTRAINT job_history_status_check
                     CHECK (status IN ('running', 'succeeded', 'failed', 'cancelled')),
    started      TEXT COLLATE "C" NOT NULL,
    finished     TEXT COLLATE "C",
    backup_id    TEXT,
    error        TEXT,
    details      TEXT,
    -- PostgreSQL has no rowid: this orders jobs started in the same millisecond, as SQLite's rowid does.
    seq          BIGINT GENERATED ALWAYS AS IDENTITY UNIQUE
);

CREATE INDEX job_history_started ON job_history (started);

CREATE TABLE audit_log (
    id      BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY, -- never reused, so gaps show deletions
    at      TEXT COLLATE "C" NOT NULL,
    actor   TEXT NOT NULL,
    action  TEXT NOT NULL,
    target  TEXT,
    result  TEXT NOT NULL,
    details TEXT
);

CREATE INDEX audit_log_at ON audit_log (at);

CREATE TABLE settings (
    key        TEXT COLLATE "C" NOT NULL PRIMARY KEY,
    value      TEXT NOT NULL,
    updated    TEXT COLLATE "C" NOT NULL,
    updated_by TEXT NOT NULL
);
