package dev.lifeboat.api;

import com.fasterxml.jackson.databind.JsonNode;
import dev.lifeboat.config.Settings;
import dev.lifeboat.repository.ChunkerParams;
import dev.lifeboat.repository.Json;
import dev.lifeboat.repository.LocalKeyCache;
import dev.lifeboat.repository.Repository;
import dev.lifeboat.service.JobGate;
import dev.lifeboat.service.Service;
import dev.lifeboat.state.AuditEntry;
import dev.lifeboat.state.Role;
import dev.lifeboat.state.Session;
import dev.lifeboat.state.StateStore;
import dev.lifeboat.storage.MemoryStorage;
import dev.lifeboat.testing.IdleScheduler;
import dev.lifeboat.testing.MutableClock;
import dev.lifeboat.web.Csrf;
import dev.lifeboat.web.WebUi;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Issue 14: a viewer cannot grow the audit log without limit with denied requests. At most 20 denials per token
 * per minute are written; the others answer 429 {@code too_many_denied} with {@code Retry-After} and are written
 * as one {@code audit.suppressed} entry once the minute is over. Allowed requests are not limited.
 */
class DeniedRequestsTest {
    private static final String API = BackupsApi.BASE;
    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private static final int LIMIT = 20;

    @TempDir
    Path dir;
    MutableClock clock;
    StateStore state;
    Service service;
    HttpServer server;
    String viewer;

    @BeforeEach
    void start() throws IOException {
        clock = new MutableClock("2026-11-21T03:00:00Z");
        Repository repo = Repository.init(new MemoryStorage(), List.of(),
                new ChunkerParams(16 * 1024, 64 * 1024, 256 * 1024, 42), 3, new LocalKeyCache(dir.resolve("keys")));
        state = StateStore.open(dir.resolve("state"), clock);
        viewer = state.tokens().create(Role.VIEWER, "vera").token();
        service = new Service(new Settings(), state, repo, JobGate.LOCAL, "test", Duration.ofMinutes(5), clock);
        service.start(new IdleScheduler());
        server = new HttpServer(service, "127.0.0.1", 0, List.of(WebUi.routes(service))).start();
    }

