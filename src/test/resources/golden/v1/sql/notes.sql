-- golden_notes, the second database of the multi-database backup. Its objects belong to golden_owner.
GRANT CREATE ON SCHEMA public TO golden_owner;
SET ROLE golden_owner;
CREATE TABLE note (
    id integer PRIMARY KEY,
    body text NOT NULL,
    written timestamptz NOT NULL
);
INSERT INTO note VALUES
    (1, 'Remember the oars.', '2026-01-01 08:00:00+00'),
    (2, 'Flares expire after three years.', '2026-04-01 12:30:00+02'),
    (3, repeat('long note ', 200), '2026-06-30 23:59:59.999999+00');
CREATE SEQUENCE note_number START 500 INCREMENT 5;
SELECT nextval('note_number'), nextval('note_number');
-- A setting and a comment of the database itself, whatever its name.
RESET ROLE;
SELECT format('ALTER DATABASE %I SET work_mem = %L', current_database(), '8MB'),
       format('COMMENT ON DATABASE %I IS %L', current_database(), 'scratch notes') \gexec
