package dev.lifeboat.web;

import com.fasterxml.jackson.core.JsonProcessingException;
import dev.lifeboat.repository.BackupStatus;
import dev.lifeboat.repository.Json;
import dev.lifeboat.state.Role;

import java.util.List;
import java.util.Map;

/**
 * What each page shows, already formatted: the templates in {@code src/main/jte} only lay these out.
 * Every string here is data and is escaped by the templates (jte, content type HTML).
 */
public final class Views {
    private Views() {}

    /**
     * The frame around every page: who is signed in, the session's CSRF token, and which menu entry is
     * current. {@code user} is null on the sign-in page.
     */
    public record Chrome(String user, Role role, String csrf, String active) {
        public static Chrome anonymous() {
            return new Chrome(null, null, "", "");
        }

        public boolean signedIn() {
            return user != null;
        }

        /** Back up, verify. */
        public boolean canOperate() {
            return role != null && role.allows(Role.OPERATOR);
        }

        /** Restore, change settings, read the audit log. */
        public boolean canAdmin() {
            return role != null && role.allows(Role.ADMIN);
        }

        public String roleLabel() {
            return role == null ? "" : role.label();
        }

        /** The {@code hx-headers} value of {@code <body>}: every htmx request sends the CSRF token. */
        public String hxHeaders() {
            try {
                return Json.COMPACT.writeValueAsString(Map.of(Csrf.HEADER, csrf == null ? "" : csrf));
            } catch (JsonProcessingException e) {
                throw new IllegalStateException(e);
            }
        }

        public boolean is(String entry) {
            return entry.equals(active);
        }
    }

    /**
     * A status as a label with a tone; the tone picks the colour, the symbol and text carry the meaning, so
     * that nothing depends on seeing colour.
     */
    public record Badge(String text, String tone, String symbol) {
        public static Badge of(String status) {
            String s = status == null ? "unknown" : status;
            return switch (s) {
                case "verified", "drilled", "succeeded", "ok" -> new Badge(s, "ok", "✓");
                case "completed" -> new Badge(s, "info", "•");
                case "corrupt", "failed" -> new Badge(s, "bad", "✗");
                case "denied" -> new Badge(s, "bad", "⊘");
                case "running", "queued" -> new Badge(s, "busy", "…");
                case "interrupted", "cancelled" -> new Badge(s, "warn", "!");
                default -> new Badge(s, "muted", "–");
            };
        }

        /**
         * A backup's status with the level of the check it rests on ({@code verified (read-data)}); {@code verified
         * (exists)}, a check that read nothing back, is not shown as a success.
         */
        public static Badge ofBackup(String status, String level) {
            Badge b = of(status);
            if (level == null) {
                return b;
            }
            String text = status + " (" + level + ")";
            if (BackupStatus.VERIFIED.equals(status) && BackupStatus.rank(level) == 0) {
                return new Badge(text, "info", "•");
            }
            return new Badge(text, b.tone(), b.symbol());
        }

        public String cssClass() {
            return "badge badge-" + tone;
        }
    }

    /** A key and its value, both as text. */
    public record Entry(String key, String value) {}

    public record LoginPage(Chrome chrome, String error, String loginCsrf, String next) {}

    public record ErrorPage(Chrome chrome, int status, String title, String message, String hint, String back) {}

    // ---- backups

    /**
     * @param newest     the newest backup that is not a safety backup, as a sentence, or null when there is none
     * @param schedule   the schedule described ({@code at 03:00 every day (UTC)})
     * @param nextRun    when the next scheduled backup starts
     * @param corrupt    how many backups are recorded as corrupt, as a sentence, or null when none is
     * @param corruptIds the first of them, newest first, for links
     */
    public record BackupsPage(Chrome chrome, List<BackupRow> rows, Pager pager, String newest, String schedule,
                              String nextRun, String flash, String corrupt, List<String> corruptIds) {}

    /**
     * One line of the list.
     *
     * @param status       the status with the level of the check it rests on: {@code verified (read-data)}
     * @param verification {@code checked 2 h ago}, {@code checked 5 min ago (exists)} when the last check was of
     *                     another level than the status rests on, {@code never verified}
     * @param retention    {@code kept until 2026-06-01 (in 30 d)}, {@code due for removal at the next prune}
     */
    public record BackupRow(String id, Badge status, String label, boolean safety, boolean pinned, String started,
                            String age, String sources, String size, String stored, String verification,
                            String retention, boolean expiring) {}

