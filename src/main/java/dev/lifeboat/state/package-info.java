/**
 * The embedded state of {@code lifeboat serve}: one SQLite file, {@code <dataDir>/state.db}, with API tokens,
 * job history, audit log and settings changed through the API. The repository never depends on it.
 *
 * <p>{@link dev.lifeboat.state.StateStore} opens it and applies the versioned SQL migrations of
 * {@code src/main/resources/db/migration/sqlite} with Flyway ({@code V1__init.sql} documents every column).
 * Times are stored as fixed-width ISO-8601 UTC text with milliseconds, so text order is time order.
 * Tokens are stored as SHA-256 hashes only ({@link dev.lifeboat.state.TokenStore}).
 */
package dev.lifeboat.state;
