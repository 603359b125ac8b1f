package dev.lifeboat.engine;

import dev.lifeboat.core.Version;
import dev.lifeboat.repository.Repository;
import dev.lifeboat.repository.RepositoryLock;
import dev.lifeboat.repository.RepositoryPolicy;
import dev.lifeboat.retention.RetentionPolicy;

import java.io.IOException;
import java.time.Clock;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The retention policy a prune applies, and where it came from. The repository's {@code policy.json} is the one
 * source of truth, so that the CLI on every host and the service prune alike; a config file's retention block or the
 * {@code LIFEBOAT_RETENTION_*} variables set it, and so does the API:
 * <ul>
 *   <li>nothing configured here: the stored policy, or {@link RetentionPolicy#DEFAULT} when none was ever stored;
 *   <li>rules configured here that the repository already holds: those;
 *   <li>rules configured here that this file or environment had already set, and that were changed since (through
 *       the API, or by another host's file): the stored policy wins, with a note, so that an unchanged file does
 *       not undo a newer decision;
 *   <li>other rules configured here: they are stored, replacing the policy, with a note, and applied.
 * </ul>
 *
 * @param policy the rules to apply
 * @param zone   the zone of the calendar rules
 * @param source where they came from, for people ({@code prune --dry-run} prints it)
 * @param notes  what happened to the configured rules, for people; empty when nothing is worth saying
 */
public record PolicyInForce(RetentionPolicy policy, ZoneId zone, String source, List<String> notes) {

    /**
     * @param configured the rules a config file or the environment gives, null when neither sets any
     * @param from       {@link RepositoryPolicy#FROM_FILE} or {@link RepositoryPolicy#FROM_ENVIRONMENT}
     * @param zone       the calendar zone configured here (or the default)
     * @param store      false for a dry run, which changes nothing and says what it would store
     */
    public static PolicyInForce resolve(Repository repo, RetentionPolicy configured, String from, ZoneId zone,
                                        boolean store, Clock clock) throws IOException {
        Optional<RepositoryPolicy> stored = repo.policy();
        if (configured == null) {
            return stored.map(p -> new PolicyInForce(p.policy(), p.zone(), describe(p), List.of()))
                    .orElseGet(() -> new PolicyInForce(RetentionPolicy.DEFAULT, zone,
                            "the default (no policy is stored in the repository yet)", List.of()));
        }
        RepositoryPolicy.Rules rules = RepositoryPolicy.Rules.of(configured);
        String tz = zone.getId();
        List<String> notes = new ArrayList<>();
        if (stored.isPresent()) {
            RepositoryPolicy p = stored.get();
            if (p.retention().equals(rules) && p.timeZone().equals(tz)) {
                return new PolicyInForce(p.policy(), p.zone(), describe(p), List.of());
            }
            RepositoryPolicy.Configured last = p.configured();
            if (last != null && rules.equals(last.retention()) && tz.equals(last.timeZone())
                    && from.equals(last.from())) {
                notes.add("the retention of " + from + " (" + configured.summary() + ", calendar in " + tz
                        + ") is not applied: the repository's policy was changed since, " + setBy(p)
                        + "; change " + from + " to set it again");
                return new PolicyInForce(p.policy(), p.zone(), describe(p), notes);
            }
        }
        RepositoryPolicy next = new RepositoryPolicy(RepositoryPolicy.FORMAT_VERSION, rules, tz, clock.instant(),
                "lifeboat " + Version.get() + " on host " + RepositoryLock.hostname(), from,
                new RepositoryPolicy.Configured(rules, tz, from));
        String was = stored.map(p -> " (was: " + p.policy().summary() + ", calendar in " + p.timeZone() + ", "
                + setBy(p) + ")").orElse("");
        if (store) {
            repo.writePolicy(next);
            notes.add("the repository's retention policy is now that of " + from + ": " + configured.summary()
                    + was);
        } else {
            notes.add("a prune that is not a dry run stores the retention of " + from + " in the repository: "
                    + configured.summary() + was);
        }
        return new PolicyInForce(configured, zone, store ? describe(next) : from + " (not stored yet)", notes);
    }

    /** This policy with a prune's one-off flags over it. */
    public PolicyInForce withFlags(RetentionPolicy flagged) {
        if (flagged.equals(policy)) {
            return this;
        }
        return new PolicyInForce(flagged, zone, "command-line flags (this run only) over " + source, notes);
    }

    /** This policy with another calendar zone, given for this run only. */
    public PolicyInForce withZone(ZoneId other) {
        if (other.equals(zone)) {
            return this;
        }
        return new PolicyInForce(policy, other, source + ", calendar zone " + other + " for this run only", notes);
    }

    private static String describe(RepositoryPolicy p) {
        return "the repository's " + RepositoryPolicy.BLOB + ", set from " + p.from() + " " + setBy(p);
    }

    private static String setBy(RepositoryPolicy p) {
        return "by " + p.setBy() + (p.set() != null ? " at " + p.set().truncatedTo(java.time.temporal.ChronoUnit.SECONDS) : "");
    }
}
