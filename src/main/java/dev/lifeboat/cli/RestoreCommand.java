package dev.lifeboat.cli;

import dev.lifeboat.core.ErrorCode;
import dev.lifeboat.core.LifeboatException;
import dev.lifeboat.engine.BackupEngine;
import dev.lifeboat.engine.Confirmation;
import dev.lifeboat.engine.StackRestoreEngine;
import dev.lifeboat.source.RestoreOptions;
import dev.lifeboat.engine.RestoreEngine;
import dev.lifeboat.engine.RestoreRequest;
import dev.lifeboat.repository.Repository;
import dev.lifeboat.storage.Storage;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.Console;
import java.time.Clock;
import java.util.List;
import java.util.concurrent.Callable;

@Command(name = "restore", mixinStandardHelpOptions = true, description = {
        "Restore a database from a backup, in one transaction.",
        "Asks for confirmation (type the target's name) unless --yes; takes a safety backup of a target that holds tables.",
        "Refuses first, naming the newest good backup, a backup with a missing chunk or one recorded as corrupt (--force)."})
final class RestoreCommand implements Callable<Integer> {
    @Mixin
    Common common;

    @Parameters(paramLabel = "ID", description = "Backup id, a unique start or end of it (such as its 6 hex digits), or 'latest'.")
    String id;

    @Option(names = "--to", paramLabel = "CONNECTION",
            description = "Target database (default: --db or DATABASE_URL, which is the source itself).")
    String to;

    @Option(names = "--db", paramLabel = "CONNECTION", hidden = true)
    String db;

    @Option(names = "--database", paramLabel = "NAME", description = "Which database of a multi-database backup to restore.")
    String database;

    @Option(names = "--create", description = "Create the target database first (it must not exist).")
    boolean create;

    @Option(names = "--table", paramLabel = "SCHEMA.TABLE",
            description = "Restore only this table, with its data, indexes, constraints, triggers and grants, "
                    + "dropping and creating again the foreign keys and views that depend on it; repeatable.")
    List<String> tables;

    @Option(names = "--source", paramLabel = "NAME",
            description = "With the config file's sources:, restore only this source of the backup (repeatable; with --to, "
                    + "one). Without --source, a backup of the stack is restored whole, in three phases: the "
                    + "before-restore hook, every source into its configured place, then after-restore, which runs "
                    + "only when every source was restored.")
    List<String> sources;

    @Option(names = "--path", paramLabel = "GLOB",
            description = "Of a files source, restore only what matches (e.g. 'avatars/**'); repeatable.")
    List<String> paths;

    @Option(names = "--overwrite", description = "Of a files source restored --to a folder that is not empty: write "
            + "over what is there.")
    boolean overwrite;

    @Option(names = "--delete", description = "Of a files source: also remove from the target what the backup does "
            + "not hold (never what its exclude patterns leave out).")
    boolean delete;

    @Option(names = "--yes", description = "Do not ask for confirmation.")
    boolean yes;

    @Option(names = "--no-safety-backup", description = "Skip the backup of the target taken before restoring over it.")
    boolean noSafetyBackup;

    @Option(names = "--force", description = "Restore a backup that a verify recorded as corrupt (refused otherwise, "
            + "naming the newest good backup); a damaged chunk of what it restores stops the restore, which rolls "
            + "back. A backup with a missing chunk is refused all the same.")
    boolean force;

    @Option(names = "--no-privileges", description = "Leave out GRANTs and REVOKEs, as on a server that lacks the "
            + "roles they name.")
    boolean noPrivileges;

    @Option(names = "--no-owner", description = "Give every restored object to the restoring user (the default keeps "
            + "the owners where the target has the roles, and says so when it cannot).")
    boolean noOwner;

