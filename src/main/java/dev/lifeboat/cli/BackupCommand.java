package dev.lifeboat.cli;

import dev.lifeboat.core.ErrorCode;
import dev.lifeboat.core.LifeboatException;
import dev.lifeboat.core.Units;
import dev.lifeboat.engine.BackupEngine;
import dev.lifeboat.engine.BackupRequest;
import dev.lifeboat.repository.Json;
import dev.lifeboat.repository.Manifest;
import dev.lifeboat.repository.Repository;
import dev.lifeboat.storage.Storage;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;

@Command(name = "backup", mixinStandardHelpOptions = true, description = {
        "Back up the stack: every source of the config file's sources: in one backup, with its hooks, or the "
                + "PostgreSQL databases of --db or DATABASE_URL.",
        "The hook after-backup runs after a failed backup too, once before-backup has started.",
        "The backup is complete only when every source is: a source that fails fails the backup, names the "
                + "source, and commits nothing."})
final class BackupCommand implements Callable<Integer> {
    @Mixin
    Common common;

    @Option(names = "--db", paramLabel = "CONNECTION",
            description = "Database to back up: postgres://user@host:5432/db or libpq keywords; repeat for several "
                    + "(default: DATABASE_URL). Put the password in PGPASSWORD or in the .pgpass file of your home folder, never here.")
    List<String> databases;

    @Option(names = "--all-databases", description = "Back up every database of the server --db points at.")
    boolean allDatabases;

    @Option(names = "--globals", negatable = true,
            description = "Add roles and tablespaces (pg_dumpall --globals-only); on by default with --all-databases.")
    Boolean globals;

    @Option(names = "--source", paramLabel = "NAME",
            description = "Back up only this source of the config file's sources: (repeat for several); the stack's "
                    + "hooks still run.")
    List<String> only;

    @Option(names = "--files", paramLabel = "PATH",
            description = "Back up this folder too, as a files source named after it (repeatable); with --db or "
                    + "alone, without a config file.")
    List<java.nio.file.Path> files;

    @Option(names = "--label", description = "A note shown by list and show, e.g. pre-upgrade.")
    String label;

    @Option(names = "--json", description = "Print the manifest as JSON.")
    boolean json;

    @Override
    public Integer call() throws Exception {
        var s = common.settings();
        List<String> dbs = databases != null ? databases : s.databases;
        boolean withGlobals = globals != null ? globals : (s.globals || allDatabases);
        try (Storage storage = common.openStorage()) {
            Repository repo = common.openRepository(storage);
            repo.requireRecipients(s.recipients);
            var keys = repo.writeKeys(common.keyCache(), common.identities());
            BackupEngine engine = new BackupEngine(repo, keys, common.pgTools(),
                    Terminal.progress(), Clock.systemUTC()).withLocalCopies(common.keyCache().dir());
            BackupRequest request = new BackupRequest(dbs, allDatabases, withGlobals, label, s.compressionLevel,
                    s.threads, null);
            if (files != null) {
                if (only != null) {
                    throw new LifeboatException(ErrorCode.USAGE, "--files and --source do not go together",
                            "name the folder in lifeboat.yml's sources:, or leave out --source");
                }
                List<dev.lifeboat.source.SourceSpec> trees = new java.util.ArrayList<>();
                for (java.nio.file.Path p : files) {
                    java.nio.file.Path abs = p.toAbsolutePath().normalize();
                    String name = abs.getFileName() == null ? "root" : abs.getFileName().toString();
                    trees.add(new dev.lifeboat.source.SourceSpec(name, "files", java.util.Map.of("type", "files",
                            "path", abs.toString())));
                }
                request = new BackupRequest(databases != null || allDatabases ? dbs : List.of(), allDatabases,
                        withGlobals, label, s.compressionLevel, s.threads, null).withSources(trees);
            } else if (databases == null && !allDatabases && !s.sources.isEmpty()) {
                request = request.withStack(StackSources.chosen(s.sources, only), s.hooks, s.sourcesInParallel);
            } else if (only != null) {
                throw new LifeboatException(ErrorCode.USAGE, "--source names a source of lifeboat.yml's sources:, "
                        + (databases != null ? "which --db replaces" : "and the config file has none"),
                        "leave out --db to back up the configured sources, or --source to back up --db");
            }
            Manifest m = engine.run(request);
            if (json) {
                System.out.println(Json.MAPPER.writeValueAsString(m));
            } else {
                System.out.println("Backup " + m.id() + " completed in "
                        + Units.compactDuration(Duration.between(m.started(), m.finished())) + ": "
                        + Units.bytes(m.logicalBytes()) + " of data, " + Units.bytes(m.addedBytes())
                        + " newly stored");
            }
        }
        return 0;
    }
}
