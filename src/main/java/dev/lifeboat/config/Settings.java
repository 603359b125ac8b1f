package dev.lifeboat.config;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.lifeboat.core.ErrorCode;
import dev.lifeboat.core.LifeboatException;
import dev.lifeboat.retention.RetentionPolicy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * Settings in layers: built-in defaults, then the YAML config file ({@code --config}, else
 * {@code ./lifeboat.yml} when present), then environment variables, then command-line flags (applied
 * by the CLI). Every field is documented in README.md. This is the one place that reads Lifeboat's own
 * {@code LIFEBOAT_*} variables ({@link RetentionPolicy#fromEnvironment} parses the {@code LIFEBOAT_RETENTION_*}
 * ones for it): the other packages get the parsed values. Two are read on their own, without
 * the file: {@link #logLevel(Map)}, since logging starts before the file is read, and {@link StateLocation},
 * since {@code lifeboat token} finds the service's state without a config file.
 */
public final class Settings {
    public static final String DEFAULT_REPOSITORY = "./backups";
    public static final int DEFAULT_COMPRESSION_LEVEL = 3;

    /** The YAML file's shape. */
    @JsonIgnoreProperties(ignoreUnknown = false)
    public static final class File {
        public String repository;
        public String identityFile;
        public List<String> recipients;
        public Integer compressionLevel;
        public List<String> databases;
        public Boolean globals;
        public Integer threads;
        public String drillQuery;
        public RetentionPolicy.Overrides retention;
        public String timeZone;
        public String schedule;
        public Boolean runMissedAtStartup;
        public Integer lockWaitSeconds;
        public Integer pgLockWaitSeconds;
        public String keyDir;
        public String signingKey;
        public List<String> pgBin;
        public ServeFile service;
        /** The stack's sources by name, in order; each a map with its type and the type's fields. */
        public java.util.LinkedHashMap<String, Object> sources;
        public java.util.LinkedHashMap<String, Object> hooks;
        public Integer sourcesInParallel;
    }

    /** The file's {@code service:} block: how {@code lifeboat serve} runs. */
    @JsonIgnoreProperties(ignoreUnknown = false)
    public static final class ServeFile {
        public Integer port;
        public String bind;
        public String instance;
        public Integer shutdownGraceSeconds;
        public Integer confirmationTtlSeconds;
        public Integer clusterPollSeconds;
        public Integer auditRetentionDays;
        public Integer readTimeoutSeconds;
    }

    /** The longest audit retention: 100 years. */
    public static final int MAX_AUDIT_RETENTION_DAYS = 36_500;

    /** How {@code lifeboat serve} runs: the file's {@code service:} block, then LIFEBOAT_* variables, then flags. */
    public static final class Serve {
        /** LIFEBOAT_PORT. */
        public int port = 8080;
        /** LIFEBOAT_BIND; 0.0.0.0 for every interface. */
        public String bind = "127.0.0.1";
        /** LIFEBOAT_INSTANCE: this instance's name in the job history; null for the host's name and the port. */
        public String instance;
        /** LIFEBOAT_SHUTDOWN_GRACE: how long a running job may go on after SIGTERM before it is stopped. */
        public java.time.Duration shutdownGrace = java.time.Duration.ofSeconds(30);
        /** LIFEBOAT_CONFIRMATION_TTL: how long a restore's confirmation token is valid. */
        public java.time.Duration confirmationTtl = java.time.Duration.ofMinutes(5);
        /** LIFEBOAT_CLUSTER_POLL_SECONDS: with a PostgreSQL state, how late a scheduled run may start. */
        public java.time.Duration clusterPoll = java.time.Duration.ofSeconds(10);
        /** LIFEBOAT_AUDIT_RETENTION_DAYS: how long the audit log keeps an entry (it is pruned about hourly). */
        public java.time.Duration auditRetention = java.time.Duration.ofDays(400);
        /**
         * LIFEBOAT_HTTP_READ_TIMEOUT: how long a client may stay silent on its connection, and how long after its
         * headers its whole body may take; see {@code api.HttpServer}.
         */
        public java.time.Duration readTimeout = java.time.Duration.ofSeconds(30);

        private void apply(ServeFile f) {
            if (f.port != null) {
                port = between(f.port, 1, 65535, "service.port", "for example 8080");
            }
            if (f.bind != null) {
                bind = f.bind.strip();
            }
            if (f.instance != null && !f.instance.isBlank()) {
                instance = f.instance.strip();
            }
            if (f.shutdownGraceSeconds != null) {
                shutdownGrace = seconds(f.shutdownGraceSeconds, 0, 86_400, "service.shutdownGraceSeconds");
            }
            if (f.confirmationTtlSeconds != null) {
                confirmationTtl = seconds(f.confirmationTtlSeconds, 1, 3600, "service.confirmationTtlSeconds");
            }
            if (f.clusterPollSeconds != null) {
                clusterPoll = seconds(f.clusterPollSeconds, 1, 300, "service.clusterPollSeconds");
            }
            if (f.auditRetentionDays != null) {
                auditRetention = java.time.Duration.ofDays(between(f.auditRetentionDays, 1, MAX_AUDIT_RETENTION_DAYS,
                        "service.auditRetentionDays", "for example 400"));
            }
            if (f.readTimeoutSeconds != null) {
                readTimeout = seconds(f.readTimeoutSeconds, 1, 3600, "service.readTimeoutSeconds");
            }
        }

        private void applyEnvironment(Map<String, String> env) {
            String v;
            if ((v = env.get("LIFEBOAT_PORT")) != null && !v.isBlank()) {
                port = parseBounded(v, "LIFEBOAT_PORT", 1, 65535);
            }
            if ((v = env.get("LIFEBOAT_BIND")) != null && !v.isBlank()) {
                bind = v.strip();
            }
            if ((v = env.get("LIFEBOAT_INSTANCE")) != null && !v.isBlank()) {
                instance = v.strip();
            }
            if ((v = env.get("LIFEBOAT_SHUTDOWN_GRACE")) != null && !v.isBlank()) {
                shutdownGrace = java.time.Duration.ofSeconds(parseBounded(v, "LIFEBOAT_SHUTDOWN_GRACE", 0, 86_400));
            }
            if ((v = env.get("LIFEBOAT_CONFIRMATION_TTL")) != null && !v.isBlank()) {
                confirmationTtl = java.time.Duration.ofSeconds(parseBounded(v, "LIFEBOAT_CONFIRMATION_TTL", 1, 3600));
            }
            if ((v = env.get("LIFEBOAT_CLUSTER_POLL_SECONDS")) != null && !v.isBlank()) {
                clusterPoll = java.time.Duration.ofSeconds(parseBounded(v, "LIFEBOAT_CLUSTER_POLL_SECONDS", 1, 300));
            }
            if ((v = env.get("LIFEBOAT_AUDIT_RETENTION_DAYS")) != null && !v.isBlank()) {
                auditRetention = java.time.Duration.ofDays(parseBounded(v, "LIFEBOAT_AUDIT_RETENTION_DAYS", 1,
                        MAX_AUDIT_RETENTION_DAYS));
            }
            if ((v = env.get("LIFEBOAT_HTTP_READ_TIMEOUT")) != null && !v.isBlank()) {
                readTimeout = java.time.Duration.ofSeconds(parseBounded(v, "LIFEBOAT_HTTP_READ_TIMEOUT", 1, 3600));
            }
        }

        private static java.time.Duration seconds(int n, int min, int max, String name) {
            return java.time.Duration.ofSeconds(between(n, min, max, name, null));
        }
    }


    public String repository = DEFAULT_REPOSITORY;
    public String identityFile;
    public List<String> recipients = new ArrayList<>();
    public int compressionLevel = DEFAULT_COMPRESSION_LEVEL;
    public List<String> databases = new ArrayList<>();
    public boolean globals;
    public int threads = Math.max(2, Runtime.getRuntime().availableProcessors());
    /** A query run in the scratch database after a restore drill, e.g. {@code select count(*) from users}. */
    public String drillQuery;
    /**
     * Which backups prune keeps: file, then LIFEBOAT_RETENTION_* variables. Prune stores them in the repository,
     * whose policy is the one in force ({@code engine.PolicyInForce}); see {@link #retentionFrom}.
     */
    public RetentionPolicy retention = RetentionPolicy.DEFAULT;
    /**
     * Where {@link #retention} was set: {@code lifeboat.yml} (a retention block) or {@code environment}
     * (a LIFEBOAT_RETENTION_* or LIFEBOAT_BACKUP_RETENTION_DAYS variable, which apply last); null when neither set
     * any rule, and the repository's stored policy applies.
     */
    public String retentionFrom;
    /** Zone of calendar rules (daily, weekly...): LIFEBOAT_TIMEZONE, default UTC. */
    public ZoneId timeZone = ZoneId.of("UTC");
    /** When {@code lifeboat serve} backs up: 5-field cron in {@link #timeZone}; LIFEBOAT_BACKUP_SCHEDULE. */
    public String schedule = dev.lifeboat.schedule.CronSchedule.DEFAULT;
    /** Run once at start-up a scheduled backup missed while the service was down; LIFEBOAT_RUN_MISSED_AT_STARTUP. */
    public boolean runMissedAtStartup = true;
    /** How {@code lifeboat serve} runs. */
    public final Serve service = new Serve();
    /** How long a command waits for a conflicting repository lock: {@code lockWaitSeconds}, LIFEBOAT_LOCK_WAIT. */
    public Duration lockWait = dev.lifeboat.repository.Repository.DEFAULT_LOCK_WAIT;
    /**
     * How long a backup or restore waits for a table lock another PostgreSQL session holds:
     * {@code pgLockWaitSeconds}, LIFEBOAT_PG_LOCK_WAIT.
     */
    public Duration pgLockWait = dev.lifeboat.source.postgres.LockWait.DEFAULT;
    /**
     * Where this host keeps encrypted repositories' chunk-id keys: {@code keyDir}, LIFEBOAT_KEY_DIR, else
     * {@code $XDG_CONFIG_HOME/lifeboat/keys}, else {@code ~/.config/lifeboat/keys}.
     */
    public Path keyDir = defaultKeyDir(Map.of());
    /**
     * The key that signs manifests on this host, for every repository: {@code signingKey}, LIFEBOAT_SIGNING_KEY (a
     * PKCS#8 PEM file, as {@code lifeboat keygen} writes it); null for the key folder's {@code <repository id>.signing-key}.
     */
    public Path signingKey;
    /**
     * The stack's sources ({@code sources:}), in the file's order; empty when the file has none, and a backup then
     * reads the PostgreSQL databases of {@link #databases} (or {@code --db}).
     */
    public List<dev.lifeboat.source.SourceSpec> sources = List.of();
    /** The stack's hooks ({@code hooks:}) by name: before-backup, after-backup, before-restore, after-restore. */
    public Map<String, Hook> hooks = Map.of();
    /** How many sources a backup reads at once ({@code sourcesInParallel}, 1 to 16). */
    public int sourcesInParallel = 2;
    /** Folders searched for pg_dump, pg_restore and psql before PATH: {@code pgBin}, LIFEBOAT_PG_BIN. */
    public List<Path> pgBin = List.of();
    /** LIFEBOAT_LOG_LEVEL ({@link #logLevel(Map)}); null for the default (WARN, INFO for {@code serve}). */
    public String logLevel;
    /** Where {@code serve} keeps its state: LIFEBOAT_STATE, LIFEBOAT_DATA_DIR (flags {@code --state}, {@code --data-dir}). */
    public StateLocation state = StateLocation.DEFAULT;

    /**
     * Where the service's state lives: {@code url}, a PostgreSQL database ({@code LIFEBOAT_STATE}), else SQLite
     * in {@code dataDir} ({@code LIFEBOAT_DATA_DIR}, default {@code ./lifeboat-data}). Not in the config file:
     * {@code lifeboat token} reads none, and must find the state {@code serve} uses.
     */
    public record StateLocation(String url, Path dataDir) {
        public static final StateLocation DEFAULT = new StateLocation(null, dev.lifeboat.state.StateStore.DEFAULT_DATA_DIR);

        public static StateLocation fromEnvironment(Map<String, String> env) {
            String url = null;
            Path dataDir = DEFAULT.dataDir;
            String v;
            if ((v = env.get("LIFEBOAT_STATE")) != null && !v.isBlank()) {
                url = v.strip();
                if (!dev.lifeboat.state.StateStore.isPostgresLocation(url)) {
                    java.util.regex.Matcher scheme = SCHEME.matcher(url);
                    // the rest of the value is left out: it may hold a password
                    throw new LifeboatException(ErrorCode.USAGE, "LIFEBOAT_STATE must be a postgres:// URI, not "
                            + (scheme.lookingAt() ? "'" + scheme.group(1) + ":...'" : "a location without a scheme"),
                            "for example LIFEBOAT_STATE=postgres://lifeboat@db:5432/lifeboat_state, or leave it unset "
                                    + "for SQLite in LIFEBOAT_DATA_DIR");
                }
            }
            if ((v = env.get("LIFEBOAT_DATA_DIR")) != null && !v.isBlank()) {
                dataDir = path(v, "LIFEBOAT_DATA_DIR", "LIFEBOAT_DATA_DIR=/var/lib/lifeboat/state");
            }
            return new StateLocation(url, dataDir);
        }
    }

    private static final java.util.regex.Pattern SCHEME = java.util.regex.Pattern.compile("([A-Za-z][A-Za-z0-9+.-]*):");

    /** The log levels LIFEBOAT_LOG_LEVEL takes, as Logback names them. */
    private static final List<String> LOG_LEVELS = List.of("OFF", "ERROR", "WARN", "INFO", "DEBUG", "TRACE", "ALL");

    /**
     * LIFEBOAT_LOG_LEVEL, upper-case, or null when unset. Read on its own, not by {@link #load}'s file: logging
     * is configured when the first logger is made, before any command has read its config file.
     */
    public static String logLevel(Map<String, String> env) {
        String v = env.get("LIFEBOAT_LOG_LEVEL");
        if (v == null || v.isBlank()) {
            return null;
        }
        String level = v.strip().toUpperCase(java.util.Locale.ROOT);
        if (!LOG_LEVELS.contains(level)) {
            throw new LifeboatException(ErrorCode.USAGE, "LIFEBOAT_LOG_LEVEL must be one of "
                    + String.join(", ", LOG_LEVELS) + ", not '" + v + "'", "for example LIFEBOAT_LOG_LEVEL=debug");
        }
        return level;
    }

    /** {@code $XDG_CONFIG_HOME/lifeboat/keys}, else {@code ~/.config/lifeboat/keys}. */
    private static Path defaultKeyDir(Map<String, String> env) {
        String xdg = env.get("XDG_CONFIG_HOME");
        Path base = xdg != null && !xdg.isBlank() ? Path.of(xdg) : Path.of(System.getProperty("user.home"), ".config");
        return base.resolve("lifeboat").resolve("keys");
    }

    /**
     * @param configFile explicit {@code --config}, or null to use {@code ./lifeboat.yml} when it exists
     */
    public static Settings load(Path configFile, Map<String, String> env) {
        Settings s = new Settings();
        s.keyDir = defaultKeyDir(env);
        Path file = configFile;
        if (file == null && Files.isRegularFile(Path.of("lifeboat.yml"))) {
            file = Path.of("lifeboat.yml");
        }
        if (file != null) {
            s.apply(readFile(file));
        }
        s.applyEnvironment(env);
        return s;
    }

    private static File readFile(Path file) {
        ObjectMapper yaml = new ObjectMapper(new YAMLFactory()).enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);
        try {
            com.fasterxml.jackson.databind.JsonNode tree = yaml.readTree(file.toFile());
            if (tree == null || tree.isMissingNode() || tree.isNull()) {
                return new File(); // an empty or comment-only file
            }
            return yaml.treeToValue(tree, File.class);
        } catch (UnrecognizedPropertyException e) {
            throw new LifeboatException(ErrorCode.USAGE, "config file " + file + ": unknown setting '"
                    + e.getPropertyName() + "'", "known settings: " + e.getKnownPropertyIds());
        } catch (java.nio.file.NoSuchFileException | java.io.FileNotFoundException e) {
            throw new LifeboatException(ErrorCode.USAGE, "config file " + file + " does not exist",
                    "check the --config path");
        } catch (IOException e) {
            throw new LifeboatException(ErrorCode.USAGE, "config file " + file + " is not valid YAML: "
                    + e.getMessage().split("\n")[0], "fix the file; see README.md for its settings");
        }
    }

    private void apply(File f) {
        if (f.repository != null) {
            repository = f.repository;
        }
        if (f.identityFile != null) {
            identityFile = f.identityFile;
        }
        if (f.recipients != null) {
            recipients = new ArrayList<>(f.recipients);
        }
        if (f.compressionLevel != null) {
            compressionLevel = checkLevel(f.compressionLevel, "compressionLevel");
        }
        if (f.databases != null) {
            databases = new ArrayList<>(f.databases);
        }
        if (f.globals != null) {
            globals = f.globals;
        }
        if (f.threads != null) {
            threads = checkThreads(f.threads, "threads");
        }
        if (f.drillQuery != null) {
            drillQuery = f.drillQuery;
        }
        if (f.timeZone != null) {
            timeZone = zone(f.timeZone, "timeZone");
        }
        if (f.schedule != null) {
            schedule = checkSchedule(f.schedule, "config file: schedule");
        }
        if (f.runMissedAtStartup != null) {
            runMissedAtStartup = f.runMissedAtStartup;
        }
        if (f.lockWaitSeconds != null) {
            lockWait = Duration.ofSeconds(between(f.lockWaitSeconds, 0, MAX_WAIT, "lockWaitSeconds",
                    "for example lockWaitSeconds: 300 (the default); 0 fails at once"));
        }
        if (f.pgLockWaitSeconds != null) {
            pgLockWait = Duration.ofSeconds(between(f.pgLockWaitSeconds, 1, MAX_WAIT, "pgLockWaitSeconds",
                    "for example pgLockWaitSeconds: 300 (the default)"));
        }
        if (f.keyDir != null) {
            keyDir = path(f.keyDir, "keyDir", "keyDir: /etc/lifeboat/keys");
        }
        if (f.signingKey != null) {
            signingKey = path(f.signingKey, "signingKey", "signingKey: /etc/lifeboat/signing-key.pem");
        }
        if (f.pgBin != null) {
            pgBin = paths(f.pgBin, "pgBin", "pgBin: [/usr/lib/postgresql/17/bin]");
        }
        if (f.service != null) {
            service.apply(f.service);
        }
        if (f.sources != null) {
            sources = sourceSpecs(f.sources);
        }
        if (f.hooks != null) {
            Map<String, Hook> h = new java.util.LinkedHashMap<>();
            for (var e : f.hooks.entrySet()) {
                if (!Hook.STACK.contains(e.getKey())) {
                    throw new LifeboatException(ErrorCode.USAGE, "config file: unknown hook '" + e.getKey() + "'",
                            "the hooks are: before-backup, after-backup, before-restore, after-restore");
                }
                h.put(e.getKey(), Hook.parse("hooks", e.getKey(), e.getValue()));
            }
            hooks = Map.copyOf(h);
        }
        if (f.sourcesInParallel != null) {
            sourcesInParallel = between(f.sourcesInParallel, 1, 16, "sourcesInParallel", "for example 2");
        }
        if (f.retention != null) {
            if (!f.retention.isEmpty()) {
                retentionFrom = dev.lifeboat.repository.RepositoryPolicy.FROM_FILE;
            }
            try {
                retention = f.retention.applyTo(retention);
            } catch (IllegalArgumentException e) {
                throw new LifeboatException(ErrorCode.USAGE, "config file: " + e.getMessage(), "fix the retention block");
            }
        }
    }


    /** {@code sources:} as specs, each checked for a name and a type here and for its fields by its type. */
    private static List<dev.lifeboat.source.SourceSpec> sourceSpecs(Map<String, Object> yaml) {
        List<dev.lifeboat.source.SourceSpec> out = new ArrayList<>();
        for (var e : yaml.entrySet()) {
            if (!(e.getValue() instanceof Map<?, ?> m)) {
                throw new LifeboatException(ErrorCode.USAGE, "config file: source " + e.getKey() + " must be a map "
                        + "with a type", "for example " + e.getKey() + ": { type: files, path: /srv/app/files }");
            }
            Map<String, Object> fields = new java.util.LinkedHashMap<>();
            m.forEach((k, v) -> fields.put(String.valueOf(k), v));
            Object type = fields.get("type");
            out.add(new dev.lifeboat.source.SourceSpec(e.getKey(), type instanceof String t ? t : null, fields));
        }
        return List.copyOf(out);
    }

    public static ZoneId zone(String id, String name) {
        try {
            return ZoneId.of(id.trim());
        } catch (java.time.DateTimeException e) {
            throw new LifeboatException(ErrorCode.USAGE, name + " '" + id + "' is not a time zone",
                    "use a region id such as UTC or Europe/Zurich");
        }
    }

    private void applyEnvironment(Map<String, String> env) {
        String v;
        retention = RetentionPolicy.fromEnvironment(env, retention);
        if ((v = env.get("LIFEBOAT_TIMEZONE")) != null && !v.isBlank()) {
            timeZone = zone(v, "LIFEBOAT_TIMEZONE");
        }
        if ((v = env.get("LIFEBOAT_BACKUP_SCHEDULE")) != null && !v.isBlank()) {
            schedule = checkSchedule(v, "LIFEBOAT_BACKUP_SCHEDULE");
        }
        if ((v = env.get("LIFEBOAT_BACKUP_RETENTION_DAYS")) != null && !v.isBlank()) {
            int days = parseInt(v, "LIFEBOAT_BACKUP_RETENTION_DAYS");
            if (days < 1) {
                throw new LifeboatException(ErrorCode.USAGE, "LIFEBOAT_BACKUP_RETENTION_DAYS must be 1 or more, not "
                        + days, "for example LIFEBOAT_BACKUP_RETENTION_DAYS=30");
            }
            retention = retention.withKeepWithin(java.time.Duration.ofDays(days));
        }
        if (env.keySet().stream().anyMatch(k -> (k.startsWith("LIFEBOAT_RETENTION_")
                || k.equals("LIFEBOAT_BACKUP_RETENTION_DAYS")) && !env.get(k).isBlank())) {
            retentionFrom = dev.lifeboat.repository.RepositoryPolicy.FROM_ENVIRONMENT;
        }
        if ((v = env.get("LIFEBOAT_RUN_MISSED_AT_STARTUP")) != null && !v.isBlank()) {
            runMissedAtStartup = parseBoolean(v, "LIFEBOAT_RUN_MISSED_AT_STARTUP");
        }
        if ((v = env.get("LIFEBOAT_REPOSITORY")) != null && !v.isBlank()) {
            repository = v;
        }
        if ((v = env.get("LIFEBOAT_IDENTITY_FILE")) != null && !v.isBlank()) {
            identityFile = v;
        }
        if ((v = env.get("LIFEBOAT_RECIPIENTS")) != null && !v.isBlank()) {
            recipients = Arrays.stream(v.split("[,\\s]+")).filter(x -> !x.isBlank()).toList();
        }
        if ((v = env.get("LIFEBOAT_COMPRESSION_LEVEL")) != null && !v.isBlank()) {
            compressionLevel = checkLevel(parseInt(v, "LIFEBOAT_COMPRESSION_LEVEL"), "LIFEBOAT_COMPRESSION_LEVEL");
        }
        if ((v = env.get("LIFEBOAT_THREADS")) != null && !v.isBlank()) {
            threads = checkThreads(parseInt(v, "LIFEBOAT_THREADS"), "LIFEBOAT_THREADS");
        }
        if ((v = env.get("LIFEBOAT_DRILL_QUERY")) != null && !v.isBlank()) {
            drillQuery = v;
        }
        if ((v = env.get("DATABASE_URL")) != null && !v.isBlank()) {
            databases = List.of(v);
        }
        if ((v = env.get("LIFEBOAT_LOCK_WAIT")) != null && !v.isBlank()) {
            lockWait = Duration.ofSeconds(parseBounded(v, "LIFEBOAT_LOCK_WAIT", 0, MAX_WAIT,
                    "for example LIFEBOAT_LOCK_WAIT=300 (the default); 0 fails at once"));
        }
        if ((v = env.get("LIFEBOAT_PG_LOCK_WAIT")) != null && !v.isBlank()) {
            pgLockWait = Duration.ofSeconds(parseBounded(v, "LIFEBOAT_PG_LOCK_WAIT", 1, MAX_WAIT,
                    "set it to how long a backup or restore may wait for a table lock, e.g. 300"));
        }
        if ((v = env.get("LIFEBOAT_KEY_DIR")) != null && !v.isBlank()) {
            keyDir = path(v, "LIFEBOAT_KEY_DIR", "LIFEBOAT_KEY_DIR=/etc/lifeboat/keys");
        }
        if ((v = env.get("LIFEBOAT_SIGNING_KEY")) != null && !v.isBlank()) {
            signingKey = path(v, "LIFEBOAT_SIGNING_KEY", "LIFEBOAT_SIGNING_KEY=/etc/lifeboat/signing-key.pem");
        }
        if ((v = env.get("LIFEBOAT_PG_BIN")) != null && !v.isBlank()) {
            pgBin = paths(Arrays.asList(v.split(":")), "LIFEBOAT_PG_BIN", "LIFEBOAT_PG_BIN=/usr/lib/postgresql/17/bin");
        }
        logLevel = logLevel(env);
        state = StateLocation.fromEnvironment(env);
        service.applyEnvironment(env);
    }

    /** The longest a lock may be waited for: a week. */
    private static final int MAX_WAIT = 7 * 24 * 3600;

    /** The folders of {@code dirs}, blank ones left out. */
    private static List<Path> paths(List<String> dirs, String name, String example) {
        return dirs.stream().filter(d -> d != null && !d.isBlank()).map(d -> path(d, name, example)).toList();
    }

    private static Path path(String v, String name, String example) {
        try {
            return Path.of(v);
        } catch (InvalidPathException e) {
            throw new LifeboatException(ErrorCode.USAGE, name + " is not a valid path: '" + v + "' (" + e.getReason()
                    + ")", "for example " + example);
        }
    }

    private static String checkSchedule(String expression, String name) {
        try {
            return dev.lifeboat.schedule.CronSchedule.parse(expression).expression();
        } catch (IllegalArgumentException e) {
            throw new LifeboatException(ErrorCode.USAGE, name + ": " + e.getMessage(), "for example \"0 3 * * *\"");
        }
    }

    private static boolean parseBoolean(String v, String name) {
        return switch (v.strip().toLowerCase(java.util.Locale.ROOT)) {
            case "true", "yes", "1", "on" -> true;
            case "false", "no", "0", "off" -> false;
            default -> throw new LifeboatException(ErrorCode.USAGE, name + " must be true or false, not '" + v + "'", null);
        };
    }

    /** A whole number from {@code min} to {@code max}, from the environment variable {@code name}. */
    private static int parseBounded(String v, String name, int min, int max) {
        return parseBounded(v, name, min, max, "leave it unset for the default");
    }

    private static int parseBounded(String v, String name, int min, int max, String hint) {
        int n;
        try {
            n = Integer.parseInt(v.strip());
        } catch (NumberFormatException e) {
            throw new LifeboatException(ErrorCode.USAGE, name + " must be a whole number from " + min + " to " + max
                    + ", not '" + v + "'", hint);
        }
        return between(n, min, max, name, hint);
    }

    private static int between(int n, int min, int max, String name, String hint) {
        if (n < min || n > max) {
            throw new LifeboatException(ErrorCode.USAGE, name + " must be a whole number from " + min + " to " + max
                    + ", not " + n, hint);
        }
        return n;
    }

    private static int parseInt(String v, String name) {
        try {
            return Integer.parseInt(v.trim());
        } catch (NumberFormatException e) {
            throw new LifeboatException(ErrorCode.USAGE, name + " must be a whole number, not '" + v + "'", null);
        }
    }

    public static int checkLevel(int level, String name) {
        if (level < 1 || level > 19) {
            throw new LifeboatException(ErrorCode.USAGE, name + " must be a zstd level from 1 to 19, not " + level,
                    "3 (the default) is fast; 9 to 19 store less and take longer");
        }
        return level;
    }

    private static int checkThreads(int n, String name) {
        return between(n, 1, 64, name, "leave it unset for the default, the number of CPUs (at least 2)");
    }
}
