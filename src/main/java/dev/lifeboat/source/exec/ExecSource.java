package dev.lifeboat.source.exec;

import dev.lifeboat.core.ErrorCode;
import dev.lifeboat.core.LifeboatException;
import dev.lifeboat.repository.Artifact;
import dev.lifeboat.repository.Json;
import dev.lifeboat.repository.Manifest;
import dev.lifeboat.source.ArtifactSink;
import dev.lifeboat.source.Pipes;
import dev.lifeboat.source.RestoreOptions;
import dev.lifeboat.source.Restorer;
import dev.lifeboat.source.Shell;
import dev.lifeboat.source.Source;
import dev.lifeboat.source.SourceContext;
import dev.lifeboat.source.StderrTail;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;

/** A service read and written by commands; see {@link ExecType}. */
final class ExecSource implements Source {
    private final String name;
    private final Shell backup;
    private final Shell restore;
    private final Shell drill;
    private final Path output;
    private final boolean stop;
    private final SourceContext context;

    ExecSource(String name, Shell backup, Shell restore, Shell drill, Path output, boolean stop,
               SourceContext context) {
        this.name = name;
        this.backup = backup;
        this.restore = restore;
        this.drill = drill;
        this.output = output;
        this.stop = stop;
        this.context = context;
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public String type() {
        return "exec";
    }

    @Override
    public boolean readWhileStopped() {
        return stop;
    }

    /** The artifact's name: one per exec source. */
    String artifactName() {
        return name + ".out";
    }

    private String label() {
        return "source " + name + " (exec)";
    }

    @Override
    public Prepared prepare() throws IOException {
        checkFolder(backup);
        if (output != null) {
            Path parent = output.getParent();
            if (parent == null || !Files.isDirectory(parent) || !Files.isWritable(parent)) {
                throw new LifeboatException(ErrorCode.USAGE, label() + ": the folder of output " + output
                        + " does not exist or is not writable", "create it, or choose another output path");
            }
            if (Files.exists(output, LinkOption.NOFOLLOW_LINKS)) {
                // the command would write beside (or into) a leftover, and the backup would read what is not new
                Files.delete(output);
                context.notice().accept(label() + ": removed " + output + ", left by an earlier run, before the "
                        + "backup command writes it again");
            }
        }
        return new Prepared() {
            @Override
            public Manifest.Source backup(ArtifactSink sink) throws IOException, InterruptedException {
                return run(sink);
            }

            @Override
            public void close() {
                if (output != null) {
                    try {
                        Files.deleteIfExists(output);
                    } catch (IOException e) {
                        context.notice().accept(label() + ": could not remove " + output + ": " + e.getMessage());
                    }
                }
            }
        };
    }

    private void checkFolder(Shell shell) {
        if (shell.cwd() != null && !Files.isDirectory(shell.cwd())) {
            throw new LifeboatException(ErrorCode.USAGE, label() + ": its folder (cwd) " + shell.cwd()
                    + " does not exist", "create it, or fix cwd: in lifeboat.yml");
        }
    }

    private Manifest.Source run(ArtifactSink sink) throws IOException, InterruptedException {
        long t0 = System.nanoTime();
        Artifact artifact = null;
        try (Shell.Running running = backup.start(context.environment())) {
            Process p = running.process();
            p.getOutputStream().close();
            StderrTail err = new StderrTail(p.getErrorStream(), "exec-" + name);
            if (output == null) {
                try (InputStream in = p.getInputStream()) {
                    artifact = sink.write(artifactName(), ExecType.FORMAT, in);
                }
            } else {
                p.getInputStream().transferTo(OutputStream.nullOutputStream());
            }
            int rc = running.finish();
            if (rc != 0) {
                throw failed(backup, rc, err);
            }
        }
        if (output != null) {
            if (!Files.isRegularFile(output, LinkOption.NOFOLLOW_LINKS)) {
                throw new LifeboatException(ErrorCode.SOURCE, label() + ": the backup command ended well but wrote "
                        + "no file at " + output + (Files.isDirectory(output) ? " (it is a folder; output takes a file)"
                        : ""), "make the command write its backup to " + output + ", or drop output: to read its "
                        + "standard output");
            }
            try (InputStream in = Files.newInputStream(output, LinkOption.NOFOLLOW_LINKS)) {
                artifact = sink.write(artifactName(), ExecType.FORMAT, in);
            }
            Files.delete(output);
        }
        var fields = Json.MAPPER.createObjectNode();
        fields.put("output", output == null ? "stdout" : "file");
        fields.put("bytes", artifact.size());
        fields.put("seconds", (System.nanoTime() - t0) / 1_000_000_000L);
        return new Manifest.Source("exec", name, fields);
    }

    private LifeboatException failed(Shell shell, int rc, StderrTail err) {
        String text = err.text();
        return new LifeboatException(ErrorCode.SOURCE, shell.what() + " exited with status " + rc
                + (text.isEmpty() ? " and wrote nothing to standard error" : ": " + text),
                "run it by hand to see why: " + shell.script());
    }

    @Override
    public Restorer restorer(Manifest.Source recorded, RestoreOptions options, String to) {
        if (to != null) {
            throw new LifeboatException(ErrorCode.USAGE, label() + " restores through its restore command, so it "
                    + "takes no --to", "change where it restores in the restore command of lifeboat.yml");
        }
        if (!options.parts().isEmpty()) {
            throw new LifeboatException(ErrorCode.USAGE, label() + " is restored whole: it has no parts to choose",
                    "leave out --table / --path for it");
        }
        if (restore == null) {
            throw new LifeboatException(ErrorCode.USAGE, label() + " has no restore command, so Lifeboat cannot "
                    + "restore it", "add restore: to it in lifeboat.yml (a command that reads the backup on standard "
                    + "input" + (output == null ? "" : ", or from " + output) + "); or write it out with lifeboat cat");
        }
        return new Restorer() {
            @Override
            public String target() {
                return "the restore command of " + label();
            }

            @Override
            public Inspection inspect() {
                checkFolder(restore);
                // what a command holds cannot be seen from here: assume it holds data, so that a safety backup
                // (through the backup command) is taken first
                return new Inspection(true, "whatever its restore command replaces");
            }

            @Override
            public Source safetySource() {
                return ExecSource.this;
            }

            @Override
            public void restore(Artifacts artifacts) throws IOException, InterruptedException {
                feed(restore, artifact(artifacts, recorded), artifacts);
            }
        };
    }

    /**
     * Runs the drill command with the backup on its standard input (or in the output file): it must exit 0. Nothing
     * to do, and true, without a drill command.
     */
    boolean drill(Manifest.Source recorded, Restorer.Artifacts artifacts) throws IOException, InterruptedException {
        if (drill == null) {
            return false;
        }
        feed(drill, artifact(artifacts, recorded), artifacts);
        return true;
    }

    private Artifact artifact(Restorer.Artifacts artifacts, Manifest.Source recorded) {
        List<Artifact> mine = artifacts.list().stream().filter(a -> ExecType.FORMAT.equals(a.format())).toList();
        if (mine.size() != 1) {
            throw new LifeboatException(ErrorCode.INTEGRITY, label() + ": the backup holds " + mine.size()
                    + " outputs of it, not one", "restore another backup");
        }
        return mine.get(0);
    }

    /** Runs {@code shell} with {@code artifact} on its standard input, or written to the output file first. */
    private void feed(Shell shell, Artifact artifact, Restorer.Artifacts artifacts)
            throws IOException, InterruptedException {
        if (output != null) {
            writeOutput(artifacts, artifact);
        }
        try (Shell.Running running = shell.start(context.environment())) {
            Process p = running.process();
            StderrTail err = new StderrTail(p.getErrorStream(), "exec-" + name);
            Thread drain = new Thread(() -> {
                try (InputStream out = p.getInputStream()) {
                    out.transferTo(OutputStream.nullOutputStream());
                } catch (IOException ignored) {
                    // the program is gone
                }
            }, "exec-" + name + "-stdout");
            drain.setDaemon(true);
            drain.start();
            Exception[] readError = new Exception[1];
            if (output == null) {
                try (InputStream in = artifacts.open(artifact); OutputStream stdin = p.getOutputStream()) {
                    Pipes.copy(in, stdin, p, readError, 64 * 1024);
                } catch (IOException closing) {
                    // the program stopped reading: its exit status says why
                }
            } else {
                p.getOutputStream().close();
            }
            int rc = running.finish();
            Pipes.rethrow(readError); // a chunk that failed its check: the program was killed before the end
            if (rc != 0) {
                throw failed(shell, rc, err);
            }
        } finally {
            if (output != null) {
                Files.deleteIfExists(output);
            }
        }
    }

    private void writeOutput(Restorer.Artifacts artifacts, Artifact artifact) throws IOException {
        Path tmp = output.resolveSibling("." + output.getFileName() + ".lifeboat-tmp");
        Files.deleteIfExists(tmp);
        Files.createFile(tmp, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        try (InputStream in = artifacts.open(artifact)) {
            Files.copy(in, tmp, StandardCopyOption.REPLACE_EXISTING);
            Files.move(tmp, output, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (NoSuchFileException e) {
            throw new LifeboatException(ErrorCode.USAGE, label() + ": cannot write " + output + ": " + e.getMessage(),
                    "create its folder");
        } finally {
            Files.deleteIfExists(tmp);
        }
    }
}
