package dev.lifeboat.api;

import com.fasterxml.jackson.databind.JsonNode;
import dev.lifeboat.config.Settings;
import dev.lifeboat.repository.ChunkerParams;
import dev.lifeboat.repository.Json;
import dev.lifeboat.repository.LocalKeyCache;
import dev.lifeboat.repository.Manifest;
import dev.lifeboat.repository.Repository;
import dev.lifeboat.service.JobGate;
import dev.lifeboat.service.Service;
import dev.lifeboat.state.Role;
import dev.lifeboat.state.StateStore;
import dev.lifeboat.storage.MemoryStorage;
import dev.lifeboat.web.WebUi;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The HTTP server in process, with the web UI's routes, over a repository in memory with two backups and no
 * database: what every route answers to a method it does not take, HEAD, the list's ETag, and sizes.
 */
class HttpServerTest {
    private static final String API = BackupsApi.BASE;
    private static final String A = "20261121T030000Z-aaaaaa";
    private static final String B = "20261122T030000Z-bbbbbb";
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    @TempDir
    static Path dir;
    static StateStore state;
    static Repository repo;
    static Service service;
    static HttpServer server;
    static String token;

    @BeforeAll
    static void start() throws IOException {
        repo = Repository.init(new MemoryStorage(), List.of(),
                new ChunkerParams(16 * 1024, 64 * 1024, 256 * 1024, 42), 3, new LocalKeyCache(dir.resolve("keys")));
        commit(repo, A, 1000, 400);
        commit(repo, B, 2000, 700);
        state = StateStore.open(dir.resolve("state"), Clock.systemUTC());
        token = state.tokens().create(Role.ADMIN, "alice").token();
        service = new Service(new Settings(), state, repo, JobGate.LOCAL, "test", Duration.ofMinutes(5),
                Clock.systemUTC());
        service.start(SCHEDULER);
        server = new HttpServer(service, "127.0.0.1", 0, List.of(WebUi.routes(service))).start();
    }

    /** A scheduler that fires nothing, and whose thread the tests can declare dead. */
    static final java.util.concurrent.atomic.AtomicBoolean SCHEDULER_ALIVE = new java.util.concurrent.atomic.AtomicBoolean(true);
    static final dev.lifeboat.service.BackupScheduler SCHEDULER = new dev.lifeboat.service.BackupScheduler() {
        @Override
        public void start() {}

        @Override
        public void reschedule() {}

        @Override
        public java.util.Optional<java.time.Instant> nextRun() {
            return java.util.Optional.empty();
        }

        @Override
        public boolean running() {
            return SCHEDULER_ALIVE.get();
        }

        @Override
        public void close() {}
    };

    @Test
    void aSchedulerThatDiedMakesTheServiceNotReadyAndShowsInTheMetrics() {
        try {
            SCHEDULER_ALIVE.set(false);
            HttpResponse<String> r = sendAnonymous("GET", "/readyz");
            assertThat(r.statusCode()).as(r.body()).isEqualTo(503);
            assertThat(json(r).path("scheduler").asText()).isEqualTo("not running");
            assertThat(send("GET", "/metrics").body()).contains("lifeboat_scheduler_up 0.0");
        } finally {
            SCHEDULER_ALIVE.set(true);
        }
        assertThat(sendAnonymous("GET", "/readyz").statusCode()).isEqualTo(200);
        assertThat(send("GET", "/metrics").body()).contains("lifeboat_scheduler_up 1.0");
    }

    @AfterAll
    static void stop() {
        if (server != null) {
            server.close();
        }
        if (service != null) {
            service.shutdown(Duration.ZERO);
        }
        if (state != null) {
            state.close();
        }
    }

    @ParameterizedTest(name = "{0} {1} -> 405, Allow: {2}")
    @CsvSource(delimiter = '|', value = {
            "DELETE | /api/v1/platform/backups                              | GET, HEAD, POST, OPTIONS",
            "PUT    | /api/v1/platform/backups                              | GET, HEAD, POST, OPTIONS",
            "GET    | /api/v1/platform/backups/" + A + "/verify             | POST, OPTIONS",
            "GET    | /api/v1/platform/backups/" + A + "/restore            | POST, OPTIONS",
            "DELETE | /api/v1/platform/backups/" + A + "/restore/confirm    | POST, OPTIONS",
            "POST   | /api/v1/platform/backups/config                       | GET, HEAD, PUT, OPTIONS",
            "DELETE | /api/v1/platform/backups/" + A + "                    | GET, HEAD, OPTIONS",
            "POST   | /api/v1/platform/jobs                                 | GET, HEAD, OPTIONS",
            "PATCH  | /api/v1/platform/jobs/some-job                        | GET, HEAD, OPTIONS",
            "POST   | /api/v1/platform/audit                                | GET, HEAD, OPTIONS",
            "POST   | /healthz                                              | GET, HEAD, OPTIONS",
            "DELETE | /readyz                                               | GET, HEAD, OPTIONS",
            "POST   | /metrics                                              | GET, HEAD, OPTIONS",
            "POST   | /ui/jobs                                              | GET, HEAD, OPTIONS",
            "POST   | /ui/backups/" + A + "                                 | GET, HEAD, OPTIONS",
            "GET    | /ui/backups/" + A + "/restore/confirm                 | POST, OPTIONS",
            "GET    | /ui/logout                                            | POST, OPTIONS",
            "DELETE | /ui/login                                             | GET, HEAD, POST, OPTIONS",
            "PUT    | /ui/settings                                          | GET, HEAD, POST, OPTIONS"})
    void aMethodAPathDoesNotTakeIs405WithTheMethodsItTakes(String method, String path, String allow) {
        HttpResponse<String> r = send(method, path);
        assertThat(r.statusCode()).as("%s %s: %s", method, path, r.body()).isEqualTo(405);
        assertThat(r.headers().firstValue("Allow")).hasValue(allow);
        JsonNode error = json(r).path("error");
        assertThat(error.path("code").asText()).isEqualTo("method_not_allowed");
        assertThat(error.path("message").asText()).isEqualTo(method + " is not allowed on " + path);
        assertThat(error.path("hint").asText()).contains(allow);
    }

