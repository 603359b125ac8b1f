package dev.lifeboat.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Runs the packaged {@code lifeboat.jar} as a user would, in its own JVM, with a controlled environment.
 * Integration tests use it so that what they check is what ships: exit codes, stdout, stderr. Each run maps the
 * jar's class-data archive ({@link ClassArchive}), as the {@code lifeboat} launcher does, to start faster.
 */
public final class LifeboatCli {
    /** What one run printed and returned. */
    public record Result(int exitCode, String stdout, String stderr) {
        public Result expectSuccess() {
            if (exitCode != 0) {
                throw new AssertionError("lifeboat exited " + exitCode + "\nstdout: " + stdout + "\nstderr: " + stderr);
            }
            return this;
        }
    }

    private final Path workDir;
    private final Map<String, String> env = new HashMap<>();
    private List<String> prefix = List.of();
    private Path jar;

    public LifeboatCli(Path workDir) {
        this.workDir = workDir;
        env.putAll(System.getenv());
        env.keySet().removeIf(k -> k.startsWith("PG") || k.startsWith("LIFEBOAT_") || k.startsWith("AWS_")
                || k.equals("DATABASE_URL"));
        // Keep the host's chunk-id keys out of the user's home.
        env.put("LIFEBOAT_KEY_DIR", workDir.resolve("keys").toString());
    }

    public static Path jar() {
        String jar = System.getProperty("lifeboat.jar");
        if (jar == null || !Files.isRegularFile(Path.of(jar))) {
            throw new IllegalStateException("the packaged jar is missing (" + jar + "): integration tests run "
                    + "after 'mvn package', i.e. with 'mvn verify'");
        }
        return Path.of(jar);
    }

    public LifeboatCli env(String key, String value) {
        if (value == null) {
            env.remove(key);
        } else {
            env.put(key, value);
        }
        return this;
    }

    /** Runs each command through {@code prefix} (such as {@code runuser -u nobody --}), from {@code jar}. */
    public LifeboatCli via(List<String> prefix, Path jar) {
        this.prefix = List.copyOf(prefix);
        this.jar = jar;
        return this;
    }

    public Path workDir() {
        return workDir;
    }

    public ProcessBuilder command(String... args) {
        List<String> cmd = new ArrayList<>(prefix);
        cmd.add("java");
        cmd.addAll(ClassArchive.JVM_OPTIONS);
        if (jar == null) { // the packaged jar, not a copy of it run by another user
            cmd.addAll(ClassArchive.options(jar()));
        }
        cmd.addAll(List.of("-Dlifeboat.tty=false", "-jar", (jar != null ? jar : jar()).toString()));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(workDir.toFile());
        pb.environment().clear();
        pb.environment().putAll(env);
        return pb;
    }

    public Result run(String... args) {
        try {
            Path out = Files.createTempFile(workDir, "stdout", ".txt");
            Path err = Files.createTempFile(workDir, "stderr", ".txt");
            Process p = command(args).redirectOutput(out.toFile()).redirectError(err.toFile())
                    .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null"))).start();
            if (!p.waitFor(10, TimeUnit.MINUTES)) {
                p.destroyForcibly();
                throw new AssertionError("lifeboat " + String.join(" ", args) + " did not finish in 10 minutes");
            }
            Result r = new Result(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8),
                    Files.readString(err, StandardCharsets.UTF_8));
            Files.delete(out);
            Files.delete(err);
            return r;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted", e);
        }
    }
}
