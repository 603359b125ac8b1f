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
    public Running start(Map<String, String> baseEnvironment) {
        return start(baseEnvironment, false);
    }

    /** Starts it with its standard error merged into its standard output (a hook's one stream for the log). */
    public Running startMerged(Map<String, String> baseEnvironment) {
        return start(baseEnvironment, true);
    }

    private Running start(Map<String, String> baseEnvironment, boolean merged) {
        ProcessBuilder pb = new ProcessBuilder("sh", "-c", script).redirectErrorStream(merged);
        pb.environment().clear();
        pb.environment().putAll(baseEnvironment);
        pb.environment().putAll(env);
        if (cwd != null) {
            pb.directory(cwd.toFile());
        }
        Process p;
        try {
            p = pb.start();
        } catch (IOException e) {
            throw new LifeboatException(ErrorCode.USAGE, what + " could not start: " + e.getMessage(),
                    cwd == null ? "check that sh is installed" : "check that the folder " + cwd + " exists");
        }
        return new Running(p, System.nanoTime() + timeout.toNanos());
    }

    /**
     * The command as it runs: killed with everything it started when it is still running at its deadline, by a
     * daemon thread of its own (reading its output blocks, so the deadline cannot wait for the reader). Closing it
     * kills what still runs.
     */
    public final class Running implements AutoCloseable {
        private final Process process;
        private volatile boolean timedOut;

        private Running(Process process, long deadline) {
            this.process = process;
            Thread t = new Thread(() -> {
                try {
                    long left = deadline - System.nanoTime();
                    if (left > 0 && process.waitFor(left, TimeUnit.NANOSECONDS)) {
                        return;
                    }
                } catch (InterruptedException e) {
                    return;
                }
                if (process.isAlive()) {
                    timedOut = true;
                    kill(process);
                }
            }, "lifeboat-timeout-" + process.pid());
            t.setDaemon(true);
            t.start();
        }

        public Process process() {
            return process;
        }

        /** Waits for it to end: its exit status, or the error of a command that ran out of time. */
        public int finish() throws InterruptedException {
            int rc = process.waitFor();
            if (timedOut) {
                throw timedOut();
            }
            return rc;
        }

        @Override
        public void close() {
            if (process.isAlive()) {
                kill(process);
            }
        }
    }

    /** The error of a command that ran out of time. */
    private LifeboatException timedOut() {
        return new LifeboatException(ErrorCode.SOURCE, what + " did not end within " + Units.duration(timeout)
                + " and was stopped", "make it faster, or give it more time with timeout: SECONDS");
    }

    /** Stops {@code p} and everything it started. */
    private static void kill(Process p) {
        // the parent first, so that it starts nothing more (a shell would run its next command once its child died);
        // then what it had started, taken before it died (orphans are no longer its descendants)
        List<ProcessHandle> started = p.descendants().toList();
        p.destroyForcibly();
        started.forEach(ProcessHandle::destroyForcibly);
    }
}