    @Override
    public Integer call() throws Exception {
        var s = common.settings();
        if ((!s.sources.isEmpty() || sources != null) && database == null && db == null) {
            return stack(s);
        }
        if (sources != null) {
            throw new LifeboatException(ErrorCode.USAGE, "--source names a source of lifeboat.yml's sources:, "
                    + (s.sources.isEmpty() ? "and the config file has none" : "which --database / --db replace"),
                    "use --database NAME to choose a database of a backup taken with --db");
        }
        String target = common.database(to, db);
        try (Storage storage = common.openStorage()) {
            Repository repo = common.openRepository(storage);
            var keys = repo.restoreKeys(common.keyCache(), common.identities());
            RestoreEngine engine = new RestoreEngine(repo, keys, common.pgTools(),
                    Terminal.progress(), confirmation(), msg -> System.err.println(msg));
            RestoreEngine.Result r = engine.run(new RestoreRequest(id, database, target, create,
                    tables == null ? List.of() : tables, !noSafetyBackup, !noPrivileges, !noOwner, force));
            System.out.println("Restored " + r.artifact() + " of backup " + r.backupId() + " into " + r.target()
                    + (r.safetyBackupId() != null ? "; safety backup taken first: " + r.safetyBackupId() : ""));
        }
        return 0;
    }

    /** The restore of a backup of the stack: every source, or those of --source, in three phases. */
    private int stack(dev.lifeboat.config.Settings s) throws Exception {
        try (Storage storage = common.openStorage()) {
            Repository repo = common.openRepository(storage);
            var keys = repo.restoreKeys(common.keyCache(), common.identities());
            var writeKeys = noSafetyBackup ? keys
                    : StackRestoreEngine.safetyKeys(repo, common.keyCache(), common.identities(), keys);
            BackupEngine safety = new BackupEngine(repo, writeKeys, common.pgTools(), Terminal.progress(),
                    Clock.systemUTC(), msg -> System.err.println(msg));
            StackRestoreEngine engine = new StackRestoreEngine(repo, keys, safety, Terminal.progress(),
                    confirmation("Type the backup's last 6 characters (%s) to confirm: "),
                    msg -> System.err.println(msg));
            StackRestoreEngine.Result r = engine.run(new StackRestoreEngine.Request(id, s.sources,
                    sources == null ? List.of() : sources, to, new RestoreOptions(create, overwrite, delete,
                    parts(), !noPrivileges, !noOwner), s.hooks, !noSafetyBackup, force));
            System.out.println("Restored " + String.join(", ", r.restored()) + " of backup " + r.backupId()
                    + (r.safetyBackupId() != null ? "; safety backup taken first: " + r.safetyBackupId() : ""));
        }
        return 0;
    }

    /** The parts to restore alone: tables of a database, paths of a tree. */
    private List<String> parts() {
        List<String> out = new java.util.ArrayList<>();
        if (tables != null) {
            out.addAll(tables);
        }
        if (paths != null) {
            out.addAll(paths);
        }
        return out;
    }

    private Confirmation confirmation() {
        return confirmation("Type the database name (%s) to confirm: ");
    }

    private Confirmation confirmation(String prompt) {
        if (yes) {
            return (question, expected) -> true;
        }
        return (question, expected) -> {
            Console console = System.console();
            if (console == null) {
                throw new LifeboatException(ErrorCode.ABORTED, question.replace("?", "") + " needs confirmation, "
                        + "and there is no terminal to ask on", "run again with --yes if this is intended");
            }
            console.printf("%s%n" + prompt, question, expected);
            String answer = readLine(console);
            return answer != null && answer.trim().equals(expected);
        };
    }

    /**
     * A line typed on the terminal, read on a thread of its own: a console read cannot be interrupted, and a
     * Ctrl-C at the question must stop the restore at once (see {@link Main}), not after the stop's grace period.
     */
    private static String readLine(Console console) {
        // null when the terminal went away: not confirmed
        return Terminal.readInterruptibly(console::readLine, "the restore was stopped at its confirmation; nothing was"
                + " changed");
    }
}
