package dev.lifeboat.cli;

import dev.lifeboat.state.StateStore;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.time.Clock;
import java.util.Map;

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

    /** The data folder in force: the option, else LIFEBOAT_DATA_DIR, else ./lifeboat-data. */
    Path dataDir(Map<String, String> env) {
        return StateStore.dataDir(dataDir, env);
    }

    /** The PostgreSQL URL in force, or null for SQLite in the data folder. */
    String url(Map<String, String> env) {
        return StateStore.stateUrl(state, env);
    }

    StateStore open(Clock clock) {
        Map<String, String> env = System.getenv();
        return StateStore.open(url(env), dataDir(env), clock);
    }

    StateStore open() {
        return open(Clock.systemUTC());
    }
}
