package dev.lifeboat.web;

import dev.lifeboat.repository.Artifact;
import dev.lifeboat.repository.BackupEntry;
import dev.lifeboat.repository.BackupStatus;
import dev.lifeboat.repository.Manifest;
import dev.lifeboat.retention.Decision;
import dev.lifeboat.service.BackupView;
import dev.lifeboat.service.Job;
import dev.lifeboat.state.AuditEntry;
import dev.lifeboat.state.JobRecord;
import dev.lifeboat.web.Views.ArtifactView;
import dev.lifeboat.web.Views.AuditRow;
import dev.lifeboat.web.Views.BackupRow;
import dev.lifeboat.web.Views.Badge;
import dev.lifeboat.web.Views.Entry;
import dev.lifeboat.web.Views.JobRow;
import dev.lifeboat.web.Views.JobView;
import dev.lifeboat.web.Views.SourceView;
import dev.lifeboat.source.SourceType;
import dev.lifeboat.source.Sources;
import dev.lifeboat.web.Views.VerificationView;

import java.time.Instant;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * Turns what the service returns (backups, jobs, history, audit entries) into the rows and blocks of
 * {@link Views}: formatting only, no decisions. Times show in the zone the service schedules in.
 */
final class Pages {
    private Pages() {}

    static BackupRow backupRow(BackupView v, Instant now, ZoneId zone) {
        Manifest m = v.manifest();
        Instant started = v.entry().started();
        return new BackupRow(v.id(), badge(v), m == null ? "" : Objects.toString(m.label(), ""),
                m != null && m.safety(), v.entry().pinned(), Human.time(started, zone), Human.age(started, now),
                m == null || m.sources() == null ? "" : String.join(", ", m.sources().stream().map(Manifest.Source::name)
                        .toList()),
                m == null ? Human.UNKNOWN : Human.bytes(m.logicalBytes()),
                m == null ? Human.UNKNOWN : Human.bytes(m.storedBytes()),
                verification(v.entry().status(), now), retention(v, now, zone), dueForRemoval(v));
    }

    /** The backup's status with the level of the check it rests on: {@code verified (read-data)}. */
    static Badge badge(BackupView v) {
        return v.manifest() == null ? Badge.of(v.status()) : Badge.ofBackup(v.status(), v.entry().statusLevel());
    }

    /**
     * When the last check ran: {@code checked 2 h ago}; with its level when the status rests on another one
     * ({@code checked 5 min ago (exists)} after a read); {@code never verified}.
     */
    static String verification(BackupStatus s, Instant now) {
        if (s == null) {
            return "never verified";
        }
        return "checked " + Human.age(s.checked(), now)
                + (Objects.equals(s.level(), s.statusLevel()) ? "" : " (" + s.level() + ")");
    }

    /**
     * {@code 2 backups are recorded as corrupt ...}: the summary above the list, or null when none is; a backup
     * whose manifest cannot be read counts.
     */
    static String corruptSummary(List<BackupView> all) {
        long n = all.stream().filter(v -> BackupStatus.CORRUPT.equals(v.status())).count();
        if (n == 0) {
            return null;
        }
        return (n == 1 ? "1 backup is" : n + " backups are") + " recorded as corrupt: a restore of "
                + (n == 1 ? "it" : "them") + " is refused unless forced. Restore missing or damaged blobs from a "
                + "replica and verify again, or rely on another backup.";
    }

    /** The newest corrupt backups, at most {@code max}. */
    static List<String> corruptIds(List<BackupView> all, int max) {
        return all.stream().filter(v -> BackupStatus.CORRUPT.equals(v.status())).map(BackupView::id).limit(max)
                .toList();
    }

    static boolean dueForRemoval(BackupView v) {
        return v.retention() != null && !v.retention().keep();
    }

    /**
     * What retention does with the backup now: {@code kept until 2026-06-01 03:00:00 UTC (in 30 d)},
     * {@code due for removal at the next prune}, or why it is kept past its age limit.
     */
    static String retention(BackupView v, Instant now, ZoneId zone) {
        Decision d = v.retention();
        if (d != null && !d.keep()) {
            return "due for removal at the next prune" + (d.reasons().isEmpty() ? "" : " (" + String.join(", ",
                    d.reasons()) + ")");
        }
        if (v.entry().pinned()) {
            return "pinned: kept until unpinned";
        }
        Instant expires = v.expires();
        if (expires != null && expires.isAfter(now)) {
            return "kept until " + Human.time(expires, zone) + " (" + Human.age(expires, now) + ")";
        }
        if (d != null && !d.reasons().isEmpty()) {
            return "kept: " + String.join(", ", d.reasons());
        }
        return "kept";
    }

