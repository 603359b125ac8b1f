package dev.lifeboat.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lifeboat.testing.InProcessCli;
import dev.lifeboat.testing.InProcessCli.Run;
import org.junit.jupiter.api.Test;

/**
 * The command line as a user meets it first: help in every form, whichever subcommands {@link Main} builds
 * (only the one named, to start faster, or all of them).
 */
class MainTest {
    private static Run run(String... args) {
        return InProcessCli.run(args);
    }

    @Test
    void helpListsEveryCommandAndTheExitCodes() {
        Run r = run("--help");
        assertThat(r.exitCode()).isZero();
        for (String command : new String[] {"init", "backup", "list", "show", "ls", "restore", "cat", "verify", "prune",
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
        assertThat(flag.exitCode()).isZero();
        assertThat(word.exitCode()).isZero();
        assertThat(flag.out()).startsWith("Usage: lifeboat backup").contains("--label");
        assertThat(word.out()).isEqualTo(flag.out());
    }

    @Test
    void helpTextsAreWholeSentencesAndWrapOnlyBetweenWords() {
        Run main = run("--help");
        // each command's summary in the list is a whole sentence, not the first line of a longer one cut short
        String commands = main.out().substring(main.out().indexOf("Commands:"), main.out().indexOf("Exit codes:"));
        String[] entries = commands.split("\n(?=  [a-z])");
        for (String entry : entries) {
            if (entry.startsWith("Commands:")) {
                continue;
            }
            String summary = entry.strip().replaceAll("\\s+", " ");
            assertThat(summary).as("summary of " + summary.split(" ")[0]).endsWith(".");
        }
        java.util.List<String> texts = new java.util.ArrayList<>(java.util.List.of(main.out()));
        for (String command : new String[] {"init", "backup", "list", "show", "ls", "restore", "cat", "verify", "prune",
                "pin", "unpin", "keygen", "token", "serve"}) {
            texts.add(run(command, "--help").out());
        }
        for (String text : texts) {
            String[] lines = text.split("\n");
            for (int i = 0; i + 1 < lines.length; i++) {
                // picocli breaks a line too long for 80 columns after a dot: "~/." then "aws/credentials"
                boolean nextIsAnEntry = lines[i + 1].matches("^  \\S.*") || lines[i + 1].strip().startsWith("-");
                if (lines[i].length() >= 60 && !nextIsAnEntry) {
                    assertThat(lines[i] + "\n" + lines[i + 1]).as("a word split across lines")
                            .doesNotContainPattern("[A-Za-z/~]\\.\n\\s*[a-z]");
                }
            }
        }
    }

    @Test
    void unknownCommandIsAUsageError() {
        Run r = run("bakup");
        assertThat(r.exitCode()).isEqualTo(2);
        assertThat(r.err()).contains("Error: Unmatched argument at index 0: 'bakup'").contains("Try: lifeboat --help");
    }

    @Test
    void versionWithoutAnyCommand() {
        Run r = run("--version");
        assertThat(r.exitCode()).isZero();
        assertThat(r.out()).startsWith("lifeboat ");
    }

    @Test
    void runningOutOfMemoryInAWorkerSaysHowToRaiseTheHeap() {
        java.io.StringWriter err = new java.io.StringWriter();
        picocli.CommandLine cmd = new picocli.CommandLine(new Main()).setErr(new java.io.PrintWriter(err));
        // as ChunkWriter reports a worker's failure: wrapped, the Error as the cause
        Exception failure = new java.io.IOException("storing app.dump failed",
                new java.util.concurrent.ExecutionException(new OutOfMemoryError("Java heap space")));
        assertThat(Main.handle(failure, cmd, null)).isEqualTo(1);
        assertThat(err.toString()).startsWith("Error: Lifeboat ran out of memory (its heap is limited to ")
                .contains("Try: raise the limit, e.g. LIFEBOAT_JAVA_OPTS='-Xmx").doesNotContain("this is a bug");
    }
}
