package dev.lifeboat.web;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.lifeboat.api.ApiError;
import dev.lifeboat.core.ErrorCode;
import dev.lifeboat.core.LifeboatException;
import dev.lifeboat.engine.RestoreCheck;
import dev.lifeboat.repository.Manifest;
import dev.lifeboat.service.BackupView;
import dev.lifeboat.service.Job;
import dev.lifeboat.service.Service;
import dev.lifeboat.service.ServiceConfig;
import dev.lifeboat.state.Role;
import dev.lifeboat.state.Session;
import dev.lifeboat.web.Views.AuditPage;
import dev.lifeboat.web.Views.BackupPage;
import dev.lifeboat.web.Views.BackupRow;
import dev.lifeboat.web.Views.BackupsPage;
import dev.lifeboat.web.Views.Chrome;
import dev.lifeboat.web.Views.ErrorPage;
import dev.lifeboat.web.Views.JobPage;
import dev.lifeboat.web.Views.JobRow;
import dev.lifeboat.web.Views.JobView;
import dev.lifeboat.web.Views.JobsPage;
import dev.lifeboat.web.Views.LoginPage;
import dev.lifeboat.web.Views.RestorePage;
import dev.lifeboat.web.Views.SettingsPage;
import io.javalin.config.JavalinConfig;
import io.javalin.config.RoutesConfig;
import io.javalin.http.Context;
import io.javalin.http.Cookie;
import io.javalin.http.Handler;
import io.javalin.http.HttpStatus;
import io.javalin.http.SameSite;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.util.List;
import java.util.Optional;
import java.util.Properties;
import java.util.function.Consumer;

/**
 * The web admin UI under {@code /ui}: server-rendered pages (jte) with htmx for the live job view. Each
 * handler parses the request, makes one {@link Service} call (which checks the role and writes the audit
 * log) and renders a page; the UI decides nothing itself.
 *
 * <p>Sign-in takes an API token and opens a server-side session (cookie {@value #SESSION_COOKIE}:
 * HttpOnly, SameSite=Strict, Secure over https). Pages without a session redirect to the sign-in page;
 * every POST must carry the session's CSRF token ({@link Csrf}) or is refused with 403 before anything is
 * done. Buttons a role cannot use are hidden, and the service refuses them anyway (403 page).
 */
public final class WebUi {
    private static final Logger LOG = LoggerFactory.getLogger(WebUi.class);
    public static final String SESSION_COOKIE = "lifeboat_session";
    static final String LOGIN_COOKIE = "lifeboat_login";
    static final Duration SESSION_TTL = Duration.ofHours(12);
    static final int PAGE_SIZE = 100;
    static final String HOME = "/ui/backups";
    static final String LOGIN = "/ui/login";
    /** How many of a backup's jobs from the history its page lists, newest first. */
    static final int BACKUP_JOBS = 100;

    private final Service service;
    private final Templates templates;
    private final Clock clock;
    private final byte[] htmx;
    private final byte[] css;

    WebUi(Service service, Templates templates, Clock clock) {
        this.service = service;
        this.templates = templates;
        this.clock = clock;
        this.htmx = resource(htmxPath());
        this.css = resource("dev/lifeboat/web/static/lifeboat.css");
    }

    /** The UI's routes, for {@code HttpServer}'s extensions. */
    public static Consumer<JavalinConfig> routes(Service service) {
        WebUi ui = new WebUi(service, Templates.precompiled(), Clock.systemUTC());
        return config -> ui.register(config.routes);
    }

    @FunctionalInterface
    interface Page {
        void handle(Context ctx, Session session) throws Exception;
    }

