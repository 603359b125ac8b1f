package dev.lifeboat.source;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;

/** Collects the tail of a child process's stderr on a daemon thread, for error messages. */
public final class StderrTail {
    private static final int LIMIT = 16 * 1024;
    private final ByteArrayOutputStream buf = new ByteArrayOutputStream();
    private final Thread thread;

    public StderrTail(InputStream stderr, String name) {
        thread = new Thread(() -> {
            byte[] b = new byte[4096];
            try {
                int n;
                while ((n = stderr.read(b)) >= 0) {
                    synchronized (buf) {
                        if (buf.size() < LIMIT) {
                            buf.write(b, 0, Math.min(n, LIMIT - buf.size()));
                        }
                    }
                }
            } catch (IOException ignored) {
                // process gone
            }
        }, name + "-stderr");
        thread.setDaemon(true);
        thread.start();
    }

    /** The collected text, joined into one line. */
    public String text() {
        try {
            thread.join(5000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        synchronized (buf) {
            return buf.toString(StandardCharsets.UTF_8).trim().replaceAll("\\s*\\n\\s*", "; ");
        }
    }
}
