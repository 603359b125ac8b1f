package dev.lifeboat.repository;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.lifeboat.core.ErrorCode;
import dev.lifeboat.core.LifeboatException;
import dev.lifeboat.storage.BlobInfo;
import dev.lifeboat.storage.Storage;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.Closeable;
import java.io.IOException;
import java.net.InetAddress;
import java.nio.file.NoSuchFileException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Set;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * A lock held in the repository itself ({@code locks/<uuid>.json}), so that processes on different
 * hosts see each other. Backups take shared locks; maintenance takes an exclusive one. The protocol is
 * write-then-check: write our lock, list the others, and back off if one conflicts; two processes racing
 * both see each other and at worst both back off, never both proceed.
 *
 * <p>A lock records host, pid and a heartbeat that a daemon thread refreshes every
 * {@code staleAfter / 4}, rewriting the blob. A lock whose blob was last written more than {@code staleAfter}
 * before ours, or whose process is gone on this very host, is broken with a warning, so a dead process never
 * blocks a schedule forever. Both times come from the storage's clock (the server's for S3): a host whose own
 * clock is off cannot have its live lock broken, nor keep a dead one. The recorded heartbeat is for people, and
 * the fallback when the storage gives no time for our own lock.
 */
public final class RepositoryLock implements Closeable {
    public enum Kind { SHARED, EXCLUSIVE }

    /**
     * The lock blob's content. {@code kind} is written {@code SHARED} or {@code EXCLUSIVE} (read in either case);
     * {@code machine} names the process space {@code pid} belongs to (see {@link #machine()}), absent in locks of
     * earlier releases, which are then judged by their age alone.
     */
    public record Info(String id, Kind kind, String purpose, String host, long pid, Instant created, Instant heartbeat,
                       String machine) {
        public Info(String id, Kind kind, String purpose, String host, long pid, Instant created, Instant heartbeat) {
            this(id, kind, purpose, host, pid, created, heartbeat, null);
        }

        /** What is missing for this to be a lock, or null when nothing is. */
        String problem() {
            if (id == null || id.isBlank()) {
                return "it has no id";
            }
            if (kind == null) {
                return "it has no kind (SHARED or EXCLUSIVE)";
            }
            if (host == null || created == null || heartbeat == null) {
                return "it has no host, creation time or heartbeat";
            }
            return null;
        }
    }

    /** The lock blob's format version; a lock of a newer one is a conflict, as its meaning is unknown. */
    public static final int FORMAT_VERSION = 1;

    private static final Logger LOG = LoggerFactory.getLogger(RepositoryLock.class);
    public static final Duration DEFAULT_STALE_AFTER = Duration.ofMinutes(5);
    /** The locks of this process that are not released yet. */
    private static final Set<RepositoryLock> HELD = ConcurrentHashMap.newKeySet();
    private static final ObjectMapper JSON = Json.MAPPER;

    private final Storage storage;
    private final Clock clock;
    private final ScheduledExecutorService heartbeat;
    private volatile Info info;
    private volatile boolean lost;
    private boolean brokeExclusive;
    private final Duration staleAfter;
    /** {@link System#nanoTime()} when this process last saw its lock blob in the storage (or wrote it). */
    private volatile long confirmedNanos = System.nanoTime();

