package dev.lifeboat.cli;

import dev.lifeboat.config.Settings;
import dev.lifeboat.core.ErrorCode;
import dev.lifeboat.core.LifeboatException;
import dev.lifeboat.core.Units;
import dev.lifeboat.engine.PolicyInForce;
import dev.lifeboat.engine.PruneEngine;
import dev.lifeboat.engine.PruneRequest;
import dev.lifeboat.repository.Json;
import dev.lifeboat.repository.Repository;
import dev.lifeboat.retention.Decision;
import dev.lifeboat.retention.RetentionPolicy;
import dev.lifeboat.storage.Storage;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.time.Clock;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

@Command(name = "prune", mixinStandardHelpOptions = true, description = {
        "Apply the retention policy, then delete chunks no backup references and leftovers of interrupted backups.",
        "Runs under an exclusive lock.",
        "The policy is the repository's own (policy.json), so that every host and the service prune alike. The",
        "config file's retention block and the LIFEBOAT_RETENTION_* variables set it when they change, and so does",
        "the API; the flags below apply to this run only. Default: keep everything from the last 30 days and never",
        "fewer than the 3 newest complete backups, and a restore's safety backups for 7 days; pinned backups are",
        "always kept. --dry-run says which policy applies and where it came from."})
final class PruneCommand implements Callable<Integer> {
    @Mixin
    Common common;

    @Option(names = "--dry-run", description = "Show what would be kept and removed, and why; delete nothing.")
    boolean dryRun;

    @Option(names = "--keep-last", paramLabel = "N") Integer keepLast;
    @Option(names = "--keep-within", paramLabel = "DURATION", description = "e.g. 30d, 12h, 2w, 1y; 0 turns it off") String keepWithin;
    @Option(names = "--keep-hourly", paramLabel = "N") Integer keepHourly;
    @Option(names = "--keep-daily", paramLabel = "N") Integer keepDaily;
    @Option(names = "--keep-weekly", paramLabel = "N") Integer keepWeekly;
    @Option(names = "--keep-monthly", paramLabel = "N") Integer keepMonthly;
    @Option(names = "--keep-yearly", paramLabel = "N") Integer keepYearly;
    @Option(names = "--minimum-keep", paramLabel = "N", description = "The N newest complete backups are never removed.") Integer minimumKeep;
    @Option(names = "--keep-safety-within", paramLabel = "DURATION", description = "How long a restore's safety backups are kept (default 7d); 0: only when pinned.") String keepSafetyWithin;
    @Option(names = "--time-zone", paramLabel = "ZONE", description = "Zone of the calendar rules (default: LIFEBOAT_TIMEZONE, else UTC).") String zone;

    @Option(names = "--json", description = "Print the decisions and counts as JSON.")
    boolean json;

    @Override
    public Integer call() throws Exception {
        Settings s = common.settings();
        try (Storage storage = common.openStorage()) {
            Repository repo = common.openRepository(storage);
            // stored only once the prune has run: a prune that refuses, or a dry run, changes nothing
            PolicyInForce resolved = PolicyInForce.resolve(repo, s.retentionFrom == null ? null : s.retention,
                    s.retentionFrom, s.timeZone, Clock.systemUTC());
            PolicyInForce inForce = resolved.withFlags(policy(resolved.policy()));
            if (zone != null) {
                inForce = inForce.withZone(Settings.zone(zone, "--time-zone"));
            }
            RetentionPolicy policy = inForce.policy();
            ZoneId tz = inForce.zone();
            PruneEngine.Result r = new PruneEngine(repo, Clock.systemUTC()).run(new PruneRequest(policy, tz, dryRun));
            List<String> notes = dryRun ? inForce.notes() : resolved.store(repo).notes();
            if (json) {
                var node = Json.MAPPER.valueToTree(r);
                var p = ((com.fasterxml.jackson.databind.node.ObjectNode) node).putObject("policy");
                p.put("rules", policy.summary());
                p.put("timeZone", tz.getId());
                p.put("source", inForce.source());
                p.set("notes", Json.MAPPER.valueToTree(notes));
                System.out.println(Json.MAPPER.writeValueAsString(node));
                return 0;
            }
            notes.forEach(n -> System.err.println("Note: " + n));
            System.out.println("Policy: " + policy.summary() + " (calendar in " + tz + ")");
            System.out.println("From:   " + inForce.source());
            List<String[]> rows = new ArrayList<>();
            rows.add(new String[] {"ID", "DECISION", "WHY"});
            for (Decision d : r.decisions()) {
                rows.add(new String[] {d.id(), d.keep() ? "keep" : "remove", String.join("; ", d.reasons())});
            }
            Terminal.table(System.out, rows);
            String verb = dryRun ? "Would remove " : "Removed ";
            System.out.println(verb + r.removedBackups() + " backups and " + r.unreferencedChunks()
                    + " unreferenced chunks (" + Units.bytes(r.unreferencedBytes()) + ")"
                    + (dryRun ? "" : ", and " + r.removedDebris() + " leftovers of interrupted writes") + ".");
            PruneEngine.Packed packs = r.packs();
            if (packs.removed() > 0 || packs.partlyUsed() > 0) {
                System.out.println((dryRun ? "Would remove " : "Removed ") + packs.removed() + " pack file(s); "
                        + packs.partlyUsed() + " are kept partly used, holding " + Units.bytes(packs.unusedBytesKept())
                        + " of chunks no backup references (a pack is removed once none of its chunks is).");
            }
            packs.unreadableIndexes().forEach(u -> System.out.println(Terminal.safe("Kept: " + u)));
            if (!r.chunksCollected()) {
                // a malformed manifest may reference any chunk: nothing is collected until it is readable or removed
                System.out.println(Terminal.safe("Chunks were not collected: " + r.unreadable().size() + " backup(s) "
                        + "cannot be read and were kept, with every chunk, until their manifests are restored from a "
                        + "replica or their folders moved out by hand: " + String.join(" | ", r.unreadable())));
            }
        }
        return 0;
    }

    private RetentionPolicy policy(RetentionPolicy base) {
        try {
            return new RetentionPolicy.Overrides(keepLast, keepWithin, keepHourly, keepDaily, keepWeekly, keepMonthly,
                    keepYearly, minimumKeep, keepSafetyWithin).applyTo(base);
        } catch (IllegalArgumentException e) {
            throw new LifeboatException(ErrorCode.USAGE, e.getMessage(), "see lifeboat prune --help");
        }
    }
}
