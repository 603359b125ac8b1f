package dev.lifeboat.cli;

import dev.lifeboat.core.ErrorCode;
import dev.lifeboat.core.LifeboatException;
import dev.lifeboat.core.Units;
import dev.lifeboat.repository.Json;
import dev.lifeboat.repository.Manifest;
import dev.lifeboat.repository.Repository;
import dev.lifeboat.source.Restorer;
import dev.lifeboat.source.files.Entry;
import dev.lifeboat.source.files.FilesType;
import dev.lifeboat.source.files.TreeListing;
import dev.lifeboat.storage.Storage;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.PrintStream;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

@Command(name = "ls", mixinStandardHelpOptions = true, description = {
        "List the files of a backup's files source, from its file list alone (no file is read).",
        "One line per entry: type, mode, owner, size, time, path (control characters in names shown as \\xNN)."})
final class LsCommand implements Callable<Integer> {
    @Mixin
    Common common;

    @Parameters(index = "0", paramLabel = "ID", description = "Backup id, a unique start or end of it, or 'latest'.")
    String id;

    @Parameters(index = "1", arity = "0..1", paramLabel = "PATH",
            description = "Only this path of the tree and what is below it.")
    String path;

    @Option(names = "--source", paramLabel = "NAME", description = "Which files source (needed when the backup has several).")
    String source;

    @Option(names = "--json", description = "One JSON object per entry, as the file list holds it.")
    boolean json;

    @Override
    public Integer call() throws Exception {
        try (Storage storage = common.openStorage()) {
            Repository repo = common.openRepository(storage);
            Manifest m = repo.resolveManifest(id, null);
            List<String> trees = m.artifacts().stream().filter(a -> FilesType.TREE.equals(a.format()))
                    .map(a -> a.source()).toList();
            if (trees.isEmpty()) {
                throw new LifeboatException(ErrorCode.NOT_FOUND, "backup " + m.id() + " holds no files source",
                        "its sources are: " + String.join(", ", m.sources().stream().map(Manifest.Source::name)
                                .toList()));
            }
            String chosen = source;
            if (chosen == null) {
                if (trees.size() > 1) {
                    throw new LifeboatException(ErrorCode.USAGE, "backup " + m.id() + " holds several files sources: "
                            + String.join(", ", trees), "choose one with --source NAME");
                }
                chosen = trees.get(0);
            } else if (!trees.contains(chosen)) {
                throw new LifeboatException(ErrorCode.NOT_FOUND, "backup " + m.id() + " holds no files source named '"
                        + chosen + "'", "its files sources are: " + String.join(", ", trees));
            }
            String name = chosen;
            var reader = repo.artifactReader(repo.readKeys(common.identities()));
            var artifacts = Restorer.Artifacts.of(m.artifacts().stream().filter(a -> name.equals(a.source()))
                    .toList(), reader::open);
            PrintStream out = System.out;
            List<String[]> rows = new ArrayList<>();
            long[] count = {0};
            TreeListing.read(artifacts, path, e -> {
                count[0]++;
                if (json) {
                    try {
                        out.println(Json.COMPACT.writeValueAsString(e));
                    } catch (java.io.IOException x) {
                        throw new java.io.UncheckedIOException(x);
                    }
                    return;
                }
                rows.add(new String[] {kind(e), String.format("%04o", e.mode()),
                        (e.user() != null ? e.user() : Integer.toString(e.uid())) + ":"
                                + (e.group() != null ? e.group() : Integer.toString(e.gid())),
                        Entry.FILE.equals(e.type()) ? Units.bytes(e.size()) : "",
                        Terminal.time(Instant.ofEpochSecond(0, e.mtimeNs())),
                        Terminal.safe(e.path()) + (e.target() != null ? (Entry.SYMLINK.equals(e.type()) ? " -> " : " => ")
                                + Terminal.safe(e.target()) : "")});
            });
            if (!json) {
                rows.add(0, new String[] {"TYPE", "MODE", "OWNER", "SIZE", "MODIFIED", "PATH"});
                Terminal.table(out, rows);
            }
            if (count[0] == 0 && path != null) {
                throw new LifeboatException(ErrorCode.NOT_FOUND, "no entry " + path + " in source " + name
                        + " of backup " + m.id(), "list the whole tree: lifeboat ls " + m.id() + " --source " + name);
            }
        }
        return 0;
    }

    private static String kind(Entry e) {
        return switch (e.type()) {
            case Entry.DIR -> "d";
            case Entry.SYMLINK -> "l";
            case Entry.HARDLINK -> "h";
            default -> "f";
        };
    }
}
