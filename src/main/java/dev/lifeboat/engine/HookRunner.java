package dev.lifeboat.engine;

import dev.lifeboat.config.Hook;
import dev.lifeboat.core.ErrorCode;
import dev.lifeboat.core.LifeboatException;
import dev.lifeboat.repository.Manifest;
import dev.lifeboat.source.Shell;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Map;

/**
 * Runs a hook through {@code sh -c}: its output, standard error merged in, goes line by line to the log and to the
 * progress (a job shows the last line), and the tail of it into the error when it fails or runs out of time.
 */
final class HookRunner {
    private static final Logger LOG = LoggerFactory.getLogger(HookRunner.class);
    private static final int TAIL_LINES = 5;

    private HookRunner() {}

    /**
     * Runs {@code hook} ({@code source} null for the stack's own); an error naming it when it exits non-zero or runs
     * out of time.
     */
    static Manifest.HookRun run(Hook hook, String source, Map<String, String> env, Progress progress)
            throws InterruptedException {
        String what = (source == null ? "" : "source " + source + ": ") + "hook " + hook.name();
        Shell shell = new Shell(what, hook.command(), Map.of(), null, hook.timeout());
        LOG.info("{}: running {}", what, hook.command());
        progress.step(what);
        long t0 = System.nanoTime();
        Deque<String> tail = new ArrayDeque<>();
        int rc;
        try (Shell.Running running = shell.startMerged(env)) {
            Process p = running.process();
            try (BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(),
                    StandardCharsets.UTF_8))) {
                p.getOutputStream().close();
                String line;
                while ((line = out.readLine()) != null) {
                    LOG.info("{}: {}", what, line);
                    progress.step(what + ": " + line);
                    tail.addLast(line);
                    if (tail.size() > TAIL_LINES) {
                        tail.removeFirst();
                    }
                }
            } catch (IOException e) {
                // the hook closed its output, or was stopped: its exit says what happened
            }
            rc = running.finish();
        }
        double seconds = (System.nanoTime() - t0) / 1e9;
        if (rc != 0) {
            throw new LifeboatException(ErrorCode.SOURCE, what + " exited with status " + rc
                    + (tail.isEmpty() ? "" : ": " + String.join("; ", tail)), "run it by hand to see why: "
                    + hook.command());
        }
        LOG.info("{}: done in {} s", what, String.format(java.util.Locale.ROOT, "%.1f", seconds));
        return new Manifest.HookRun(hook.name(), source, rc, Math.round(seconds * 10) / 10.0);
    }
}