    public record BackupPage(Chrome chrome, String id, Badge status, String label, String kind, boolean safety,
                             boolean pinned, String started, String finished, String took, String age,
                             String host, String toolVersion, String size, String stored, String added,
                             String retention, List<String> retentionReasons, String manifestError,
                             List<SourceView> sources, List<ArtifactView> artifacts, VerificationView verification,
                             List<JobRow> jobs, List<Choice> restoreChoices) {}

    /** One choice of a select: what the form sends, what a person reads. */
    public record Choice(String value, String label) {}

    /** A recorded source: its type's facts in order, and what it held as a table (empty when the type shows none). */
    public record SourceView(String name, String type, Badge status, String size, String stored, List<Fact> facts,
                             String contentsSummary, List<String> header, List<List<String>> rows) {}

    public record Fact(String name, String value) {}


    public record ArtifactView(String name, String source, String format, String size, String stored, String sha256) {}

    /**
     * @param problems what failed, each naming artifact and chunk; empty when the check passed
     * @param drill    the last restore drill, as a sentence, or null
     */
    public record VerificationView(Badge status, String checked, String level, List<String> problems, String drill,
                                   List<VerificationView> history) {}

    // ---- jobs

    /**
     * A job, live (with progress) or from the history.
     *
     * @param target          the backup it works on, or null
     * @param backupId        the backup it made (backup) or restored (restore), for a link
     * @param safetyBackupId  the safety backup a restore took first
     * @param restoredInto    where a restore went ({@code database app on postgres@db:5432/app}), or null
     * @param resultStatus    what a verify found ({@code verified}, {@code corrupt}), or null
     * @param result          everything the job reported, as text
     */
    public record JobView(String id, String kind, Badge status, boolean ended, boolean running, String task,
                          String done, String total, String percent, String remaining, long progressValue,
                          long progressMax,
                          String requestedBy, String submitted, String started, String finished, String took,
                          String target, String backupId, String safetyBackupId, String restoredInto,
                          Badge resultStatus,
                          String failure, String hint, List<Entry> result) {
        public boolean succeeded() {
            return "succeeded".equals(status.text());
        }

        public boolean restore() {
            return "restore".equals(kind);
        }

        public boolean verify() {
            return "verify".equals(kind);
        }
    }

    public record JobRow(String id, String kind, Badge status, String requestedBy, String started, String age,
                         String took, String backupId, String error, String details) {}

    public record JobPage(Chrome chrome, JobView job) {}

    public record JobsPage(Chrome chrome, List<JobView> active, List<JobRow> history, int limit) {}

    // ---- restore

    /**
     * Step one of a restore: where it goes, and the name to type; for a backup recorded as corrupt, first the
     * choice between the newest good backup and restoring this one anyway ({@code choose}), then the same
     * confirmation with the warning.
     *
     * @param typed      what was typed when the name did not match, to show again; empty at first
     * @param corrupt    what the verify found, for a backup recorded as corrupt; null for a healthy one
     * @param newestGood the newest good backup of the database then, or null
     * @param choose     the refusal with the choice (no confirmation token yet), rather than the confirmation
     */
    /**
     * The restore's confirmation (or, with {@code choose}, its refusal of a corrupt backup with the choice of a good
     * one). {@code choice} is what the form sends back ({@code database:app}, {@code source:uploads}, {@code stack});
     * {@code what} says it in words; every target is listed; the person types {@code confirmWord}.
     */
    public record RestorePage(Chrome chrome, String backupId, String backupLabel, String backupStarted,
                              String choice, String what, String database, List<RestoreTarget> targets,
                              String confirmWhat, String confirmWord, String token, String expires, String typed,
                              String error, String corrupt, String newestGood, boolean choose) {
        /** A database's restore (one transaction), not the stack's (phases, hooks). */
        public boolean ofDatabase() {
            return database != null;
        }
    }

    /** Where one source goes. */
    public record RestoreTarget(String source, String type, String target) {}

    // ---- settings and audit

    public record SettingsPage(Chrome chrome, String schedule, String timeZone, String retentionDays,
                               String description, String nextRun, String retention, int minimumKeep,
                               boolean runMissedAtStartup, String errorField, String error, String hint,
                               boolean saved) {
        public boolean invalid(String field) {
            return field.equals(errorField);
        }
    }

    public record AuditRow(String at, String actor, String action, String target, Badge result, String details) {}

    public record AuditPage(Chrome chrome, List<AuditRow> rows, int limit) {}
}
