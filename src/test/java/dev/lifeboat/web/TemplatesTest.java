package dev.lifeboat.web;

import dev.lifeboat.state.Role;
import dev.lifeboat.web.Views.BackupRow;
import dev.lifeboat.web.Views.BackupsPage;
import dev.lifeboat.web.Views.Badge;
import dev.lifeboat.web.Views.Chrome;
import dev.lifeboat.web.Views.ErrorPage;
import dev.lifeboat.web.Views.JobView;
import dev.lifeboat.web.Views.RestorePage;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** The precompiled templates escape every value, and show only what the role may use. */
class TemplatesTest {
    static final String EVIL = "<script>alert(1)</script>\"'><img src=x onerror=alert(2)>";
    final Templates templates = Templates.precompiled();

    static BackupRow row(String label) {
        return new BackupRow("20260501T090000Z-abcdef", Badge.of("completed"), label, false, false,
                "2026-05-01 09:00:00 UTC", "3 h ago", "app, uploads", "4.8 MiB", "1.1 MiB", "never verified", "kept", false);
    }

    static BackupsPage list(Role role, String label) {
        return new BackupsPage(new Chrome("alice", role, "csrf-123", "backups"), List.of(row(label)),
                Pager.of("1", 100, 1), null, "at 03:00 (0 3 * * *, UTC)", "2026-05-02 03:00:00 UTC (in 15 h)", null,
                null, List.of());
    }

    @Test
    void dataIsEscapedNeverMarkup() {
        String html = templates.render("backups.jte", list(Role.ADMIN, EVIL));
        assertThat(html).doesNotContain("<script>alert").doesNotContain("<img src=x")
                .contains("&lt;script&gt;alert(1)&lt;/script&gt;");
        String error = templates.render("error.jte", new ErrorPage(new Chrome("alice", Role.ADMIN, "c", ""), 404,
                "Not found", "no backup with id '" + EVIL + "'", EVIL, "/ui/backups"));
        assertThat(error).doesNotContain("<script>alert").doesNotContain("<img src=x");
        String restore = templates.render("restore.jte", new RestorePage(new Chrome("alice", Role.ADMIN, "c", ""),
                "id1", EVIL, "then", "database:app", "database app", "app", List.of(new Views.RestoreTarget("app",
                "postgresql", "postgres@db:5432/app")), "the database's name", "app", "lbc_x", "soon", EVIL, EVIL,
                null, null, false));
        assertThat(restore).contains("postgres@db:5432/app").contains("one transaction");
        String stack = templates.render("restore.jte", new RestorePage(new Chrome("alice", Role.ADMIN, "c", ""),
                "id1", "", "then", "stack", "every source of the backup", null, List.of(new Views.RestoreTarget(
                EVIL, "files", EVIL), new Views.RestoreTarget("app", "postgresql", "postgres@db:5432/app")),
                "the backup's last 6 characters", "abcdef", "lbc_x", "soon", "", null, null, null, false));
        assertThat(stack).doesNotContain("<script>alert").contains("postgres@db:5432/app").contains("after-restore")
                .contains(">abcdef<").doesNotContain("one transaction");
        assertThat(restore).doesNotContain("<script>alert").doesNotContain("<img src=x")
                .doesNotContain("value=\"" + EVIL);
    }

    @Test
    void aRefusedSettingSaysWhatToDoInOneSentence() {
        String html = templates.render("settings.jte", new Views.SettingsPage(new Chrome("alice", Role.ADMIN, "c",
                "settings"), "0 3 * * *", "UTC", "0", "at 03:00", "soon", "within 30d", 3, true, "retentionDays",
                "retentionDays: must be a whole number of days from 1 to 36500, not 0", "for example 30", false));
        String text = html.replaceAll("<[^>]+>", "").replaceAll("\\s+", " ");
        assertThat(text).contains("for example 30").doesNotContainIgnoringCase("for example: for example");
    }

    @Test
    void everyPageLoadsScriptsFromThisServerOnlyAndCarriesTheCsrfToken() {
        String html = templates.render("backups.jte", list(Role.OPERATOR, "x"));
        assertThat(html).contains("<script src=\"/ui/static/htmx.min.js\" defer></script>")
                .contains("name=\"viewport\"")
                .contains("hx-headers=\"{&#34;X-CSRF-Token&#34;:&#34;csrf-123&#34;}\"")
                .contains("name=\"csrf\" value=\"csrf-123\"");
        // exactly one script element, and it has a src: no inline script anywhere (the CSP forbids them)
        assertThat(html.split("<script", -1)).hasSize(2);
        assertThat(html).doesNotContain("style=\"").doesNotContain("onclick");
    }

    @Test
    void buttonsFollowTheRole() {
        assertThat(templates.render("backups.jte", list(Role.VIEWER, "x"))).doesNotContain("Back up now")
                .doesNotContain("Audit log");
        assertThat(templates.render("backups.jte", list(Role.OPERATOR, "x"))).contains("Back up now")
                .doesNotContain("Audit log");
        assertThat(templates.render("backups.jte", list(Role.ADMIN, "x"))).contains("Back up now").contains("Audit log");
    }

    @Test
    void aRunningJobPollsAndAnEndedOneStops() {
        JobView running = new JobView("j1", "backup", Badge.of("running"), false, true, "backup app", "1.0 MiB", null,
                "", null, 1048576, 0, "alice", "t", "t", "—", "1.0 s", null, null, null, null, null, null, null, List.of());
        String html = templates.render("job_status.jte", running);
        assertThat(html).contains("hx-get=\"/ui/jobs/j1/status\"").contains("hx-trigger=\"every 1s\"")
                .contains("backup app").contains("1.0 MiB so far");
        JobView ended = new JobView("j1", "backup", Badge.of("succeeded"), true, false, null, null, null, "", null, 0, 0,
                "alice", "t", "t", "t", "3.0 s", null, "20260501T090000Z-abcdef", null, null, null, null, null, List.of());
        assertThat(templates.render("job_status.jte", ended)).doesNotContain("hx-get").doesNotContain("hx-trigger")
                .contains("href=\"/ui/backups/20260501T090000Z-abcdef\"");
    }

    @Test
    void aBackupWithAnEstimatedSizeShowsItAndTheTimeLeft() {
        JobView running = new JobView("j1", "backup", Badge.of("running"), false, true, "backup app", "100.0 MiB",
                "about 400.0 MiB (estimated)", "25%", "3.0 s", 104857600, 419430400, "alice", "t", "t", "—", "1.0 s",
                null, null, null, null, null, null, null, List.of());
        assertThat(templates.render("job_status.jte", running))
                .contains("<progress value=\"104857600\" max=\"419430400\">25%</progress>")
                .contains("100.0 MiB of about 400.0 MiB (estimated) · 25% · about 3.0 s left");
    }
}
