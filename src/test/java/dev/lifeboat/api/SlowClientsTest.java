package dev.lifeboat.api;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.lifeboat.config.Settings;
import dev.lifeboat.repository.ChunkerParams;
import dev.lifeboat.repository.LocalKeyCache;
import dev.lifeboat.repository.Repository;
import dev.lifeboat.service.JobGate;
import dev.lifeboat.service.Service;
import dev.lifeboat.state.Role;
import dev.lifeboat.state.StateStore;
import dev.lifeboat.storage.MemoryStorage;
import dev.lifeboat.testing.IdleScheduler;
import dev.lifeboat.web.WebUi;
import io.javalin.config.JavalinConfig;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Issue 14: a client that sends its request slowly, or stops, holds a worker thread only for a bounded time
 * (LIFEBOAT_HTTP_READ_TIMEOUT, here 2 s), is answered 408 or disconnected, and leaves one WARN line in the log (no
 * stack trace); everyone else is answered meanwhile, and a synchronous call that waits longer than the read
 * timeout for its job still gets its answer.
 */
class SlowClientsTest {
    private static final Duration READ_TIMEOUT = Duration.ofSeconds(2);
    /** What a trickling client may cost at most: the body's deadline plus one idle timeout, and slack. */
    private static final long BOUND_MILLIS = 2 * READ_TIMEOUT.toMillis() + 2_000;

    @TempDir
    Path dir;
    StateStore state;
    Service service;
    HttpServer server;
    final ListAppender<ILoggingEvent> log = new ListAppender<>();
    final List<Logger> watched = List.of((Logger) LoggerFactory.getLogger(HttpServer.class),
            (Logger) LoggerFactory.getLogger(RequestDeadline.class), (Logger) LoggerFactory.getLogger(WebUi.class),
            (Logger) LoggerFactory.getLogger("io.javalin"), (Logger) LoggerFactory.getLogger("org.eclipse.jetty"));

    @BeforeEach
    void start() throws IOException {
        log.start();
        watched.forEach(l -> l.addAppender(log));
        Repository repo = Repository.init(new MemoryStorage(), List.of(),
                new ChunkerParams(16 * 1024, 64 * 1024, 256 * 1024, 42), 3, new LocalKeyCache(dir.resolve("keys")));
        state = StateStore.open(dir.resolve("state"), Clock.systemUTC());
        service = new Service(new Settings(), state, repo, JobGate.LOCAL, "test", Duration.ofMinutes(5),
                Clock.systemUTC());
        service.start(new IdleScheduler());
        Consumer<JavalinConfig> waiting = config -> config.routes.post("/test/wait", ctx -> {
            String body = ctx.body();
            Thread.sleep(3 * READ_TIMEOUT.toMillis()); // as a synchronous backup waits for its job
            ctx.result("done with " + body);
        });
        server = new HttpServer(service, "127.0.0.1", 0, READ_TIMEOUT, List.of(WebUi.routes(service), waiting))
                .start();
    }

    @AfterEach
    void stop() {
        watched.forEach(l -> l.detachAppender(log));
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
    void trickledBodiesAreCutOffAtTheDeadlineWhileOthersAreAnswered() throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(6);
        try {
            List<Future<String>> trickles = new ArrayList<>();
            for (int i = 0; i < 5; i++) {
                // a body of 400 bytes at one byte per 300 ms would take two minutes; no single silence is long
                // enough for the idle timeout
                trickles.add(pool.submit(() -> trickle("POST /ui/login HTTP/1.1\r\nHost: x\r\n"
                        + "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 400\r\n\r\n", 400)));
            }
            Thread.sleep(500);
            HttpResponse<String> health = HttpClient.newHttpClient().send(
                    HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + "/healthz")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(health.statusCode()).isEqualTo(200);
            for (Future<String> t : trickles) {
                String answer = t.get(BOUND_MILLIS + 5_000, TimeUnit.MILLISECONDS);
                assertThat(answer).as("what the trickling client got").startsWith("cut off after");
                assertThat(answer).as(answer).containsAnyOf("HTTP/1.1 408", "closed without an answer");
            }
        } finally {
            pool.shutdownNow();
        }
        List<ILoggingEvent> warnings = log.list.stream().filter(e -> e.getLevel() == Level.WARN).toList();
        assertThat(warnings).as("one line per cut-off client").hasSize(5).allSatisfy(e -> {
            assertThat(e.getFormattedMessage()).contains("POST /ui/login from /127.0.0.1:")
                    .contains("did not arrive within 2 s");
            assertThat(e.getThrowableProxy()).as("no stack trace").isNull();
        });
        assertThat(log.list).noneMatch(e -> e.getLevel() == Level.ERROR);
    }

    @Test
    void aClientThatStopsSendingItsBodyIsAnsweredAfterTheIdleTimeout() throws Exception {
        String admin = state.tokens().create(Role.ADMIN, "ada").token();
        for (String path : List.of("/ui/login", BackupsApi.BASE + "/backups")) {
            try (Socket s = new Socket("127.0.0.1", server.port())) {
                s.setSoTimeout((int) BOUND_MILLIS);
                s.getOutputStream().write(("POST " + path + " HTTP/1.1\r\nHost: x\r\nContent-Length: 400\r\n"
                        + "Authorization: Bearer " + admin + "\r\n"
                        + "Content-Type: application/x-www-form-urlencoded\r\n\r\ntoken=abc")
                        .getBytes(StandardCharsets.US_ASCII));
                long t0 = System.nanoTime();
                String answer = answerOf(s);
                long waited = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
                assertThat(answer).as(path).satisfiesAnyOf(a -> assertThat(a).startsWith("HTTP/1.1 408"),
                        a -> assertThat(a).isEmpty());
                assertThat(waited).as(path).isLessThan(READ_TIMEOUT.toMillis() + 2_000);
            }
        }
        assertThat(log.list).filteredOn(e -> e.getLevel() == Level.WARN).hasSize(2)
                .allSatisfy(e -> assertThat(e.getFormattedMessage()).contains("Idle timeout expired"));
        assertThat(log.list).noneMatch(e -> e.getLevel() == Level.ERROR);
        assertThat(log.list).allSatisfy(e -> assertThat(e.getThrowableProxy()).as(e.getFormattedMessage()).isNull());
    }