    @ParameterizedTest
    @ValueSource(strings = {"20990101T000000Z-ffffff", "nothing-like-it"})
    void anUnknownBackupIs404WithoutTheRepositorysLocation(String id) {
        HttpResponse<String> r = send("GET", API + "/backups/" + id);
        assertThat(r.statusCode()).as(r.body()).isEqualTo(404);
        assertThat(json(r).path("error").path("message").asText()).isEqualTo("no backup '" + id + "'");
        assertThat(r.body()).doesNotContain(repo.storage().location()).doesNotContain("lifeboat list");
    }

    @Test
    void headOnAPathWithoutGetIs405WithoutABody() {
        HttpResponse<String> r = send("HEAD", API + "/backups/" + A + "/verify");
        assertThat(r.statusCode()).isEqualTo(405);
        assertThat(r.headers().firstValue("Allow")).hasValue("POST, OPTIONS");
        assertThat(r.body()).isEmpty();
    }

    @ParameterizedTest
    @ValueSource(strings = {API + "/backups", API + "/backups/" + A + "/verify", "/healthz", "/ui/logout"})
    void optionsAnswersTheMethodsOfAKnownPath(String path) {
        HttpResponse<String> r = send("OPTIONS", path);
        assertThat(r.statusCode()).isEqualTo(204);
        assertThat(r.headers().firstValue("Allow")).hasValue(send("DELETE", path).headers().firstValue("Allow")
                .orElseThrow());
        assertThat(r.body()).isEmpty();
    }

    @ParameterizedTest(name = "{0} {1} -> 404")
    @CsvSource(delimiter = '|', value = {
            "GET    | /api/v1/platform/nothing",
            "DELETE | /api/v1/platform/nothing",
            "OPTIONS| /api/v1/platform/nothing",
            "GET    | /api/v1/platform/backups/" + A + "/nothing",
            "POST   | /api/v1/platform/backups/" + A + "/verify/again",
            "POST   | /nothing",
            "POST   | /ui/nothing",
            "DELETE | /ui/backups/" + A + "/nothing"})
    void anUnknownPathIsStill404(String method, String path) {
        HttpResponse<String> r = send(method, path);
        assertThat(r.statusCode()).as("%s %s: %s", method, path, r.body()).isEqualTo(404);
        assertThat(r.headers().firstValue("Allow")).isEmpty();
        assertThat(json(r).path("error").path("code").asText()).isEqualTo("not_found");
    }

    @Test
    void headOnTheListAnswersItsETagWithoutABodyAndIfNoneMatchGives304() {
        HttpResponse<String> get = send("GET", API + "/backups");
        assertThat(get.statusCode()).isEqualTo(200);
        String etag = get.headers().firstValue("ETag").orElseThrow();

        HttpResponse<String> head = send("HEAD", API + "/backups");
        assertThat(head.statusCode()).isEqualTo(200);
        assertThat(head.headers().firstValue("ETag")).hasValue(etag);
        assertThat(head.headers().firstValue("Content-Type")).hasValue("application/json");
        assertThat(head.headers().firstValue("Content-Length")).hasValue(Integer.toString(get.body().length()));
        assertThat(head.body()).isEmpty();

        for (String method : List.of("GET", "HEAD")) {
            HttpResponse<String> notModified = send(method, API + "/backups", "If-None-Match", etag);
            assertThat(notModified.statusCode()).as(method).isEqualTo(304);
            assertThat(notModified.headers().firstValue("ETag")).as(method).hasValue(etag);
            assertThat(notModified.body()).as(method).isEmpty();
            assertThat(send(method, API + "/backups", "If-None-Match", "W/\"other\"").statusCode()).as(method)
                    .isEqualTo(200);
        }
    }