    void register(RoutesConfig r) {
        r.before("/ui", SecurityHeaders::apply);
        r.before("/ui/*", SecurityHeaders::apply);
        r.get("/", ctx -> {
            SecurityHeaders.apply(ctx);
            ctx.redirect(HOME, HttpStatus.SEE_OTHER);
        });
        r.get("/ui", ctx -> ctx.redirect(HOME, HttpStatus.SEE_OTHER));
        r.get("/ui/static/htmx.min.js", ctx -> asset(ctx, htmx, "text/javascript; charset=utf-8"));
        r.get("/ui/static/lifeboat.css", ctx -> asset(ctx, css, "text/css; charset=utf-8"));
        r.get(LOGIN, this::loginForm);
        r.post(LOGIN, this::login);
        r.post("/ui/logout", action(this::logout));
        r.get("/ui/backups", page(this::backups));
        r.post("/ui/backups", action(this::startBackup));
        r.get("/ui/backups/{id}", page(this::backup));
        r.post("/ui/backups/{id}/verify", action(this::verify));
        r.post("/ui/backups/{id}/restore", action(this::requestRestore));
        r.post("/ui/backups/{id}/restore/confirm", action(this::confirmRestore));
        r.get("/ui/jobs", page(this::jobs));
        r.get("/ui/jobs/{id}", page(this::job));
        r.get("/ui/jobs/{id}/status", page(this::jobStatus));
        r.get("/ui/settings", page(this::settings));
        r.post("/ui/settings", action(this::saveSettings));
        r.get("/ui/audit", page(this::audit));
        r.get("/ui/*", page((ctx, s) -> error(ctx, chrome(s, ""), 404, "Not found",
                "There is no page at " + ctx.path() + ".", null)));
    }

    // ---- sign-in and sessions

    private void loginForm(Context ctx) {
        if (session(ctx).isPresent()) {
            ctx.redirect(HOME, HttpStatus.SEE_OTHER);
            return;
        }
        String token = Csrf.newToken();
        ctx.cookie(cookie(ctx, LOGIN_COOKIE, token, LOGIN, (int) Duration.ofHours(1).toSeconds()));
        render(ctx, 200, "login.jte", new LoginPage(Chrome.anonymous(), null, token, safeNext(ctx.queryParam("next"))));
    }

    private void login(Context ctx) {
        String next = safeNext(ctx.formParam("next"));
        String loginCsrf = ctx.cookie(LOGIN_COOKIE);
        if (!Csrf.matches(loginCsrf, ctx.formParam("login_csrf"))) {
            String fresh = Csrf.newToken();
            ctx.cookie(cookie(ctx, LOGIN_COOKIE, fresh, LOGIN, (int) Duration.ofHours(1).toSeconds()));
            render(ctx, 403, "login.jte", new LoginPage(Chrome.anonymous(), "The sign-in form was out of date "
                    + "(or cookies are off): nothing was signed in. Paste the token again.", fresh, next));
            return;
        }
        String token = ctx.formParam("token");
        Optional<Session> s = service.signIn(token == null ? null : token.strip(), SESSION_TTL);
        if (s.isEmpty()) {
            render(ctx, 401, "login.jte", new LoginPage(Chrome.anonymous(), "That token is unknown or revoked: "
                    + "nothing was signed in. An admin creates tokens with: lifeboat token create --role admin",
                    loginCsrf, next));
            return;
        }
        ctx.removeCookie(LOGIN_COOKIE, LOGIN);
        ctx.cookie(cookie(ctx, SESSION_COOKIE, s.get().id(), "/", (int) SESSION_TTL.toSeconds()));
        ctx.redirect(next, HttpStatus.SEE_OTHER);
    }

    private void logout(Context ctx, Session s) {
        service.signOut(s);
        ctx.removeCookie(SESSION_COOKIE, "/");
        ctx.redirect(LOGIN, HttpStatus.SEE_OTHER);
    }

    private Optional<Session> session(Context ctx) {
        String id = ctx.cookie(SESSION_COOKIE);
        return id == null || id.isBlank() ? Optional.empty() : service.session(id);
    }

    /** HttpOnly, SameSite=Strict, and Secure when the request came over https (directly or through a proxy). */
    static Cookie cookie(Context ctx, String name, String value, String path, int maxAgeSeconds) {
        Cookie c = new Cookie(name, value, path, maxAgeSeconds, secure(ctx), true, null, SameSite.STRICT);
        c.setHttpOnly(true);
        c.setSameSite(SameSite.STRICT);
        c.setPath(path);
        return c;
    }

    static boolean secure(Context ctx) {
        return https(ctx.header("X-Forwarded-Proto"), ctx.scheme());
    }

    /** Whether a request came over https: its own scheme, or the first proxy's {@code X-Forwarded-Proto}. */
    static boolean https(String forwardedProto, String scheme) {
        if (forwardedProto != null && forwardedProto.split(",")[0].strip().equalsIgnoreCase("https")) {
            return true;
        }
        return "https".equalsIgnoreCase(scheme);
    }

    /** Where to go after signing in: a page of the UI, never another site. */
    static String safeNext(String next) {
        if (next == null || !next.startsWith("/ui/") || next.startsWith(LOGIN) || next.startsWith("/ui/logout")
                || next.contains("//") || next.contains("\\") || next.chars().anyMatch(ch -> ch < 0x21 || ch == 0x7f)) {
            return HOME;
        }
        return next;
    }

