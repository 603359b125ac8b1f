package dev.lifeboat.state;

import dev.lifeboat.core.ErrorCode;
import dev.lifeboat.core.LifeboatException;
import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.FlywayException;
import org.sqlite.SQLiteConfig;

import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.time.Clock;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.sql.DataSource;

/**
 * The state of {@code lifeboat serve}: API tokens, web sessions, confirmation tokens, job history, audit log and
 * settings changed through the API. By default it is one SQLite file, {@code <dataDir>/state.db}; with
 * {@code --state postgres://...} (or {@code LIFEBOAT_STATE}) it is a PostgreSQL database, which several service
 * instances can share. Backups never depend on it: the repository alone is enough to restore.
 *
 * <p>Contract:
 * <ul>
 * <li>{@link #open} brings the schema up to date with Flyway, from {@code classpath:db/migration/sqlite} or
 *     {@code classpath:db/migration/postgres}. The two folders hold the same versions ({@code V1__init.sql},
 *     {@code V2__service.sql}, ...) with the same tables and columns; Flyway records them in
 *     {@code flyway_schema_history}, and reopening applies nothing twice.</li>
 * <li>Times are fixed-width ISO-8601 UTC text with milliseconds in both databases (PostgreSQL columns use the
 *     {@code "C"} collation), so text order is time order and both sort alike.</li>
 * <li>SQLite: {@link #open} creates the folder (0700) and the file (0600) when missing. The file is in WAL mode;
 *     SQLite gives {@code state.db-wal} and {@code -shm} the database file's permissions, and {@link #open}
 *     sets them to 0600 as well. One connection serves every caller; calls are serialized, each statement
 *     commits on its own.</li>
 * <li>PostgreSQL: a small HikariCP pool (at most {@value #POOL_SIZE} connections), each statement commits on
 *     its own; the stores make every check-then-write a single conditional statement, so concurrent instances
 *     cannot both win. The password (from the URI, else {@code PGPASSWORD}, else {@code ~/.pgpass}) is never
 *     in {@link #describe()}, in a message or in a log line.</li>
 * <li>Failures of the database (unwritable, full, corrupt, unreachable) are {@link LifeboatException}s with
 *     {@link ErrorCode#STORAGE}; a malformed {@code --state} is {@link ErrorCode#USAGE}.</li>
 * </ul>
 */
public final class StateStore implements AutoCloseable {
    public static final String FILE_NAME = "state.db";
    /** The variables of the data folder and of the state location, as messages name them (Settings reads them). */
    public static final String DATA_DIR_ENV = "LIFEBOAT_DATA_DIR";
    public static final String STATE_ENV = "LIFEBOAT_STATE";
    public static final Path DEFAULT_DATA_DIR = Path.of("lifeboat-data");
    static final String MIGRATIONS = "classpath:db/migration/sqlite";
    static final String POSTGRES_MIGRATIONS = "classpath:db/migration/postgres";
    /** Connections of the PostgreSQL pool, shared by the stores and db-scheduler. */
    static final int POOL_SIZE = 4;

    private static final Set<PosixFilePermission> DIR_MODE = PosixFilePermissions.fromString("rwx------");
    private static final Set<PosixFilePermission> FILE_MODE = PosixFilePermissions.fromString("rw-------");

    private final Dialect dialect;
    private final String location;
    private final Path file;
    private final Connection connection;
    private final HikariDataSource pool;
    private final PgLocation pgLocation;
    private final Clock clock;
    private final TokenStore tokens;
    private final AuditLog audit;
    private final JobHistory jobs;
    private final ConfirmationStore confirmations;
    private final SessionStore sessions;
    private final SettingsStore settings;

    private StateStore(Dialect dialect, String location, Path file, Connection connection, HikariDataSource pool,
                       PgLocation pgLocation, Clock clock) {
        this.dialect = dialect;
        this.location = location;
        this.file = file;
        this.connection = connection;
        this.pool = pool;
        this.pgLocation = pgLocation;
        this.clock = clock;
        this.tokens = new TokenStore(this);
        this.audit = new AuditLog(this);
        this.jobs = new JobHistory(this);
        this.confirmations = new ConfirmationStore(this);
        this.sessions = new SessionStore(this);
        this.settings = new SettingsStore(this);
    }

    /** Whether {@code location} names a PostgreSQL database, as {@link #open(String, Path, Clock)} takes it. */
    public static boolean isPostgresLocation(String location) {
        return PgLocation.isPostgres(location);
    }

    /**
     * Opens the state at {@code stateUrl}: null or blank for SQLite in {@code dataDir}; a {@code postgres://}
     * or {@code postgresql://} URI, or a {@code jdbc:postgresql:} URL, for PostgreSQL (nothing is then written to
     * {@code dataDir}; null there is {@link #DEFAULT_DATA_DIR}). The password comes from the URI, else
     * {@code PGPASSWORD}, else {@code ~/.pgpass}: like libpq, the {@code PG*} variables of the process's
     * environment fill in what the URI leaves out.
     *
     * @throws LifeboatException {@link ErrorCode#USAGE} for another kind of location, {@link ErrorCode#STORAGE}
     *         when the database cannot be opened or migrated
     */
    public static StateStore open(String stateUrl, Path dataDir, Clock clock) {
        return open(stateUrl, dataDir, clock, System.getenv());
    }

