package dev.lifeboat.state;

import dev.lifeboat.testing.PgCluster;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

/**
 * One empty state for one test, on either backend: a folder for SQLite, or a new database on the shared
 * PostgreSQL test cluster ({@link PgCluster#shared()}, started by the first test that needs it). {@link #open}
 * may be called again to reopen the same state; {@link #close()} closes what was opened and drops the database.
 */
final class StateFixture implements AutoCloseable {
    private static final AtomicInteger DATABASES = new AtomicInteger();

    final Backend backend;
    final Path dir;
    /** The PostgreSQL database, null for SQLite. */
    final String database;
    private final List<StateStore> opened = new ArrayList<>();

    StateFixture(Backend backend, Path dir) {
        this.backend = backend;
        this.dir = dir;
        if (backend == Backend.POSTGRES) {
            database = "state_test_" + ProcessHandle.current().pid() + "_" + DATABASES.incrementAndGet();
            execute("postgres", "CREATE DATABASE " + PgCluster.quoteIdent(database) + " TEMPLATE template0 ENCODING 'UTF8'");
        } else {
            database = null;
        }
    }

    static PgCluster cluster() {
        return PgCluster.shared();
    }

    /** {@code --state} for this fixture: null for SQLite, the database's {@code postgres://} URI with password. */
    String stateUrl() {
        return database == null ? null : cluster().url(database);
    }

    StateStore open(Clock clock) {
        StateStore store = StateStore.open(stateUrl(), dir, clock);
        opened.add(store);
        return store;
    }

    /** A JDBC connection to the state for raw SQL, as the superuser for PostgreSQL. */
    Connection connect() throws SQLException {
        if (database == null) {
            return DriverManager.getConnection("jdbc:sqlite:" + dir.resolve(StateStore.FILE_NAME));
        }
        return connect(database);
    }

    private static Connection connect(String db) throws SQLException {
        PgCluster pg = cluster();
        Properties p = new Properties();
        p.setProperty("user", pg.superuser());
        p.setProperty("password", pg.password());
        return DriverManager.getConnection("jdbc:postgresql://" + pg.host() + ":" + pg.port() + "/" + db, p);
    }

    /** Everything the database keeps, as text: SQLite's files (WAL included), or every row of every table. */
    String everythingStored() throws Exception {
        StringBuilder all = new StringBuilder();
        if (database == null) {
            try (Stream<Path> files = Files.list(dir)) {
                for (Path f : files.toList()) {
                    all.append(new String(Files.readAllBytes(f), StandardCharsets.ISO_8859_1));
                }
            }
            return all.toString();
        }
        String tables = cluster().psql(database, "SELECT tablename FROM pg_tables WHERE schemaname = 'public'");
        for (String t : tables.lines().toList()) {
            all.append(cluster().psql(database, "SELECT t::text FROM " + PgCluster.quoteIdent(t) + " t")).append('\n');
        }
        return all.toString();
    }

    private static void execute(String db, String sql) {
        try (Connection c = connect(db); Statement st = c.createStatement()) {
            st.execute(sql);
        } catch (SQLException e) {
            throw new IllegalStateException(sql + ": " + e.getMessage(), e);
        }
    }

    @Override
    public void close() {
        for (StateStore s : opened) {
            s.close();
        }
        if (database != null) {
            execute("postgres", "DROP DATABASE IF EXISTS " + PgCluster.quoteIdent(database) + " WITH (FORCE)");
        }
    }
}
