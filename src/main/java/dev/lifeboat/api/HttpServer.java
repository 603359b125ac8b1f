package dev.lifeboat.api;

import dev.lifeboat.core.LifeboatException;
import dev.lifeboat.repository.Json;
import dev.lifeboat.service.Service;
import io.javalin.Javalin;
import io.javalin.config.JavalinConfig;
import io.javalin.http.Context;
import io.javalin.json.JavalinJackson;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.ServerConnector;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;

/**
 * The HTTP side of {@code lifeboat serve}: health, metrics, the REST API and whatever else registers
 * (the web UI), on one Javalin (Jetty 12) server.
 *
 * <ul>
 * <li>{@code GET /healthz}: 200 while the process serves requests (liveness).</li>
 * <li>{@code GET /readyz}: 200 when the state store answers, the repository's config can be read and the
 *     scheduler runs,
 *     else 503 naming what is not ready (readiness). Neither needs a token and neither tells more.</li>
 * <li>{@code GET /metrics}: Prometheus text; needs a token (viewer), as everything under {@code /api}.</li>
 * </ul>
 *
 * <p>Every GET route answers HEAD; a method a known path does not take gets 405 with {@code Allow}, OPTIONS
 * 204 with it, and an unknown path 404 ({@link RouteTable}). Errors are JSON with stable codes ({@link ApiError}).
 */
