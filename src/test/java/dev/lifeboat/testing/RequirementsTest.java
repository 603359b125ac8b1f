package dev.lifeboat.testing;

import org.junit.jupiter.api.Test;
import org.opentest4j.AssertionFailedError;
import org.opentest4j.TestAbortedException;

import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** In CI a missing requirement fails the test, naming it and its package; elsewhere it skips, saying the same. */
class RequirementsTest {
    @Test
    void whatIsPresentGoesOnEverywhere() {
        assertThatCode(() -> Requirements.require(true, "chromium", "apt-get install chromium", "true"))
                .doesNotThrowAnyException();
        assertThatCode(() -> Requirements.require(true, "chromium", "apt-get install chromium", null))
                .doesNotThrowAnyException();
    }

    @Test
    void whatIsMissingFailsInCi() {
        assertThatThrownBy(() -> Requirements.require(false, "Debian's chromium at /usr/bin/chromium",
                "apt-get install chromium", "true"))
                .isInstanceOf(AssertionFailedError.class)
                .hasMessage("CI=true, where a test may not skip: Debian's chromium at /usr/bin/chromium is missing;"
                        + " apt-get install chromium");
        assertThatThrownBy(() -> Requirements.require(false, "root", "run as root", "TRUE"))
                .isInstanceOf(AssertionFailedError.class);
    }

    @Test
    void whatIsMissingSkipsElsewhereAndSaysWhy() {
        for (String ci : new String[] {null, "", "false", "1"}) {
            assertThatThrownBy(() -> Requirements.require(false, "root", "run as root", ci)).as("CI=" + ci)
                    .isInstanceOf(TestAbortedException.class)
                    .hasMessageContaining("root is missing; run as root");
        }
    }
}
