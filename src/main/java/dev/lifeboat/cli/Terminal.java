package dev.lifeboat.cli;

import dev.lifeboat.core.ErrorCode;
import dev.lifeboat.core.LifeboatException;
import dev.lifeboat.engine.Progress;
import me.tongfei.progressbar.ConsoleProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

import java.io.Console;
import java.io.PrintStream;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;

/**
 * What the CLI shows a person: progress bars only on a terminal, times and tables. Sizes and durations
 * come from {@link dev.lifeboat.core.Units}, as in the web UI.
 */
final class Terminal {
    private Terminal() {}

    /** Whether stderr is a terminal (the launcher tells; a bare {@code java -jar} falls back to the console). */
    static boolean interactive() {
        String tty = System.getProperty("lifeboat.tty");
        return tty != null ? tty.equals("true") : System.console() != null;
    }

    /**
     * Whether stdout is a terminal: the launcher tells ({@code lifeboat.stdout.tty}); else Linux's
     * {@code /proc/self/fd/1} says where it points; else the console decides.
     */
    static boolean stdoutIsTerminal() {
        String tty = System.getProperty("lifeboat.stdout.tty");
        if (tty != null) {
            return tty.equals("true");
        }
        try {
            String target = java.nio.file.Files.readSymbolicLink(java.nio.file.Path.of("/proc/self/fd/1")).toString();
            return target.startsWith("/dev/pts/") || target.startsWith("/dev/tty") || target.equals("/dev/console");
        } catch (java.io.IOException | UnsupportedOperationException e) {
            return System.console() != null;
        }
    }

    private static final long KIB = 1024;
    private static final long MIB = 1024 * 1024;
    /** Known sizes below this get no progress bar: they are read in a moment. */
    static final long NO_BAR_BELOW = MIB;

    /** The unit a progress bar counts in: KiB for a known size below 64 MiB, else MiB. */
    static long unitOf(long totalBytes) {
        return totalBytes >= 0 && totalBytes < 64 * MIB ? KIB : MIB;
    }

    static Progress progress() {
        if (!interactive()) {
            return Progress.NONE;
        }
        return new Progress() {
            private ProgressBar bar;
            /** The bar's total, when it is only a guess (-1 otherwise). */
            private long guess = -1;

            @Override
            public void startEstimated(String task, java.util.function.LongSupplier estimate) {
                long e = estimate.getAsLong();
                if (e > 0) {
                    start(task + " (size estimated)", e);
                    guess = e;
                } else {
                    start(task, -1);
                }
            }

            @Override
            public void start(String task, long totalBytes) {
                guess = -1;
                if (totalBytes >= 0 && totalBytes < NO_BAR_BELOW) {
                    bar = null; // done before a bar could say anything: "0/0 MiB ? MiB/s" helps nobody
                    return;
                }
                long unit = unitOf(totalBytes);
                bar = new ProgressBarBuilder().setTaskName(task).setInitialMax(totalBytes)
                        .setUnit(unit == KIB ? " KiB" : " MiB", unit).showSpeed().setStyle(ProgressBarStyle.ASCII)
                        .setConsumer(new ConsoleProgressBarConsumer(System.err)).setUpdateIntervalMillis(250)
                        .build();
            }

            @Override
            public void update(long bytesDone) {
                if (bar != null) {
                    if (guess > 0 && bytesDone > guess) {
                        bar.maxHint(-1); // the guess was short: no ETA rather than a wrong one
                        guess = -1;
                    }
                    bar.stepTo(bytesDone);
                }
            }

            @Override
            public void step(String description) {
                finish();
                System.err.println(description);
            }

            @Override
            public void finish() {
                if (bar != null) {
                    if (guess > 0) {
                        bar.maxHint(bar.getCurrent()); // ends at 100% whatever the guess was
                    }
                    bar.close();
                    bar = null;
                }
            }
        };
    }

    /**
     * A password typed on the console, not echoed; null when there is no console (Lifeboat's input or output is not a
     * terminal) or the terminal went away.
     */
    static char[] readPassword(String question) {
        Console console = System.console();
        return console == null ? null
                : readInterruptibly(() -> console.readPassword("%s", question), "stopped at the password prompt");
    }

    /**
     * What {@code read} reads from the console, read on a thread of its own: a console read cannot be interrupted, and
     * a Ctrl-C at a question must stop the command at once (see {@link Main}), not after the stop's grace period.
     * Null when the terminal went away; a stop meanwhile is the error {@code stopped}.
     */
    static <T> T readInterruptibly(Callable<T> read, String stopped) {
        FutureTask<T> answer = new FutureTask<>(read);
        Thread reader = new Thread(answer, "console-read");
        reader.setDaemon(true);
        reader.start();
        try {
            return answer.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new LifeboatException(ErrorCode.ABORTED, stopped, null);
        } catch (ExecutionException e) {
            return null;
        }
    }

    /** An instant as {@code 2026-11-21 03:00:00Z}. */
    static String time(java.time.Instant t) {
        return t.truncatedTo(java.time.temporal.ChronoUnit.SECONDS).toString().replace("T", " ");
    }

    /**
     * {@code text} with its control characters (C0, DEL, C1: terminal escapes, newlines, carriage returns) written
     * as {@code \xNN}, so that a label, a purpose or a message read from storage or the API cannot move the
     * cursor, rewrite what was printed before it, or pass for another line.
     */
    static String safe(String text) {
        if (text == null) {
            return null;
        }
        StringBuilder b = null;
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            boolean control = c < 0x20 || c == 0x7f || (c >= 0x80 && c < 0xa0);
            if (control && b == null) {
                b = new StringBuilder(text.length() + 8).append(text, 0, i);
            }
            if (b != null) {
                if (control) {
                    b.append(String.format(java.util.Locale.ROOT, "\\x%02x", (int) c));
                } else {
                    b.append(c);
                }
            }
        }
        return b == null ? text : b.toString();
    }

    /** {@code out} whose {@code println(String)} writes {@link #safe} text: for output made of stored values. */
    static PrintStream safe(PrintStream out) {
        return new PrintStream(out, true, java.nio.charset.StandardCharsets.UTF_8) {
            @Override
            public void println(String x) {
                super.println(Terminal.safe(x));
            }

            @Override
            public void print(String x) {
                super.print(Terminal.safe(x));
            }
        };
    }

    static void table(PrintStream out, java.util.List<String[]> rows) {
        if (rows.isEmpty()) {
            return;
        }
        rows = rows.stream().map(r -> java.util.Arrays.stream(r).map(Terminal::safe).toArray(String[]::new)).toList();
        int[] w = new int[rows.get(0).length];
        for (String[] r : rows) {
            for (int i = 0; i < r.length; i++) {
                w[i] = Math.max(w[i], r[i].length());
            }
        }
        for (String[] r : rows) {
            StringBuilder b = new StringBuilder();
            for (int i = 0; i < r.length; i++) {
                b.append(r[i]);
                if (i < r.length - 1) {
                    b.append(" ".repeat(w[i] - r[i].length() + 2));
                }
            }
            out.println(b.toString().stripTrailing());
        }
    }
}
