package dev.lifeboat.testing;

import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;

/**
 * The one rule for tests that need something of the machine (a browser, root, a POSIX file system): on a
 * developer's machine a test without it is skipped, and says what is missing; in CI (environment variable
 * {@code CI=true}, as {@code .ci/run} runs) it fails, since {@code .ci/run} installs everything the tests need and
 * a green build must mean every test ran.
 */
public final class Requirements {
    private Requirements() {}

    /** Whether this is a CI run ({@code CI=true}), where nothing a test needs may be missing. */
    public static boolean inCi() {
        return inCi(System.getenv("CI"));
    }

    static boolean inCi(String ciVariable) {
        return "true".equalsIgnoreCase(ciVariable);
    }

    /**
     * Goes on when {@code present}; otherwise fails the test in CI and skips it elsewhere, saying what is missing.
     *
     * @param what    what the test needs, e.g. "Debian's chromium at /usr/bin/chromium"
     * @param install how to get it, e.g. "apt-get install chromium"
     */
    public static void require(boolean present, String what, String install) {
        require(present, what, install, System.getenv("CI"));
    }

    static void require(boolean present, String what, String install, String ciVariable) {
        if (present) {
            return;
        }
        String message = what + " is missing; " + install;
        if (inCi(ciVariable)) {
            Assertions.fail("CI=true, where a test may not skip: " + message);
        }
        Assumptions.abort(message + " (this test is skipped here; with CI=true it fails)");
    }
}