    static StateStore open(String stateUrl, Path dataDir, Clock clock, Map<String, String> env) {
        if (stateUrl == null || stateUrl.isBlank()) {
            return open(dataDir != null ? dataDir : DEFAULT_DATA_DIR, clock);
        }
        if (PgLocation.isPostgres(stateUrl)) {
            return openPostgres(PgLocation.parse(stateUrl, env), clock);
        }
        Matcher scheme = SCHEME.matcher(stateUrl.strip());
        throw new LifeboatException(ErrorCode.USAGE, scheme.lookingAt()
                ? "unsupported state location '" + scheme.group(1) + ":...'"
                : "unsupported state location: not a postgres:// URI",
                "give --state (or " + STATE_ENV + ") as postgres://user@host:port/database, or leave it unset "
                        + "for SQLite in the data folder (--data-dir or " + DATA_DIR_ENV + ")");
    }

    private static final Pattern SCHEME = Pattern.compile("([A-Za-z][A-Za-z0-9+.-]*):");

    private static StateStore openPostgres(PgLocation at, Clock clock) {
        // One plain connection first: a wrong password or an unreachable server then fails here, with one
        // clear message, rather than inside the pool (which logs the failure with a stack trace).
        try (Connection probe = new org.postgresql.Driver().connect(at.jdbcUrl(), at.connectionProperties())) {
            if (probe == null) {
                throw new LifeboatException(ErrorCode.USAGE, "the PostgreSQL driver does not accept " + at,
                        "give --state as postgres://user@host:port/database");
            }
        } catch (SQLException e) {
            throw new LifeboatException(ErrorCode.STORAGE, "cannot connect to state database " + at + ": "
                    + at.scrub(e.getMessage()), "check that PostgreSQL is up and reachable there, and the user and "
                    + "password (in the URI, PGPASSWORD or ~/.pgpass)", scrubbed(e, at));
        }
        HikariDataSource pool = null;
        try {
            HikariConfig config = new HikariConfig();
            config.setPoolName("lifeboat-state");
            config.setDriverClassName("org.postgresql.Driver");
            config.setJdbcUrl(at.jdbcUrl());
            config.setUsername(at.user());
            config.setPassword(at.password());
            config.setDataSourceProperties(at.properties());
            config.setMaximumPoolSize(POOL_SIZE);
            config.setMinimumIdle(1);
            config.setConnectionTimeout(10_000);
            pool = new HikariDataSource(config);
            Flyway.configure()
                    .dataSource(pool)
                    .locations(POSTGRES_MIGRATIONS)
                    .failOnMissingLocations(true)
                    .load()
                    .migrate();
            return new StateStore(Dialect.POSTGRES, at.display(), null, null, pool, at, clock);
        } catch (RuntimeException e) { // FlywayException, HikariPool.PoolInitializationException
            if (pool != null) {
                pool.close();
            }
            throw new LifeboatException(ErrorCode.STORAGE, "cannot open state database " + at + ": "
                    + at.scrub(e.getMessage()), "check that the user may create tables in that database, and that "
                    + "no other program changed its flyway_schema_history", scrubbed(e, at));
        }
    }

