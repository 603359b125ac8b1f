package dev.lifeboat.testing;

import dev.lifeboat.cli.Main;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

/**
 * Runs {@code lifeboat ARGS} in this JVM ({@link Main#run}) with stdout and stderr captured: for tests of what the
 * command line prints that need no separate process (see {@link LifeboatCli} for those that do).
 */
public final class InProcessCli {
    private InProcessCli() {}

    public record Run(int exitCode, String out, String err) {}

    public static synchronized Run run(String... args) {
        PrintStream out = System.out;
        PrintStream err = System.err;
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        ByteArrayOutputStream e = new ByteArrayOutputStream();
        try {
            System.setOut(new PrintStream(o, true, StandardCharsets.UTF_8));
            System.setErr(new PrintStream(e, true, StandardCharsets.UTF_8));
            int code = Main.run(args);
            return new Run(code, o.toString(StandardCharsets.UTF_8), e.toString(StandardCharsets.UTF_8));
        } finally {
            System.setOut(out);
            System.setErr(err);
        }
    }
}
