package dev.lifeboat.source;

import dev.lifeboat.core.ErrorCode;
import dev.lifeboat.core.LifeboatException;
import dev.lifeboat.core.Units;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A command of the user's (an exec source's backup or restore, a hook), run through {@code sh -c} with the
 * environment Lifeboat has plus the command's own, in its folder, stopped with everything it started when its time
 * is up. Its secrets come from the environment: the command line is the user's own text, shown in logs.
 *
 * @param what    what it is, for messages: {@code source kv (exec): the backup command}, {@code hook before-backup}
 * @param script  the text {@code sh -c} runs
 * @param env     variables added to Lifeboat's own environment
 * @param cwd     the folder it runs in; null for Lifeboat's
 * @param timeout how long it may run
 */
public record Shell(String what, String script, Map<String, String> env, Path cwd, Duration timeout) {
    public Shell {
        env = env == null ? Map.of() : Map.copyOf(env);
    }

    /** Starts it: standard input, output and error are pipes for the caller. */
    public Process start(Map<String, String> baseEnvironment) {
        return start(baseEnvironment, false);
    }

    /** Starts it with its standard error merged into its standard output (a hook's one stream for the log). */
    public Process startMerged(Map<String, String> baseEnvironment) {
        return start(baseEnvironment, true);
    }

    private Process start(Map<String, String> baseEnvironment, boolean merged) {
        ProcessBuilder pb = new ProcessBuilder("sh", "-c", script).redirectErrorStream(merged);
        pb.environment().clear();
        pb.environment().putAll(baseEnvironment);
        pb.environment().putAll(env);
        if (cwd != null) {
            pb.directory(cwd.toFile());
        }
        try {
            return pb.start();
        } catch (IOException e) {
            throw new LifeboatException(ErrorCode.USAGE, what + " could not start: " + e.getMessage(),
                    cwd == null ? "check that sh is installed" : "check that the folder " + cwd + " exists");
        }
    }

    /**
     * Kills {@code p} and everything it started when it is still running at {@code deadline} (System.nanoTime), on a
     * daemon thread of its own; {@link #timedOut()} of the returned watch then says so.
     */
    public static Watch watch(Process p, long deadline) {
        Watch w = new Watch(p, deadline);
        Thread t = new Thread(w, "lifeboat-timeout-" + p.pid());
        t.setDaemon(true);
        t.start();
        return w;
    }

    /**
     * Waits for {@code p} until the timeout counted from {@code startedNanos}; kills it and everything it started
     * when the time is up, and throws an error naming the command.
     */
    public int await(Process p, long startedNanos) throws InterruptedException {
        long left = timeout.toNanos() - (System.nanoTime() - startedNanos);
        if (left <= 0 || !p.waitFor(left, TimeUnit.NANOSECONDS)) {
            kill(p);
            throw timedOut();
        }
        return p.exitValue();
    }

    /** The error of a command that ran out of time. */
    public LifeboatException timedOut() {
        return new LifeboatException(ErrorCode.SOURCE, what + " did not end within " + Units.duration(timeout)
                + " and was stopped", "make it faster, or give it more time with timeout: SECONDS");
    }

    /** Stops {@code p} and everything it started. */
    public static void kill(Process p) {
        // the parent first, so that it starts nothing more (a shell would run its next command once its child died);
        // then what it had started, taken before it died (orphans are no longer its descendants)
        List<ProcessHandle> started = p.descendants().toList();
        p.destroyForcibly();
        started.forEach(ProcessHandle::destroyForcibly);
    }

    /** Waits for a process's deadline and kills it there. */
    public static final class Watch implements Runnable {
        private final Process p;
        private final long deadline;
        private volatile boolean timedOut;

        private Watch(Process p, long deadline) {
            this.p = p;
            this.deadline = deadline;
        }

        @Override
        public void run() {
            try {
                long left = deadline - System.nanoTime();
                if (left > 0 && p.waitFor(left, TimeUnit.NANOSECONDS)) {
                    return;
                }
            } catch (InterruptedException e) {
                return;
            }
            if (p.isAlive()) {
                timedOut = true;
                kill(p);
            }
        }

        public boolean timedOut() {
            return timedOut;
        }
    }
}