    static VerificationView verificationView(BackupStatus s, Instant now, ZoneId zone) {
        if (s == null) {
            return new VerificationView(new Badge("not verified yet", "muted", "–"), "", "", List.of(), null, List.of());
        }
        List<VerificationView> history = new ArrayList<>();
        if (s.history() != null) {
            for (BackupStatus h : s.history()) {
                history.add(verificationView(h, now, zone));
            }
        }
        String drill = null;
        if (s.drill() != null) {
            BackupStatus.Drill d = s.drill();
            drill = "restored into " + (d.scratchDatabase() == null ? "scratch folders" : d.scratchDatabase()) + " in " + String.format(Locale.ROOT, "%.1f s", d.seconds())
                    + "; " + d.tablesChecked() + " table(s) matched"
                    + (d.mismatches() == null || d.mismatches().isEmpty() ? "" : "; mismatches: "
                    + String.join("; ", d.mismatches()))
                    + (d.queryResult() == null ? "" : "; check query: " + d.queryResult())
                    + (d.sources() == null || d.sources().isEmpty() ? "" : "; " + d.sources().stream()
                    .map(BackupStatus.SourceDrill::summary).collect(java.util.stream.Collectors.joining("; ")));
        }
        return new VerificationView(Badge.of(s.status()), Human.time(s.checked(), zone) + " ("
                + Human.age(s.checked(), now) + ")", Objects.toString(s.level(), ""),
                s.problems() == null ? List.of() : s.problems(), drill, history);
    }

    static List<SourceView> sources(BackupEntry e) {
        Manifest m = e.manifest();
        List<SourceView> out = new ArrayList<>();
        if (m == null || m.sources() == null) {
            return out;
        }
        for (Manifest.Source s : m.sources()) {
            List<Views.Fact> facts = new ArrayList<>();
            Sources.describe(s).forEach((k, v) -> facts.add(new Views.Fact(k, v)));
            SourceType.Contents c = Sources.contents(s);
            List<List<String>> rows = c == null ? List.of() : c.rows().stream().map(r -> r.stream()
                    .map(cell -> cell.matches("\\d{1,18}") ? Human.count(Long.parseLong(cell)) : cell).toList())
                    .toList();
            long[] bytes = m.bytesOf(s.name());
            out.add(new SourceView(s.name(), Objects.toString(s.type(), ""), Badge.of(e.sourceStatus(s.name())),
                    Human.bytes(bytes[0]), Human.bytes(bytes[1]), facts, c == null ? "" : c.summary(),
                    c == null ? List.of() : c.header(), rows));
        }
        return out;
    }

    static List<ArtifactView> artifacts(Manifest m) {
        List<ArtifactView> out = new ArrayList<>();
        if (m == null || m.artifacts() == null) {
            return out;
        }
        for (Artifact a : m.artifacts()) {
            out.add(new ArtifactView(a.name(), Objects.toString(a.source(), ""), Objects.toString(a.format(), ""),
                    Human.bytes(a.size()), Human.bytes(a.storedSize()), Objects.toString(a.sha256(), "")));
        }
        return out;
    }

    /** The databases a restore of this backup can target: its dumps' sources. */
    /**
     * What the backup page offers to restore: with lifeboat.yml's sources: (a stack), the whole backup first, then
     * each source; otherwise each database. One choice is sent without asking.
     */
    static List<Views.Choice> restoreChoices(Manifest m, boolean stack) {
        if (m == null) {
            return List.of();
        }
        List<Views.Choice> out = new ArrayList<>();
        if (stack && m.sources() != null && !m.sources().isEmpty()) {
            if (m.sources().size() > 1) {
                out.add(new Views.Choice("stack", "every source (" + m.sources().size() + ")"));
            }
            for (Manifest.Source s : m.sources()) {
                out.add(new Views.Choice(m.sources().size() > 1 ? "source:" + s.name() : "stack", s.name() + " ("
                        + s.type() + ")"));
            }
            return out;
        }
        for (String d : m.databaseDumps().stream().map(Artifact::source).distinct().toList()) {
            out.add(new Views.Choice("database:" + d, d));
        }
        return out;
    }

    /**
     * The jobs about one backup: the live ones of this instance first (queued and running jobs have no backup id
     * in the history until they end), then those of the history that are not among them, in the order given.
     */
    static List<JobRow> jobsAbout(List<JobRow> live, List<JobRow> history) {
        Set<String> ids = live.stream().map(JobRow::id).collect(Collectors.toSet());
        return Stream.concat(live.stream(), history.stream().filter(r -> !ids.contains(r.id()))).toList();
    }