    private Handler page(Page h) {
        return ctx -> {
            Optional<Session> s = session(ctx);
            if (s.isEmpty()) {
                signInFirst(ctx);
                return;
            }
            guarded(ctx, s.get(), h);
        };
    }

    /** A POST: signed in, and carrying the session's CSRF token, else nothing is done. */
    private Handler action(Page h) {
        return ctx -> {
            Optional<Session> s = session(ctx);
            if (s.isEmpty()) {
                signInFirst(ctx);
                return;
            }
            String presented = Csrf.presented(ctx.header(Csrf.HEADER), ctx.formParam(Csrf.FIELD));
            if (!Csrf.matches(s.get().csrfToken(), presented)) {
                error(ctx, chrome(s.get(), ""), 403, "Refused: the form's security token is missing or out of date",
                        "Nothing was done. The form may come from an old page, an earlier session, or another site.",
                        "Go back, reload the page and try again.");
                return;
            }
            guarded(ctx, s.get(), h);
        };
    }

    private void signInFirst(Context ctx) {
        if (ctx.cookie(SESSION_COOKIE) != null) {
            ctx.removeCookie(SESSION_COOKIE, "/");
        }
        if ("true".equalsIgnoreCase(ctx.header("HX-Request"))) {
            ctx.header("HX-Redirect", LOGIN);
            ctx.status(401);
            return;
        }
        String target = LOGIN;
        if ("GET".equals(ctx.method().name())) {
            String here = ctx.path() + (ctx.queryString() == null ? "" : "?" + ctx.queryString());
            target += "?next=" + URLEncoder.encode(here, StandardCharsets.UTF_8);
        }
        ctx.redirect(target, HttpStatus.SEE_OTHER);
    }

    /**
     * Runs a page, and answers what it throws with an error page of the API's status and wording
     * ({@link ApiError}). An unexpected error is logged at ERROR with the request's method and path, and shows a
     * generic message: its text may hold what a user should not see (paths, SQL, addresses).
     */
    private void guarded(Context ctx, Session s, Page h) {
        try {
            h.handle(ctx, s);
        } catch (Service.Forbidden e) {
            error(ctx, s, ApiError.of(e));
        } catch (ApiError e) {
            error(ctx, s, e);
        } catch (LifeboatException e) {
            error(ctx, s, ApiError.of(e));
        } catch (Exception e) {
            String fault = dev.lifeboat.api.HttpServer.clientFault(e);
            if (fault != null) { // logged in one line where the read failed (api.RequestDeadline)
                ctx.header("Connection", "close");
                error(ctx, chrome(s, ""), 408, "Request timeout", fault, null);
                return;
            }
            LOG.error("{} {} failed", ctx.method(), ctx.path(), e);
            error(ctx, chrome(s, ""), 500, "Unexpected error", "Unexpected error; see the service log.", null);
        }
    }

    private void error(Context ctx, Session s, ApiError e) {
        int status = e.status();
        if (e.retryAfterSeconds() != null) {
            ctx.header("Retry-After", Long.toString(e.retryAfterSeconds()));
        }
        String title = switch (status) {
            case 403 -> "Not allowed";
            case 429 -> "Not allowed, and too often";
            case 404 -> "Not found";
            case 409 -> "Not now";
            case 410 -> "Expired";
            default -> "That did not work";
        };
        String message = status == 403 || status == 429 ? e.getMessage() + ". Nothing was done." : e.getMessage();
        error(ctx, chrome(s, ""), status, title, message, e.hint());
    }

    private static Chrome chrome(Session s, String active) {
        return new Chrome(s.principal().name(), s.principal().role(), s.csrfToken(), active);
    }

    // ---- backups

    private void backups(Context ctx, Session s) throws IOException {
        List<BackupView> all = service.backups();
        ServiceConfig c = service.config();
        ZoneId zone = c.schedule().zone();
        Instant now = clock.instant();
        Pager pager = Pager.of(ctx.queryParam("page"), PAGE_SIZE, all.size());
        List<BackupRow> rows = all.subList(pager.offset(), pager.end()).stream()
                .map(v -> Pages.backupRow(v, now, zone)).toList();
        String newest = all.stream().filter(v -> v.manifest() != null && !v.manifest().safety()).findFirst()
                .map(v -> Human.age(v.entry().started(), now) + ": " + v.id() + ", " + v.entry().statusWithLevel())
                .orElse(null);
        render(ctx, 200, "backups.jte", new BackupsPage(chrome(s, "backups"), rows, pager, newest,
                schedule(c), nextRun(zone, now), null, Pages.corruptSummary(all), Pages.corruptIds(all, 10)));
    }

