package dev.lifeboat.cli;

import dev.lifeboat.config.Settings;
import dev.lifeboat.state.StateStore;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.time.Clock;

/** Where the service's state lives, for {@code serve} and {@code token}: the same options, the same defaults. */
final class StateOptions {
    @Option(names = "--data-dir", paramLabel = "DIR",
            description = "Folder of the service's state (default: LIFEBOAT_DATA_DIR, else ./lifeboat-data).")
    Path dataDir;

    @Option(names = "--state", paramLabel = "URL",
            description = "The service's state in PostgreSQL, shared by several instances: "
                    + "postgres://user@host:port/db?sslmode=require, password in PGPASSWORD "
                    + "(default: LIFEBOAT_STATE, else SQLite in the data folder).")
    String state;

    /** The state in force: these options, else {@code configured} (LIFEBOAT_STATE, LIFEBOAT_DATA_DIR, the default). */
    Settings.StateLocation location(Settings.StateLocation configured) {
        return new Settings.StateLocation(state != null && !state.isBlank() ? state.strip() : configured.url(),
                dataDir != null ? dataDir : configured.dataDir());
    }

    StateStore open(Settings.StateLocation configured, Clock clock) {
        Settings.StateLocation at = location(configured);
        return StateStore.open(at.url(), at.dataDir(), clock);
    }

    /** For {@code token}, which reads no config file: the options, else the environment's LIFEBOAT_STATE and LIFEBOAT_DATA_DIR. */
    StateStore open() {
        return open(Settings.StateLocation.fromEnvironment(System.getenv()), Clock.systemUTC());
    }
}