    @Test
    void aClientThatGoesAwayMidBodyLeavesOneLineAndNoStackTrace() throws Exception {
        try (Socket s = new Socket("127.0.0.1", server.port())) {
            s.getOutputStream().write(("POST /ui/login HTTP/1.1\r\nHost: x\r\nContent-Length: 400\r\n"
                    + "Content-Type: application/x-www-form-urlencoded\r\n\r\ntoken=abc")
                    .getBytes(StandardCharsets.US_ASCII));
            Thread.sleep(300);
        }
        long end = System.currentTimeMillis() + BOUND_MILLIS;
        while (log.list.stream().noneMatch(e -> e.getLevel() == Level.WARN) && System.currentTimeMillis() < end) {
            Thread.sleep(50);
        }
        assertThat(log.list).filteredOn(e -> e.getLevel() == Level.WARN).singleElement().satisfies(e -> {
            assertThat(e.getFormattedMessage()).contains("POST /ui/login from /127.0.0.1:")
                    .contains("the request body was not read");
            assertThat(e.getThrowableProxy()).isNull();
        });
        assertThat(log.list).noneMatch(e -> e.getLevel() == Level.ERROR);
    }

    /** The first line the server answers on {@code s}, or "" when it closes without one. */
    private static String answerOf(Socket s) throws IOException {
        ByteArrayOutputStream got = new ByteArrayOutputStream();
        try {
            InputStream in = s.getInputStream();
            int b;
            while ((b = in.read()) >= 0 && b != '\r') {
                got.write(b);
            }
        } catch (SocketTimeoutException e) {
            throw new AssertionError("the server neither answered nor closed within " + BOUND_MILLIS + " ms");
        } catch (IOException e) {
            // reset: closed
        }
        return got.toString(StandardCharsets.ISO_8859_1);
    }

    @Test
    void aClientThatStopsSendingItsHeadersIsClosedAfterTheIdleTimeout() throws Exception {
        try (Socket s = new Socket("127.0.0.1", server.port())) {
            s.setSoTimeout((int) BOUND_MILLIS);
            s.getOutputStream().write("GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ".getBytes(StandardCharsets.US_ASCII));
            long t0 = System.nanoTime();
            int read;
            try {
                read = s.getInputStream().read();
            } catch (SocketTimeoutException e) {
                throw new AssertionError("the server kept a silent client's connection open past the idle timeout");
            } catch (IOException e) {
                read = -1; // reset: closed too
            }
            long waited = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
            assertThat(read).as("closed, with nothing answered").isEqualTo(-1);
            assertThat(waited).isBetween(READ_TIMEOUT.toMillis() - 500, READ_TIMEOUT.toMillis() + 2_000);
        }
    }

    @Test
    void aHandlerWaitingLongerThanTheReadTimeoutStillAnswers() throws Exception {
        HttpResponse<String> r = HttpClient.newHttpClient().send(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + "/test/wait"))
                        .POST(HttpRequest.BodyPublishers.ofString("{\"label\":\"x\"}")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.body()).isEqualTo("done with {\"label\":\"x\"}");
    }

    /**
     * Sends {@code head}, then {@code bodyBytes} bytes one at a time every 300 ms, until the server answers or closes;
     * says which, and after how long.
     */
    private String trickle(String head, int bodyBytes) throws IOException {
        try (Socket s = new Socket("127.0.0.1", server.port())) {
            s.setSoTimeout(1);
            OutputStream out = s.getOutputStream();
            InputStream in = s.getInputStream();
            long t0 = System.nanoTime();
            out.write(head.getBytes(StandardCharsets.US_ASCII));
            ByteArrayOutputStream answer = new ByteArrayOutputStream();
            for (int sent = 0; sent < bodyBytes; sent++) {
                try {
                    out.write('a');
                    out.flush();
                } catch (IOException e) {
                    break; // the server closed
                }
                if (readWhatCame(in, answer, 300)) {
                    break;
                }
                if (TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0) > BOUND_MILLIS) {
                    return "still open after " + BOUND_MILLIS + " ms";
                }
            }
            readWhatCame(in, answer, 1_000);
            long took = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
            String got = answer.toString(StandardCharsets.ISO_8859_1);
            return "cut off after " + took + " ms: " + (got.isEmpty() ? "closed without an answer" : got.lines()
                    .findFirst().orElse(""));
        }
    }

    /** Reads for up to {@code millis}; true once the server has answered something or closed. */
    private static boolean readWhatCame(InputStream in, ByteArrayOutputStream into, long millis) {
        long end = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis);
        byte[] buf = new byte[4096];
        while (System.nanoTime() < end) {
            try {
                int n = in.read(buf);
                if (n < 0) {
                    return true;
                }
                into.write(buf, 0, n);
            } catch (SocketTimeoutException e) {
                // nothing yet
            } catch (IOException e) {
                return true; // reset
            }
        }
        return into.size() > 0;
    }
}
