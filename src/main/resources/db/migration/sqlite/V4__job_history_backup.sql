-- The jobs about one backup, newest first (the web UI's backup page: JobHistory.forBackup), without reading
-- the whole history. db/migration/postgres/V4__job_history_backup.sql is the same for PostgreSQL.
CREATE INDEX job_history_backup ON job_history (backup_id, started);