    private RepositoryLock(Storage storage, Clock clock, Info info, Duration staleAfter) {
        this.storage = storage;
        this.clock = clock;
        this.info = info;
        this.staleAfter = staleAfter;
        long period = Math.max(1, staleAfter.toMillis() / 4);
        this.heartbeat = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "lifeboat-lock-heartbeat");
            t.setDaemon(true);
            return t;
        });
        heartbeat.scheduleAtFixedRate(this::refresh, period, period, TimeUnit.MILLISECONDS);
        HELD.add(this);
    }

    /**
     * Releases the locks this process still holds: for a command stopped by a signal that could not release
     * them itself in time (it is stuck in a call that cannot be interrupted), just before the process ends.
     */
    public static void releaseAll() {
        for (RepositoryLock lock : HELD) {
            try {
                lock.close();
            } catch (IOException | RuntimeException e) {
                // the process is ending; a lock left behind is broken later as its process is gone
            }
        }
    }

    /** The lock's blob, e.g. {@code locks/<id>.json}. */
    public String blob() {
        return blobName(info.id());
    }

    static String blobName(String id) {
        return "locks/" + id + ".json";
    }

    /**
     * Acquires a lock, waiting up to {@code wait} for conflicting locks to go away (retrying with backoff
     * from 1 to 10 seconds); throws {@link ErrorCode#LOCKED} when they are still there.
     */
    public static RepositoryLock acquire(Storage storage, Kind kind, String purpose, Duration staleAfter, Clock clock,
                                         Duration wait) throws IOException {
        long deadline = System.nanoTime() + wait.toNanos();
        long pause = 1000;
        boolean told = false;
        while (true) {
            try {
                return acquire(storage, kind, purpose, staleAfter, clock);
            } catch (LifeboatException e) {
                long remainingMillis = (deadline - System.nanoTime()) / 1_000_000;
                if (e.code() != ErrorCode.LOCKED || remainingMillis <= 0) {
                    throw e;
                }
                if (!told) {
                    LOG.warn("waiting up to {} s: {}", wait.toSeconds(), e.getMessage());
                    told = true;
                }
                try {
                    Thread.sleep(Math.min(pause, remainingMillis));
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                    throw new java.io.InterruptedIOException("interrupted while waiting for a repository lock");
                }
                pause = Math.min(10_000, pause * 2);
            }
        }
    }

    public static RepositoryLock acquire(Storage storage, Kind kind, String purpose, Duration staleAfter, Clock clock)
            throws IOException {
        Instant now = clock.instant();
        boolean brokeExclusive = false;
        Info mine = new Info(UUID.randomUUID().toString(), kind, purpose, hostname(), ProcessHandle.current().pid(),
                now, now, machine());
        storage.write(blobName(mine.id()), JSON.writeValueAsBytes(mine));
        try {
            List<BlobInfo> locks = storage.list("locks/");
            // The storage's "now": when it stored our lock, a moment ago.
            Instant storageNow = locks.stream().filter(b -> b.name().equals(blobName(mine.id()))).map(BlobInfo::lastModified)
                    .findFirst().orElse(null);
            for (BlobInfo blob : locks) {
                if (blob.name().equals(blobName(mine.id()))) {
                    continue;
                }
                byte[] raw;
                try {
                    raw = storage.readAllBytes(blob.name());
                } catch (NoSuchFileException gone) {
                    continue; // released meanwhile; any other read error of the storage is the storage's failure
                }
                Info other;
                try {
                    other = parse(raw, blob.name(), storage);
                } catch (Unreadable u) {
                    // An unknown owner's lock, of either kind: it conflicts with ours until its blob ages out.
                    String stale = unreadableStaleness(blob.lastModified(), storageNow, staleAfter);
                    if (stale != null) {
                        LOG.warn("breaking lock {}, which cannot be read ({}): {}", blob.name(), u.problem, stale);
                        storage.delete(blob.name());
                        continue;
                    }
                    throw new LifeboatException(ErrorCode.LOCKED, "repository " + storage.location() + " holds lock "
                            + blob.name() + " that cannot be read (" + u.problem + "); it is taken for the lock of an "
                            + "unknown process", blob.lastModified() == null || storageNow == null
                            ? "the storage gives no time for it, so it is never broken by age: if no Lifeboat process "
                            + "uses the repository (check every host that backs up into it), delete " + blob.name()
                            : "wait: it is broken once it has gone unwritten for " + staleAfter.toMinutes() + " minutes "
                            + "(a live lock is rewritten every " + Math.max(1, staleAfter.toSeconds() / 4) + " s); "
                            + "if no Lifeboat process uses the repository, delete " + blob.name() + " to go on now");
                }
                String stale = staleness(other, blob.lastModified(), storageNow, staleAfter, now);
                if (stale != null) {
                    brokeExclusive |= other.kind() == Kind.EXCLUSIVE;
                    LOG.warn("breaking stale {} lock of {} (host {}, pid {}): {}", other.kind().name().toLowerCase(),
                            other.purpose(), other.host(), other.pid(), stale);
                    storage.delete(blob.name());
                    continue;
                }
                if (kind == Kind.EXCLUSIVE || other.kind() == Kind.EXCLUSIVE) {
                    throw new LifeboatException(ErrorCode.LOCKED,
                            "repository " + storage.location() + " is locked by " + other.purpose() + " on host "
                                    + other.host() + " (pid " + other.pid() + ", since " + other.created() + ")",
                            "wait for it to finish; if that process is gone, its lock is broken automatically "
                                    + "once its heartbeat is older than " + staleAfter.toMinutes() + " minutes");
                }
            }
        } catch (IOException | RuntimeException e) {
            try {
                storage.delete(blobName(mine.id()));
            } catch (IOException suppressed) {
                e.addSuppressed(suppressed);
            }
            throw e;
        }
        RepositoryLock lock = new RepositoryLock(storage, clock, mine, staleAfter);
        lock.brokeExclusive = brokeExclusive;
        return lock;
    }

    /**
     * Whether taking this lock broke a stale exclusive lock: a prune that may only be paused, and may still delete
     * chunks it found unreferenced (one delete at the most, see {@link #confirmBeforeDelete()}). A backup then
     * checks that every chunk it references still exists before it commits.
     */
    public boolean brokeExclusive() {
        return brokeExclusive;
    }

    /** A lock blob that is not a lock: garbage, {@code null}, not an object, or missing what a lock must say. */
    static final class Unreadable extends Exception {
        final String problem;

        Unreadable(String problem) {
            super(problem, null, false, false);
            this.problem = problem;
        }
    }

    /**
     * A lock blob read from storage. One of a newer format is a conflict ({@link ErrorCode#LOCKED}: waited for, then
     * reported), never broken by age, since its meaning is unknown; one that is no lock at all is {@link Unreadable},
     * which {@link #acquire} takes for the lock of an unknown process and breaks once its blob has gone unwritten for
     * the stale time: every live holder rewrites its blob, as a lock, four times within that time.
     */
    static Info parse(byte[] raw, String name, Storage storage) throws Unreadable {
        com.fasterxml.jackson.databind.JsonNode tree;
        try {
            tree = JSON.readTree(raw);
        } catch (IOException e) {
            throw new Unreadable("it is not JSON: " + FormatCheck.parserMessage(e));
        }
        if (tree == null || !tree.isObject()) {
            throw new Unreadable(raw.length == 0 ? "it is empty" : "it is not a JSON object");
        }
        com.fasterxml.jackson.databind.JsonNode v = tree.get("formatVersion");
        if (v != null && v.isIntegralNumber() && v.canConvertToInt() && v.asInt() > FORMAT_VERSION) {
            throw new LifeboatException(ErrorCode.LOCKED, "repository " + storage.location() + " holds lock " + name
                    + " that cannot be read: it has format version " + v + ", newer than this Lifeboat knows ("
                    + FORMAT_VERSION + ")", "upgrade Lifeboat; or, if no Lifeboat process uses the repository (check "
                    + "every host that backs up into it), delete " + name + " from it and run the command again");
        }
        if (v != null && !v.isNull() && !(v.isIntegralNumber() && v.canConvertToInt() && v.asInt() >= 1)) {
            throw new Unreadable("its formatVersion " + FormatCheck.shorten(v.toString()) + " is not a version");
        }
        if (tree.get("kind") != null && tree.get("kind").isTextual()) {
            ((com.fasterxml.jackson.databind.node.ObjectNode) tree).put("kind",
                    tree.get("kind").asText().toUpperCase(java.util.Locale.ROOT));
        }
        Info info;
        try {
            info = JSON.treeToValue(tree, Info.class);
        } catch (IOException | RuntimeException e) {
            throw new Unreadable("it is not a valid lock: " + FormatCheck.mappingMessage(e));
        }
        String problem = info.problem();
        if (problem != null) {
            throw new Unreadable(problem);
        }
        return info;
    }

    /**
     * Why an unreadable lock blob is stale, or null while it may still be someone's: its blob was last written more
     * than {@code staleAfter} before {@code storageNow}, by the storage's clock. Without either time it never is.
     */
    static String unreadableStaleness(Instant written, Instant storageNow, Duration staleAfter) {
        if (written == null || storageNow == null) {
            return null;
        }
        Duration age = Duration.between(written, storageNow);
        return age.compareTo(staleAfter) > 0 ? "not written for " + age.toSeconds() + " s" : null;
    }

    /**
     * Why {@code other} is stale, or null when it is alive: its process is gone from this host, or its blob was last
     * written ({@code written}) more than {@code staleAfter} before {@code storageNow}, both by the storage's clock.
     * Without {@code storageNow}, its recorded heartbeat against our clock {@code now}.
     */
    static String staleness(Info other, Instant written, Instant storageNow, Duration staleAfter, Instant now) {
        if (other.host().equals(hostname()) && other.machine() != null && other.machine().equals(machine())
                && other.pid() != ProcessHandle.current().pid()
                && ProcessHandle.of(other.pid()).map(p -> !p.isAlive()).orElse(true)) {
            return "its process is no longer running";
        }
        Duration age = storageNow != null && written != null ? Duration.between(written, storageNow)
                : Duration.between(other.heartbeat(), now);
        if (age.compareTo(staleAfter) > 0) {
            return "no heartbeat for " + age.toSeconds() + " s";
        }
        return null;
    }

    private void refresh() {
        Info current = info;
        try {
            if (storage.stat(blobName(current.id())).isEmpty()) {
                // Someone judged us stale and broke the lock: never resurrect it, and let the holder know.
                lost = true;
                LOG.warn("repository lock {} ({}) was removed by another process", current.id(), current.purpose());
                heartbeat.shutdown();
                return;
            }
        } catch (IOException e) {
            LOG.warn("could not check repository lock {}: {}", current.id(), e.getMessage());
        }
        Info next = new Info(current.id(), current.kind(), current.purpose(), current.host(), current.pid(),
                current.created(), clock.instant(), current.machine());
        try {
            long before = System.nanoTime();
            storage.write(blobName(next.id()), JSON.writeValueAsBytes(next));
            info = next;
            confirmedNanos = before;
        } catch (IOException e) {
            LOG.warn("could not refresh repository lock {}: {}", next.id(), e.getMessage());
        }
    }

    /**
     * Throws when this lock was broken by another process (its heartbeat looked stale): what was done
     * under it may have raced with maintenance, so the holder must not commit.
     */
    public void checkStillHeld() throws IOException {
        if (lost || storage.stat(blobName(info.id())).isEmpty()) {
            lost = true;
            throw new LifeboatException(ErrorCode.LOCKED, "the repository lock of " + info.purpose()
                    + " was broken by another process while it ran (its heartbeat looked stale)",
                    "run it again: a backup whose lock was broken commits nothing, and a prune stops deleting");
        }
    }

    /**
     * For a holder about to delete: throws, as {@link #checkStillHeld()}, when the lock was broken, looking at the
     * storage again whenever more than a quarter of the stale time passed (by this process's monotonic clock) since
     * it last saw its lock there. Another process breaks the lock only once its blob is a whole stale time old, so a
     * holder that was paused (a stopped VM, a long GC) finds out before its next delete, not after.
     */
    public void confirmBeforeDelete() throws IOException {
        if (lost) {
            checkStillHeld();
        }
        long now = System.nanoTime();
        if (now - confirmedNanos > staleAfter.toNanos() / 4) {
            checkStillHeld();
            confirmedNanos = now;
        }
    }

    public Info info() {
        return info;
    }

    @Override
    public void close() throws IOException {
        // A command stopped by a signal is interrupted; it must still release its lock (S3 calls fail when
        // interrupted), so the interrupt waits until the lock is gone.
        HELD.remove(this);
        boolean interrupted = Thread.interrupted();
        heartbeat.shutdownNow();
        try {
            heartbeat.awaitTermination(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            interrupted = true;
        }
        try {
            storage.delete(blobName(info.id()));
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private static final String MACHINE = readMachine();

    /**
     * This process space: the kernel's boot id and the pid namespace, so that a pid in a lock is checked only where
     * it means the same process (containers share host names, not process spaces); null when unknown (not Linux),
     * and then no lock is judged by its pid.
     */
    public static String machine() {
        return MACHINE;
    }

    private static String readMachine() {
        try {
            String boot = java.nio.file.Files.readString(java.nio.file.Path.of("/proc/sys/kernel/random/boot_id")).strip();
            String ns = java.nio.file.Files.readSymbolicLink(java.nio.file.Path.of("/proc/self/ns/pid")).toString();
            return boot.isEmpty() ? null : boot + "/" + ns;
        } catch (IOException | UnsupportedOperationException | SecurityException e) {
            return null;
        }
    }

    /** This host's name, as locks and manifests record it. */
    public static String hostname() {
        String env = System.getenv("HOSTNAME");
        if (env != null && !env.isBlank()) {
            return env;
        }
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (IOException e) {
            return "unknown";
        }
    }
}