    /** {@code e} itself, or a stand-in without the password should its message somehow hold it. */
    private static Throwable scrubbed(Throwable e, PgLocation at) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            String m = t.getMessage();
            if (m != null && !m.equals(at.scrub(m))) {
                return new SQLException(at.scrub(e.getMessage()));
            }
        }
        return e;
    }

    public static StateStore open(Path dataDir) {
        return open(dataDir, Clock.systemUTC());
    }

    /** Opens, creating when missing, {@code dataDir/state.db} and brings its schema up to date. */
    public static StateStore open(Path dataDir, Clock clock) {
        Path file = dataDir.resolve(FILE_NAME);
        createPrivately(dataDir, file);
        String url = "jdbc:sqlite:" + file.toAbsolutePath();
        Connection connection = null;
        try {
            SQLiteConfig config = new SQLiteConfig();
            config.setJournalMode(SQLiteConfig.JournalMode.WAL);
            config.setSynchronous(SQLiteConfig.SynchronousMode.NORMAL);
            config.setBusyTimeout(10_000);
            config.enforceForeignKeys(true);
            connection = DriverManager.getConnection(url, config.toProperties());
            Flyway.configure()
                    .dataSource(url, null, null)
                    .locations(MIGRATIONS)
                    .failOnMissingLocations(true)
                    .load()
                    .migrate();
            restrict(file.resolveSibling(FILE_NAME + "-wal"));
            restrict(file.resolveSibling(FILE_NAME + "-shm"));
            return new StateStore(Dialect.SQLITE, file.toString(), file, connection, null, null, clock);
        } catch (SQLException | FlywayException | IOException e) {
            closeQuietly(connection, e);
            throw new LifeboatException(ErrorCode.STORAGE, "cannot open state database " + file + ": "
                    + e.getMessage(), "check that " + dataDir + " is writable and not full, or choose another "
                    + "folder with --data-dir or " + DATA_DIR_ENV, e);
        }
    }

    /** The SQLite database file; null for PostgreSQL. */
    public Path file() {
        return file;
    }

    /** Whether the state is in PostgreSQL (else SQLite). */
    public boolean isPostgres() {
        return dialect == Dialect.POSTGRES;
    }

    /**
     * Where the state is, for people: the SQLite file's path, or {@code postgres://user@host:port/db?...}
     * without the password.
     */
    public String describe() {
        return location;
    }

    /**
     * The connection pool of the PostgreSQL state, for other components that keep their tables next to it
     * (db-scheduler); empty for SQLite. Closed by {@link #close()}.
     */
    public Optional<DataSource> postgresDataSource() {
        return Optional.ofNullable(pool);
    }

    public ConfirmationStore confirmations() {
        return confirmations;
    }

    public SessionStore sessions() {
        return sessions;
    }

    public SettingsStore settings() {
        return settings;
    }

    public TokenStore tokens() {
        return tokens;
    }

    public AuditLog audit() {
        return audit;
    }

    public JobHistory jobs() {
        return jobs;
    }

    @Override
    public void close() {
        if (pool != null) {
            pool.close();
            return;
        }
        synchronized (connection) {
            try {
                connection.close();
            } catch (SQLException e) {
                throw failure("close", e);
            }
        }
    }

    Clock clock() {
        return clock;
    }

    Dialect dialect() {
        return dialect;
    }

    /**
     * Runs {@code work} on a connection in auto-commit mode: SQLite's one connection, alone; or one of the
     * PostgreSQL pool. SQL errors become user errors naming the database.
     */
    <T> T call(String what, Work<T> work) {
        if (pool != null) {
            try (Connection c = pool.getConnection()) {
                return work.run(c);
            } catch (SQLException e) {
                throw failure(what, e);
            }
        }
        synchronized (connection) {
            try {
                return work.run(connection);
            } catch (SQLException e) {
                throw failure(what, e);
            }
        }
    }

    interface Work<T> {
        T run(Connection c) throws SQLException;
    }

    private LifeboatException failure(String what, SQLException e) {
        if (pgLocation != null) {
            return new LifeboatException(ErrorCode.STORAGE, "state database " + location + ": cannot " + what
                    + ": " + pgLocation.scrub(e.getMessage()), "check that PostgreSQL is up and reachable there",
                    scrubbed(e, pgLocation));
        }
        return new LifeboatException(ErrorCode.STORAGE, "state database " + file + ": cannot " + what + ": "
                + e.getMessage(), "check that " + file.getParent() + " is writable and not full", e);
    }

    /** Creates the folder 0700 and an empty database file 0600 (SQLite takes an empty file as a new database). */
    private static void createPrivately(Path dir, Path file) {
        boolean posix = FileSystems.getDefault().supportedFileAttributeViews().contains("posix");
        try {
            if (!Files.isDirectory(dir)) {
                if (Files.exists(dir)) {
                    throw new LifeboatException(ErrorCode.USAGE, "data folder " + dir + " is not a folder",
                            "give a folder with --data-dir or " + DATA_DIR_ENV);
                }
                Files.createDirectories(dir);
                if (posix) {
                    Files.setPosixFilePermissions(dir, DIR_MODE);
                }
            }
            if (!Files.exists(file)) {
                try {
                    if (posix) {
                        Files.createFile(file, PosixFilePermissions.asFileAttribute(FILE_MODE));
                        Files.setPosixFilePermissions(file, FILE_MODE); // in case the umask took bits away
                    } else {
                        Files.createFile(file);
                    }
                } catch (FileAlreadyExistsException raced) {
                    // another process created it first; it set the permissions
                }
            }
        } catch (IOException e) {
            throw new LifeboatException(ErrorCode.STORAGE, "cannot create state database " + file + ": " + e,
                    "check that the parent folder is writable, or choose another folder with --data-dir or "
                            + DATA_DIR_ENV, e);
        }
    }

    private static void restrict(Path sidecar) throws IOException {
        if (Files.exists(sidecar) && FileSystems.getDefault().supportedFileAttributeViews().contains("posix")) {
            try {
                Files.setPosixFilePermissions(sidecar, FILE_MODE);
            } catch (java.nio.file.NoSuchFileException gone) {
                // removed by a checkpoint of another process meanwhile
            }
        }
    }

    private static void closeQuietly(Connection c, Exception cause) {
        if (c != null) {
            try {
                c.close();
            } catch (SQLException e) {
                cause.addSuppressed(e);
            }
        }
    }
}