    @Test
    void theListsETagComesFromItsContentSoAnotherInstanceGivesTheSame() {
        String etag = send("GET", API + "/backups").headers().firstValue("ETag").orElseThrow();
        Service other = new Service(new Settings(), state, repo, JobGate.LOCAL, "other", Duration.ofMinutes(5),
                Clock.systemUTC());
        try (HttpServer second = new HttpServer(other, "127.0.0.1", 0, List.of()).start()) {
            HttpResponse<String> r = request(second, "GET", API + "/backups", Map.of("Authorization", "Bearer " + token,
                    "If-None-Match", etag));
            assertThat(r.statusCode()).as(r.body()).isEqualTo(304);
        } finally {
            other.shutdown(Duration.ZERO);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {API + "/backups/" + A, API + "/backups/config", API + "/jobs", API + "/audit",
            "/healthz", "/readyz", "/metrics", "/ui/login", "/ui/static/lifeboat.css"})
    void headOnAGetRouteAnswersAsGetWithoutABody(String path) {
        HttpResponse<String> get = send("GET", path);
        HttpResponse<String> head = send("HEAD", path);
        assertThat(head.statusCode()).isEqualTo(get.statusCode()).isEqualTo(200);
        assertThat(head.headers().firstValue("Content-Type")).isEqualTo(get.headers().firstValue("Content-Type"));
        assertThat(head.body()).isEmpty();
        assertThat(get.body()).isNotEmpty();
    }

    @Test
    void headAsksForATokenWhereGetDoes() {
        HttpResponse<String> r = sendAnonymous("HEAD", API + "/backups");
        assertThat(r.statusCode()).isEqualTo(401);
        assertThat(r.body()).isEmpty();
    }

    @Test
    void answersOutsideTheUiAreNeverSniffedNorKeptByACache() {
        for (HttpResponse<String> r : List.of(send("GET", API + "/backups"), send("GET", API + "/backups/" + B),
                sendAnonymous("GET", API + "/backups"), send("GET", "/metrics"), sendAnonymous("GET", "/healthz"),
                send("GET", API + "/nothing-here"))) {
            assertThat(r.headers().firstValue("X-Content-Type-Options")).as(r.uri() + " " + r.statusCode())
                    .contains("nosniff");
            assertThat(r.headers().firstValue("Cache-Control")).as(r.uri() + " " + r.statusCode())
                    .contains("no-store");
        }
    }

    @Test
    void everyBackupHasItsStoredSizeAsSizeInTheListAndAlone() {
        JsonNode list = json(send("GET", API + "/backups"));
        assertThat(list.path("count").asInt()).isEqualTo(2);
        for (JsonNode row : list.path("backups")) {
            assertThat(row.path("size").isIntegralNumber()).as("%s", row).isTrue();
            assertThat(row.path("size").asLong()).isEqualTo(row.path("storedBytes").asLong()).isPositive();
        }
        assertThat(row(list, A).path("size").asLong()).isEqualTo(400);
        assertThat(row(list, B).path("size").asLong()).isEqualTo(700);
        JsonNode shown = json(send("GET", API + "/backups/" + B));
        assertThat(shown.path("size").asLong()).isEqualTo(700);
        assertThat(shown.path("storedBytes").asLong()).isEqualTo(700);
        assertThat(shown.path("logicalBytes").asLong()).isEqualTo(2000);
    }

    private static void commit(Repository repo, String id, long logical, long stored) throws IOException {
        Instant t = Instant.parse(id.substring(0, 4) + "-" + id.substring(4, 6) + "-" + id.substring(6, 8) + "T03:00:00Z");
        repo.commit(new Manifest(Manifest.FORMAT_VERSION, id, null, Manifest.COMPLETED, t, t, "test", "h", List.of(),
                List.of(), logical, stored, stored, null));
    }

    private static JsonNode row(JsonNode list, String id) {
        for (JsonNode r : list.path("backups")) {
            if (r.path("id").asText().equals(id)) {
                return r;
            }
        }
        throw new AssertionError("no backup " + id + " in " + list);
    }

    private static HttpResponse<String> send(String method, String path, String... headers) {
        Map<String, String> h = new LinkedHashMap<>();
        h.put("Authorization", "Bearer " + token);
        for (int i = 0; i < headers.length; i += 2) {
            h.put(headers[i], headers[i + 1]);
        }
        return request(server, method, path, h);
    }

    private static HttpResponse<String> sendAnonymous(String method, String path) {
        return request(server, method, path, Map.of());
    }

    private static HttpResponse<String> request(HttpServer to, String method, String path, Map<String, String> headers) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + to.port() + path))
                .method(method, HttpRequest.BodyPublishers.noBody()).timeout(Duration.ofSeconds(30));
        headers.forEach(b::header);
        try {
            return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new UncheckedIOException(method + " " + path, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    private static JsonNode json(HttpResponse<String> r) {
        assertThat(r.headers().firstValue("Content-Type").orElse("")).as("%s", r.body()).startsWith("application/json");
        try {
            return Json.MAPPER.readTree(r.body());
        } catch (IOException e) {
            throw new AssertionError(r.body(), e);
        }
    }
}
