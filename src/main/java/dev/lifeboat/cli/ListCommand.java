package dev.lifeboat.cli;

import dev.lifeboat.core.Units;
import dev.lifeboat.repository.BackupEntry;
import dev.lifeboat.repository.Json;
import dev.lifeboat.repository.Manifest;
import dev.lifeboat.repository.Repository;
import dev.lifeboat.storage.Storage;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

@Command(name = "list", mixinStandardHelpOptions = true, description = {
        "List the backups in the repository, oldest first.",
        "STATUS is completed (never checked), verified or drilled with the level of the",
        "check it rests on (exists: its chunks exist; read-data: every byte read back;",
        "read-data-subset k/n; drill: restored and counted), or corrupt with the check",
        "that found the damage."})
final class ListCommand implements Callable<Integer> {
    @Mixin
    Common common;

    @Option(names = "--json", description = "Print a JSON array.")
    boolean json;

    @Override
    public Integer call() throws Exception {
        try (Storage storage = common.openStorage()) {
            Repository repo = common.openRepository(storage);
            // the catalog keeps manifests without their chunk lists: 10,000 backups of a large database fit in memory
            List<BackupEntry> backups = new dev.lifeboat.repository.Catalog(repo).entries();
            if (json) {
                List<Map<String, Object>> out = new ArrayList<>();
                for (BackupEntry e : backups) {
                    Map<String, Object> row = e.summary();
                    if (e.manifest() == null) {
                        out.add(row);
                        continue;
                    }
                    row.put("checked", e.status() == null ? null : e.status().checked());
                    row.put("pinned", e.pinned());
                    out.add(row);
                }
                System.out.println(Json.MAPPER.writeValueAsString(out));
                return 0;
            }
            if (backups.isEmpty()) {
                System.out.println("No backups in " + storage.location() + " yet.");
                return 0;
            }
            List<String[]> rows = new ArrayList<>();
            rows.add(new String[] {"ID", "STATUS", "STARTED (UTC)", "DURATION", "SOURCES", "SIZE", "STORED", "CHECKED", "LABEL"});
            for (BackupEntry e : backups) {
                Manifest m = e.manifest();
                if (m == null) {
                    rows.add(new String[] {e.id(), e.statusWithLevel(), "", "", "", "", "", "", e.manifestError()});
                    continue;
                }
                rows.add(new String[] {e.id(), e.statusWithLevel() + (e.pinned() ? ", pinned" : ""), Terminal.time(m.started()),
                        Units.compactDuration(Duration.between(m.started(), m.finished())),
                        String.join(",", m.sources().stream().map(Manifest.Source::name).toList()),
                        Units.bytes(m.logicalBytes()), Units.bytes(m.storedBytes()),
                        e.status() == null ? "never" : Terminal.time(e.status().checked()),
                        m.label() == null ? "" : m.label()});
            }
            Terminal.table(System.out, rows);
        }
        return 0;
    }
}
