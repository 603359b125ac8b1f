package dev.lifeboat.engine;

import dev.lifeboat.core.Version;
import dev.lifeboat.repository.Repository;
import dev.lifeboat.repository.RepositoryLock;
import dev.lifeboat.repository.RepositoryPolicy;
import dev.lifeboat.retention.RetentionPolicy;

import java.io.IOException;
import java.time.Clock;
import java.time.ZoneId;
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
 *   <li>other rules configured here: they replace the stored policy ({@link #store}), with a note, and apply.
 * </ul>
 */
public final class PolicyInForce {
    private final RetentionPolicy policy;
    private final ZoneId zone;
    private final String source;
    private final List<String> notes;
    /** The blob to store for the configured rules to be in force; null when the repository holds them already. */
    private final RepositoryPolicy pending;
    /** The note once {@link #pending} is stored. */
    private final String storedNote;

    private PolicyInForce(RetentionPolicy policy, ZoneId zone, String source, List<String> notes,
                          RepositoryPolicy pending, String storedNote) {
        this.policy = policy;
        this.zone = zone;
        this.source = source;
        this.notes = List.copyOf(notes);
        this.pending = pending;
        this.storedNote = storedNote;
    }

    /**
     * The policy in force, storing the configured rules first when they are to replace the stored ones (the
     * service does so when it reads its configuration).
     *
     * @param configured the rules a config file or the environment gives, null when neither sets any
     * @param from       {@link RepositoryPolicy#FROM_FILE} or {@link RepositoryPolicy#FROM_ENVIRONMENT}
     * @param zone       the calendar zone configured here (or the default)
     */
    public static PolicyInForce resolveAndStore(Repository repo, RetentionPolicy configured, String from, ZoneId zone,
                                                Clock clock) throws IOException {
        return resolve(repo, configured, from, zone, clock).store(repo);
    }

    /**
     * The policy in force, storing nothing: when the configured rules are to replace the stored ones, they are
     * returned as the policy, with a note, and {@link #store} stores them (a prune does once it has run, so that a
     * prune that refuses, or a dry run, changes nothing).
     */
    public static PolicyInForce resolve(Repository repo, RetentionPolicy configured, String from, ZoneId zone,
                                        Clock clock) throws IOException {
        Optional<RepositoryPolicy> stored = repo.policy();
        if (configured == null) {
            return stored.map(p -> new PolicyInForce(p.policy(), p.zone(), describe(p), List.of(), null, null))
                    .orElseGet(() -> new PolicyInForce(RetentionPolicy.DEFAULT, zone,
                            "the default (no policy is stored in the repository yet)", List.of(), null, null));
        }
        RepositoryPolicy.Rules rules = RepositoryPolicy.Rules.of(configured);
        String tz = zone.getId();
        if (stored.isPresent()) {
            RepositoryPolicy p = stored.get();
            if (p.retention().equals(rules) && p.timeZone().equals(tz)) {
                return new PolicyInForce(p.policy(), p.zone(), describe(p), List.of(), null, null);
            }
            RepositoryPolicy.Configured last = p.configured();
            if (last != null && rules.equals(last.retention()) && tz.equals(last.timeZone())
                    && from.equals(last.from())) {
                String note = "the retention of " + from + " (" + configured.summary() + ", calendar in " + tz
                        + ") is not applied: the repository's policy was changed since, " + setBy(p)
                        + "; change " + from + " to set it again";
                return new PolicyInForce(p.policy(), p.zone(), describe(p), List.of(note), null, null);
            }
        }
        RepositoryPolicy next = new RepositoryPolicy(RepositoryPolicy.FORMAT_VERSION, rules, tz, clock.instant(),
                "lifeboat " + Version.get() + " on host " + RepositoryLock.hostname(), from,
                new RepositoryPolicy.Configured(rules, tz, from));
        String was = stored.map(p -> " (was: " + p.policy().summary() + ", calendar in " + p.timeZone() + ", "
                + setBy(p) + ")").orElse("");
        return new PolicyInForce(configured, zone, from + " (stored in the repository by a prune that is not a dry "
                + "run)", List.of("a prune that is not a dry run stores the retention of " + from
                + " in the repository: " + configured.summary() + was), next,
                "the repository's retention policy is now that of " + from + ": " + configured.summary() + was);
    }

    /** Stores the configured rules when they are to replace the stored ones; this policy, as stored. */
    public PolicyInForce store(Repository repo) throws IOException {
        if (pending == null) {
            return this;
        }
        repo.writePolicy(pending);
        return new PolicyInForce(policy, zone, describe(pending), List.of(storedNote), null, null);
    }

    /** This policy with a prune's one-off flags over it. */
    public PolicyInForce withFlags(RetentionPolicy flagged) {
        if (flagged.equals(policy)) {
            return this;
        }
        return new PolicyInForce(flagged, zone, "command-line flags (this run only) over " + source, notes, pending,
                storedNote);
    }

    /** This policy with another calendar zone, given for this run only. */
    public PolicyInForce withZone(ZoneId other) {
        if (other.equals(zone)) {
            return this;
        }
        return new PolicyInForce(policy, other, source + ", calendar zone " + other + " for this run only", notes,
                pending, storedNote);
    }

    /** The rules to apply. */
    public RetentionPolicy policy() {
        return policy;
    }

    /** The zone of the calendar rules. */
    public ZoneId zone() {
        return zone;
    }

    /** Where the rules came from, for people ({@code prune --dry-run} prints it). */
    public String source() {
        return source;
    }

    /** What happened to the configured rules, for people; empty when nothing is worth saying. */
    public List<String> notes() {
        return notes;
    }

    private static String describe(RepositoryPolicy p) {
        return "the repository's " + RepositoryPolicy.BLOB + ", set from " + p.from() + " " + setBy(p);
    }

    private static String setBy(RepositoryPolicy p) {
        return "by " + p.setBy() + (p.set() != null ? " at " + p.set().truncatedTo(java.time.temporal.ChronoUnit.SECONDS)
                : "");
    }
}
