package dev.lifeboat.testing;

import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A throwaway PostgreSQL cluster for tests, made from the server binaries installed on the machine.
 *
 * <p>{@link #start()} runs {@code initdb} into a fresh temporary folder and starts the server with
 * {@code pg_ctl -w}. The server listens on 127.0.0.1 only, on a free port, with its unix socket inside that
 * folder; host connections need the superuser {@value #SUPERUSER} and a random password
 * (scram-sha-256). Durability is off ({@code fsync}, {@code synchronous_commit}, {@code full_page_writes})
 * and the server time zone is UTC. The server log goes to {@code target/postgres-logs/}, where it stays
 * after {@link #close()}.
 *
 * <p>initdb and postgres refuse to run as root. When the tests run as root (as on CI), the cluster is made and
 * run as an unprivileged OS user: the system property {@code lifeboat.pg.osUser} if set, else {@code postgres}
 * (created by Debian's postgresql packages), else {@code nobody}. Only initdb and pg_ctl run as that user
 * (through {@code setpriv}, or {@code runuser} where setpriv is missing); clients such as psql, pg_dump and
 * pg_restore run as the test's own user and connect over TCP with the password.
 *
 * <p>Which binaries: the system property {@code lifeboat.pg.bindir} if set, else the newest (or the asked-for)
 * major under {@code /usr/lib/postgresql/<major>/bin} (Debian, Ubuntu), else {@code initdb} on the PATH.
 *
 * <p>Most tests should use {@link #shared()}, one cluster for every test class in the JVM; tests that stop
 * the server ({@link #kill()}) or change cluster-wide settings should {@link #start()} their own.
 * Client tools get the password through {@code PGPASSWORD}; every method that runs one throws
 * {@link CommandException}, which carries the tool's standard error, when it exits non-zero.
 */
public final class PgCluster implements AutoCloseable {

    /** Name of the cluster's superuser, made by initdb. */
    public static final String SUPERUSER = "lifeboat_admin";

    /** Key of {@link #tableRows(String)} under which the large objects' fingerprint is kept. */
    public static final String LARGE_OBJECTS_KEY = "pg_catalog.pg_largeobject";

    /** Value of {@link #tableRows(String)} for a materialized view created {@code WITH NO DATA}. */
    public static final String NOT_POPULATED = "not populated";

    private static final Logger log = LoggerFactory.getLogger(PgCluster.class);
    private static final Path DEBIAN_ROOT = Path.of("/usr/lib/postgresql");
    private static final String HOST = "127.0.0.1";
    private static final Duration TOOL_TIMEOUT = Duration.ofMinutes(10);
    private static final String FIELD_SEPARATOR = "\u001f";
    private static final String MARKER = "#lifeboat-table# ";
    private static final Pattern VERSION = Pattern.compile("\\(PostgreSQL\\) (\\d+)");
    private static final SecureRandom RANDOM = new SecureRandom();

    /** Session settings that make the text form of every value independent of the client and server. */
    private static final String STABLE_OUTPUT_SETTINGS = String.join("\n",
            "SET TimeZone = 'UTC';",
            "SET DateStyle = 'ISO, YMD';",
            "SET IntervalStyle = 'postgres';",
            "SET extra_float_digits = 1;",
            "SET bytea_output = 'hex';",
            "SET xmloption = 'content';",
            "SET row_security = off;",
            "");

    private static PgCluster shared;

    private final Path binDir;
    private final int majorVersion;
    private final Path baseDir;
    private final Path dataDir;
    private final Path logFile;
    private final String password;
    private final List<String> asServerUser;
    private final boolean isShared;
    private final Thread shutdownHook;
    private volatile int port;
    private volatile boolean running;
    private volatile boolean closed;

    /** Thrown when a PostgreSQL program exits with an error; the message includes its standard error. */
    public static final class CommandException extends RuntimeException {
        private static final long serialVersionUID = 1L;
        private final int exitCode;
        private final String stderr;

        CommandException(List<String> command, int exitCode, String stderr) {
            super(Path.of(command.get(0)).getFileName() + " exited with " + exitCode + ": " + stderr.strip());
            this.exitCode = exitCode;
            this.stderr = stderr;
        }

        public int exitCode() {
            return exitCode;
        }

        public String stderr() {
            return stderr;
        }
    }

    private PgCluster(Path binDir, boolean isShared) throws IOException {
        this(binDir, isShared, null, Map.of());
    }

    /** A new cluster; with a {@code primary}, a streaming standby of it made by pg_basebackup, with {@code settings}. */
    private PgCluster(Path binDir, boolean isShared, PgCluster primary, Map<String, String> settings) throws IOException {
        long startedAt = System.nanoTime();
        this.binDir = binDir;
        this.majorVersion = readMajorVersion(binDir);
        this.isShared = isShared;
        this.password = primary != null ? primary.password : newPassword();
        Optional<OsUser> serverUser = serverUser();
        this.asServerUser = serverUser.map(PgCluster::switchUserPrefix).orElse(List.of());

        Path logDir = Path.of(System.getProperty("lifeboat.pg.logdir", "target/postgres-logs")).toAbsolutePath();
        Files.createDirectories(logDir);
        Path tmpRoot = Path.of(System.getProperty("lifeboat.pg.tmpdir", System.getProperty("java.io.tmpdir")));
        this.baseDir = Files.createTempDirectory(tmpRoot, "lifeboat-pg-");
        this.dataDir = baseDir.resolve("data");
        this.logFile = logDir.resolve(baseDir.getFileName() + ".log");
        this.shutdownHook = new Thread(this::closeQuietly, "stop " + baseDir.getFileName());
        Runtime.getRuntime().addShutdownHook(shutdownHook);
        try {
            if (serverUser.isPresent()) {
                Files.setAttribute(baseDir, "unix:uid", serverUser.get().uid());
                Files.setAttribute(baseDir, "unix:gid", serverUser.get().gid());
            }
            if (primary == null) {
                initdb(serverUser);
            } else {
                baseBackup(primary, serverUser, settings);
            }
            startServer(true);
        } catch (IOException | RuntimeException e) {
            closeQuietly();
            throw e;
        }
        log.info("PostgreSQL {} started on {}:{} in {} ms (data {}, log {})", majorVersion, HOST, port,
                TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startedAt), dataDir, logFile);
    }

    /** Starts a new cluster with the newest installed PostgreSQL. The caller closes it. */
    public static PgCluster start() {
        return start(OptionalInt.empty(), false);
    }

    /** Starts a new cluster with the given installed major version (e.g. 15). The caller closes it. */
    public static PgCluster start(int majorVersion) {
        return start(OptionalInt.of(majorVersion), false);
    }

    /**
     * The cluster shared by all test classes of this JVM, started on first use and stopped when the JVM exits.
     * Its major version is the system property {@code lifeboat.pg.major} if set, else the newest installed.
     * Do not close or kill it; use your own database names, and drop them when done if they are large.
     */
    public static synchronized PgCluster shared() {
        if (shared == null || shared.closed) {
            String major = System.getProperty("lifeboat.pg.major", "");
            shared = start(major.isBlank() ? OptionalInt.empty() : OptionalInt.of(Integer.parseInt(major.strip())), true);
        }
        return shared;
    }

    /** Whether PostgreSQL server binaries were found, for tests that want to skip rather than fail without them. */
    public static boolean isInstalled() {
        try {
            findBinDir(OptionalInt.empty());
            return true;
        } catch (IllegalStateException e) {
            return false;
        }
    }

    private static PgCluster start(OptionalInt majorVersion, boolean isShared) {
        try {
            return new PgCluster(findBinDir(majorVersion), isShared);
        } catch (IOException e) {
            throw new UncheckedIOException("could not start a PostgreSQL test cluster", e);
        }
    }

    // ---- connection facts ------------------------------------------------------------------------------

    public String host() {
        return HOST;
    }

    public int port() {
        return port;
    }

    public String superuser() {
        return SUPERUSER;
    }

    /** The superuser's password. It contains characters that must be escaped in URLs and connection strings. */
    public String password() {
        return password;
    }

    /** {@code postgres://user:password@127.0.0.1:port/db}, with user, password and db percent-encoded. */
    public String url(String db) {
        return "postgres://" + urlEncode(SUPERUSER) + ":" + urlEncode(password) + "@" + HOST + ":" + port + "/"
                + urlEncode(db);
    }

    /** The folder holding initdb, pg_ctl, psql, pg_dump and pg_restore of this cluster's version. */
    public Path binDir() {
        return binDir;
    }

    public int majorVersion() {
        return majorVersion;
    }

    /** The server log, kept after {@link #close()}. */
    public Path logFile() {
        return logFile;
    }

    public boolean isRunning() {
        return running;
    }

    /**
     * Environment for a libpq client of this cluster: the current environment without its {@code PG*}
     * variables, plus PGHOST, PGPORT, PGUSER, PGPASSWORD and PGCLIENTENCODING=UTF8.
     */
    public Map<String, String> clientEnvironment() {
        Map<String, String> env = environmentWithoutPgVariables();
        env.put("PGHOST", HOST);
        env.put("PGPORT", Integer.toString(port));
        env.put("PGUSER", SUPERUSER);
        env.put("PGPASSWORD", password);
        env.put("PGCLIENTENCODING", "UTF8");
        env.put("PGCONNECT_TIMEOUT", "10");
        return env;
    }

    // ---- SQL -------------------------------------------------------------------------------------------

    /** Creates an empty database from template0 (as pg_restore wants), encoding UTF8. */
    public void createDatabase(String db) {
        psql("postgres", "CREATE DATABASE " + quoteIdent(db) + " TEMPLATE template0 ENCODING 'UTF8'");
    }

    /**
     * Drops the database if it exists, ending its sessions. Its subscriptions, which would keep it, are detached
     * from their slots (on a publisher that the tests never run) and dropped first.
     */
    public void dropDatabase(String db) {
        if (!psql("postgres", "SELECT 1 FROM pg_database WHERE datname = '" + db.replace("'", "''") + "'").isEmpty()) {
            psql(db, """
                    DO $$
                    DECLARE s record;
                    BEGIN
                      FOR s IN SELECT subname FROM pg_subscription
                               WHERE subdbid = (SELECT oid FROM pg_database WHERE datname = current_database()) LOOP
                        EXECUTE format('ALTER SUBSCRIPTION %I DISABLE', s.subname);
                        EXECUTE format('ALTER SUBSCRIPTION %I SET (slot_name = NONE)', s.subname);
                        EXECUTE format('DROP SUBSCRIPTION %I', s.subname);
                      END LOOP;
                    END
                    $$""");
        }
        psql("postgres", "DROP DATABASE IF EXISTS " + quoteIdent(db) + " WITH (FORCE)");
    }

    /**
     * Runs SQL (one or more statements, psql meta-commands allowed) with
     * {@code psql -X -q -v ON_ERROR_STOP=1 -At} and returns its standard output without the final newline:
     * one line per row, columns separated by {@code |}.
     */
    public String psql(String db, String sql) {
        String out = runPsql(db, sql.getBytes(StandardCharsets.UTF_8), List.of());
        return out.endsWith("\n") ? out.substring(0, out.length() - 1) : out;
    }

    /** Runs a SQL script from the test class path (e.g. {@code fixtures/rich.sql}) in the database with psql. */
    public void loadFixture(String db, String resource) {
        try (InputStream in = PgCluster.class.getClassLoader().getResourceAsStream(resource)) {
            if (in == null) {
                throw new IllegalArgumentException("no test resource " + resource);
            }
            runPsql(db, in.readAllBytes(), List.of());
        } catch (IOException e) {
            throw new UncheckedIOException("could not read test resource " + resource, e);
        }
    }

    /**
     * Runs a program from {@link #binDir()} (e.g. {@code pg_dump}) with {@link #clientEnvironment()} and returns
     * its standard output.
     */
    public String runTool(String tool, String... args) {
        List<String> command = new ArrayList<>();
        command.add(binDir.resolve(tool).toString());
        command.addAll(Arrays.asList(args));
        return new String(exec(command, clientEnvironment(), null, InputStream::readAllBytes), StandardCharsets.UTF_8);
    }

    // ---- comparing databases -----------------------------------------------------------------------------

    /**
     * {@code pg_dump --schema-only} of the database, without the lines that differ between two dumps of the
     * same schema: the <code>&#92;restrict</code>/<code>&#92;unrestrict</code> lines with their random key (pg_dump 17.6, 16.10,
     * 15.14 and later) and the {@code Started on}/{@code Completed on} time stamps.
     */
    public String schemaDump(String db) {
        String dump = runTool("pg_dump", "--schema-only", "--no-password", "-h", HOST, "-p", Integer.toString(port),
                "-U", SUPERUSER, "-d", db);
        return dump.lines()
                .filter(line -> !line.startsWith("\\restrict ") && !line.startsWith("\\unrestrict "))
                .filter(line -> !line.startsWith("-- Started on ") && !line.startsWith("-- Completed on "))
                .collect(Collectors.joining("\n", "", "\n"));
    }

    /**
     * A fingerprint of every row of every table in the database, by schema-qualified name
     * ({@code schema.table}, unquoted), sorted by name. Equal maps mean equal data.
     *
     * <p>It covers ordinary tables (each leaf partition and each inheritance child on its own, the partitioned
     * parents having no rows of their own), unlogged tables and materialized views, in every schema but the
     * system ones, and not tables that belong to an extension. A table's value is {@code rows=N sha256=H}, where
     * H hashes the text form of every row, all columns, sorted. A materialized view created WITH NO DATA has
     * {@value #NOT_POPULATED}. Sequences are included too, as {@code last_value=N is_called=B}, and the large
     * objects under {@value #LARGE_OBJECTS_KEY}, as {@code objects=N sha256=H} over {@link #largeObjects(String)}.
     */
    public SortedMap<String, String> tableRows(String db) {
        List<Relation> relations = relations(db);
        StringBuilder script = new StringBuilder(STABLE_OUTPUT_SETTINGS);
        for (int i = 0; i < relations.size(); i++) {
            Relation relation = relations.get(i);
            String query = switch (relation.kind()) {
                case "S" -> "SELECT 'last_value=' || last_value || ' is_called=' || is_called FROM " + relation.sql();
                case "m" -> relation.populated() ? rowsQuery("", relation.sql()) : null;
                default -> rowsQuery("ONLY ", relation.sql());
            };
            if (query != null) {
                script.append("\\echo '").append(MARKER).append(i).append("'\n");
                script.append("COPY (").append(query).append(") TO STDOUT;\n");
            }
        }

        Map<Integer, Fingerprint> fingerprints = new LinkedHashMap<>();
        exec(psqlCommand(db, List.of()), clientEnvironment(), script.toString().getBytes(StandardCharsets.UTF_8),
                stdout -> {
                    BufferedReader reader = new BufferedReader(new InputStreamReader(stdout, StandardCharsets.UTF_8));
                    Fingerprint current = null;
                    for (String line = reader.readLine(); line != null; line = reader.readLine()) {
                        if (line.startsWith(MARKER)) {
                            current = new Fingerprint();
                            fingerprints.put(Integer.parseInt(line.substring(MARKER.length())), current);
                        } else if (current == null) {
                            throw new IllegalStateException("unexpected psql output before the first table: " + line);
                        } else {
                            current.add(line);
                        }
                    }
                    return null;
                });

        SortedMap<String, String> result = new TreeMap<>();
        for (int i = 0; i < relations.size(); i++) {
            Relation relation = relations.get(i);
            Fingerprint fingerprint = fingerprints.get(i);
            String value;
            if (relation.kind().equals("S")) {
                value = fingerprint == null ? "" : fingerprint.firstLine;
            } else if (fingerprint == null) {
                value = NOT_POPULATED;
            } else {
                value = "rows=" + fingerprint.count + " sha256=" + fingerprint.sha256();
            }
            result.put(relation.name(), value);
        }
        Fingerprint largeObjects = new Fingerprint();
        largeObjects(db).forEach((oid, description) -> largeObjects.add(oid + " " + description));
        result.put(LARGE_OBJECTS_KEY, "objects=" + largeObjects.count + " sha256=" + largeObjects.sha256());
        return result;
    }

    /**
     * Every large object of the database by OID, as
     * {@code size=N sha256=H owner=R acl=A comment=C} (ACL and comment empty when unset; the comment escaped as
     * in COPY text format).
     */
    public SortedMap<Long, String> largeObjects(String db) {
        String query = "SELECT m.oid, 'size=' || length(pg_catalog.lo_get(m.oid))"
                + " || ' sha256=' || encode(pg_catalog.sha256(pg_catalog.lo_get(m.oid)), 'hex')"
                + " || ' owner=' || pg_catalog.pg_get_userbyid(m.lomowner)"
                + " || ' acl=' || coalesce(m.lomacl::text, '')"
                + " || ' comment=' || coalesce(pg_catalog.obj_description(m.oid, 'pg_largeobject'), '')"
                + " FROM pg_catalog.pg_largeobject_metadata m ORDER BY m.oid";
        SortedMap<Long, String> result = new TreeMap<>();
        String out = runPsql(db, ("COPY (" + query + ") TO STDOUT").getBytes(StandardCharsets.UTF_8), List.of());
        for (String line : out.split("\n")) {
            if (!line.isEmpty()) {
                int tab = line.indexOf('\t');
                result.put(Long.parseLong(line.substring(0, tab)), line.substring(tab + 1));
            }
        }
        return result;
    }

    private record Relation(String kind, boolean populated, String name, String sql) {}

    private List<Relation> relations(String db) {
        String query = "SELECT c.relkind, c.relispopulated, n.nspname || '.' || c.relname,"
                + " format('%I.%I', n.nspname, c.relname)"
                + " FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace"
                + " WHERE c.relkind IN ('r', 'm', 'S') AND c.relpersistence <> 't'"
                + " AND n.nspname <> 'information_schema' AND n.nspname !~ '^pg_'"
                + " AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend d WHERE d.classid = 'pg_catalog.pg_class'::regclass"
                + " AND d.objid = c.oid AND d.deptype = 'e')"
                + " ORDER BY 3";
        String out = runPsql(db, query.getBytes(StandardCharsets.UTF_8), List.of("-F", FIELD_SEPARATOR));
        List<Relation> relations = new ArrayList<>();
        for (String line : out.split("\n")) {
            if (!line.isEmpty()) {
                String[] fields = line.split(FIELD_SEPARATOR, -1);
                relations.add(new Relation(fields[0], fields[1].equals("t"), fields[2], fields[3]));
            }
        }
        return relations;
    }

    /** All rows of a table as text, sorted bytewise; the alias is one no sane column is named. */
    private static String rowsQuery(String only, String table) {
        return "SELECT \"lifeboat row\"::text FROM " + only + table + " AS \"lifeboat row\""
                + " ORDER BY \"lifeboat row\"::text COLLATE \"C\"";
    }

    private static final class Fingerprint {
        private final MessageDigest digest;
        private String firstLine = "";
        private long count;

        Fingerprint() {
            try {
                digest = MessageDigest.getInstance("SHA-256");
            } catch (NoSuchAlgorithmException e) {
                throw new IllegalStateException(e);
            }
        }

        void add(String line) {
            digest.update(line.getBytes(StandardCharsets.UTF_8));
            digest.update((byte) '\n');
            if (count == 0) {
                firstLine = line;
            }
            count++;
        }

        String sha256() {
            return HexFormat.of().formatHex(digest.digest());
        }
    }

    // ---- life cycle ---------------------------------------------------------------------------------------

    /** Stops the server at once ({@code pg_ctl stop -m immediate}), as a crash would; {@link #restart()} undoes it. */
    public synchronized void kill() {
        if (isShared) {
            throw new UnsupportedOperationException(
                    "kill() would stop the shared cluster under other test classes; use PgCluster.start() for your own");
        }
        stopServer();
    }

    /** Starts the server again on the same port, after {@link #kill()}. */
    public synchronized void restart() {
        if (closed) {
            throw new IllegalStateException("the cluster is closed");
        }
        if (!running) {
            try {
                startServer(false);
            } catch (IOException e) {
                throw new UncheckedIOException("could not restart PostgreSQL in " + dataDir, e);
            }
        }
    }

    /** Stops the server at once and deletes its folder. The log stays. Closing twice does nothing. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            Runtime.getRuntime().removeShutdownHook(shutdownHook);
        } catch (IllegalStateException e) {
            // the JVM is shutting down, and this may be the hook itself
        }
        try {
            stopServer();
        } finally {
            deleteRecursively(baseDir);
        }
    }

    private void closeQuietly() {
        try {
            close();
        } catch (RuntimeException e) {
            log.warn("could not stop PostgreSQL in {}", dataDir, e);
        }
    }

    private void initdb(Optional<OsUser> serverUser) throws IOException {
        Path pwFile = baseDir.resolve("pwfile");
        Files.createFile(pwFile, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        Files.writeString(pwFile, password + "\n");
        if (serverUser.isPresent()) {
            Files.setAttribute(pwFile, "unix:uid", serverUser.get().uid());
            Files.setAttribute(pwFile, "unix:gid", serverUser.get().gid());
        }
        List<String> command = new ArrayList<>(asServerUser);
        command.addAll(List.of(binDir.resolve("initdb").toString(), "-D", dataDir.toString(), "-U", SUPERUSER,
                "--pwfile=" + pwFile, "--auth=scram-sha-256", "--encoding=UTF8",
                hasCUtf8Locale() ? "--locale=C.UTF-8" : "--no-locale", "--no-sync"));
        try {
            runServerCommand(command, "initdb");
        } finally {
            Files.deleteIfExists(pwFile);
        }
        String settings = String.join("\n",
                "",
                "# Added by dev.lifeboat.testing.PgCluster: loopback only, no durability, quiet.",
                "listen_addresses = '" + HOST + "'",
                "unix_socket_directories = '" + baseDir.toString().replace("'", "''") + "'",
                "fsync = off",
                "synchronous_commit = off",
                "full_page_writes = off",
                "autovacuum = off",
                "jit = off",
                "max_wal_size = '1GB'",
                "checkpoint_timeout = '1h'",
                "TimeZone = 'UTC'",
                "log_timezone = 'UTC'",
                "log_line_prefix = '%m [%p] %q%u@%d '",
                "");
        Files.writeString(dataDir.resolve("postgresql.conf"), settings, StandardCharsets.UTF_8,
                StandardOpenOption.APPEND);
    }

    /**
     * Starts a hot standby of this cluster, streaming from it, with extra {@code settings} such as
     * {@code max_standby_streaming_delay}. Same superuser and password. The caller closes it.
     */
    public PgCluster startStandby(Map<String, String> settings) {
        try {
            return new PgCluster(binDir, false, this, settings);
        } catch (IOException e) {
            throw new UncheckedIOException("could not start a standby of " + dataDir, e);
        }
    }

    /** pg_basebackup of {@code primary}, its password in a 0600 passfile (never on a command line). */
    private void baseBackup(PgCluster primary, Optional<OsUser> serverUser, Map<String, String> settings)
            throws IOException {
        Path passfile = baseDir.resolve("pgpass");
        Files.createFile(passfile, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        Files.writeString(passfile, HOST + ":" + primary.port + ":*:" + SUPERUSER + ":"
                + password.replace("\\", "\\\\").replace(":", "\\:") + "\n");
        if (serverUser.isPresent()) {
            Files.setAttribute(passfile, "unix:uid", serverUser.get().uid());
            Files.setAttribute(passfile, "unix:gid", serverUser.get().gid());
        }
        String conninfo = "host=" + HOST + " port=" + primary.port + " user=" + SUPERUSER + " passfile=" + passfile;
        List<String> command = new ArrayList<>(asServerUser);
        command.addAll(List.of(binDir.resolve("pg_basebackup").toString(), "-D", dataDir.toString(), "-X", "stream",
                "--no-sync", "-d", conninfo));
        runServerCommand(command, "pg_basebackup");
        Files.createFile(dataDir.resolve("standby.signal"));
        if (serverUser.isPresent()) {
            Files.setAttribute(dataDir.resolve("standby.signal"), "unix:uid", serverUser.get().uid());
        }
        StringBuilder conf = new StringBuilder("\n# Added by PgCluster.startStandby\n");
        conf.append("unix_socket_directories = '").append(baseDir.toString().replace("'", "''")).append("'\n");
        conf.append("primary_conninfo = '").append(conninfo.replace("'", "''")).append("'\n");
        settings.forEach((k, v) -> conf.append(k).append(" = '").append(v.replace("'", "''")).append("'\n"));
        Files.writeString(dataDir.resolve("postgresql.conf"), conf.toString(), StandardCharsets.UTF_8,
                StandardOpenOption.APPEND);
    }

    /** Starts postgres with pg_ctl -w; a new cluster tries a few free ports in case another process took one. */
    private void startServer(boolean mayChangePort) throws IOException {
        int attempts = mayChangePort ? 5 : 1;
        for (int attempt = 1; ; attempt++) {
            if (mayChangePort) {
                port = freePort();
            }
            List<String> command = new ArrayList<>(asServerUser);
            command.addAll(List.of(binDir.resolve("pg_ctl").toString(), "-D", dataDir.toString(), "-w", "-t", "60",
                    "-o", "-p " + port, "start"));
            long logSizeBefore = Files.size(logFile);
            try {
                runServerCommand(command, "pg_ctl start");
                running = true;
                return;
            } catch (IllegalStateException e) {
                byte[] logBytes = Files.readAllBytes(logFile);
                String newLog = new String(logBytes, (int) Math.min(logSizeBefore, logBytes.length),
                        logBytes.length - (int) Math.min(logSizeBefore, logBytes.length), StandardCharsets.UTF_8);
                if (attempt >= attempts || !newLog.contains("Address already in use")) {
                    throw e;
                }
                log.info("port {} was taken, trying another", port);
            }
        }
    }

    private void stopServer() {
        if (!running) {
            return;
        }
        List<String> command = new ArrayList<>(asServerUser);
        command.addAll(List.of(binDir.resolve("pg_ctl").toString(), "-D", dataDir.toString(), "-m", "immediate", "-w",
                "-t", "60", "stop"));
        try {
            runServerCommand(command, "pg_ctl stop");
        } catch (IOException e) {
            killPostmaster();
            throw new UncheckedIOException("could not run pg_ctl stop for " + dataDir, e);
        } catch (RuntimeException e) {
            killPostmaster();
            throw e;
        } finally {
            running = false;
        }
    }

    private void killPostmaster() {
        try {
            String pid = Files.readAllLines(dataDir.resolve("postmaster.pid")).get(0).strip();
            ProcessHandle.of(Long.parseLong(pid)).ifPresent(ProcessHandle::destroyForcibly);
        } catch (IOException | RuntimeException e) {
            log.warn("could not kill the postmaster of {}", dataDir, e);
        }
    }

    /**
     * Runs initdb or pg_ctl with its output appended to the server log. The log is opened here, so the server
     * user needs no right to write under target/; the postmaster inherits it as its standard output.
     */
    private void runServerCommand(List<String> command, String what) throws IOException {
        ProcessBuilder builder = new ProcessBuilder(command).directory(baseDir.toFile()).redirectErrorStream(true)
                .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
                .redirectOutput(ProcessBuilder.Redirect.appendTo(logFile.toFile()));
        builder.environment().clear();
        builder.environment().putAll(environmentWithoutPgVariables());
        Process process = builder.start();
        try {
            if (!process.waitFor(2, TimeUnit.MINUTES)) {
                process.destroyForcibly();
                throw new IllegalStateException(what + " did not finish within 2 minutes; see " + logFile);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            process.destroyForcibly();
            throw new IllegalStateException(what + " was interrupted", e);
        }
        if (process.exitValue() != 0) {
            throw new IllegalStateException(what + " failed with exit code " + process.exitValue() + " (" + command
                    + "); end of " + logFile + ":\n" + tail(logFile, 30));
        }
    }

    // ---- processes -----------------------------------------------------------------------------------------

    private List<String> psqlCommand(String db, List<String> extraArgs) {
        List<String> command = new ArrayList<>(List.of(binDir.resolve("psql").toString(), "-X", "-q", "-v",
                "ON_ERROR_STOP=1", "-At", "--no-password", "-h", HOST, "-p", Integer.toString(port), "-U", SUPERUSER,
                "-d", db));
        command.addAll(extraArgs);
        command.addAll(List.of("-f", "-"));
        return command;
    }

    private String runPsql(String db, byte[] script, List<String> extraArgs) {
        byte[] out = exec(psqlCommand(db, extraArgs), clientEnvironment(), script, InputStream::readAllBytes);
        return new String(out, StandardCharsets.UTF_8);
    }

    @FunctionalInterface
    private interface StdoutReader<T> {
        T read(InputStream stdout) throws IOException;
    }

    /** Runs a client program, feeding stdin and draining stderr beside it; throws CommandException on failure. */
    private static <T> T exec(List<String> command, Map<String, String> env, byte[] stdin, StdoutReader<T> reader) {
        ProcessBuilder builder = new ProcessBuilder(command);
        builder.environment().clear();
        builder.environment().putAll(env);
        if (stdin == null) {
            builder.redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
        }
        Process process;
        try {
            process = builder.start();
        } catch (IOException e) {
            throw new UncheckedIOException("could not run " + command.get(0), e);
        }
        CompletableFuture.delayedExecutor(TOOL_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)
                .execute(() -> process.destroyForcibly());
        ByteArrayOutputStream stderr = new ByteArrayOutputStream();
        Thread stderrDrain = new Thread(() -> {
            try (InputStream err = process.getErrorStream()) {
                err.transferTo(stderr);
            } catch (IOException ignored) {
                // the process is gone; what was read is kept
            }
        }, "stderr of " + command.get(0));
        stderrDrain.setDaemon(true);
        stderrDrain.start();
        Thread stdinFeed = null;
        if (stdin != null) {
            stdinFeed = new Thread(() -> {
                try (OutputStream in = process.getOutputStream()) {
                    in.write(stdin);
                } catch (IOException ignored) {
                    // the process stopped reading; its exit code and stderr tell why
                }
            }, "stdin of " + command.get(0));
            stdinFeed.setDaemon(true);
            stdinFeed.start();
        }
        T result;
        try (InputStream out = process.getInputStream()) {
            result = reader.read(out);
            out.transferTo(OutputStream.nullOutputStream());
        } catch (IOException e) {
            process.destroyForcibly();
            throw new UncheckedIOException("could not read the output of " + command.get(0), e);
        } catch (RuntimeException e) {
            process.destroyForcibly();
            throw e;
        }
        try {
            int exitCode = process.waitFor();
            stderrDrain.join();
            if (stdinFeed != null) {
                stdinFeed.join();
            }
            if (exitCode != 0) {
                throw new CommandException(command, exitCode, stderr.toString(StandardCharsets.UTF_8));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            process.destroyForcibly();
            throw new IllegalStateException("interrupted while waiting for " + command.get(0), e);
        }
        return result;
    }

    // ---- finding binaries and users ---------------------------------------------------------------------------

    private static Path findBinDir(OptionalInt major) {
        String configured = System.getProperty("lifeboat.pg.bindir", "");
        if (!configured.isBlank()) {
            Path dir = Path.of(configured.strip());
            if (!Files.isExecutable(dir.resolve("initdb"))) {
                throw new IllegalStateException("lifeboat.pg.bindir=" + dir + " has no initdb");
            }
            return dir;
        }
        if (Files.isDirectory(DEBIAN_ROOT)) {
            try (Stream<Path> versions = Files.list(DEBIAN_ROOT)) {
                Optional<Path> newest = versions
                        .filter(dir -> dir.getFileName().toString().matches("\\d+"))
                        .filter(dir -> Files.isExecutable(dir.resolve("bin/initdb")))
                        .filter(dir -> major.isEmpty()
                                || Integer.parseInt(dir.getFileName().toString()) == major.getAsInt())
                        .max(Comparator.comparingInt(dir -> Integer.parseInt(dir.getFileName().toString())));
                if (newest.isPresent()) {
                    return newest.get().resolve("bin");
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        for (String dir : System.getenv().getOrDefault("PATH", "").split(":")) {
            Path bin = Path.of(dir.isEmpty() ? "." : dir);
            if (Files.isExecutable(bin.resolve("initdb"))
                    && (major.isEmpty() || readMajorVersion(bin) == major.getAsInt())) {
                return bin;
            }
        }
        throw new IllegalStateException("no PostgreSQL server binaries" + (major.isPresent() ? " of version "
                + major.getAsInt() : "") + " under " + DEBIAN_ROOT + "/*/bin or on the PATH."
                + " Install them (Debian: apt-get install postgresql-15 postgresql-contrib)"
                + " or point -Dlifeboat.pg.bindir at the folder holding initdb");
    }

    private static int readMajorVersion(Path binDir) {
        List<String> command = List.of(binDir.resolve("pg_ctl").toString(), "--version");
        String version = new String(exec(command, environmentWithoutPgVariables(), null, InputStream::readAllBytes),
                StandardCharsets.UTF_8);
        Matcher matcher = VERSION.matcher(version);
        if (!matcher.find()) {
            throw new IllegalStateException("cannot read the version of " + command.get(0) + ": " + version);
        }
        return Integer.parseInt(matcher.group(1));
    }

    private record OsUser(String name, int uid, int gid) {}

    /**
     * When this JVM is root: the unprivileged OS user the server runs as, and the command prefix that runs a program
     * as that user (for tests of what another user meets); empty when not root.
     */
    public static Optional<Map.Entry<String, List<String>>> otherUser() throws IOException {
        Optional<OsUser> user = serverUser();
        return user.map(u -> Map.entry(u.name(), switchUserPrefix(u)));
    }

    /** The unprivileged OS user to run the server as, when this JVM is root; empty otherwise. */
    private static Optional<OsUser> serverUser() throws IOException {
        if (new com.sun.security.auth.module.UnixSystem().getUid() != 0) {
            return Optional.empty();
        }
        String configured = System.getProperty("lifeboat.pg.osUser", "");
        List<String> candidates = configured.isBlank() ? List.of("postgres", "nobody") : List.of(configured.strip());
        List<String> passwd = Files.readAllLines(Path.of("/etc/passwd"));
        for (String name : candidates) {
            for (String entry : passwd) {
                String[] fields = entry.split(":");
                if (fields.length >= 4 && fields[0].equals(name) && !fields[2].equals("0")) {
                    return Optional.of(new OsUser(name, Integer.parseInt(fields[2]), Integer.parseInt(fields[3])));
                }
            }
        }
        throw new IllegalStateException("running as root, and initdb refuses root; found no OS user " + candidates
                + " in /etc/passwd to run PostgreSQL as. Create one (useradd --system postgres) or name one with"
                + " -Dlifeboat.pg.osUser=...");
    }

    private static List<String> switchUserPrefix(OsUser user) {
        Optional<Path> setpriv = onPath("setpriv");
        if (setpriv.isPresent()) {
            return List.of(setpriv.get().toString(), "--reuid=" + user.uid(), "--regid=" + user.gid(),
                    "--init-groups", "--");
        }
        Optional<Path> runuser = onPath("runuser");
        if (runuser.isPresent()) {
            return List.of(runuser.get().toString(), "-u", user.name(), "--");
        }
        throw new IllegalStateException("running as root, and found neither setpriv nor runuser (util-linux) to run"
                + " PostgreSQL as " + user.name());
    }

    private static Optional<Path> onPath(String program) {
        String path = System.getenv().getOrDefault("PATH", "") + ":/usr/bin:/usr/sbin:/bin:/sbin";
        return Arrays.stream(path.split(":")).filter(dir -> !dir.isEmpty()).map(dir -> Path.of(dir, program))
                .filter(Files::isExecutable).findFirst();
    }

    private static volatile Boolean cUtf8Locale;

    private static boolean hasCUtf8Locale() {
        if (cUtf8Locale == null) {
            boolean found;
            try {
                String locales = new String(exec(List.of("locale", "-a"), environmentWithoutPgVariables(), null,
                        InputStream::readAllBytes), StandardCharsets.UTF_8);
                found = locales.lines().map(String::strip)
                        .anyMatch(name -> name.equalsIgnoreCase("C.UTF-8") || name.equalsIgnoreCase("C.utf8"));
            } catch (RuntimeException e) {
                found = false;
            }
            cUtf8Locale = found;
        }
        return cUtf8Locale;
    }

    // ---- small helpers ------------------------------------------------------------------------------------------

    private static Map<String, String> environmentWithoutPgVariables() {
        Map<String, String> env = new TreeMap<>(System.getenv());
        env.keySet().removeIf(key -> key.startsWith("PG"));
        return env;
    }

    /** Random letters and digits, then characters that need escaping in URLs and libpq connection strings. */
    private static String newPassword() {
        String alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789";
        StringBuilder password = new StringBuilder();
        for (int i = 0; i < 24; i++) {
            password.append(alphabet.charAt(RANDOM.nextInt(alphabet.length())));
        }
        return password.append("-@:/%?#&+=").toString();
    }

    private static String urlEncode(String text) {
        return URLEncoder.encode(text, StandardCharsets.UTF_8).replace("+", "%20");
    }

    /** Quotes a SQL identifier, e.g. a database name. */
    public static String quoteIdent(String identifier) {
        return "\"" + identifier.replace("\"", "\"\"") + "\"";
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getByName(HOST))) {
            return socket.getLocalPort();
        }
    }

    private static String tail(Path file, int lines) {
        try {
            List<String> all = Files.readAllLines(file, StandardCharsets.UTF_8);
            return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
        } catch (IOException | UncheckedIOException e) {
            return "(log unreadable: " + e + ")";
        }
    }

    private static void deleteRecursively(Path dir) {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(dir)) {
            for (Path path : paths.sorted(Comparator.reverseOrder()).collect(Collectors.toList())) {
                Files.deleteIfExists(path);
            }
        } catch (IOException | UncheckedIOException e) {
            log.warn("could not delete {}", dir, e);
        }
    }

    /**
     * {@code dump} with {@code table}'s column lines sorted: pg_dump brings an inheritance child whose columns were
     * reordered back with its parent's columns first, the one thing of the rich fixture it does not keep.
     */
    public static String columnsInAnyOrder(String dump, String table) {
        List<String> lines = new ArrayList<>(dump.lines().toList());
        int start = lines.indexOf("CREATE TABLE " + table + " (");
        if (start < 0) {
            throw new AssertionError("no CREATE TABLE " + table + " in the dump");
        }
        int end = start + 1;
        while (!lines.get(end).startsWith(")")) {
            end++;
        }
        List<String> columns = new ArrayList<>(lines.subList(start + 1, end).stream()
                .map(l -> l.endsWith(",") ? l.substring(0, l.length() - 1) : l).sorted().toList());
        for (int i = start + 1; i < end; i++) {
            lines.set(i, columns.get(i - start - 1));
        }
        return String.join("\n", lines);
    }

    /** {@code rows} without {@code table}'s entry, which must be there. */
    public static SortedMap<String, String> without(String table, SortedMap<String, String> rows) {
        SortedMap<String, String> out = new java.util.TreeMap<>(rows);
        if (out.remove(table) == null) {
            throw new AssertionError("no rows of " + table);
        }
        return out;
    }
}