    @AfterEach
    void stop() {
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

    @Test
    void aHundredDeniedCallsInAMinuteWriteTwentyEntriesAndOneSummary() throws Exception {
        for (int i = 1; i <= 100; i++) {
            HttpResponse<String> r = post(API + "/backups");
            if (i <= LIMIT) {
                assertThat(r.statusCode()).as("call " + i + ": " + r.body()).isEqualTo(403);
                assertThat(r.headers().firstValue("Retry-After")).isEmpty();
            } else {
                assertThat(r.statusCode()).as("call " + i + ": " + r.body()).isEqualTo(429);
                JsonNode error = Json.MAPPER.readTree(r.body()).path("error");
                assertThat(error.path("code").asText()).isEqualTo("too_many_denied");
                assertThat(error.path("message").asText()).contains("token 'vera' has role viewer");
                assertThat(error.path("retryAfterSeconds").asLong()).isEqualTo(60);
                assertThat(r.headers().firstValue("Retry-After")).contains("60");
            }
        }
        assertThat(denials()).hasSize(LIMIT);

        // allowed calls are not limited
        assertThat(get(API + "/backups").statusCode()).isEqualTo(200);

        clock.advance(Duration.ofSeconds(30));
        HttpResponse<String> r = post(API + "/backups");
        assertThat(r.statusCode()).isEqualTo(429);
        assertThat(r.headers().firstValue("Retry-After")).contains("30");

        // the minute is over: the maintenance point writes the summary, so that it is not lost
        clock.advance(Duration.ofSeconds(31));
        service.maintainAudit();
        List<AuditEntry> written = denials();
        assertThat(written).hasSize(LIMIT + 1);
        AuditEntry summary = written.get(0);
        assertThat(summary.action()).isEqualTo("audit.suppressed");
        assertThat(summary.actor()).isEqualTo("vera");
        assertThat(summary.details()).containsEntry("count", 81).containsEntry("window", "60s")
                .containsEntry("from", "2026-11-21T03:00:00Z");
        service.maintainAudit();
        assertThat(denials()).hasSize(LIMIT + 1); // written once

        // and the viewer is answered as before
        r = post(API + "/backups");
        assertThat(r.statusCode()).as(r.body()).isEqualTo(403);
        assertThat(Json.MAPPER.readTree(r.body()).path("error").path("code").asText()).isEqualTo("forbidden");
        assertThat(denials()).hasSize(LIMIT + 2);
    }

    @Test
    void theSummaryIsWrittenAtTheNextDenialAfterTheWindowToo() {
        for (int i = 0; i < LIMIT + 5; i++) {
            post(API + "/backups");
        }
        clock.advance(Duration.ofMinutes(2));
        assertThat(post(API + "/backups").statusCode()).isEqualTo(403);
        List<AuditEntry> written = denials();
        assertThat(written).hasSize(LIMIT + 2);
        assertThat(written.get(0).action()).isEqualTo("backup.create"); // the new denial, after the summary
        assertThat(written.get(1).action()).isEqualTo("audit.suppressed");
        assertThat(written.get(1).details()).containsEntry("count", 5);
    }

    @Test
    void aDeniedCallWithA7000CharacterIdIsRecordedCutShort() {
        String id = "x".repeat(7000);
        HttpResponse<String> r = post(API + "/backups/" + id + "/verify");
        assertThat(r.statusCode()).as(r.body()).isEqualTo(403);
        AuditEntry e = denials().get(0);
        assertThat(e.action()).isEqualTo("backup.verify");
        assertThat(e.target()).isEqualTo("x".repeat(256) + "…(+6744 chars)");
    }

    @Test
    void theWebUiAnswers429WithRetryAfterToo() throws Exception {
        Session s = service.signIn(viewer, Duration.ofHours(1)).orElseThrow();
        for (int i = 1; i <= LIMIT + 1; i++) {
            HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(base() + "/ui/backups"))
                    .header("Cookie", WebUi.SESSION_COOKIE + "=" + s.id())
                    .header("Content-Type", "application/x-www-form-urlencoded")
                    .POST(HttpRequest.BodyPublishers.ofString(Csrf.FIELD + "="
                            + URLEncoder.encode(s.csrfToken(), StandardCharsets.UTF_8))).build(),
                    HttpResponse.BodyHandlers.ofString());
            if (i <= LIMIT) {
                assertThat(r.statusCode()).as(r.body()).isEqualTo(403);
            } else {
                assertThat(r.statusCode()).as(r.body()).isEqualTo(429);
                assertThat(r.headers().firstValue("Retry-After")).contains("60");
                assertThat(r.body()).contains("refused 20 times within a minute");
            }
        }
        assertThat(denials()).hasSize(LIMIT);
    }

    @Test
    void theMaintenancePointPrunesOldEntries() {
        state.audit().record("ci", "backup.create", "old", "ok", null);
        clock.advance(Duration.ofDays(401));
        service.maintainAudit();
        assertThat(state.audit().recent(10)).extracting(AuditEntry::action).containsExactly("audit.prune");

        state.audit().record("ci", "backup.create", "newer", "ok", null);
        clock.advance(Duration.ofDays(401));
        service.maintainAudit(); // an hour has passed: pruned
        assertThat(state.audit().recent(10)).extracting(AuditEntry::action).containsExactly("audit.prune");
        assertThat(state.audit().recent(1).get(0).details()).containsEntry("count", 2);

    }

    private List<AuditEntry> denials() {
        return state.audit().recent(1000).stream().filter(e -> e.result().equals("denied")).toList();
    }

    private String base() {
        return "http://127.0.0.1:" + server.port();
    }

    private HttpResponse<String> post(String path) {
        return send(HttpRequest.newBuilder(URI.create(base() + path)).header("Authorization", "Bearer " + viewer)
                .POST(HttpRequest.BodyPublishers.noBody()).build());
    }

    private HttpResponse<String> get(String path) {
        return send(HttpRequest.newBuilder(URI.create(base() + path)).header("Authorization", "Bearer " + viewer)
                .GET().build());
    }

    private static HttpResponse<String> send(HttpRequest r) {
        try {
            return HTTP.send(r, HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
