-- Nothing to do: the clustered scheduler's table exists only when the state lives in PostgreSQL
-- (db/migration/postgres/V3__scheduled_tasks.sql). This file keeps the two folders' versions aligned.
SELECT 1;
