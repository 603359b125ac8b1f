package dev.lifeboat.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/**
 * The command line as a user meets it first: help in every form, whichever subcommands {@link Main} builds
 * (only the one named, to start faster, or all of them).
 */
class MainTest {
    private record Run(int code, String out, String err) {}

    private static Run run(String... args) {
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

    @Test
    void helpListsEveryCommandAndTheExitCodes() {
        Run r = run("--help");
        assertThat(r.code()).isZero();
        for (String command : new String[] {"init", "backup", "list", "show", "restore", "cat", "verify", "prune",
                "pin", "unpin", "keygen", "token", "serve", "help"}) {
            assertThat(r.out()).containsPattern("(?m)^  " + command + " ");
        }
        assertThat(r.out()).contains("Exit codes:").contains("10  stored data is missing or corrupt");
        assertThat(r.out()).doesNotContain("cds-training");
    }

    @Test
    void helpOfOneCommandInBothForms() {
        Run flag = run("backup", "--help");
        Run word = run("help", "backup");
        assertThat(flag.code()).isZero();
        assertThat(word.code()).isZero();
        assertThat(flag.out()).startsWith("Usage: lifeboat backup").contains("--label");
        assertThat(word.out()).isEqualTo(flag.out());
    }

    @Test
    void unknownCommandIsAUsageError() {
        Run r = run("bakup");
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).contains("Error: Unmatched argument at index 0: 'bakup'").contains("Try: lifeboat --help");
    }

    @Test
    void versionWithoutAnyCommand() {
        Run r = run("--version");
        assertThat(r.code()).isZero();
        assertThat(r.out()).startsWith("lifeboat ");
    }
}
