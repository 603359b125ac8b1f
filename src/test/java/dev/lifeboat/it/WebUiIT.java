package dev.lifeboat.it;

import com.microsoft.playwright.APIResponse;
import com.microsoft.playwright.Browser;
import com.microsoft.playwright.BrowserContext;
import com.microsoft.playwright.BrowserType;
import com.microsoft.playwright.Page;
import com.microsoft.playwright.Playwright;
import com.microsoft.playwright.Response;
import com.microsoft.playwright.options.Cookie;
import com.microsoft.playwright.options.FormData;
import com.microsoft.playwright.options.RequestOptions;
import com.microsoft.playwright.options.SameSiteAttribute;
import dev.lifeboat.testing.LifeboatCli;
import dev.lifeboat.testing.LifeboatService;
import dev.lifeboat.testing.PgCluster;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static dev.lifeboat.testing.Requirements.require;

/**
 * The web admin UI as a person uses it: the packaged {@code lifeboat serve} against a real PostgreSQL, driven
 * through Debian's Chromium with Playwright. Sign in, back up (with the server's globals) and watch the job live,
 * verify, restore in two steps, change the schedule, and check what a viewer may not do, that data is escaped,
 * and the narrow layout.
 * Screenshots of each step go to {@code target/screenshots/}.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class WebUiIT {
    static final Path CHROMIUM = Paths.get("/usr/bin/chromium");
    static final Path SHOTS = Paths.get(System.getProperty("screenshots.dir", "target/screenshots"));
    static final String DB = "webui";
    static final String EVIL = "<script>alert(1)</script>";
    static final Pattern TOKEN = Pattern.compile("lb_[A-Za-z0-9_-]{43}");
    static final double JOB_TIMEOUT_MS = 180_000;

    Path work;
    PgCluster pg;
    LifeboatService service;
    Playwright playwright;
    Browser browser;
    BrowserContext admin;
    Page page;
    String base;
    String adminToken;
    String viewerToken;
    String backupId;
    /** Alerts (an XSS would raise one) and CSP violations reported by the browser; both must stay empty. */
    final List<String> alerts = new CopyOnWriteArrayList<>();
    final List<String> cspViolations = new CopyOnWriteArrayList<>();

    @BeforeAll
    void start() throws IOException {
        require(Files.isExecutable(CHROMIUM), "Debian's chromium at " + CHROMIUM, "apt-get install chromium");
        work = Files.createTempDirectory("webui-it");
        Files.createDirectories(SHOTS);
        pg = PgCluster.shared();
        pg.dropDatabase(DB);
        pg.createDatabase(DB);
        pg.psql(DB, """
                create table items(id int primary key, name text not null);
                insert into items values (1, 'alpha'), (2, 'beta'), (3, 'gamma');
                create table events(id bigint primary key, at timestamptz not null, note text);
                insert into events select g, timestamptz '2026-01-01' + g * interval '1 minute', md5(g::text)
                from generate_series(1, 20000) g;
                """);

        // The service's backups take the server's globals too (roles, tablespaces: artifact globals.sql), and a
        // backup of its one database still restores without choosing a database.
        Files.writeString(work.resolve("lifeboat.yml"), "globals: true\n");
        LifeboatCli cli = new LifeboatCli(work)
                .env("LIFEBOAT_REPOSITORY", work.resolve("repo").toString())
                .env("LIFEBOAT_DATA_DIR", work.resolve("data").toString())
                .env("PGPASSWORD", pg.password())
                .env("DATABASE_URL", "postgres://" + pg.superuser() + "@127.0.0.1:" + pg.port() + "/" + DB);
        cli.run("init").expectSuccess();
        adminToken = token(cli.run("token", "create", "--role", "admin", "--name", "alice").expectSuccess().stdout());
        viewerToken = token(cli.run("token", "create", "--role", "viewer", "--name", "victor").expectSuccess().stdout());
        service = LifeboatService.start(cli);
        base = service.baseUrl();

        Map<String, String> env = new HashMap<>(System.getenv());
        env.put("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1");
        playwright = Playwright.create(new Playwright.CreateOptions().setEnv(env));
        browser = playwright.chromium().launch(new BrowserType.LaunchOptions().setExecutablePath(CHROMIUM)
                .setHeadless(true).setArgs(List.of("--no-sandbox", "--disable-gpu", "--disable-background-networking",
                        "--disable-component-update", "--no-first-run", "--disable-sync")));
        admin = browser.newContext(new Browser.NewContextOptions().setViewportSize(1280, 900));
        page = watched(admin.newPage());
    }

    @AfterAll
    void stop() {
        if (browser != null) {
            browser.close();
        }
        if (playwright != null) {
            playwright.close();
        }
        if (service != null) {
            service.close();
        }
        if (pg != null) {
            pg.dropDatabase(DB);
        }
        if (work != null) {
            try (Stream<Path> files = Files.walk(work)) {
                files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            } catch (IOException e) {
                // a temp folder left behind
            }
        }
    }

    @Test
    @Order(1)
    void signInRefusesAWrongTokenThenOpensASession() {
        Response first = page.navigate(base + "/");
        assertThat(page.url()).startsWith(base + "/ui/login");
        assertThat(first.status()).isEqualTo(200);
        Map<String, String> headers = first.headers();
        assertThat(headers.get("content-security-policy")).contains("default-src 'self'").contains("script-src 'self'")
                .doesNotContain("unsafe-inline");
        assertThat(headers.get("x-frame-options")).isEqualTo("DENY");
        assertThat(headers.get("referrer-policy")).isEqualTo("no-referrer");
        assertThat(headers.get("x-content-type-options")).isEqualTo("nosniff");
        shot("01-sign-in");

        page.fill("#token", "lb_" + "x".repeat(43));
        Response wrong = page.waitForResponse(r -> r.url().endsWith("/ui/login") && r.request().method().equals("POST"),
                () -> page.click("button[type=submit]"));
        assertThat(wrong.status()).isEqualTo(401);
        assertThat(page.textContent("#login-error")).contains("unknown or revoked");
        assertThat(admin.cookies().stream().map(c -> c.name)).doesNotContain("lifeboat_session");
        shot("02-sign-in-wrong-token");

        page.fill("#token", adminToken);
        page.click("button[type=submit]");
        page.waitForURL(base + "/ui/backups");
        assertThat(page.textContent(".who")).contains("alice").contains("admin");
        Cookie session = admin.cookies().stream().filter(c -> c.name.equals("lifeboat_session")).findFirst().orElseThrow();
        assertThat(session.httpOnly).isTrue();
        assertThat(session.sameSite).isEqualTo(SameSiteAttribute.STRICT);
        assertThat(session.path).isEqualTo("/");
        assertThat(session.secure).isFalse(); // plain http here; Secure over https
        assertThat(page.textContent("main")).contains("No backups yet");
        // htmx came from this server and runs under the CSP
        assertThat(page.evaluate("() => typeof htmx")).isEqualTo("object");
        shot("03-backups-empty");
    }

    @Test
    @Order(2)
    void backUpNowAndWatchTheJobLive() {
        page.navigate(base + "/ui/backups");
        page.fill("#label", "before the change");
        page.click("#backup-now button[type=submit]");
        page.waitForURL(Pattern.compile(".*/ui/jobs/[^/]+$"));
        String jobUrl = page.url();
        page.evaluate("() => window.lifeboatTest = 'same page'");
        shot("04-backup-job");
        awaitJob("succeeded");
        // the job page was never reloaded: htmx swapped the status in place until the job ended
        assertThat(page.url()).isEqualTo(jobUrl);
        assertThat(page.evaluate("() => window.lifeboatTest")).isEqualTo("same page");
        assertThat(page.locator("#job-status").getAttribute("hx-trigger")).isNull();
        backupId = page.textContent("#new-backup").strip();
        assertThat(backupId).matches("\\d{8}T\\d{6}Z?.*");
        shot("05-backup-job-succeeded");

        page.click("#new-backup");
        page.waitForURL(base + "/ui/backups/" + backupId);
        assertThat(page.textContent("#backup-status")).contains("completed");
        assertThat(page.textContent("#backup-label")).isEqualTo("before the change");
        String detail = page.textContent("main");
        assertThat(detail).contains("PostgreSQL " + pg.majorVersion()).contains("pg_dump " + pg.majorVersion())
                .contains("public.items").contains("public.events").contains("20,000")
                .contains(DB + ".dump").contains("globals.sql").contains("pg_dumpall-globals")
                .contains("backup"); // the job that made it
        assertThat(page.locator("td.hash").first().textContent().strip()).matches("[0-9a-f]{64}");
        assertThat(page.locator("#backup-jobs a").first().textContent()).isEqualTo("backup");
        shot("06-backup-detail");
    }

    @Test
    @Order(3)
    void verifyMarksTheBackupVerified() {
        page.navigate(base + "/ui/backups/" + backupId);
        page.click("#verify");
        page.waitForURL(Pattern.compile(".*/ui/jobs/[^/]+$"));
        awaitJob("succeeded");
        assertThat(page.textContent("#job-outcome")).contains("verified");
        shot("07-verify-succeeded");
        page.navigate(base + "/ui/backups/" + backupId);
        assertThat(page.textContent("#backup-status")).contains("verified");
        page.navigate(base + "/ui/backups");
        assertThat(page.textContent("#backups tr[data-id='" + backupId + "']")).contains("verified");
        shot("07b-backups-list");
    }

    @Test
    @Order(4)
    void restoreAsksForTheDatabaseNameAndUndoesTheChange() {
        String original = items();
        assertThat(original).isEqualTo("1:alpha,2:beta,3:gamma");
        pg.psql(DB, "delete from items where id = 1; update items set name = 'BETA' where id = 2; "
                + "insert into items values (4, 'delta');");
        String changed = items();

        page.navigate(base + "/ui/backups/" + backupId);
        assertThat(page.locator("#database").count()).as("one database, globals aside: nothing to choose").isZero();
        Response asked = page.waitForResponse(r -> r.url().endsWith("/restore"), () -> page.click("#restore"));
        assertThat(asked.status()).as(() -> page.textContent("body")).isEqualTo(200);
        page.waitForSelector("#restore-plan");
        assertThat(page.textContent("#restore-database")).isEqualTo(DB);
        assertThat(page.textContent("#restore-target")).contains(DB).contains(Integer.toString(pg.port()))
                .doesNotContain(pg.password());
        assertThat(page.textContent("#restore-plan")).contains("safety backup").contains("one transaction");
        shot("08-restore-step-1");

        page.fill("#typed", DB + "_typo");
        Response refused = page.waitForResponse(r -> r.url().endsWith("/restore/confirm"),
                () -> page.click("#confirm-restore"));
        assertThat(refused.status()).isEqualTo(400);
        assertThat(page.textContent("#restore-error")).contains(DB + "_typo").contains("Nothing was done");
        assertThat(items()).isEqualTo(changed);
        shot("09-restore-wrong-name");

        String safety = confirmRestore("succeeded");
        assertThat(safety).isNotBlank().isNotEqualTo(backupId);
        assertThat(items()).isEqualTo(original);
        assertThat(page.textContent("#restored-into")).contains("database " + DB);
        shot("10-restore-succeeded");

        // the safety backup holds what was there before the restore
        page.click("#safety-backup");
        page.waitForURL(base + "/ui/backups/" + safety);
        assertThat(page.textContent("main")).contains("safety backup");
    }

    @Test
    @Order(5)
    void settingsRefuseAnInvalidScheduleAndSaveAValidOne() {
        page.navigate(base + "/ui/settings");
        String before = page.inputValue("#schedule");
        page.fill("#schedule", "61 3 * * *");
        Response refused = page.waitForResponse(r -> r.url().endsWith("/ui/settings") && r.request().method().equals("POST"),
                () -> page.click("#settings-form button[type=submit]"));
        assertThat(refused.status()).isEqualTo(400);
        assertThat(page.textContent("#settings-error")).contains("schedule").contains("Nothing was changed");
        assertThat(page.getAttribute("#schedule", "aria-invalid")).isEqualTo("true");
        shot("11-settings-invalid");
        page.navigate(base + "/ui/settings");
        assertThat(page.inputValue("#schedule")).isEqualTo(before);

        page.fill("#schedule", "0 */6 * * *");
        page.fill("#retentionDays", "60");
        page.click("#settings-form button[type=submit]");
        page.waitForSelector("#settings-saved");
        assertThat(page.inputValue("#schedule")).isEqualTo("0 */6 * * *");
        assertThat(page.inputValue("#retentionDays")).isEqualTo("60");
        assertThat(page.textContent("#next-run")).contains(":00:00").contains("in ");
        shot("12-settings-saved");
    }

    @Test
    @Order(6)
    void aLabelIsShownAsTextNeverRunAsMarkup() {
        page.navigate(base + "/ui/backups");
        page.fill("#label", EVIL);
        page.click("#backup-now button[type=submit]");
        page.waitForURL(Pattern.compile(".*/ui/jobs/[^/]+$"));
        awaitJob("succeeded");
        String id = page.textContent("#new-backup").strip();
        page.navigate(base + "/ui/backups");
        assertThat(page.textContent("#backups tr[data-id='" + id + "'] td.label").strip()).isEqualTo(EVIL);
        assertThat(page.locator("#backups script").count()).isZero();
        page.navigate(base + "/ui/backups/" + id);
        assertThat(page.textContent("#backup-label")).isEqualTo(EVIL);
        assertThat(page.content()).contains("&lt;script&gt;alert(1)&lt;/script&gt;");
        shot("13-label-escaped");
        assertThat(alerts).isEmpty();
    }

    @Test
    @Order(7)
    void aViewerSeesNoActionsAndIsRefusedWhenPostingAnyway() {
        BrowserContext viewer = browser.newContext(new Browser.NewContextOptions().setViewportSize(1280, 900));
        try {
            Page v = watched(viewer.newPage());
            v.navigate(base + "/ui/backups/" + backupId);
            assertThat(v.url()).contains("/ui/login?next=");
            v.fill("#token", viewerToken);
            v.click("button[type=submit]");
            v.waitForURL(base + "/ui/backups/" + backupId); // back where the viewer wanted to go
            assertThat(v.locator("#restore").count()).isZero();
            assertThat(v.locator("#verify").count()).isZero();
            assertThat(v.textContent("main")).contains("verified");
            shot(v, "14-viewer-backup-detail");
            v.navigate(base + "/ui/backups");
            assertThat(v.locator("#backup-now").count()).isZero();
            v.navigate(base + "/ui/settings");
            assertThat(v.locator("#settings-form").count()).isZero();
            assertThat(v.textContent("#settings-readonly")).contains("0 */6 * * *");
            Response audit = v.navigate(base + "/ui/audit");
            assertThat(audit.status()).isEqualTo(403);

            String csrf = v.getAttribute("form.signout input[name=csrf]", "value");
            APIResponse restore = viewer.request().post(base + "/ui/backups/" + backupId + "/restore",
                    RequestOptions.create().setForm(FormData.create().set("csrf", csrf)).setMaxRedirects(0));
            assertThat(restore.status()).isEqualTo(403);
            assertThat(restore.text()).contains("Not allowed").contains("needs admin");
            APIResponse backup = viewer.request().post(base + "/ui/backups",
                    RequestOptions.create().setForm(FormData.create().set("csrf", csrf)).setMaxRedirects(0));
            assertThat(backup.status()).isEqualTo(403);
            v.setContent(restore.text());
            shot(v, "15-viewer-restore-forbidden");
        } finally {
            viewer.close();
        }
    }

    @Test
    @Order(8)
    void everyPostNeedsTheSessionsCsrfToken() {
        page.navigate(base + "/ui/jobs");
        int jobsBefore = page.locator("#job-history tbody tr").count();
        APIResponse none = admin.request().post(base + "/ui/backups",
                RequestOptions.create().setForm(FormData.create().set("label", "forged")).setMaxRedirects(0));
        assertThat(none.status()).isEqualTo(403);
        APIResponse wrong = admin.request().post(base + "/ui/backups",
                RequestOptions.create().setForm(FormData.create().set("csrf", "not-the-token")).setMaxRedirects(0));
        assertThat(wrong.status()).isEqualTo(403);
        page.navigate(base + "/ui/jobs");
        assertThat(page.locator("#job-history tbody tr").count()).isEqualTo(jobsBefore);
        // the header htmx sends is accepted as well: a job starts
        String csrf = page.getAttribute("form.signout input[name=csrf]", "value");
        APIResponse header = admin.request().post(base + "/ui/backups", RequestOptions.create()
                .setHeader("X-CSRF-Token", csrf).setForm(FormData.create().set("label", "by header")).setMaxRedirects(0));
        assertThat(header.status()).isEqualTo(303);
        page.navigate(base + header.headers().get("location"));
        awaitJob("succeeded");
        shot("16-backup-by-htmx-header");
    }

    @Test
    @Order(9)
    void theListFitsANarrowScreen() {
        BrowserContext phone = browser.newContext(new Browser.NewContextOptions().setViewportSize(375, 812)
                .setDeviceScaleFactor(2).setIsMobile(true).setHasTouch(true));
        try {
            Page p = watched(phone.newPage());
            p.navigate(base + "/ui/login");
            p.fill("#token", adminToken);
            p.click("button[type=submit]");
            p.waitForURL(base + "/ui/backups");
            assertThat(p.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth")).isEqualTo(true);
            assertThat(p.locator("#backups thead").isVisible()).isFalse(); // rows became cards
            shot(p, "17-backups-375px");
            p.navigate(base + "/ui/backups/" + backupId);
            shot(p, "18-backup-detail-375px");
        } finally {
            phone.close();
        }
    }

    @Test
    @Order(10)
    void aCorruptBackupFailsItsVerifyAndIsRestoredOnlyByAnExplicitChoice() throws IOException {
        // a backup with chunks of its own, one of which is then damaged
        pg.psql(DB, "create table bulk as select g, md5(g::text) || md5((g * 13)::text) as v "
                + "from generate_series(1, 60000) g");
        String items = items();
        page.navigate(base + "/ui/backups");
        page.fill("#label", "to be damaged");
        page.click("#backup-now button[type=submit]");
        page.waitForURL(Pattern.compile(".*/ui/jobs/[^/]+$"));
        awaitJob("succeeded");
        String victim = page.textContent("#new-backup").strip();
        String chunk = chunkOnlyOf(victim);
        Path blob = work.resolve("repo").resolve("chunks").resolve(chunk.substring(0, 2)).resolve(chunk);
        byte[] bytes = Files.readAllBytes(blob);
        bytes[bytes.length / 2] ^= 0x5A;
        Files.write(blob, bytes);

        // the verify that finds it is a failed job, here and in the list of jobs
        page.navigate(base + "/ui/backups/" + victim);
        page.click("#verify");
        page.waitForURL(Pattern.compile(".*/ui/jobs/[^/]+$"));
        awaitJob("failed");
        assertThat(page.textContent("#job-error")).contains("is corrupt").contains(chunk).contains("corrupt");
        assertThat(page.locator("#job-outcome").count()).isZero();
        shot("18c-verify-found-damage");
        page.navigate(base + "/ui/jobs");
        assertThat(page.textContent("#job-history tbody tr:first-child")).contains("verify").contains("failed")
                .doesNotContain("succeeded");

        // the list says which check each status rests on, and its summary that a backup is corrupt
        page.navigate(base + "/ui/backups");
        assertThat(page.textContent("#corrupt-summary")).contains("1 backup is recorded as corrupt");
        assertThat(page.locator("#corrupt-summary a").first().textContent()).isEqualTo(victim);
        assertThat(page.textContent("#backups tr[data-id='" + victim + "']")).contains("corrupt (read-data)");
        assertThat(page.textContent("#backups tr[data-id='" + backupId + "']")).contains("verified (read-data)");
        shot("18d-backups-one-corrupt");

        // a restore of it is refused before any safety backup, with the good backup to restore instead
        int backups = backupCount();
        page.navigate(base + "/ui/backups/" + victim);
        Response refused = page.waitForResponse(r -> r.url().endsWith("/restore"), () -> page.click("#restore"));
        assertThat(refused.status()).isEqualTo(422);
        assertThat(page.textContent("#restore-refused")).contains("recorded as corrupt").contains(chunk)
                .contains("no safety backup was taken");
        String good = page.textContent("#newest-good").strip();
        assertThat(good).matches("\\d{8}T\\d{6}Z-[0-9a-f]{6}").isNotEqualTo(victim);
        assertThat(page.locator("#restore-good").count()).isEqualTo(1);
        assertThat(backupCount()).isEqualTo(backups);
        shot("18e-restore-corrupt-refused");

        // restoring it anyway is an explicit choice, and the confirmation says what it is
        page.check("#force");
        page.click("#restore-anyway");
        page.waitForSelector("#restore-corrupt");
        assertThat(page.textContent("#restore-corrupt")).contains("recorded as corrupt").contains(good);
        assertThat(page.textContent("#confirm-restore")).contains("corrupt as it is");
        shot("18f-restore-corrupt-confirm");
        String safety = confirmRestore("failed");
        assertThat(safety).matches("\\d{8}T\\d{6}Z-[0-9a-f]{6}");
        assertThat(page.textContent("#job-error")).contains(chunk).contains("safety backup taken of " + DB + " first is "
                + safety);
        assertThat(backupCount()).isEqualTo(backups + 1);
        assertThat(items()).as("rolled back").isEqualTo(items);
        shot("18g-restore-corrupt-failed");
    }

    /** A chunk of the backup's dump that no other backup references, and not its first (the dump's header). */
    private String chunkOnlyOf(String id) throws IOException {
        List<String> own = new java.util.ArrayList<>();
        java.util.Set<String> others = new java.util.HashSet<>();
        try (Stream<Path> dirs = Files.list(work.resolve("repo").resolve("backups"))) {
            for (Path dir : dirs.toList()) {
                boolean mine = dir.getFileName().toString().equals(id);
                for (var a : new com.fasterxml.jackson.databind.ObjectMapper().readTree(dir.resolve("manifest.json")
                        .toFile()).get("artifacts")) {
                    java.util.Collection<String> into = mine && a.get("name").asText().equals(DB + ".dump") ? own : others;
                    a.get("chunks").forEach(c -> into.add(c.get("id").asText()));
                }
            }
        }
        return own.subList(1, own.size()).stream().filter(c -> !others.contains(c)).reduce((x, y) -> y)
                .orElseThrow(() -> new AssertionError("backup " + id + " has no chunk of its own"));
    }

    private int backupCount() throws IOException {
        try (Stream<Path> s = Files.list(work.resolve("repo").resolve("backups"))) {
            return (int) s.count();
        }
    }

    @Test
    @Order(11)
    void aFailedJobShowsItsMessageAndHint() {
        pg.dropDatabase(DB);
        page.navigate(base + "/ui/backups");
        page.click("#backup-now button[type=submit]");
        page.waitForURL(Pattern.compile(".*/ui/jobs/[^/]+$"));
        awaitJob("failed");
        String error = page.textContent("#job-error");
        assertThat(error).contains("Error:").contains(DB).contains("What to do:");
        shot("19-backup-failed");
        page.navigate(base + "/ui/jobs");
        assertThat(page.textContent("#job-history tbody tr:first-child")).contains("failed").contains(DB);
        shot("19b-job-history");
    }

    @Test
    @Order(12)
    void theAuditLogShowsWhoDidWhatAndSignOutEndsTheSession() {
        Response audit = page.navigate(base + "/ui/audit");
        assertThat(audit.status()).isEqualTo(200);
        String log = page.textContent("#audit");
        assertThat(log).contains("session.create").contains("backup.create").contains("backup.verify")
                .contains("restore.request").contains("restore.confirm").contains("config.update").contains("denied")
                .contains("alice").contains("victor");
        shot("20-audit");

        page.click("form.signout button");
        page.waitForURL(base + "/ui/login");
        page.navigate(base + "/ui/backups");
        assertThat(page.url()).startsWith(base + "/ui/login");
        // a poll of the live job view without a session is sent to the sign-in page, not given a login form
        APIResponse poll = admin.request().get(base + "/ui/jobs/x/status",
                RequestOptions.create().setHeader("HX-Request", "true").setMaxRedirects(0));
        assertThat(poll.status()).isEqualTo(401);
        assertThat(poll.headers().get("hx-redirect")).isEqualTo("/ui/login");
        assertThat(cspViolations).isEmpty();
        assertThat(alerts).isEmpty();
    }

    // ---- helpers

    private Page watched(Page p) {
        p.onDialog(d -> {
            alerts.add(d.message());
            d.dismiss();
        });
        p.onConsoleMessage(m -> {
            if (m.text().contains("Content Security Policy")) {
                cspViolations.add(m.text());
            }
        });
        return p;
    }

    /**
     * Types the database's name on the restore's confirmation, confirms, and waits on the job page until the restore
     * ends as {@code expected}; returns the safety backup it names.
     */
    private String confirmRestore(String expected) {
        page.fill("#typed", DB);
        page.click("#confirm-restore");
        page.waitForURL(Pattern.compile(".*/ui/jobs/[^/]+$"));
        awaitJob(expected);
        return page.textContent("#safety-backup").strip();
    }

    /** Waits on the job page until the job ends, and checks how. */
    private void awaitJob(String expected) {
        page.waitForSelector("#job-status[data-state=succeeded], #job-status[data-state=failed], "
                        + "#job-status[data-state=interrupted], #job-status[data-state=cancelled]",
                new Page.WaitForSelectorOptions().setTimeout(JOB_TIMEOUT_MS));
        String state = page.getAttribute("#job-status", "data-state");
        assertThat(state).as(() -> page.textContent("#job-status") + "\nservice log:\n" + service.log())
                .isEqualTo(expected);
    }

    private String items() {
        return pg.psql(DB, "select string_agg(id || ':' || name, ',' order by id) from items");
    }

    private void shot(String name) {
        shot(page, name);
    }

    private static void shot(Page p, String name) {
        p.screenshot(new Page.ScreenshotOptions().setPath(SHOTS.resolve(name + ".png")).setFullPage(true));
    }

    private static String token(String stdout) {
        Matcher m = TOKEN.matcher(stdout);
        assertThat(m.find()).as(stdout).isTrue();
        return m.group();
    }
}
