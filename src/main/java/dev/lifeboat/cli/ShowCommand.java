package dev.lifeboat.cli;

import dev.lifeboat.core.Units;
import dev.lifeboat.repository.Artifact;
import dev.lifeboat.repository.BackupStatus;
import dev.lifeboat.repository.Json;
import dev.lifeboat.repository.Manifest;
import dev.lifeboat.source.SourceType;
import dev.lifeboat.source.Sources;
import dev.lifeboat.repository.Repository;
import dev.lifeboat.storage.Storage;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.PrintStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

@Command(name = "show", mixinStandardHelpOptions = true, description = "Show one backup: sources, versions, artifacts, checksums and table row counts.")
final class ShowCommand implements Callable<Integer> {
    @Mixin
    Common common;

    @Parameters(paramLabel = "ID", description = "Backup id, a unique start or end of it (such as its 6 hex digits), or 'latest'.")
    String id;

    @Option(names = "--json", description = "Print the whole manifest as JSON.")
    boolean json;

    @Override
    public Integer call() throws Exception {
        try (Storage storage = common.openStorage()) {
            Repository repo = common.openRepository(storage);
            Manifest m = repo.resolveManifest(id, null);
            if (json) {
                var node = Json.MAPPER.valueToTree(m);
                ((com.fasterxml.jackson.databind.node.ObjectNode) node).set("verification",
                        Json.MAPPER.valueToTree(repo.status(m.id())));
                var pin = repo.pinOf(m.id());
                ((com.fasterxml.jackson.databind.node.ObjectNode) node).put("pinned", pin.isPresent());
                ((com.fasterxml.jackson.databind.node.ObjectNode) node).set("pin",
                        Json.MAPPER.valueToTree(pin.orElse(null)));
                System.out.println(Json.MAPPER.writeValueAsString(node));
                return 0;
            }
            PrintStream out = Terminal.safe(System.out); // what storage holds is printed, never obeyed as escapes
            out.println("Backup   " + m.id() + (m.label() != null ? "  (" + m.label() + ")" : ""));
            BackupStatus st = repo.status(m.id());
            out.println("Status   " + (st == null ? m.status() + " (never verified)" : st.status() + " (" + st.statusLevel()
                    + (java.util.Objects.equals(st.statusLevel(), st.level()) ? "" : "; last check: " + st.level())
                    + ", " + Terminal.time(st.checked()) + ")") + repo.pinOf(m.id()).map(ShowCommand::pinned).orElse(""));
            if (st != null) {
                st.problems().forEach(p -> out.println("         problem: " + p));
                if (st.drill() != null) {
                    BackupStatus.Drill d = st.drill();
                    out.println("Drill    restored into " + (d.scratchDatabase() == null ? "scratch folders" : d.scratchDatabase()) + " in " + String.format(java.util.Locale.ROOT,
                            "%.1f s", d.seconds()) + ", " + d.tablesChecked() + " tables' row counts checked"
                            + (d.queryResult() != null ? ", check query returned " + d.queryResult() : ""));
                    if (d.sources() != null) {
                        d.sources().forEach(x -> out.println("         " + x.summary()));
                    }
                    d.mismatches().forEach(x -> out.println("         mismatch: " + x));
                }
            }
            out.println("Started  " + Terminal.time(m.started()) + "   finished " + Terminal.time(m.finished()) + "   took "
                    + Units.compactDuration(Duration.between(m.started(), m.finished())));
            out.println("Host     " + m.host() + "   lifeboat " + m.toolVersion());
            out.println("Size     " + Units.bytes(m.logicalBytes()) + " of data, " + Units.bytes(m.storedBytes())
                    + " stored, " + Units.bytes(m.addedBytes()) + " new in this backup");
            for (Manifest.Source s : m.sources()) {
                out.println();
                out.println("Source " + s.name() + " (" + s.type() + ")");
                Sources.describe(s).forEach((k, v) -> out.println("  " + k + ": " + v));
                SourceType.Contents contents = Sources.contents(s);
                if (contents != null) {
                    List<String[]> rows = new ArrayList<>();
                    rows.add(contents.header().stream().map(h -> "  " + h.toUpperCase(java.util.Locale.ROOT))
                            .toArray(String[]::new));
                    for (List<String> r : contents.rows()) {
                        String[] row = r.toArray(String[]::new);
                        row[0] = "  " + row[0];
                        rows.add(row);
                    }
                    Terminal.table(out, rows);
                }
            }
            out.println();
            List<String[]> rows = new ArrayList<>();
            rows.add(new String[] {"ARTIFACT", "FORMAT", "SIZE", "STORED", "CHUNKS", "SHA-256"});
            for (Artifact a : m.artifacts()) {
                rows.add(new String[] {a.name(), a.format(), Units.bytes(a.size()), Units.bytes(a.storedSize()),
                        Long.toString(a.chunkCount()), a.sha256()});
            }
            Terminal.table(out, rows);
        }
        return 0;
    }

    private static String pinned(Repository.Pin pin) {
        return ", pinned" + (pin.pinnedAt() != null ? " " + Terminal.time(pin.pinnedAt()) : "")
                + (pin.note() != null && !pin.note().isBlank() ? ": " + pin.note() : "");
    }
}