    private void backup(Context ctx, Session s) throws IOException {
        BackupView v = service.backup(ctx.pathParam("id"));
        ZoneId zone = service.config().schedule().zone();
        Instant now = clock.instant();
        Manifest m = v.manifest();
        List<JobRow> jobs = Pages.jobsAbout(service.jobs().active().stream().filter(j -> v.id().equals(j.target()))
                        .map(j -> Pages.jobRow(j, now, zone)).toList(),
                service.state().jobs().forBackup(v.id(), BACKUP_JOBS).stream().map(r -> Pages.jobRow(r, now, zone))
                        .toList());
        render(ctx, 200, "backup.jte", new BackupPage(chrome(s, "backups"), v.id(), Pages.badge(v),
                m == null ? "" : String.valueOf(m.label() == null ? "" : m.label()),
                m == null ? "unreadable" : m.safety() ? "safety backup, taken before a restore" : "backup",
                m != null && m.safety(), v.entry().pinned(), Human.time(v.entry().started(), zone),
                m == null ? Human.UNKNOWN : Human.time(m.finished(), zone),
                m == null ? Human.UNKNOWN : Human.between(m.started(), m.finished()),
                Human.age(v.entry().started(), now), m == null ? "" : m.host(), m == null ? "" : m.toolVersion(),
                m == null ? Human.UNKNOWN : Human.bytes(m.logicalBytes()),
                m == null ? Human.UNKNOWN : Human.bytes(m.storedBytes()),
                m == null ? Human.UNKNOWN : Human.bytes(m.addedBytes()),
                Pages.retention(v, now, zone), v.retention() == null ? List.of() : v.retention().reasons(),
                v.entry().manifestError(), Pages.sources(v.entry()), Pages.artifacts(m),
                Pages.verificationView(v.entry().status(), now, zone),
                jobs, Pages.restoreChoices(m, service.restoresStack())));
    }

    private void startBackup(Context ctx, Session s) {
        Job job = service.startBackup(s.principal(), blankToNull(ctx.formParam("label")));
        ctx.redirect("/ui/jobs/" + job.id(), HttpStatus.SEE_OTHER);
    }

    private void verify(Context ctx, Session s) throws IOException {
        boolean drill = ctx.formParam("drill") != null;
        Job job = service.startVerify(s.principal(), ctx.pathParam("id"), drill);
        ctx.redirect("/ui/jobs/" + job.id(), HttpStatus.SEE_OTHER);
    }

    // ---- restore, in two steps

    /**
     * What the form asks to restore: its {@code choice} ({@code database:app}, {@code source:uploads}, {@code stack}),
     * or a {@code database} field as older pages sent it; neither is the whole backup.
     */
    private static Service.RestoreChoice choiceOf(Context ctx) {
        String choice = blankToNull(ctx.formParam("choice"));
        if (choice != null) {
            return Service.RestoreChoice.decode(choice);
        }
        String database = blankToNull(ctx.formParam("database"));
        return database == null ? Service.RestoreChoice.wholeStack() : Service.RestoreChoice.ofDatabase(database);
    }

    /**
     * Step one. A backup recorded as corrupt is refused with a choice: the newest good backup of what is restored, or
     * this one anyway (the form's {@code force}), which leads to the same confirmation with the warning on it. A
     * backup with a missing chunk is refused with the error page, which names the newest good backup.
     */
    private void requestRestore(Context ctx, Session s) throws IOException {
        String id = ctx.pathParam("id");
        Service.RestoreChoice asked = choiceOf(ctx);
        Service.RestoreOffer offer;
        try {
            offer = service.requestRestore(s.principal(), id, asked.database(), asked.source(),
                    ctx.formParam("force") != null);
        } catch (RestoreCheck.Refused e) {
            if (!e.forcible()) {
                throw e;
            }
            restorePage(ctx, s, 422, id, asked, List.of(), "", "", "", null, sentence(e.getMessage()), e.newestGood(),
                    true);
            return;
        }
        ZoneId zone = service.config().schedule().zone();
        restorePage(ctx, s, 200, offer.backupId(), offer.choice(), offer.targets(), offer.confirmationToken(),
                Human.time(offer.expires(), zone), "", null, offer.corrupt() == null ? null : sentence(offer.corrupt()),
                offer.newestGood(), false);
    }