public final class HttpServer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(HttpServer.class);

    /** The largest request body taken, in bytes. */
    static final long MAX_REQUEST_SIZE = 1_000_000;
    /** How long a client may stay silent, and its body take after its headers, unless LIFEBOAT_HTTP_READ_TIMEOUT. */
    public static final Duration DEFAULT_READ_TIMEOUT = Duration.ofSeconds(30);

    private final Javalin app;

    /**
     * @param extensions more routes (the web UI), registered after the API's
     */
    public HttpServer(Service service, String host, int port, List<Consumer<JavalinConfig>> extensions) {
        this(service, host, port, DEFAULT_READ_TIMEOUT, extensions);
    }

    /**
     * @param readTimeout the connector's idle timeout (the longest silence of a client, between requests too) and the
     *     deadline of a request body from the end of its headers ({@link RequestDeadline}); a handler that waits
     *     (a synchronous backup waits for its job) is not cut off by it, since Jetty times out only pending reads and
     *     writes ({@code SlowClientsTest})
     */
    public HttpServer(Service service, String host, int port, Duration readTimeout,
                      List<Consumer<JavalinConfig>> extensions) {
        BackupsApi api = new BackupsApi(service);
        this.app = Javalin.create(config -> {
            RouteTable routes = new RouteTable(config); // before any route: it hears of each
            config.startup.showJavalinBanner = false;
            config.startup.showOldJavalinVersionWarning = false;
            config.jsonMapper(new JavalinJackson(Json.COMPACT, false));
            config.http.maxRequestSize = MAX_REQUEST_SIZE;
            config.jetty.addConnector((server, http) -> {
                ServerConnector c = new ServerConnector(server, new HttpConnectionFactory(http));
                c.setHost(host);
                c.setPort(port);
                c.setIdleTimeout(readTimeout.toMillis());
                return c;
            });
            // Javalin puts its servlet context inside the server's handler when there is one
            config.jetty.modifyServer(server -> server.setHandler(new RequestDeadline(readTimeout)));
            // every answer outside the UI (which sets its own): never sniffed as another type, never kept by a
            // cache or a proxy, since it may hold what only its caller's role may read
            for (String path : List.of("/api/*", "/healthz", "/readyz", "/metrics")) {
                config.routes.before(path, ctx -> {
                    ctx.header("X-Content-Type-Options", "nosniff");
                    ctx.header("Cache-Control", "no-store");
                });
            }
            // a body declared larger than the limit is refused from its header, before a byte of it is read (Javalin
            // alone reads up to the limit first, so a client that sends nothing more held a thread until its timeout)
            config.routes.before(ctx -> {
                if (ctx.req().getContentLengthLong() > MAX_REQUEST_SIZE) {
                    ctx.header("Connection", "close");
                    throw new ApiError(413, "too_large", "the request body declares " + ctx.req().getContentLengthLong()
                            + " bytes; at most " + MAX_REQUEST_SIZE + " are taken", "send a smaller body");
                }
            });
            config.routes.before(BackupsApi.BASE + "/*", ctx -> Auth.authenticate(ctx, service.state().tokens()));
            config.routes.before("/metrics", ctx -> Auth.authenticate(ctx, service.state().tokens()));
            config.routes.get("/healthz", ctx -> ctx.json(Map.of("status", "ok")));
            config.routes.get("/readyz", ctx -> ready(ctx, service));
            config.routes.get("/metrics", ctx -> {
                Auth.principal(ctx);
                ctx.contentType("text/plain; version=0.0.4; charset=utf-8").result(service.metrics().scrape());
            });
            api.register(config.routes);
            config.routes.exception(ApiError.class, (e, ctx) -> answer(ctx, e));
            // Javalin's own "Endpoint GET /x not found" is plain text (or its own JSON): answer ours instead
            config.routes.exception(io.javalin.router.EndpointNotFound.class, (e, ctx) -> ctx.status(404).json(
                    new ApiError(404, "not_found", "no such path: " + ctx.method() + " " + ctx.path(),
                            "the API is under " + BackupsApi.BASE).body()));
            config.routes.exception(Service.Forbidden.class, (e, ctx) -> answer(ctx, ApiError.of(e)));
            config.routes.exception(LifeboatException.class, (e, ctx) -> answer(ctx, ApiError.of(e)));
            config.routes.exception(io.javalin.validation.ValidationException.class, (e, ctx) -> ctx.status(400).json(
                    new ApiError(400, "invalid_request", "invalid parameter: " + e.getErrors().keySet(), null).body()));
            config.routes.exception(Exception.class, (e, ctx) -> {
                String fault = clientFault(e);
                if (fault != null) { // logged in one line where the read failed (RequestDeadline)
                    ctx.header("Connection", "close");
                    answer(ctx, new ApiError(408, "request_timeout", fault, "send the whole request at once"));
                    return;
                }
                LOG.error("{} {} failed", ctx.method(), ctx.path(), e);
                ctx.status(500).json(new ApiError(500, "internal", "unexpected error",
                        "see the service log for details (" + ctx.method() + " " + ctx.path() + ")").body());
            });
            config.routes.error(404, ctx -> {
                if (ctx.result() == null || ctx.result().isEmpty()) {
                    ctx.json(new ApiError(404, "not_found", "no such path: " + ctx.path(), null).body());
                }
            });
            for (Consumer<JavalinConfig> ext : extensions) {
                ext.accept(config);
            }
            routes.seal(config.routes); // HEAD where GET is, 405 for the other methods of a known path
        });
    }

    /**
     * What the client did wrong when {@code e} comes from reading its request (it stopped sending, sent too slowly or
     * went away), for a 408 answer; null when {@code e} is the service's own failure, worth a stack trace. Such reads
     * are logged in one line by {@link RequestDeadline}, where they fail.
     */
    public static String clientFault(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof TimeoutException || t instanceof org.eclipse.jetty.io.EofException
                    || t instanceof org.eclipse.jetty.http.BadMessageException) {
                String m = t.getMessage();
                return "the request was not read: " + (m == null || m.isBlank() ? t.getClass().getSimpleName() : m);
            }
        }
        return null;
    }

    /** An error's status, its {@code Retry-After} if any, and its JSON body. */
    static void answer(Context ctx, ApiError e) {
        if (e.retryAfterSeconds() != null) {
            ctx.header("Retry-After", Long.toString(e.retryAfterSeconds()));
        }
        ctx.status(e.status()).json(e.body());
    }

    private static void ready(Context ctx, Service service) {
        Map<String, Object> checks = new LinkedHashMap<>();
        boolean ok = true;
        try {
            service.state().jobs().recent(1);
            checks.put("state", "ok");
        } catch (RuntimeException e) {
            ok = false;
            checks.put("state", "unavailable");
        }
        try {
            service.repository().storage().stat("config.json").orElseThrow();
            checks.put("repository", "ok");
        } catch (Exception e) {
            ok = false;
            checks.put("repository", "unavailable");
        }
        if (service.jobs().stopping()) {
            ok = false;
            checks.put("service", "stopping");
        } else if (!service.schedulerRunning()) {
            ok = false; // no scheduled backup would ever run again: not ready, so that someone looks
            checks.put("scheduler", "not running");
        }
        checks.put("status", ok ? "ok" : "unavailable");
        ctx.status(ok ? 200 : 503).json(checks);
    }

    public HttpServer start() {
        app.start();
        return this;
    }

    public int port() {
        return app.port();
    }

    @Override
    public void close() {
        app.stop();
    }
}