    static JobView jobView(Job j, Instant now, ZoneId zone) {
        Map<String, Object> result = j.result();
        boolean running = j.state() == Job.State.RUNNING;
        long total = j.expectedBytes();
        long done = j.bytesDone();
        java.time.Duration left = running ? j.remaining() : null;
        return new JobView(j.id(), j.kind().label(), Badge.of(j.state().label()), j.state().ended(), running,
                running ? Objects.toString(j.task(), "starting") : null,
                running ? Human.bytes(done) : null,
                running && total >= 0 ? (j.expectedIsEstimate() ? "about " + Human.bytes(total) + " (estimated)"
                        : Human.bytes(total)) : null,
                running ? Human.percent(done, total) : "",
                left == null ? null : Human.duration(left),
                Math.max(0, done), total > 0 ? total : 0,
                j.requestedBy(), Human.time(j.submitted(), zone), Human.time(j.started(), zone),
                Human.time(j.finished(), zone), took(j, now),
                j.target(), text(result.get("id")), text(result.get("preRestoreBackupId")), restoredInto(result),
                result.get("status") == null ? null : Badge.of(text(result.get("status"))),
                j.failure() == null ? null : j.failure().message(), j.failure() == null ? null : j.failure().hint(),
                entries(result));
    }

    /** A job this instance no longer holds in memory: what the history recorded of it. */
    static JobView jobView(JobRecord r, ZoneId zone) {
        Map<String, Object> details = r.details() == null ? Map.of() : r.details();
        String target = text(details.get("backup"));
        boolean ended = !"running".equals(r.status().label());
        return new JobView(r.id(), r.kind(), Badge.of(r.status().label()), ended, false, null, null, null, "", null, 0, 0,
                r.requestedBy(), Human.time(r.started(), zone), Human.time(r.started(), zone),
                Human.time(r.finished(), zone), Human.between(r.started(), r.finished()), target,
                r.backupId(), null, null, null, r.error(), null, entries(details));
    }

    /**
     * {@code database app on postgres@db:5432/app}, or for the stack {@code sources app, uploads (app -> ..., uploads
     * -> /srv/files)}: where a restore went, from its result.
     */
    static String restoredInto(Map<String, Object> result) {
        Object db = result.get("database");
        Object target = result.get("target");
        if (result.get("restored") instanceof List<?> sources && !sources.isEmpty()) {
            return (sources.size() == 1 ? "source " : "sources ") + String.join(", ", sources.stream()
                    .map(String::valueOf).toList()) + (target == null ? "" : " (" + target + ")");
        }
        if (db == null) {
            return null;
        }
        return "database " + db + (target == null ? "" : " on " + target);
    }

    /** A live job as a line of a list: its target as the backup, its failure as the error. */
    static JobRow jobRow(Job j, Instant now, ZoneId zone) {
        return new JobRow(j.id(), j.kind().label(), Badge.of(j.state().label()), j.requestedBy(),
                Human.time(j.started(), zone), Human.age(j.started(), now), took(j, now), j.target(),
                j.failure() == null ? null : j.failure().message(), "");
    }

    /** How long a live job ran, or has been running; a dash while it is queued. */
    private static String took(Job j, Instant now) {
        return j.started() == null ? Human.UNKNOWN
                : Human.between(j.started(), j.finished() != null ? j.finished() : now);
    }

    static JobRow jobRow(JobRecord r, Instant now, ZoneId zone) {
        return new JobRow(r.id(), r.kind(), Badge.of(r.status().label()), r.requestedBy(), Human.time(r.started(), zone),
                Human.age(r.started(), now), Human.between(r.started(), r.finished()), r.backupId(),
                r.error(), details(r.details()));
    }

    static AuditRow auditRow(AuditEntry e, ZoneId zone) {
        return new AuditRow(Human.time(e.at(), zone), e.actor(), e.action(), Objects.toString(e.target(), ""),
                Badge.of(e.result()), details(e.details()));
    }

    /** {@code key=value, key=value}: a JSON object of details on one line. */
    static String details(Map<String, Object> d) {
        if (d == null || d.isEmpty()) {
            return "";
        }
        List<String> parts = new ArrayList<>();
        d.forEach((k, v) -> parts.add(k + "=" + text(v)));
        return String.join(", ", parts);
    }

    static List<Entry> entries(Map<String, Object> m) {
        List<Entry> out = new ArrayList<>();
        if (m != null) {
            m.forEach((k, v) -> out.add(new Entry(k, bytesKey(k) && v instanceof Number n ? Human.bytes(n.longValue())
                    + " (" + n + " bytes)" : text(v))));
        }
        return out;
    }

    private static boolean bytesKey(String k) {
        return k.endsWith("Bytes");
    }

    static String text(Object v) {
        if (v == null) {
            return null;
        }
        if (v instanceof Collection<?> c) {
            List<String> parts = new ArrayList<>();
            for (Object o : c) {
                parts.add(Objects.toString(text(o), "null"));
            }
            return String.join(", ", parts);
        }
        if (v instanceof Map<?, ?> m) {
            List<String> parts = new ArrayList<>();
            m.forEach((k, x) -> parts.add(k + "=" + text(x)));
            return "{" + String.join(", ", parts) + "}";
        }
        return v.toString();
    }
}
