-- The jobs about one backup, newest first, as db/migration/sqlite/V4__job_history_backup.sql.
CREATE INDEX job_history_backup ON job_history (backup_id, started);
