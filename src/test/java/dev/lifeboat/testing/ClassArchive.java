package dev.lifeboat.testing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A class-data-sharing archive of the packaged jar (the JDK's dynamic AppCDS), as the {@code lifeboat} launcher
 * makes one: each of the hundreds of {@code java -jar lifeboat.jar} runs of the integration tests then maps the
 * classes it loads at start-up (picocli, Jackson, Logback, the repository, the S3 SDK) from the archive instead of
 * reading, verifying and parsing them from the jar again, which saves a few tenths of a second of CPU per run.
 *
 * <p>It changes nothing of what runs: the same jar, the same classes. The JVM checks that the archive was made from
 * this very jar (path, size, modification time) and loads the classes from the jar as usual when it was not, or when
 * the archive is missing or unreadable (as it is for another OS user). The {@code cds} log is off, so that none of
 * this is printed to the output the tests read.
 *
 * <p>The archive is {@code lifeboat-tests.jsa} beside the jar, made once per build of the jar by the first test JVM
 * that needs it, from the launcher's training run ({@code lifeboat cds-training}: no database, no network); forks
 * that make it at the same time each write their own file and move it into place. {@code -Dlifeboat.cds=false}
 * runs without it.
 */
final class ClassArchive {
    /** The options every run of the jar gets, whether or not it has an archive: they must be the dump's too. */
    static final List<String> JVM_OPTIONS = List.of("-Xmx256m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1");
    /** No line about the archive, missing or not, on standard output. */
    private static final String QUIET = "-Xlog:cds*=off";

    private static Path archived;
    private static List<String> options;

    private ClassArchive() {}

    /**
     * The options that map the archive of {@code jar}, the packaged jar, made first if need be; none when it cannot
     * be made.
     */
    static synchronized List<String> options(Path jar) {
        if (!Boolean.parseBoolean(System.getProperty("lifeboat.cds", "true"))) {
            return List.of();
        }
        if (options == null || !jar.equals(archived)) {
            archived = jar;
            options = make(jar);
        }
        return options;
    }

    private static List<String> make(Path jar) {
        Path archive = jar.resolveSibling("lifeboat-tests.jsa");
        List<String> use = List.of("-XX:SharedArchiveFile=" + archive, QUIET);
        Path dump = null;
        try {
            if (Files.isRegularFile(archive)
                    && Files.getLastModifiedTime(archive).compareTo(Files.getLastModifiedTime(jar)) > 0) {
                return use;
            }
            dump = Files.createTempFile(jar.getParent(), ".lifeboat-tests-", ".jsa");
            Files.delete(dump); // the JVM writes it anew
            List<String> command = new ArrayList<>(List.of("java"));
            command.addAll(JVM_OPTIONS);
            command.addAll(List.of("-XX:ArchiveClassesAtExit=" + dump, QUIET, "-Dlifeboat.tty=false",
                    "-jar", jar.toString(), "cds-training"));
            Process p = new ProcessBuilder(command).directory(jar.getParent().toFile())
                    .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD)
                    .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null"))).start();
            boolean ended = p.waitFor(2, TimeUnit.MINUTES);
            if (!ended) {
                p.destroyForcibly().waitFor();
            }
            if (!ended || p.exitValue() != 0 || !Files.isRegularFile(dump)) {
                return List.of(); // slower runs, nothing else
            }
            Files.move(dump, archive, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            return use;
        } catch (IOException e) {
            return List.of();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return List.of();
        } finally {
            if (dump != null) {
                try {
                    Files.deleteIfExists(dump);
                } catch (IOException ignored) {
                    // a stray hidden file in target/
                }
            }
        }
    }
}
