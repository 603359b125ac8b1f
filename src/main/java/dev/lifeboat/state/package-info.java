/**
 * The state of {@code lifeboat serve}: API tokens, web sessions, confirmation tokens, job history, audit log and
 * settings changed through the API. It lives in one SQLite file, {@code <dataDir>/state.db}, or, for clustered
 * deployments, in a PostgreSQL database ({@code --state postgres://...}). The repository never depends on it.
 *
 * <p>{@link dev.lifeboat.state.StateStore} opens it and applies the versioned SQL migrations of
 * {@code src/main/resources/db/migration/sqlite} or {@code .../postgres} with Flyway (the SQLite
 * {@code V1__init.sql} and {@code V2__service.sql} document every column; the PostgreSQL ones mirror them).
 * Times are stored as fixed-width ISO-8601 UTC text with milliseconds, so text order is time order in both.
 * Tokens, session ids and confirmation tokens are stored as SHA-256 hashes only.
 */
package dev.lifeboat.state;
