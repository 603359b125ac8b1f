package dev.lifeboat.it;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.lifeboat.testing.LifeboatCli;
import dev.lifeboat.testing.LifeboatService;
import dev.lifeboat.testing.PgCluster;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpHeaders;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeSet;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The REST API of {@code lifeboat serve} over real HTTP: the packaged jar serving a real PostgreSQL database
 * and a local repository. One service for the class (the tests run in order and share its backups); a
 * second one, with a two-second confirmation validity, for expired confirmations and readiness.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ServiceApiIT {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String API = "/api/v1/platform";
    private static final Pattern TOKEN = Pattern.compile("lb_[A-Za-z0-9_-]{43}");
    private static final String SCHEDULE = "0 3 1 1 *"; // far from any test run: no scheduled backup interferes
    private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();

    @TempDir(cleanup = CleanupMode.ON_SUCCESS)
    static Path work;

    static PgCluster pg;
    static final String DB = "svc_api";
    static Path repo;
    static LifeboatCli cli;
    static LifeboatService service;
    static String admin;
    static String admin2;
    static String operator;
    static String viewer;
    static String revoked;
    /** The table fingerprints of the fixture, as the first backup holds them. */
    static SortedMap<String, String> fixtureRows;
    /** The first backup, of the fixture; see {@link #backupA()}. */
    static String backupA;
    /** Every token and confirmation token handed out: none may appear in a log. */
    static final List<String> secrets = new CopyOnWriteArrayList<>();

    @BeforeAll
    static void startService() {
        pg = PgCluster.shared();
        pg.dropDatabase(DB);
        pg.createDatabase(DB);
        pg.psql(DB, """
                create table items(id int primary key, name text not null, qty int not null);
                insert into items select g, 'item ' || g, g % 7 from generate_series(1, 100) g;
                create table notes(id serial primary key, body text);
                insert into notes(body) select 'note ' || g from generate_series(1, 20) g;
                """);
        fixtureRows = pg.tableRows(DB);
        repo = work.resolve("repo");
        // The password travels in the URL here (percent-encoded): it must appear in no log and no answer.
        cli = new LifeboatCli(work).env("LIFEBOAT_REPOSITORY", repo.toString())
                .env("LIFEBOAT_DATA_DIR", work.resolve("data").toString())
                .env("DATABASE_URL", pg.url(DB))
                .env("LIFEBOAT_BACKUP_SCHEDULE", SCHEDULE)
                .env("LIFEBOAT_RUN_MISSED_AT_STARTUP", "false");
        cli.run("init").expectSuccess();
        admin = createToken(cli, "admin", "api-admin");
        admin2 = createToken(cli, "admin", "api-admin2");
        operator = createToken(cli, "operator", "api-operator");
        viewer = createToken(cli, "viewer", "api-viewer");
        revoked = createToken(cli, "viewer", "api-revoked");
        service = LifeboatService.start(cli);
        // A token revoked while the service runs is refused from the next request on.
        expect(call("GET", API + "/backups", revoked, null), 200);
        cli.run("token", "revoke", "api-revoked").expectSuccess();
    }

    @AfterAll
    static void stopService() {
        if (service != null) {
            service.close();
        }
        if (pg != null) {
            pg.dropDatabase(DB);
        }
    }

    // ---- health, metrics

    @Test
    @Order(1)
    void healthAndReadinessNeedNoTokenMetricsNeedsOne() {
        Resp health = expect(call("GET", "/healthz", null, null), 200);
        assertThat(health.json().path("status").asText()).isEqualTo("ok");
        Resp ready = expect(call("GET", "/readyz", null, null), 200);
        assertThat(ready.json().path("state").asText()).isEqualTo("ok");
        assertThat(ready.json().path("repository").asText()).isEqualTo("ok");

        expectError(call("GET", "/metrics", null, null), 401, "unauthorized");
        expectError(send("GET", "/metrics", Map.of("Authorization", "Bearer nope"), null), 401, "unauthorized");
        Resp metrics = expect(call("GET", "/metrics", viewer, null), 200);
        assertThat(metrics.headers().firstValue("Content-Type").orElse("")).startsWith("text/plain");
        assertThat(metrics.body()).contains("lifeboat_jobs_active").contains("lifeboat_job_last_success_timestamp_seconds");
    }

    // ---- backups: create, list, show, verify

    @Test
    @Order(2)
    void syncBackupAnswersWhenTheBackupIsCommitted() {
        // A fresh listing, so that a stale snapshot would hide the new backup.
        int before = expect(call("GET", API + "/backups", viewer, null), 200).json().path("count").asInt();
        Instant asked = Instant.now();

        Resp created = expect(call("POST", API + "/backups", operator, "{\"label\": \"first\"}"), 201);
        JsonNode b = created.json();
        String id = b.path("id").asText();
        assertThat(id).matches("\\d{8}T\\d{6}Z-[0-9a-f]{6}");
        assertThat(b.path("status").asText()).isEqualTo("completed");
        assertThat(b.path("label").asText()).isEqualTo("first");
        assertThat(b.path("logicalBytes").asLong()).isPositive();
        assertThat(b.path("storedBytes").asLong()).isPositive();
        assertThat(b.path("addedBytes").asLong()).isPositive();
        // the seed's size: what the backup takes on the storage, as the seed's compressed dump file would
        assertThat(b.path("size").asLong()).isEqualTo(b.path("storedBytes").asLong());
        assertThat(b.path("jobId").asText()).isNotBlank();
        assertThat(names(b.path("sources"))).containsExactly(DB);

        // Committed when it answers: in the repository and in the listing, without waiting.
        assertThat(repositoryBackups()).contains(id);
        Resp list = expect(call("GET", API + "/backups", viewer, null), 200);
        assertThat(list.json().path("count").asInt()).isEqualTo(before + 1);
        JsonNode row = row(list, id);
        assertThat(row.path("status").asText()).isEqualTo("completed");
        assertThat(row.path("kind").asText()).isEqualTo("backup");
        assertThat(row.path("label").asText()).isEqualTo("first");
        assertThat(row.path("logicalBytes").asLong()).isEqualTo(b.path("logicalBytes").asLong());
        assertThat(row.path("storedBytes").asLong()).isEqualTo(b.path("storedBytes").asLong());
        assertThat(row.path("size").asLong()).isEqualTo(b.path("storedBytes").asLong());
        assertThat(row.path("verification").path("status").asText()).isEqualTo("never");
        assertExpires(row);
        Instant started = Instant.parse(row.path("started").asText());
        assertThat(started).isBetween(asked.minusSeconds(2), Instant.now());

        // show: the manifest with its sources and exact row counts
        Resp show = expect(call("GET", API + "/backups/" + id, viewer, null), 200);
        JsonNode source = show.json().path("manifest").path("sources").path(0);
        assertThat(source.path("name").asText()).isEqualTo(DB);
        assertThat(source.path("serverVersion").asText()).startsWith(Integer.toString(pg.majorVersion()));
        assertThat(tableRowCounts(source)).containsEntry("items", 100L).containsEntry("notes", 20L);
        assertThat(show.json().path("manifest").path("artifacts").path(0).path("name").asText()).isEqualTo(DB + ".dump");
        assertThat(show.body()).doesNotContain(pg.password()).doesNotContain(encoded(pg.password()));
        assertThat(show.json().path("size").asLong()).isEqualTo(b.path("storedBytes").asLong());

        // the job, alone and in the history
        String jobId = b.path("jobId").asText();
        JsonNode job = expect(call("GET", API + "/jobs/" + jobId, viewer, null), 200).json();
        assertThat(job.path("kind").asText()).isEqualTo("backup");
        assertThat(job.path("status").asText()).isEqualTo("succeeded");
        assertThat(job.path("backupId").asText()).isEqualTo(id);
        assertThat(job.path("requestedBy").asText()).isEqualTo("api-operator");
        assertThat(job.path("result").path("size").asLong()).isEqualTo(b.path("storedBytes").asLong());
        JsonNode jobs = expect(call("GET", API + "/jobs", viewer, null), 200).json();
        assertThat(jobs.path("active")).isEmpty();
        JsonNode rec = find(jobs.path("history"), "id", jobId);
        assertThat(rec.path("kind").asText()).isEqualTo("backup");
        assertThat(rec.path("status").asText()).isEqualTo("succeeded");
        assertThat(rec.path("backupId").asText()).isEqualTo(id);

        // metrics: the last successful backup, at once
        double last = metric(expect(call("GET", "/metrics", viewer, null), 200).body(),
                "lifeboat_job_last_success_timestamp_seconds", "backup");
        assertThat(last).isGreaterThan(0).isBetween(asked.getEpochSecond() - 1.0, Instant.now().getEpochSecond() + 1.0);
        backupA = id;
    }

    @Test
    @Order(3)
    void verifyTurnsCompletedIntoVerified() {
        String id = backupA();
        Resp v = expect(call("POST", API + "/backups/" + id + "/verify", operator, null), 200);
        assertThat(v.json().path("id").asText()).isEqualTo(id);
        assertThat(v.json().path("status").asText()).isEqualTo("verified");
        assertThat(v.json().path("ok").asBoolean()).isTrue();
        assertThat(v.json().path("problems")).isEmpty();
        assertThat(v.json().path("jobId").asText()).isNotBlank();

        JsonNode row = row(expect(call("GET", API + "/backups", viewer, null), 200), id);
        assertThat(row.path("status").asText()).isEqualTo("verified");
        assertThat(row.path("verification").path("status").asText()).isEqualTo("verified");
        JsonNode shown = expect(call("GET", API + "/backups/" + id, viewer, null), 200).json();
        assertThat(shown.path("status").asText()).isEqualTo("verified");
        assertThat(shown.path("verification").path("history")).isEmpty();
        // an admin may verify too; the earlier result moves into the history
        expect(call("POST", API + "/backups/" + id + "/verify", admin, "{\"drill\": false}"), 200);
        shown = expect(call("GET", API + "/backups/" + id, viewer, null), 200).json();
        assertThat(shown.path("verification").path("history")).hasSize(1);
        assertThat(shown.path("verification").path("history").path(0).path("status").asText()).isEqualTo("verified");
    }

    // ---- configuration

    @Test
    @Order(4)
    void configPutThenGetShowsTheNewScheduleAndNextRun() {
        JsonNode initial = expect(call("GET", API + "/backups/config", viewer, null), 200).json();
        assertThat(initial.path("schedule").asText()).isEqualTo(SCHEDULE);
        assertThat(initial.path("timeZone").asText()).isEqualTo("UTC");
        assertThat(Instant.parse(initial.path("nextRun").asText())).isEqualTo(nextYearly(1, 1, 3, 0, ZoneId.of("UTC")));

        Resp put = expect(call("PUT", API + "/backups/config", admin,
                "{\"schedule\": \"15 4 1 1 *\", \"retentionDays\": 45, \"timeZone\": \"Europe/Zurich\"}"), 200);
        Instant next = nextYearly(1, 1, 4, 15, ZoneId.of("Europe/Zurich"));
        for (JsonNode c : List.of(put.json(), expect(call("GET", API + "/backups/config", viewer, null), 200).json())) {
            assertThat(c.path("schedule").asText()).isEqualTo("15 4 1 1 *");
            assertThat(c.path("timeZone").asText()).isEqualTo("Europe/Zurich");
            assertThat(c.path("retentionDays").asInt()).isEqualTo(45);
            assertThat(Instant.parse(c.path("nextRun").asText())).isEqualTo(next);
        }
        // the listing's expiry follows the new retention
        JsonNode row = row(expect(call("GET", API + "/backups", viewer, null), 200), backupA());
        assertThat(Instant.parse(row.path("retention").path("expires").asText()))
                .isEqualTo(Instant.parse(row.path("started").asText()).plus(Duration.ofDays(45)));
        // a partial change keeps the rest
        expect(call("PUT", API + "/backups/config", admin, "{\"retentionDays\": 60}"), 200);
        JsonNode after = expect(call("GET", API + "/backups/config", viewer, null), 200).json();
        assertThat(after.path("schedule").asText()).isEqualTo("15 4 1 1 *");
        assertThat(after.path("retentionDays").asInt()).isEqualTo(60);
        assertThat(after.path("retentionSource").asText()).contains("policy.json").contains("api");
        // one policy: the repository holds it, so a CLI prune on this (or any) host applies what the API set
        LifeboatCli.Result dry = cli.run("prune", "--dry-run").expectSuccess();
        assertThat(dry.stdout()).contains("Policy: within 60d, minimum 3").contains("calendar in Europe/Zurich")
                .containsPattern("From: +the repository's policy.json, set from api by [^ ]+ through the API");
    }

    static Stream<Case> invalidConfigs() {
        return Stream.of(
                bad("{\"schedule\": ", "invalid_json", null),
                bad("[{\"schedule\": \"0 3 * * *\"}]", "invalid_json", null),
                bad("\"0 3 * * *\"", "invalid_json", null),
                bad("", "invalid_json", null),
                bad("{\"schedule\": 5}", "invalid_request", "schedule"),
                bad("{\"schedule\": null}", "invalid_request", "schedule"),
                bad("{\"schedule\": \"every day at three\"}", "invalid_request", "schedule"),
                bad("{\"schedule\": \"61 * * * *\"}", "invalid_request", "schedule"),
                bad("{\"schedule\": \"0 3 * *\"}", "invalid_request", "schedule"),
                bad("{\"timeZone\": 1}", "invalid_request", "timeZone"),
                bad("{\"timeZone\": \"Mars/Olympus_Mons\"}", "invalid_request", "timeZone"),
                bad("{\"retentionDays\": 0}", "invalid_request", "retentionDays"),
                bad("{\"retentionDays\": -3}", "invalid_request", "retentionDays"),
                bad("{\"retentionDays\": 100000}", "invalid_request", "retentionDays"),
                bad("{\"retentionDays\": \"x\"}", "invalid_request", "retentionDays"),
                bad("{\"retentionDays\": \"30\"}", "invalid_request", "retentionDays"),
                bad("{\"retentionDays\": 1.5}", "invalid_request", "retentionDays"),
                bad("{\"retentionDays\": true}", "invalid_request", "retentionDays"),
                bad("{\"retention\": 30}", "invalid_request", "retention"),
                // one bad field refuses the whole change
                bad("{\"schedule\": \"0 5 * * *\", \"retentionDays\": 0}", "invalid_request", "retentionDays"));
    }

    private static Case bad(String body, String code, String field) {
        return new Case("admin", "PUT", API + "/backups/config", body, 400, code, field);
    }

    @ParameterizedTest(name = "PUT config {0}")
    @MethodSource("invalidConfigs")
    @Order(5)
    void invalidConfigIs400NamingTheFieldAndChangesNothing(Case c) {
        JsonNode before = expect(call("GET", API + "/backups/config", viewer, null), 200).json();
        c.check();
        assertThat(expect(call("GET", API + "/backups/config", viewer, null), 200).json()).isEqualTo(before);
    }

    // ---- roles

    static Stream<Case> roles() {
        List<Case> cases = new ArrayList<>();
        String confirm = "{\"confirmationToken\": \"lbc_" + "A".repeat(43) + "\"}";
        // viewer reads, never changes
        cases.add(new Case("viewer", "POST", API + "/backups", null, 403, "forbidden", null));
        cases.add(new Case("viewer", "POST", API + "/backups?async=true", null, 403, "forbidden", null));
        cases.add(new Case("viewer", "POST", API + "/backups/{A}/verify", null, 403, "forbidden", null));
        cases.add(new Case("viewer", "POST", API + "/backups/{A}/restore", null, 403, "forbidden", null));
        cases.add(new Case("viewer", "POST", API + "/backups/{A}/restore/confirm", confirm, 403, "forbidden", null));
        cases.add(new Case("viewer", "PUT", API + "/backups/config", "{\"retentionDays\": 10}", 403, "forbidden", null));
        cases.add(new Case("viewer", "GET", API + "/audit", null, 403, "forbidden", null));
        // operator backs up and verifies, never restores or configures
        cases.add(new Case("operator", "POST", API + "/backups/{A}/restore", null, 403, "forbidden", null));
        cases.add(new Case("operator", "POST", API + "/backups/{A}/restore/confirm", confirm, 403, "forbidden", null));
        cases.add(new Case("operator", "PUT", API + "/backups/config", "{\"retentionDays\": 10}", 403, "forbidden", null));
        cases.add(new Case("operator", "GET", API + "/audit", null, 403, "forbidden", null));
        // no token, or a revoked one: nothing at all
        String[][] all = {{"GET", API + "/backups"}, {"POST", API + "/backups"}, {"GET", API + "/backups/{A}"},
                {"POST", API + "/backups/{A}/verify"}, {"POST", API + "/backups/{A}/restore"},
                {"POST", API + "/backups/{A}/restore/confirm"}, {"GET", API + "/backups/config"},
                {"PUT", API + "/backups/config"}, {"GET", API + "/jobs"}, {"GET", API + "/jobs/x"},
                {"GET", API + "/audit"}, {"GET", "/metrics"}, {"GET", API + "/no-such-thing"}};
        for (String who : List.of("none", "revoked")) {
            for (String[] e : all) {
                String body = e[1].endsWith("/confirm") ? confirm : e[0].equals("PUT") ? "{\"retentionDays\": 10}" : null;
                cases.add(new Case(who, e[0], e[1], body, 401, "unauthorized", null));
            }
        }
        return cases.stream();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("roles")
    @Order(6)
    void everyRoleAgainstEveryProtectedEndpoint(Case c) {
        int jobsBefore = backupJobCount();
        c.check();
        // a refused call starts nothing
        assertThat(expect(call("GET", API + "/jobs", viewer, null), 200).json().path("active")).isEmpty();
        assertThat(backupJobCount()).isEqualTo(jobsBefore);
    }

    static Stream<String> malformedHeaders() {
        return Stream.of("Bearer", "Bearer ", "Bearer lb_", "Token {viewer}", "{viewer}", "Bearer{viewer}",
                "Basic {basic}", "Bearer {viewer} {viewer}", "Bearer {viewer}x", "Bearer lb_" + "A".repeat(43),
                "Bearer " + "lbc_" + "A".repeat(43));
    }

    @ParameterizedTest(name = "Authorization: {0}")
    @MethodSource("malformedHeaders")
    @Order(7)
    void malformedAuthorizationIs401(String header) {
        String value = header.replace("{viewer}", viewer).replace("{basic}",
                Base64.getEncoder().encodeToString(("api-viewer:" + viewer).getBytes(StandardCharsets.UTF_8)));
        Resp r = send("GET", API + "/backups", Map.of("Authorization", value), null);
        expectError(r, 401, "unauthorized");
        assertThat(r.json().path("error").path("hint").asText()).contains("Bearer");
    }

    // ---- malformed requests, unknown things

    static Stream<Case> badRequests() {
        String backups = API + "/backups";
        String verify = API + "/backups/{A}/verify";
        String restore = API + "/backups/{A}/restore";
        String confirm = API + "/backups/{A}/restore/confirm";
        String json = "invalid_json";
        String request = "invalid_request";
        return Stream.of(
                new Case("operator", "POST", backups, "{\"label\": ", 400, json, null),
                new Case("operator", "POST", backups, "[\"label\"]", 400, json, null),
                new Case("operator", "POST", backups, "{\"label\": 5}", 400, request, "label"),
                new Case("operator", "POST", backups, "{\"label\": {\"a\": 1}}", 400, request, "label"),
                new Case("operator", "POST", verify, "{", 400, json, null),
                new Case("operator", "POST", verify, "[]", 400, json, null),
                new Case("operator", "POST", verify, "{\"drill\": \"yes\"}", 400, request, "drill"),
                new Case("admin", "POST", restore, "[1]", 400, json, null),
                new Case("admin", "POST", restore, "{\"database\": 5}", 400, request, "database"),
                new Case("admin", "POST", confirm, "", 400, json, null),
                new Case("admin", "POST", confirm, "{\"confirmationToken\": ", 400, json, null),
                new Case("admin", "POST", confirm, "[\"lbc_x\"]", 400, json, null),
                new Case("admin", "POST", confirm, "{}", 400, request, null),
                new Case("admin", "POST", confirm, "{\"confirmationToken\": 5}", 400, request, "confirmationToken"),
                new Case("admin", "POST", confirm, "{\"confirmationToken\": \"garbage\"}", 400,
                        "confirmation_invalid", null),
                new Case("admin", "POST", confirm, "{\"confirmationToken\": \"lbc_" + "B".repeat(43) + "\"}", 400,
                        "confirmation_invalid", null),
                new Case("viewer", "GET", API + "/jobs?limit=many", null, 400, request, null));
    }

    @ParameterizedTest(name = "{0} {3}")
    @MethodSource("badRequests")
    @Order(8)
    void badRequestsAre400AndStartNothing(Case c) {
        int jobsBefore = backupJobCount();
        int backupsBefore = repositoryBackups().size();
        c.check();
        assertThat(backupJobCount()).isEqualTo(jobsBefore);
        assertThat(repositoryBackups()).hasSize(backupsBefore);
    }

    static Stream<Case> unknown() {
        String missing = "20990101T000000Z-abcdef";
        return Stream.of(
                new Case("viewer", "GET", API + "/backups/" + missing, null, 404, "not_found", null),
                new Case("viewer", "GET", API + "/backups/nope", null, 404, "not_found", null),
                new Case("operator", "POST", API + "/backups/" + missing + "/verify", null, 404, "not_found", null),
                new Case("admin", "POST", API + "/backups/" + missing + "/restore", null, 404, "not_found", null),
                new Case("admin", "POST", API + "/backups/" + missing + "/restore/confirm",
                        "{\"confirmationToken\": \"lbc_" + "A".repeat(43) + "\"}", 404, "not_found", null),
                new Case("viewer", "GET", API + "/jobs/no-such-job", null, 404, "not_found", null),
                new Case("viewer", "GET", API + "/no-such-thing", null, 404, "not_found", null),
                new Case("viewer", "GET", API + "/backups/{A}/nothing", null, 404, "not_found", null),
                new Case("viewer", "DELETE", API + "/no-such-thing", null, 404, "not_found", null),
                new Case("none", "GET", "/no-such-thing", null, 404, "not_found", null),
                new Case("none", "POST", "/no-such-thing", null, 404, "not_found", null),
                new Case("none", "POST", "/ui/no-such-page", null, 404, "not_found", null));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("unknown")
    @Order(9)
    void unknownBackupsJobsAndPathsAre404Json(Case c) {
        c.check();
    }

    @Test
    @Order(9)
    void unknownPathIsOurJsonWhateverTheClientAccepts() {
        for (String accept : List.of("application/json", "text/html", "*/*")) {
            Resp r = send("GET", API + "/no-such-thing", Map.of("Authorization", "Bearer " + viewer, "Accept", accept), null);
            expectError(r, 404, "not_found");
            assertThat(r.json().path("error").path("message").asText()).contains("/no-such-thing");
        }
    }

    static Stream<Arguments> wrongMethods() {
        return Stream.of(
                Arguments.of("viewer", "DELETE", API + "/backups", "GET, HEAD, POST, OPTIONS"),
                Arguments.of("operator", "GET", API + "/backups/{A}/verify", "POST, OPTIONS"),
                Arguments.of("admin", "GET", API + "/backups/{A}/restore/confirm", "POST, OPTIONS"),
                Arguments.of("admin", "POST", API + "/backups/config", "GET, HEAD, PUT, OPTIONS"),
                Arguments.of("admin", "DELETE", API + "/backups/{A}", "GET, HEAD, OPTIONS"),
                Arguments.of("viewer", "PUT", API + "/jobs", "GET, HEAD, OPTIONS"),
                Arguments.of("none", "POST", "/healthz", "GET, HEAD, OPTIONS"),
                Arguments.of("viewer", "POST", "/metrics", "GET, HEAD, OPTIONS"),
                Arguments.of("none", "POST", "/ui/jobs", "GET, HEAD, OPTIONS"),
                Arguments.of("none", "GET", "/ui/logout", "POST, OPTIONS"),
                Arguments.of("none", "DELETE", "/ui/login", "GET, HEAD, POST, OPTIONS"));
    }

    @ParameterizedTest(name = "{0} {1} {2} -> 405 Allow: {3}")
    @MethodSource("wrongMethods")
    @Order(9)
    void aMethodAKnownPathDoesNotTakeIs405WithAllowAndDoesNothing(String who, String method, String path, String allow) {
        int jobsBefore = backupJobCount();
        int backupsBefore = repositoryBackups().size();
        Resp r = expectError(call(method, path.replace("{A}", backupA()), token(who), null), 405, "method_not_allowed");
        assertThat(r.headers().firstValue("Allow")).as("%s", r).hasValue(allow);
        assertThat(r.json().path("error").path("hint").asText()).contains(allow);
        Resp options = expect(call("OPTIONS", path.replace("{A}", backupA()), token(who), null), 204);
        assertThat(options.headers().firstValue("Allow")).hasValue(allow);
        assertThat(backupJobCount()).isEqualTo(jobsBefore);
        assertThat(repositoryBackups()).hasSize(backupsBefore);
    }

    @Test
    @Order(9)
    void headOnTheListAnswersItsETagWithoutABodyAndIfNoneMatchGives304() {
        Resp get = expect(call("GET", API + "/backups", viewer, null), 200);
        String etag = get.headers().firstValue("ETag").orElseThrow();
        Resp head = expect(call("HEAD", API + "/backups", viewer, null), 200);
        assertThat(head.headers().firstValue("ETag")).hasValue(etag);
        assertThat(head.headers().firstValue("Content-Type").orElse("")).startsWith("application/json");
        assertThat(head.body()).isEmpty();
        for (String method : List.of("GET", "HEAD")) {
            Resp same = expect(send(method, API + "/backups", Map.of("Authorization", "Bearer " + viewer,
                    "If-None-Match", etag), null), 304);
            assertThat(same.headers().firstValue("ETag")).hasValue(etag);
            assertThat(same.body()).isEmpty();
        }
        // HEAD on another GET route: GET's status and type, no body
        Resp show = expect(call("HEAD", API + "/backups/" + backupA(), viewer, null), 200);
        assertThat(show.headers().firstValue("Content-Type").orElse("")).startsWith("application/json");
        assertThat(show.body()).isEmpty();
        expect(call("HEAD", API + "/backups/20990101T000000Z-abcdef", viewer, null), 404);
    }

    // ---- concurrency

    @Test
    @Order(10)
    void concurrentTriggersRunOneBackup() throws Exception {
        // Big enough that the backup outlasts every trigger; dropped afterwards to keep later backups fast.
        pg.psql(DB, "create table bulk as select g as id, md5(g::text) as h, md5((g * 7)::text) as h2 "
                + "from generate_series(1, 300000) g");
        try {
            Set<String> before = repositoryBackups();
            int jobsBefore = backupJobCount();
            int n = 8;
            ExecutorService pool = Executors.newFixedThreadPool(n);
            CountDownLatch go = new CountDownLatch(1);
            List<Future<Resp>> futures = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                String token = i % 2 == 0 ? operator : admin;
                futures.add(pool.submit(() -> {
                    go.await();
                    return call("POST", API + "/backups?async=true", token, null);
                }));
            }
            go.countDown();
            List<Resp> answers = new ArrayList<>();
            for (Future<Resp> f : futures) {
                answers.add(f.get());
            }
            pool.shutdown();

            List<Resp> accepted = answers.stream().filter(r -> r.status() == 202).toList();
            List<Resp> refused = answers.stream().filter(r -> r.status() == 409).toList();
            assertThat(accepted).as("accepted: %s", answers).hasSize(1);
            assertThat(refused).as("refused: %s", answers).hasSize(n - 1);
            JsonNode job = accepted.get(0).json();
            String jobId = job.path("id").asText();
            assertThat(job.path("kind").asText()).isEqualTo("backup");
            assertThat(job.path("status").asText()).isIn("queued", "running");
            assertThat(accepted.get(0).headers().firstValue("Location")).hasValue(API + "/jobs/" + jobId);
            for (Resp r : refused) {
                assertThat(r.json().path("error").path("code").asText()).isEqualTo("conflict");
                assertThat(r.json().path("error").path("message").asText()).contains(jobId);
            }
            // While it runs, the job answers with its progress; at the end with its result.
            JsonNode done = await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200))
                    .until(() -> call("GET", API + "/jobs/" + jobId, viewer, null).json(),
                            j -> !j.path("status").asText().matches("queued|running"));
            assertThat(done.path("status").asText()).as("%s", done).isEqualTo("succeeded");
            String id = done.path("result").path("id").asText();

            // Exactly one backup more, in the repository and in the job history.
            Set<String> added = new TreeSet<>(repositoryBackups());
            added.removeAll(before);
            assertThat(added).containsExactly(id);
            assertThat(backupJobCount()).isEqualTo(jobsBefore + 1);
            JsonNode show = expect(call("GET", API + "/backups/" + id, viewer, null), 200).json();
            assertThat(tableRowCounts(show.path("manifest").path("sources").path(0))).containsEntry("bulk", 300_000L);
            // Once it has ended, the next trigger is accepted again: the slot is free.
            Resp again = expect(call("POST", API + "/backups?async=true", operator, null), 202);
            String againId = again.json().path("id").asText();
            await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200))
                    .until(() -> call("GET", API + "/jobs/" + againId, viewer, null).json().path("status").asText(),
                            s -> !s.matches("queued|running"));
        } finally {
            pg.psql(DB, "drop table if exists bulk");
        }
    }

    // ---- restore

    @Test
    @Order(11)
    void restoreInTwoStepsBringsBackDeletedRows() {
        String a = backupA();
        String b = anotherBackup(a);
        assertThat(pg.tableRows(DB)).isEqualTo(fixtureRows);
        pg.psql(DB, "delete from items where id > 60; update notes set body = 'changed' where id <= 5");
        assertThat(pg.tableRows(DB)).isNotEqualTo(fixtureRows);

        Instant asked = Instant.now();
        Resp offer = expect(call("POST", API + "/backups/" + a + "/restore", admin, null), 200);
        String token = offer.json().path("confirmationToken").asText();
        secrets.add(token);
        assertThat(token).matches("lbc_[A-Za-z0-9_-]{43}");
        assertThat(offer.json().path("backupId").asText()).isEqualTo(a);
        assertThat(offer.json().path("database").asText()).isEqualTo(DB);
        assertThat(offer.json().path("target").asText()).contains(DB).contains(Integer.toString(pg.port()));
        assertThat(Instant.parse(offer.json().path("expires").asText()))
                .isBetween(asked.plusSeconds(295), Instant.now().plusSeconds(301));
        assertThat(offer.body()).doesNotContain(pg.password()).doesNotContain(encoded(pg.password()));

        String confirmA = API + "/backups/" + a + "/restore/confirm";
        String body = "{\"confirmationToken\": \"" + token + "\"}";
        // Another admin's token, or another backup: refused, and the token stays valid for its owner.
        expectError(call("POST", confirmA, admin2, body), 403, "confirmation_mismatch");
        expectError(call("POST", API + "/backups/" + b + "/restore/confirm", admin, body), 403, "confirmation_mismatch");
        assertThat(pg.tableRows(DB)).isNotEqualTo(fixtureRows);

        Resp restored = expect(call("POST", confirmA, admin, body), 200);
        String safety = restored.json().path("preRestoreBackupId").asText();
        assertThat(restored.json().path("id").asText()).isEqualTo(a);
        assertThat(restored.json().path("database").asText()).isEqualTo(DB);
        assertThat(restored.json().path("jobId").asText()).isNotBlank();
        assertThat(safety).isNotBlank().isNotEqualTo(a);
        assertThat(pg.tableRows(DB)).isEqualTo(fixtureRows);

        // The safety backup holds what was there before the restore.
        JsonNode row = row(expect(call("GET", API + "/backups", viewer, null), 200), safety);
        assertThat(row.path("kind").asText()).isEqualTo("pre-restore");
        // kept by its own rule, 7 days, not by the ordinary age rule
        assertThat(row.path("retention").path("reasons").toString()).contains("safety within 7d");
        assertThat(Instant.parse(row.path("retention").path("expires").asText()))
                .isEqualTo(Instant.parse(row.path("started").asText()).plus(Duration.ofDays(7)));
        assertThat(row.path("status").asText()).isEqualTo("completed");
        JsonNode shown = expect(call("GET", API + "/backups/" + safety, viewer, null), 200).json();
        assertThat(tableRowCounts(shown.path("manifest").path("sources").path(0))).containsEntry("items", 60L);

        // Used once: a second confirmation is refused and restores nothing.
        int jobs = jobCount("restore");
        pg.psql(DB, "delete from items where id = 1");
        expectError(call("POST", confirmA, admin, body), 409, "confirmation_used");
        assertThat(jobCount("restore")).isEqualTo(jobs);
        assertThat(pg.psql(DB, "select count(*) from items")).isEqualTo("99");
        pg.psql(DB, "insert into items values (1, 'item 1', 1)");
        assertThat(pg.tableRows(DB)).isEqualTo(fixtureRows);

        JsonNode job = expect(call("GET", API + "/jobs/" + restored.json().path("jobId").asText(), viewer, null), 200).json();
        assertThat(job.path("kind").asText()).isEqualTo("restore");
        assertThat(job.path("status").asText()).isEqualTo("succeeded");
        assertThat(job.path("requestedBy").asText()).isEqualTo("api-admin");
    }

    // ---- audit

    @Test
    @Order(12)
    void auditHasOneEntryPerStateChangingCallDeniedOnesIncluded() {
        String a = backupA();
        long since = expect(call("GET", API + "/audit?limit=1", admin, null), 200).json().path("entries").path(0)
                .path("id").asLong(0);
        expectError(call("POST", API + "/backups", viewer, null), 403, "forbidden");
        expectError(call("PUT", API + "/backups/config", operator, "{\"retentionDays\": 40}"), 403, "forbidden");
        expectError(call("PUT", API + "/backups/config", admin, "{\"retentionDays\": 0}"), 400, "invalid_request");
        expect(call("PUT", API + "/backups/config", admin, "{\"retentionDays\": 30}"), 200);
        expectError(call("POST", API + "/backups/20990101T000000Z-abcdef/verify", operator, null), 404, "not_found");
        expect(call("POST", API + "/backups/" + a + "/verify", operator, null), 200);
        String token = expect(call("POST", API + "/backups/" + a + "/restore", admin, null), 200).json()
                .path("confirmationToken").asText();
        secrets.add(token);
        expectError(call("POST", API + "/backups/" + a + "/restore/confirm", admin2,
                "{\"confirmationToken\": \"" + token + "\"}"), 403, "confirmation_mismatch");
        expectError(call("POST", API + "/backups/" + a + "/restore", viewer, null), 403, "forbidden");
        String created = expect(call("POST", API + "/backups", operator, null), 201).json().path("id").asText();
        // at once: a synchronous call answers after its job's end is recorded
        JsonNode entries = expect(call("GET", API + "/audit", admin, null), 200).json().path("entries");
        // reads are not audited
        expect(call("GET", API + "/backups", admin, null), 200);
        expect(call("GET", API + "/backups/config", admin, null), 200);
        expect(call("GET", API + "/jobs", admin, null), 200);
        assertThat(expect(call("GET", API + "/audit", admin, null), 200).json().path("entries")).isEqualTo(entries);

        List<JsonNode> fresh = new ArrayList<>();
        entries.forEach(e -> {
            if (e.path("id").asLong() > since) {
                fresh.add(0, e); // newest first: reverse into call order
            }
        });
        List<String> calls = fresh.stream().filter(e -> !e.path("action").asText().endsWith(".end"))
                .map(ServiceApiIT::auditLine).toList();
        assertThat(calls).containsExactly(
                "api-viewer backup.create null denied",
                "api-operator config.update null denied",
                "api-admin config.update null failed",
                "api-admin config.update null ok",
                "api-operator backup.verify 20990101T000000Z-abcdef failed",
                "api-operator backup.verify " + a + " ok",
                "api-admin restore.request " + a + " ok",
                "api-admin2 restore.confirm " + a + " denied",
                "api-viewer restore.request " + a + " denied",
                "api-operator backup.create null ok");
        // and the end of each job it started
        List<String> ends = fresh.stream().filter(e -> e.path("action").asText().endsWith(".end"))
                .map(ServiceApiIT::auditLine).toList();
        assertThat(ends).containsExactly("api-operator verify.end " + a + " succeeded",
                "api-operator backup.end " + created + " succeeded");
        for (JsonNode e : fresh) {
            assertThat(e.path("at").asText()).isNotBlank();
            assertThat(e.path("details").isObject()).isTrue();
        }
        JsonNode denied = fresh.get(0).path("details");
        assertThat(denied.path("role").asText()).isEqualTo("viewer");
        assertThat(denied.path("required").asText()).isEqualTo("operator");
        assertThat(entries.toString()).doesNotContain(token).doesNotContain(pg.password())
                .doesNotContain(encoded(pg.password()));
    }

    // ---- a second service: confirmations that expire, readiness without a repository

    @Test
    @Order(13)
    void expiredConfirmationIs410AndAMissingRepositoryIsNotReady() throws Exception {
        String a = backupA();
        Path repo2 = work.resolve("repo2");
        copyTree(repo, repo2);
        // Here the password travels in PGPASSWORD.
        LifeboatCli cli2 = new LifeboatCli(work).env("LIFEBOAT_REPOSITORY", repo2.toString())
                .env("LIFEBOAT_DATA_DIR", work.resolve("data2").toString())
                .env("DATABASE_URL", "postgres://" + pg.superuser() + "@127.0.0.1:" + pg.port() + "/" + DB)
                .env("PGPASSWORD", pg.password())
                .env("LIFEBOAT_BACKUP_SCHEDULE", SCHEDULE)
                .env("LIFEBOAT_RUN_MISSED_AT_STARTUP", "false")
                .env("LIFEBOAT_CONFIRMATION_TTL", "2");
        String admin3 = createToken(cli2, "admin", "ttl-admin");
        try (LifeboatService s2 = LifeboatService.start(cli2)) {
            // the first service's tokens mean nothing here
            expectError(call(s2, "GET", API + "/backups", admin, null), 401, "unauthorized");
            Instant asked = Instant.now();
            Resp offer = expect(call(s2, "POST", API + "/backups/" + a + "/restore", admin3, null), 200);
            String token = offer.json().path("confirmationToken").asText();
            secrets.add(token);
            Instant expires = Instant.parse(offer.json().path("expires").asText());
            assertThat(expires).isBetween(asked.plusSeconds(1), Instant.now().plusSeconds(3));
            Thread.sleep(Math.max(0, Duration.between(Instant.now(), expires).toMillis()) + 500);
            Resp late = expectError(call(s2, "POST", API + "/backups/" + a + "/restore/confirm", admin3,
                    "{\"confirmationToken\": \"" + token + "\"}"), 410, "confirmation_expired");
            assertThat(late.json().path("error").path("message").asText()).contains("2 seconds");
            assertThat(jobCount(s2, admin3, "restore")).isZero();

            expect(call(s2, "GET", "/readyz", null, null), 200);
            Path away = work.resolve("repo2-away");
            Files.move(repo2, away);
            Resp notReady = expect(call(s2, "GET", "/readyz", null, null), 503);
            assertThat(notReady.json().path("repository").asText()).isEqualTo("unavailable");
            assertThat(notReady.json().path("state").asText()).isEqualTo("ok");
            expect(call(s2, "GET", "/healthz", null, null), 200);
            Files.move(away, repo2);
            expect(call(s2, "GET", "/readyz", null, null), 200);

            assertNoSecretIn(s2.log(), List.of(admin3));
        }
    }

    // ---- a backup taken with the globals

    @Test
    @Order(14)
    void aOneDatabaseBackupWithGlobalsRestoresInTwoStepsWithoutNamingTheDatabase() throws IOException {
        // taken by the CLI into the service's repository, as a cron job beside the service would
        JsonNode m = JSON.readTree(cli.run("backup", "--globals", "--label", "with globals", "--json").expectSuccess()
                .stdout());
        String id = m.path("id").asText();
        List<String> formats = new ArrayList<>();
        m.path("artifacts").forEach(a -> formats.add(a.path("name").asText() + " " + a.path("format").asText()));
        assertThat(formats).containsExactly(DB + ".dump pg_dump-custom", "globals.sql pg_dumpall-globals");
        SortedMap<String, String> taken = pg.tableRows(DB);
        pg.psql(DB, "delete from items where id > 10; update notes set body = 'changed'");
        assertThat(pg.tableRows(DB)).isNotEqualTo(taken);

        // no "database" in the request: the backup holds one database, whatever else it holds
        Resp offer = expect(call("POST", API + "/backups/" + id + "/restore", admin, null), 200);
        String token = offer.json().path("confirmationToken").asText();
        secrets.add(token);
        assertThat(offer.json().path("database").asText()).isEqualTo(DB);
        assertThat(offer.json().path("target").asText()).contains(DB).contains(Integer.toString(pg.port()));
        Resp restored = expect(call("POST", API + "/backups/" + id + "/restore/confirm", admin,
                "{\"confirmationToken\": \"" + token + "\"}"), 200);
        assertThat(restored.json().path("id").asText()).isEqualTo(id);
        assertThat(restored.json().path("database").asText()).isEqualTo(DB);
        assertThat(pg.tableRows(DB)).isEqualTo(taken);

        // the globals are no database to restore into
        expectError(call("POST", API + "/backups/" + id + "/restore", admin, "{\"database\": \"globals.sql\"}"),
                404, "not_found");
    }

    // ---- secrets

    @Test
    @Order(99)
    void noSecretInTheServiceLogUpToItsStop() {
        service.stop(Duration.ofSeconds(60));
        String log = service.log();
        assertThat(log).contains("serving http://").contains("stopped"); // the whole log, start to stop
        assertNoSecretIn(log, List.of(admin, admin2, operator, viewer, revoked));
    }

    private static void assertNoSecretIn(String log, List<String> tokens) {
        List<String> all = new ArrayList<>(tokens);
        all.addAll(secrets);
        for (String t : all) {
            assertThat(log).as("a token in the log").doesNotContain(t);
        }
        assertThat(log).as("the database password in the log").doesNotContain(pg.password())
                .doesNotContain(encoded(pg.password()));
    }

    // ---- helpers

    /** One request and what must come back: its status, error code and, for 400s, the field named. */
    record Case(String who, String method, String path, String body, int status, String code, String field) {
        void check() {
            String p = path.contains("{A}") ? path.replace("{A}", backupA()) : path;
            Resp r = call(method, p, token(who), body);
            expectError(r, status, code);
            if (field != null) {
                assertThat(r.json().path("error").path("field").asText()).as("error.field of %s", r).isEqualTo(field);
            }
        }

        @Override
        public String toString() {
            return who + " " + method + " " + path + (body == null ? "" : " " + body) + " -> " + status;
        }
    }

    record Resp(String method, String path, int status, String body, JsonNode json, HttpHeaders headers) {
        @Override
        public String toString() {
            return method + " " + path + " -> " + status + " " + body;
        }
    }

    static String token(String who) {
        return switch (who) {
            case "admin" -> admin;
            case "admin2" -> admin2;
            case "operator" -> operator;
            case "viewer" -> viewer;
            case "revoked" -> revoked;
            case "none" -> null;
            default -> throw new IllegalArgumentException(who);
        };
    }

    static Resp call(String method, String path, String token, String body) {
        return call(service, method, path, token, body);
    }

    static Resp call(LifeboatService s, String method, String path, String token, String body) {
        Map<String, String> headers = new LinkedHashMap<>();
        if (token != null) {
            headers.put("Authorization", "Bearer " + token);
        }
        return send(s, method, path, headers, body);
    }

    static Resp send(String method, String path, Map<String, String> headers, String body) {
        return send(service, method, path, headers, body);
    }

    static Resp send(LifeboatService s, String method, String path, Map<String, String> headers, String body) {
        HttpRequest.Builder b = HttpRequest.newBuilder(s.uri(path)).timeout(Duration.ofSeconds(120))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofString(body, StandardCharsets.UTF_8));
        if (body != null) {
            b.header("Content-Type", "application/json");
        }
        headers.forEach(b::header);
        try {
            HttpResponse<String> r = HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
            JsonNode json = null;
            String text = r.body();
            if (r.headers().firstValue("Content-Type").orElse("").startsWith("application/json")) {
                json = JSON.readTree(text);
            }
            return new Resp(method, path, r.statusCode(), text, json, r.headers());
        } catch (IOException e) {
            throw new UncheckedIOException(method + " " + path, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    static Resp expect(Resp r, int status) {
        assertThat(r.status()).as("%s", r).isEqualTo(status);
        return r;
    }

    /** An error: the status, and a JSON body {"error": {"code", "message", "hint"?}} with that code. */
    static Resp expectError(Resp r, int status, String code) {
        expect(r, status);
        assertThat(r.json()).as("a JSON error body: %s", r).isNotNull();
        assertThat(r.json().path("error").path("code").asText()).as("%s", r).isEqualTo(code);
        assertThat(r.json().path("error").path("message").asText()).as("%s", r).isNotBlank();
        return r;
    }

    static String createToken(LifeboatCli c, String role, String name) {
        String out = c.run("token", "create", "--role", role, "--name", name).expectSuccess().stdout();
        Matcher m = TOKEN.matcher(out);
        assertThat(m.find()).as(out).isTrue();
        secrets.add(m.group());
        return m.group();
    }

    /** The first backup, of the fixture (taken here when the test that takes it did not run). */
    static synchronized String backupA() {
        if (backupA == null) {
            backupA = expect(call("POST", API + "/backups", operator, "{\"label\": \"first\"}"), 201).json()
                    .path("id").asText();
        }
        return backupA;
    }

    /** Another backup than {@code a}, of kind backup, taken now when there is none. */
    static String anotherBackup(String a) {
        for (JsonNode r : expect(call("GET", API + "/backups", viewer, null), 200).json().path("backups")) {
            if (!r.path("id").asText().equals(a) && r.path("kind").asText().equals("backup")) {
                return r.path("id").asText();
            }
        }
        return expect(call("POST", API + "/backups", operator, null), 201).json().path("id").asText();
    }

    /** The committed backups in the repository's folder: those with a manifest. */
    static Set<String> repositoryBackups() {
        Path dir = repo.resolve("backups");
        if (!Files.isDirectory(dir)) {
            return Set.of();
        }
        try (Stream<Path> s = Files.list(dir)) {
            Set<String> out = new HashSet<>();
            s.filter(p -> Files.isRegularFile(p.resolve("manifest.json"))).forEach(p -> out.add(p.getFileName().toString()));
            return out;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static int backupJobCount() {
        return jobCount("backup");
    }

    static int jobCount(String kind) {
        return jobCount(service, viewer, kind);
    }

    static int jobCount(LifeboatService s, String token, String kind) {
        Resp r = expect(call(s, "GET", API + "/jobs?limit=1000", token, null), 200);
        int n = 0;
        for (JsonNode j : r.json().path("history")) {
            if (j.path("kind").asText().equals(kind)) {
                n++;
            }
        }
        return n;
    }

    static JsonNode row(Resp list, String id) {
        return find(list.json().path("backups"), "id", id);
    }

    static JsonNode find(JsonNode array, String field, String value) {
        for (JsonNode n : array) {
            if (n.path(field).asText().equals(value)) {
                return n;
            }
        }
        throw new AssertionError("no " + field + "=" + value + " in " + array);
    }

    static List<String> names(JsonNode array) {
        List<String> out = new ArrayList<>();
        array.forEach(n -> out.add(n.isTextual() ? n.asText() : n.path("name").asText()));
        return out;
    }

    static Map<String, Long> tableRowCounts(JsonNode source) {
        Map<String, Long> out = new LinkedHashMap<>();
        source.path("tables").forEach(t -> out.put(t.path("name").asText(), t.path("rows").asLong()));
        return out;
    }

    /** The row's retention expiry: its start plus the configured retention days. */
    static void assertExpires(JsonNode row) {
        int days = expect(call("GET", API + "/backups/config", viewer, null), 200).json().path("retentionDays").asInt();
        assertThat(days).isPositive();
        assertThat(Instant.parse(row.path("retention").path("expires").asText()))
                .isEqualTo(Instant.parse(row.path("started").asText()).plus(Duration.ofDays(days)));
        assertThat(row.path("retention").path("keep").asBoolean()).isTrue();
    }

    static String auditLine(JsonNode e) {
        return e.path("actor").asText() + " " + e.path("action").asText() + " "
                + (e.path("target").isNull() || e.path("target").isMissingNode() ? "null" : e.path("target").asText())
                + " " + e.path("result").asText();
    }

    /** The value of a Prometheus sample {@code name{kind="kind"} value}. */
    static double metric(String text, String name, String kind) {
        Matcher m = Pattern.compile("(?m)^" + Pattern.quote(name) + "\\{kind=\"" + Pattern.quote(kind) + "\",?\\} (\\S+)$")
                .matcher(text);
        assertThat(m.find()).as("%s{kind=\"%s\"} in\n%s", name, kind, text).isTrue();
        return Double.parseDouble(m.group(1));
    }

    /** The next {@code month/day hour:minute} in {@code zone}, as cron "minute hour day month *" means it. */
    static Instant nextYearly(int month, int day, int hour, int minute, ZoneId zone) {
        ZonedDateTime now = ZonedDateTime.now(zone);
        ZonedDateTime t = ZonedDateTime.of(now.getYear(), month, day, hour, minute, 0, 0, zone);
        return (t.isAfter(now) ? t : t.plusYears(1)).toInstant();
    }

    static String encoded(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }

    static void copyTree(Path from, Path to) throws IOException {
        try (Stream<Path> s = Files.walk(from)) {
            for (Path p : (Iterable<Path>) s::iterator) {
                Path dest = to.resolve(from.relativize(p).toString());
                if (Files.isDirectory(p)) {
                    Files.createDirectories(dest);
                } else {
                    Files.copy(p, dest);
                }
            }
        }
    }
}
