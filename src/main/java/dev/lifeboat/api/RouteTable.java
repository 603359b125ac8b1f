package dev.lifeboat.api;

import io.javalin.config.JavalinConfig;
import io.javalin.config.RoutesConfig;
import io.javalin.event.HandlerMetaInfo;
import io.javalin.http.Context;
import io.javalin.http.Handler;
import io.javalin.http.HandlerType;
import io.javalin.router.matcher.PathParser;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The methods each path of the server takes, collected from Javalin's {@code handlerAdded} events as the routes
 * are registered (the API's, health and metrics, the web UI's), so that a request with another method on a
 * known path gets 405 with {@code Allow} rather than 404, and OPTIONS gets 204 with it.
 *
 * <p>A path is known when a route without a wildcard matches it: a catch-all (the web UI's {@code GET /ui/*},
 * its 404 page) makes no path known, and answers no request for a known path (its {@code GET /ui/logout} is
 * 405 too). Every GET route answers HEAD by the same handler, Jetty sending its headers and no body.
 */
final class RouteTable {
    /** The order of {@code Allow}; other methods come after these, and OPTIONS last. */
    private static final List<HandlerType> ORDER = List.of(HandlerType.GET, HandlerType.HEAD, HandlerType.POST,
            HandlerType.PUT, HandlerType.PATCH, HandlerType.DELETE);

    private record Route(HandlerType method, PathParser path) {}

    private final JavalinConfig config;
    private final List<Route> routes = new ArrayList<>();
    private final Map<String, Handler> gets = new LinkedHashMap<>();
    private final Set<String> heads = new LinkedHashSet<>();
    /** The routes once {@link #seal} ran: read by every request, never changed. */
    private volatile List<Route> sealed;

    /** Listens to every route registered on {@code config} from now on. */
    RouteTable(JavalinConfig config) {
        this.config = config;
        config.events.handlerAdded(this::added);
    }

    private void added(HandlerMetaInfo route) {
        HandlerType method = route.getHttpMethod();
        if (!method.isHttpMethod()) {
            return; // before and after handlers
        }
        if (method.equals(HandlerType.GET)) {
            gets.putIfAbsent(route.getPath(), route.getHandler());
        } else if (method.equals(HandlerType.HEAD)) {
            heads.add(route.getPath());
        }
        if (!route.getPath().contains("*")) {
            routes.add(new Route(method, new PathParser(route.getPath(), config.router)));
        }
    }

    /**
     * Once every route is registered: HEAD on every GET route that has none, with the GET handler, and the
     * before-handler that answers a method a known path does not take. Registered last, it runs after the
     * others (authentication, the web UI's security headers).
     */
    void seal(RoutesConfig r) {
        for (Map.Entry<String, Handler> get : List.copyOf(gets.entrySet())) {
            if (!heads.contains(get.getKey())) {
                r.head(get.getKey(), get.getValue());
            }
        }
        sealed = List.copyOf(routes);
        r.before(this::check);
    }

    /** 405 with {@code Allow} for a method the known path does not take; 204 with it for OPTIONS. */
    private void check(Context ctx) {
        Set<HandlerType> methods = methods(ctx.path());
        if (methods.isEmpty() || methods.contains(ctx.method())) {
            return; // an unknown path (404, or a catch-all), or a route of its own
        }
        String allow = String.join(", ", allow(methods));
        ctx.header("Allow", allow);
        if (ctx.method().equals(HandlerType.OPTIONS)) {
            ctx.status(204).skipRemainingHandlers();
            return;
        }
        throw new ApiError(405, "method_not_allowed", ctx.method() + " is not allowed on " + ctx.path(),
                "this path takes " + allow);
    }

    /** The methods of the routes that match {@code path}; empty for a path no route knows. */
    private Set<HandlerType> methods(String path) {
        Set<HandlerType> out = new LinkedHashSet<>();
        for (Route r : sealed) {
            if (r.path().matches(path)) {
                out.add(r.method());
            }
        }
        return out;
    }

    /** What {@code Allow} lists: GET before HEAD before the others, and OPTIONS last. */
    private static List<String> allow(Set<HandlerType> methods) {
        Set<HandlerType> rest = new LinkedHashSet<>(methods);
        rest.remove(HandlerType.OPTIONS);
        List<String> out = new ArrayList<>();
        for (HandlerType m : ORDER) {
            if (rest.remove(m)) {
                out.add(m.name());
            }
        }
        rest.forEach(m -> out.add(m.name()));
        out.add(HandlerType.OPTIONS.name());
        return out;
    }
}
