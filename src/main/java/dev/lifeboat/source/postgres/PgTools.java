package dev.lifeboat.source.postgres;

import dev.lifeboat.core.ErrorCode;
import dev.lifeboat.core.LifeboatException;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Finds PostgreSQL's client programs and picks, for a given server, the one whose major version is the
 * server's, else the lowest newer one: pg_dump refuses servers newer than itself, and the closest
 * version writes the most faithful dump. Looked for in the configured folders ({@code Settings.pgBin}:
 * {@code LIFEBOAT_PG_BIN}, {@code pgBin}), {@code PATH} and {@code /usr/lib/postgresql/<major>/bin}. It also carries
 * how long the programs wait for a table lock another session holds ({@link #lockWait()}, see {@link LockWait}).
 */
public final class PgTools {
    /** One program found on this host. */
    public record Binary(String tool, Path path, int major, String version) {
        @Override
        public String toString() {
            return tool + " " + version;
        }
    }

    private static final Pattern VERSION = Pattern.compile("\\(PostgreSQL\\) (\\d+)(?:\\.(\\d+))?(\\S*)");

    private final List<Path> dirs;
    private final Duration lockWait;
    /** Probing runs each program once ({@code --version}); a command asks several times. */
    private final Map<String, CompletableFuture<List<Binary>>> found = new ConcurrentHashMap<>();

    /** The programs in {@code dirs} only, waiting {@link LockWait#DEFAULT} for table locks. */
    public PgTools(List<Path> dirs) {
        this(dirs, LockWait.DEFAULT);
    }

    public PgTools(List<Path> dirs, Duration lockWait) {
        this.dirs = dirs;
        this.lockWait = lockWait;
    }

    /**
     * The programs in {@code first} (the configured folders), then in the folders of {@code PATH}, then in
     * {@code /usr/lib/postgresql/<major>/bin}; they wait up to {@code lockWait} for a table lock.
     */
    public static PgTools search(List<Path> first, Duration lockWait) {
        Set<Path> dirs = new LinkedHashSet<>(first);
        String path = System.getenv("PATH"); // the system's search path, not a setting of Lifeboat's
        if (path != null) {
            for (String d : path.split(":")) {
                if (!d.isBlank()) {
                    dirs.add(Path.of(d));
                }
            }
        }
        Path lib = Path.of("/usr/lib/postgresql");
        if (Files.isDirectory(lib)) {
            try (DirectoryStream<Path> majors = Files.newDirectoryStream(lib)) {
                for (Path m : majors) {
                    dirs.add(m.resolve("bin"));
                }
            } catch (IOException ignored) {
                // unreadable: fall back to PATH alone
            }
        }
        return new PgTools(new ArrayList<>(dirs), lockWait);
    }

    /** How long a backup or restore waits for a table lock that another session holds. */
    public Duration lockWait() {
        return lockWait;
    }

    /**
     * Starts looking for these tools in the background, so that their {@code --version} runs overlap with the
     * command's other start-up work (reading the repository, connecting to the server) instead of adding to it.
     */
    public void prefetch(String... tools) {
        for (String tool : tools) {
            found.computeIfAbsent(tool, t -> CompletableFuture.supplyAsync(() -> probeAll(t), PgTools::daemon));
        }
    }

    /** Runs {@code task} on a thread of its own: each probe mostly waits for a process. */
    private static void daemon(Runnable task) {
        Thread t = new Thread(task, "pg-tools-probe");
        t.setDaemon(true);
        t.start();
    }

    /** Every distinct version of {@code tool} found, lowest major first. */
    public List<Binary> find(String tool) {
        try {
            return found.computeIfAbsent(tool, t -> CompletableFuture.completedFuture(probeAll(t))).join();
        } catch (CompletionException e) {
            throw e.getCause() instanceof RuntimeException r ? r : e;
        }
    }

    private List<Binary> probeAll(String tool) {
        List<Binary> found = new ArrayList<>();
        Set<Path> seen = new LinkedHashSet<>();
        for (Path dir : dirs) {
            Path p = dir.resolve(tool);
            if (!Files.isExecutable(p)) {
                continue;
            }
            Path real;
            try {
                real = p.toRealPath();
            } catch (IOException e) {
                continue;
            }
            // Debian's /usr/bin/pg_dump is a wrapper script choosing a version itself: prefer real binaries.
            if (!seen.add(real) || isWrapper(real)) {
                continue;
            }
            Binary b = probe(tool, p);
            if (b != null && found.stream().noneMatch(x -> x.major() == b.major())) {
                found.add(b);
            }
        }
        found.sort(Comparator.comparingInt(Binary::major));
        return List.copyOf(found);
    }

    private static boolean isWrapper(Path real) {
        return real.getFileName().toString().equals("pg_wrapper");
    }

    static Binary probe(String tool, Path path) {
        try {
            Process p = new ProcessBuilder(path.toString(), "--version").redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
            if (!p.waitFor(10, TimeUnit.SECONDS) || p.exitValue() != 0) {
                return null;
            }
            Matcher m = VERSION.matcher(out);
            if (!m.find()) {
                return null;
            }
            String version = m.group(1) + (m.group(2) != null ? "." + m.group(2) : "") + m.group(3);
            return new Binary(tool, path, Integer.parseInt(m.group(1)), version);
        } catch (IOException e) {
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }

    /**
     * The program to use with a server of major version {@code serverMajor}.
     *
     * @throws LifeboatException (TOOLS) naming the versions found and the package to install
     */
    public Binary choose(String tool, int serverMajor, String forWhat) {
        List<Binary> all = find(tool);
        for (Binary b : all) {
            if (b.major() >= serverMajor) {
                return b;
            }
        }
        String found = all.isEmpty() ? "none was found" : "found only " + all.stream().map(Binary::toString).toList();
        throw new LifeboatException(ErrorCode.TOOLS,
                forWhat + " needs " + tool + " " + serverMajor + " or newer, and " + found
                        + " (looked in LIFEBOAT_PG_BIN, PATH and /usr/lib/postgresql/*/bin)",
                "install postgresql-client-" + serverMajor + " (Debian/Ubuntu, from apt.postgresql.org if your "
                        + "release lacks it) or add its bin folder to LIFEBOAT_PG_BIN");
    }

    /** The newest version of {@code tool}, for work any version can do (psql queries). */
    public Binary newest(String tool) {
        List<Binary> all = find(tool);
        if (all.isEmpty()) {
            throw new LifeboatException(ErrorCode.TOOLS, tool + " was not found in LIFEBOAT_PG_BIN, PATH or "
                    + "/usr/lib/postgresql/*/bin", "install the PostgreSQL client tools (Debian: postgresql-client)");
        }
        return all.get(all.size() - 1);
    }
}
