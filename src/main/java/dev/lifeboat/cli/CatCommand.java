package dev.lifeboat.cli;

import dev.lifeboat.core.ErrorCode;
import dev.lifeboat.core.LifeboatException;
import dev.lifeboat.engine.Progress;
import dev.lifeboat.repository.Artifact;
import dev.lifeboat.repository.Manifest;
import dev.lifeboat.repository.Repository;
import dev.lifeboat.storage.Storage;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.FileOutputStream;
import java.io.FileDescriptor;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.concurrent.Callable;

@Command(name = "cat", mixinStandardHelpOptions = true, description = {
        "Write an artifact's plain bytes to stdout or a file (e.g. a pg_dump archive for pg_restore).",
        "A binary artifact is not written to a terminal: redirect stdout, pipe it, or give -o FILE."})
final class CatCommand implements Callable<Integer> {
    @Mixin
    Common common;

    @Option(names = {"-o", "--output"}, paramLabel = "FILE",
            description = "Write to this new file (owner-only, 0600) instead of stdout; it appears only when complete.")
    Path output;

    @Parameters(index = "0", paramLabel = "ID", description = "Backup id, a unique start or end of it (such as its 6 hex digits), or 'latest'.")
    String id;

    @Parameters(index = "1", paramLabel = "ARTIFACT", description = "Artifact name, as 'show' lists it (e.g. app.dump); "
            + "or NAME.tar for the tree of the files source NAME, as a tar stream (| tar -x).")
    String artifactName;

    /** The tree of the files source {@code source} of {@code m} as a tar stream, to stdout or {@code -o FILE}. */
    private int tar(Repository repo, Manifest m, String source) throws Exception {
        if (output == null && Terminal.stdoutIsTerminal()) {
            throw new LifeboatException(ErrorCode.USAGE, source + ".tar is binary and stdout is a terminal",
                    "pipe it (lifeboat cat " + m.id() + " " + source + ".tar | tar -x -C DIR), or give -o FILE");
        }
        var reader = repo.artifactReader(repo.readKeys(common.identities()));
        var artifacts = dev.lifeboat.source.Restorer.Artifacts.of(m.artifacts().stream()
                .filter(x -> source.equals(x.source())).toList(), reader::open);
        Path partial = null;
        if (output != null) {
            if (Files.exists(output, LinkOption.NOFOLLOW_LINKS)) {
                throw new LifeboatException(ErrorCode.USAGE, output + " already exists",
                        "give a new file name, or delete it first");
            }
            partial = Files.createTempFile(output.toAbsolutePath().getParent(), "." + output.getFileName() + ".",
                    ".partial", PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        }
        try {
            try (OutputStream out = new java.io.BufferedOutputStream(partial != null ? Files.newOutputStream(partial)
                    : new FileOutputStream(FileDescriptor.out), 1 << 16)) {
                dev.lifeboat.source.files.TreeTar.write(artifacts, out);
            }
            if (partial != null) {
                Files.move(partial, output, StandardCopyOption.ATOMIC_MOVE);
                partial = null;
            }
        } catch (java.io.IOException e) {
            if (String.valueOf(e.getMessage()).contains("Broken pipe")) {
                return 0; // the reader stopped early: not an error
            }
            throw e;
        } finally {
            if (partial != null) {
                Files.deleteIfExists(partial); // an incomplete tar never looks like the whole tree
            }
        }
        return 0;
    }

    @Override
    public Integer call() throws Exception {
        try (Storage storage = common.openStorage()) {
            Repository repo = common.openRepository(storage);
            Manifest m = repo.resolveManifest(id, null);
            Artifact a = m.artifact(artifactName);
            String tree = a == null ? dev.lifeboat.source.files.TreeTar.sourceOf(artifactName, m.artifacts()) : null;
            if (tree != null) {
                return tar(repo, m, tree);
            }
            if (a == null) {
                throw new LifeboatException(ErrorCode.NOT_FOUND, "backup " + m.id() + " has no artifact '"
                        + artifactName + "'", "give one of its artifacts: " + String.join(", ",
                        m.artifacts().stream().map(Artifact::name).toList()));
            }
            if (output == null && !Artifact.PG_DUMPALL_GLOBALS.equals(a.format()) && Terminal.stdoutIsTerminal()) {
                throw new LifeboatException(ErrorCode.USAGE, "artifact " + a.name() + " is binary (" + a.format()
                        + ") and stdout is a terminal", "redirect it (lifeboat cat " + m.id() + " " + a.name()
                        + " > " + a.name() + "), pipe it (| pg_restore --list), or give -o " + a.name());
            }
            Path partial = null;
            if (output != null) {
                if (Files.exists(output, LinkOption.NOFOLLOW_LINKS)) {
                    throw new LifeboatException(ErrorCode.USAGE, output + " already exists",
                            "give a new file name, or delete it first");
                }
                Path dir = output.toAbsolutePath().getParent();
                partial = Files.createTempFile(dir, "." + output.getFileName() + ".", ".partial",
                        PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            }
            var keys = repo.readKeys(common.identities());
            Progress progress = Terminal.progress();
            OutputStream out = partial != null ? Files.newOutputStream(partial)
                    : new FileOutputStream(FileDescriptor.out);
            try (InputStream in = progress.track(repo.artifactReader(keys).open(a), "cat " + a.name(), a.size())) {
                byte[] buf = new byte[1 << 16];
                int n;
                while ((n = in.read(buf)) >= 0) {
                    out.write(buf, 0, n);
                }
                out.flush();
                if (partial != null) {
                    out.close();
                    Files.move(partial, output, StandardCopyOption.ATOMIC_MOVE);
                    partial = null;
                }
            } catch (java.io.IOException e) {
                if (e instanceof dev.lifeboat.repository.CorruptChunkException c) {
                    throw new LifeboatException(ErrorCode.INTEGRITY, "backup " + m.id() + ", artifact " + a.name()
                            + ": " + c.getMessage(), "the output is incomplete; restore the chunk from a replica "
                            + "or use an older backup", c);
                }
                if (String.valueOf(e.getMessage()).contains("Broken pipe")) {
                    return 0; // the reader stopped early (| head, pg_restore --list): not an error
                }
                throw e;
            } finally {
                if (partial != null) {
                    out.close();
                    Files.deleteIfExists(partial); // an incomplete copy never looks like the artifact
                }
            }
        }
        return 0;
    }
}
