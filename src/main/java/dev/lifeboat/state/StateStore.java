package dev.lifeboat.state;

import dev.lifeboat.core.ErrorCode;
import dev.lifeboat.core.LifeboatException;
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
import java.util.Set;

/**
 * The embedded state of {@code lifeboat serve}: API tokens, job history, audit log and settings changed
 * through the API, in one SQLite file, {@code <dataDir>/state.db}. Backups never depend on it: the
 * repository alone is enough to restore.
 *
 * <p>Contract:
 * <ul>
 * <li>{@link #open} creates the folder (0700) and the file (0600) when missing, then applies the
 *     migrations of {@code classpath:db/migration/sqlite} ({@code V1__init.sql}, ...) with Flyway, which
 *     records them in {@code flyway_schema_history}; reopening applies nothing twice.</li>
 * <li>The file is in WAL mode; SQLite gives {@code state.db-wal} and {@code -shm} the database file's
 *     permissions, and {@link #open} sets them to 0600 as well.</li>
 * <li>One connection serves every caller; calls are serialized, each statement commits on its own.</li>
 * <li>Failures of the file (unwritable, full, corrupt) are {@link LifeboatException}s with
 *     {@link ErrorCode#STORAGE}.</li>
 * </ul>
 */
public final class StateStore implements AutoCloseable {
    public static final String FILE_NAME = "state.db";
    public static final String DATA_DIR_ENV = "LIFEBOAT_DATA_DIR";
    public static final Path DEFAULT_DATA_DIR = Path.of("lifeboat-data");
    static final String MIGRATIONS = "classpath:db/migration/sqlite";

    private static final Set<PosixFilePermission> DIR_MODE = PosixFilePermissions.fromString("rwx------");
    private static final Set<PosixFilePermission> FILE_MODE = PosixFilePermissions.fromString("rw-------");

    private final Path file;
    private final Connection connection;
    private final Clock clock;
    private final TokenStore tokens;
    private final AuditLog audit;
    private final JobHistory jobs;

    private StateStore(Path file, Connection connection, Clock clock) {
        this.file = file;
        this.connection = connection;
        this.clock = clock;
        this.tokens = new TokenStore(this);
        this.audit = new AuditLog(this);
        this.jobs = new JobHistory(this);
    }

    /** The data folder: {@code option} when given, else {@code LIFEBOAT_DATA_DIR}, else {@code ./lifeboat-data}. */
    public static Path dataDir(Path option, Map<String, String> env) {
        if (option != null) {
            return option;
        }
        String fromEnv = env.get(DATA_DIR_ENV);
        return fromEnv != null && !fromEnv.isBlank() ? Path.of(fromEnv) : DEFAULT_DATA_DIR;
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
            return new StateStore(file, connection, clock);
        } catch (SQLException | FlywayException | IOException e) {
            closeQuietly(connection, e);
            throw new LifeboatException(ErrorCode.STORAGE, "cannot open state database " + file + ": "
                    + e.getMessage(), "check that " + dataDir + " is writable and not full, or choose another "
                    + "folder with --data-dir or " + DATA_DIR_ENV, e);
        }
    }

    /** The database file. */
    public Path file() {
        return file;
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

    /** Runs {@code work} alone on the connection; SQL errors become user errors naming the file. */
    <T> T call(String what, Work<T> work) {
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