    /**
     * Step two: the service checks the word typed against the choice the token was issued for (the form's hidden
     * {@code choice} only shows it again). A wrong word shows the form again, 400, with nothing done.
     */
    private void confirmRestore(Context ctx, Session s) throws IOException {
        String id = ctx.pathParam("id");
        Service.RestoreChoice choice = choiceOf(ctx);
        String typed = Optional.ofNullable(ctx.formParam("typed")).orElse("").strip();
        String token = Optional.ofNullable(ctx.formParam("token")).orElse("");
        String error;
        if (typed.isEmpty()) {
            error = "Type " + choice.confirmWhat() + " to confirm. Nothing was done.";
        } else {
            try {
                Job job = service.confirmRestore(s.principal(), id, token, typed, ctx.formParam("force") != null);
                ctx.redirect("/ui/jobs/" + job.id(), HttpStatus.SEE_OTHER);
                return;
            } catch (LifeboatException e) {
                if (!"invalid_request".equals(ApiError.of(e).code())) {
                    throw e; // a refused token (expired, used...) or no database: the error page, with its status
                }
                error = sentence(e.getMessage()) + ". Nothing was done"
                        + (e.hint() == null ? "." : ": " + e.hint() + ".");
            }
        }
        restorePage(ctx, s, 400, id, choice, service.restoreTargets(s.principal(), id, choice), token,
                ctx.formParam("expires"), typed, error, blankToNull(ctx.formParam("corrupt")),
                blankToNull(ctx.formParam("newestGood")), false);
    }

    /** {@code The name typed...} from {@code the name typed...}. */
    private static String sentence(String message) {
        return message.isEmpty() ? message : Character.toUpperCase(message.charAt(0)) + message.substring(1);
    }

    private void restorePage(Context ctx, Session s, int status, String id, Service.RestoreChoice choice,
                             List<dev.lifeboat.engine.StackRestoreEngine.Target> targets, String token, String expires,
                             String typed, String error, String corrupt, String newestGood, boolean choose)
            throws IOException {
        BackupView v = service.backup(id);
        ZoneId zone = service.config().schedule().zone();
        String label = v.manifest() == null || v.manifest().label() == null ? "" : v.manifest().label();
        render(ctx, status, "restore.jte", new RestorePage(chrome(s, "backups"), v.id(), label,
                Human.time(v.entry().started(), zone) + " (" + Human.age(v.entry().started(), clock.instant()) + ")",
                choice.encoded(), choice.what(), choice.database(), targets.stream().map(t -> new Views.RestoreTarget(
                        t.source(), String.valueOf(t.type()), t.target())).toList(), choice.confirmWhat(),
                choice.confirmWord(v.id()), token, expires == null ? "" : expires, typed, error, corrupt, newestGood,
                choose));
    }

    // ---- jobs

    private void job(Context ctx, Session s) {
        render(ctx, 200, "job.jte", new JobPage(chrome(s, "jobs"), jobView(ctx.pathParam("id"))));
    }

    /** The live part of the job page, polled by htmx every second while the job runs. */
    private void jobStatus(Context ctx, Session s) {
        render(ctx, 200, "job_status.jte", jobView(ctx.pathParam("id")));
    }

    private JobView jobView(String id) {
        ZoneId zone = service.config().schedule().zone();
        Optional<Job> live = service.jobs().find(id);
        if (live.isPresent()) {
            return Pages.jobView(live.get(), clock.instant(), zone);
        }
        return service.state().jobs().find(id).map(r -> Pages.jobView(r, zone)).orElseThrow(() ->
                new LifeboatException(ErrorCode.NOT_FOUND, "no job with id '" + id + "'",
                        "the jobs page lists the recent ones"));
    }

    private void jobs(Context ctx, Session s) {
        int limit = limit(ctx, 100);
        ZoneId zone = service.config().schedule().zone();
        Instant now = clock.instant();
        List<JobView> active = service.jobs().active().stream().map(j -> Pages.jobView(j, now, zone)).toList();
        render(ctx, 200, "jobs.jte", new JobsPage(chrome(s, "jobs"), active, service.state().jobs().recent(limit)
                .stream().map(r -> Pages.jobRow(r, now, zone)).toList(), limit));
    }

