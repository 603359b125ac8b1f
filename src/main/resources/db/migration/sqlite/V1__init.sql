-- The state of `lifeboat serve`: API tokens, job history, audit log, settings changed through the API.
-- Times are ISO-8601 UTC text with milliseconds (2026-11-21T03:00:00.000Z), so they sort as text.
-- Never edit a migration once released: add V2__..., V3__... (Flyway checks the checksums).

CREATE TABLE api_token (
    id         TEXT    NOT NULL PRIMARY KEY,             -- short random hex, shown to people
    name       TEXT    NOT NULL,                         -- unique among tokens that are not revoked
    role       TEXT    NOT NULL CHECK (role IN ('admin', 'operator', 'viewer')),
    token_hash TEXT    NOT NULL UNIQUE,                  -- SHA-256 of the token, lower-case hex; never the token
    created    TEXT    NOT NULL,
    last_used  TEXT,
    revoked    TEXT                                      -- when it was revoked; NULL while valid
) STRICT;

CREATE UNIQUE INDEX api_token_active_name ON api_token (name) WHERE revoked IS NULL;

CREATE TABLE job_history (
    id           TEXT NOT NULL PRIMARY KEY,              -- short random hex
    kind         TEXT NOT NULL,                          -- backup, restore, verify, prune, ...
    requested_by TEXT NOT NULL,                          -- token name, 'scheduler', 'cli'
    status       TEXT NOT NULL CHECK (status IN ('running', 'succeeded', 'failed', 'cancelled')),
    started      TEXT NOT NULL,
    finished     TEXT,
    backup_id    TEXT,                                   -- the backup it made or used, when there is one
    error        TEXT,                                   -- what failed, for status 'failed'
    details      TEXT                                    -- JSON object: the request, counts, durations
) STRICT;

CREATE INDEX job_history_started ON job_history (started);

CREATE TABLE audit_log (
    id      INTEGER PRIMARY KEY AUTOINCREMENT,           -- never reused, so gaps show deletions
    at      TEXT NOT NULL,
    actor   TEXT NOT NULL,                               -- who: token name, 'cli', 'scheduler'
    action  TEXT NOT NULL,                               -- what: 'token.create', 'backup.start', ...
    target  TEXT,                                        -- on what: a backup id, a token id, a setting key
    result  TEXT NOT NULL,                               -- 'ok', 'denied', 'failed'
    details TEXT                                         -- JSON object
) STRICT;

CREATE INDEX audit_log_at ON audit_log (at);

CREATE TABLE settings (
    key        TEXT NOT NULL PRIMARY KEY,                -- the lifeboat.yml name, e.g. 'retention.keepDaily'
    value      TEXT NOT NULL,                            -- JSON value
    updated    TEXT NOT NULL,
    updated_by TEXT NOT NULL
) STRICT;
