package dev.lifeboat.cli;

import dev.lifeboat.engine.Progress;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;

/** What a person sees on a terminal: progress bars that say something, in a unit that fits the size. */
class TerminalTest {
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();
    private PrintStream saved;

    @BeforeEach
    void onATerminal() {
        System.setProperty("lifeboat.tty", "true");
        saved = System.err;
        System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
    }

    @AfterEach
    void restore() {
        System.setErr(saved);
        System.clearProperty("lifeboat.tty");
    }

    @Test
    void aSmallBackupShowsNoBarAndALargerOneCountsInAUnitThatFits() {
        Progress p = Terminal.progress();
        p.start("backup tiny", 300_000);
        p.update(300_000);
        p.finish();
        assertThat(err.toString(StandardCharsets.UTF_8)).as("no 0/0 MiB bar for 300 kB").isEmpty();

        p.start("backup small", 10L << 20);
        p.update(5L << 20);
        p.update(10L << 20);
        p.finish();
        String shown = err.toString(StandardCharsets.UTF_8);
        assertThat(shown).contains("backup small").contains("10240/10240 KiB").doesNotContain("0/0");

        err.reset();
        p.start("backup large", 200L << 20);
        p.update(200L << 20);
        p.finish();
        assertThat(err.toString(StandardCharsets.UTF_8)).contains("200/200 MiB");
    }
}
