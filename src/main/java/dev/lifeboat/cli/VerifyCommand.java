package dev.lifeboat.cli;

import dev.lifeboat.core.ErrorCode;
import dev.lifeboat.core.LifeboatException;
import dev.lifeboat.engine.VerifyEngine;
import dev.lifeboat.engine.VerifyRequest;
import dev.lifeboat.repository.BackupStatus;
import dev.lifeboat.repository.Json;
import dev.lifeboat.repository.Keys;
import dev.lifeboat.repository.Repository;
import dev.lifeboat.storage.Storage;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

@Command(name = "verify", mixinStandardHelpOptions = true, description = {
        "Check that backups can be restored, from their chunks existing up to a restore drill.",
        "Levels: chunks exist (default), all data reads back (--read-data), a slice of it",
        "(--read-data-subset), or a restore drill into a scratch database (--drill).",
        "Results are recorded in the repository and shown by list and show."})
final class VerifyCommand implements Callable<Integer> {
    @Mixin
    Common common;

    @Parameters(paramLabel = "ID", arity = "0..*", description = "Backup ids, unique starts or ends of them, or 'latest'.")
    List<String> ids;

    @Option(names = "--all", description = "Verify every backup.")
    boolean all;

    @Option(names = "--read-data", description = "Read and check every chunk, every artifact's SHA-256, and parse dumps with pg_restore --list.")
    boolean readData;

    @Option(names = "--read-data-subset", paramLabel = "k/n|P%",
            description = "Read one slice of the chunks: k/n, or P%% taking the next slice on each run so that successive runs cover everything.")
    String subset;

    @Option(names = "--drill", description = "Restore into a scratch database, compare row counts with those at backup time, run drillQuery, drop it; reports the recovery time.")
    boolean drill;

    @Option(names = "--scratch", paramLabel = "CONNECTION",
            description = "Server for drills (default: --db / DATABASE_URL, else the source's own server as recorded in the manifest); a uniquely named database is created and dropped there.")
    String scratch;

    @Option(names = "--no-privileges", description = "In a drill, leave out GRANTs and REVOKEs, as on a scratch "
            + "server that lacks the application's roles.")
    boolean noPrivileges;

    @Option(names = "--db", paramLabel = "CONNECTION", hidden = true)
    String db;

    @Option(names = "--json", description = "Print the results as JSON.")
    boolean json;

    @Override
    public Integer call() throws Exception {
        var s = common.settings();
        if (noPrivileges && !drill) {
            throw new LifeboatException(ErrorCode.USAGE, "--no-privileges applies to a drill only", "add --drill");
        }
        if (!all && (ids == null || ids.isEmpty())) {
            throw new LifeboatException(ErrorCode.USAGE, "no backup to verify", "give an id, 'latest', or --all");
        }
        if (readData && subset != null) {
            throw new LifeboatException(ErrorCode.USAGE, "--read-data and --read-data-subset exclude each other",
                    "choose one");
        }
        String scratchServer = common.database(scratch, db);
        try (Storage storage = common.openStorage()) {
            Repository repo = common.openRepository(storage);
            List<String> identities = common.identities();
            Keys keys = identities.isEmpty() ? Keys.PLAIN : repo.readKeys(identities);
            List<VerifyEngine.Result> results = new ArrayList<>();
            VerifyEngine engine = new VerifyEngine(repo, keys, common.pgTools(),
                    Terminal.progress(), Clock.systemUTC(), r -> {
                        results.add(r);
                        if (!json) {
                            print(r);
                        }
                    });
            engine.run(new VerifyRequest(ids == null ? List.of() : ids, all, readData, subset, drill, scratchServer,
                    s.drillQuery, !noPrivileges, s.sources));
            if (json) {
                System.out.println(Json.MAPPER.writeValueAsString(results));
            }
            List<VerifyEngine.Result> failed = results.stream().filter(r -> !r.ok()).toList();
            if (!failed.isEmpty()) {
                throw new LifeboatException(ErrorCode.INTEGRITY, failed.size() + " of " + results.size()
                        + " backups failed verification; first: backup " + failed.get(0).id() + ", "
                        + failed.get(0).problems().get(0),
                        "restore missing or damaged blobs from a replica, or rely on another backup; other backups are unaffected");
            }
            // a check too cheap to see the damage an earlier one found does not make the backup good again
            List<String> stillCorrupt = results.stream().filter(r -> BackupStatus.CORRUPT.equals(r.status()))
                    .map(VerifyEngine.Result::id).toList();
            if (!stillCorrupt.isEmpty()) {
                throw new LifeboatException(ErrorCode.INTEGRITY, stillCorrupt.size() + " of " + results.size()
                        + " backups are still recorded as corrupt (an earlier check found damage this one cannot "
                        + "see): " + String.join(", ", stillCorrupt),
                        "run 'lifeboat verify --read-data " + stillCorrupt.get(0) + "' to check it again");
            }
        }
        return 0;
    }

    private static void print(VerifyEngine.Result r) {
        StringBuilder b = new StringBuilder(r.id()).append(": ").append(r.status()).append(" (").append(r.level()).append(')');
        if (r.drill() != null) {
            b.append(String.format(Locale.ROOT, ", recovery time %.1f s, %d tables' row counts match", r.drill().seconds(),
                    r.drill().tablesChecked()));
            if (r.drill().queryResult() != null) {
                b.append(", check query: ").append(r.drill().queryResult());
            }
            if (r.drill().sources() != null) {
                for (var d : r.drill().sources()) {
                    b.append(System.lineSeparator()).append("  drill of ").append(d.summary());
                }
            }
        }
        if (r.ok() && "corrupt".equals(r.status())) {
            b.append(": no problem found at this level, but an earlier check found damage; run verify --read-data to clear it");
        }
        System.out.println(b);
        r.problems().forEach(p -> System.out.println("  " + p));
    }
}