    // ---- settings and audit

    private void settings(Context ctx, Session s) {
        ServiceConfig c = service.freshConfig();
        settingsPage(ctx, s, 200, c, c.schedule().expression(), c.schedule().zone().getId(),
                Long.toString(c.retentionDays()), null, "1".equals(ctx.queryParam("saved")));
    }

    private void saveSettings(Context ctx, Session s) {
        ServiceConfig c = service.freshConfig();
        SettingsForm form = new SettingsForm(ctx.formParam("schedule"), ctx.formParam("timeZone"),
                ctx.formParam("retentionDays"));
        ObjectNode changes = form.changesFrom(c.schedule().expression(), c.schedule().zone().getId(), c.retentionDays());
        try {
            service.updateConfig(s.principal(), changes);
        } catch (ServiceConfig.InvalidField e) {
            settingsPage(ctx, s, 400, c, Optional.ofNullable(form.schedule()).orElse(""),
                    Optional.ofNullable(form.timeZone()).orElse(""), Optional.ofNullable(form.retentionDays()).orElse(""),
                    e, false);
            return;
        }
        ctx.redirect("/ui/settings?saved=1", HttpStatus.SEE_OTHER);
    }

    private void settingsPage(Context ctx, Session s, int status, ServiceConfig c, String schedule, String zone,
                              String days, ServiceConfig.InvalidField error, boolean saved) {
        ZoneId z = c.schedule().zone();
        render(ctx, status, "settings.jte", new SettingsPage(chrome(s, "settings"), schedule, zone, days, schedule(c),
                nextRun(z, clock.instant()), c.retention().summary(), c.retention().minimumKeep(),
                c.runMissedAtStartup(), error == null ? null : error.field(), error == null ? null : error.getMessage(),
                error == null ? null : error.hint(), saved));
    }

    private void audit(Context ctx, Session s) {
        if (!s.principal().allows(Role.ADMIN)) {
            throw ApiError.forbidden(s.principal(), Role.ADMIN);
        }
        int limit = limit(ctx, 200);
        ZoneId zone = service.config().schedule().zone();
        render(ctx, 200, "audit.jte", new AuditPage(chrome(s, "audit"), service.state().audit().recent(limit).stream()
                .map(e -> Pages.auditRow(e, zone)).toList(), limit));
    }

    // ---- helpers

    private String schedule(ServiceConfig c) {
        return c.schedule().explain() + " (" + c.schedule().expression() + ", " + c.schedule().zone().getId() + ")";
    }

    private String nextRun(ZoneId zone, Instant now) {
        return service.nextRun().map(t -> Human.time(t, zone) + " (" + Human.age(t, now) + ")")
                .orElse("none scheduled");
    }

    private static int limit(Context ctx, int dflt) {
        String v = ctx.queryParam("limit");
        try {
            return v == null ? dflt : Math.max(1, Math.min(1000, Integer.parseInt(v.strip())));
        } catch (NumberFormatException e) {
            return dflt;
        }
    }

    private static String blankToNull(String v) {
        return v == null || v.isBlank() ? null : v.strip();
    }

    private void render(Context ctx, int status, String template, Object model) {
        ctx.status(status).contentType("text/html; charset=utf-8").result(templates.render(template, model));
    }

    private void error(Context ctx, Chrome chrome, int status, String title, String message, String hint) {
        render(ctx, status, "error.jte", new ErrorPage(chrome, status, title, message, hint, HOME));
    }

    private static void asset(Context ctx, byte[] body, String type) {
        ctx.header("Cache-Control", "public, max-age=3600");
        ctx.contentType(type).result(body);
    }

    /** Where the webjar keeps htmx; its version comes from the build (web.properties). */
    static String htmxPath() {
        Properties p = new Properties();
        try (InputStream in = WebUi.class.getResourceAsStream("web.properties")) {
            if (in == null) {
                throw new IllegalStateException("dev/lifeboat/web/web.properties is missing from the classpath");
            }
            p.load(in);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return "META-INF/resources/webjars/htmx.org/" + p.getProperty("htmx.version") + "/dist/htmx.min.js";
    }

    private static byte[] resource(String path) {
        try (InputStream in = WebUi.class.getClassLoader().getResourceAsStream(path)) {
            if (in == null) {
                throw new IllegalStateException(path + " is missing from the classpath: the build did not package the web UI");
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
