-- The roles of the golden cluster, in its globals.sql. No role can log in and none has a password.
CREATE ROLE golden_owner NOLOGIN CREATEDB;
CREATE ROLE golden_reader NOLOGIN;
CREATE ROLE golden_clerk NOLOGIN IN ROLE golden_reader CONNECTION LIMIT 3;
COMMENT ON ROLE golden_owner IS 'owns the golden shop';
