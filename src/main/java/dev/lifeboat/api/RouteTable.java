package dev.lifeboat.api;

import io.javalin.config.JavalinConfig;
import io.javalin.config.RoutesConfig;
import io.javalin.event.HandlerMetaInfo;
import io.javalin.http.Handler;
import io.javalin.http.HandlerType;

import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The routes of the server, collected from Javalin's {@code handlerAdded} events as they are registered (the
 * API's, health and metrics, the web UI's), so that every GET route answers HEAD by the same handler, Jetty
 * sending its headers and no body (Javalin alone answers HEAD with an empty 200 and none of GET's headers).
 */
final class RouteTable {
    private final Map<String, Handler> gets = new LinkedHashMap<>();
    private final Set<String> heads = new LinkedHashSet<>();

    /** Listens to every route registered on {@code config} from now on. */
    RouteTable(JavalinConfig config) {
        config.events.handlerAdded(this::added);
    }

    private void added(HandlerMetaInfo route) {
        HandlerType method = route.getHttpMethod();
        if (method.equals(HandlerType.GET)) {
            gets.putIfAbsent(route.getPath(), route.getHandler());
        } else if (method.equals(HandlerType.HEAD)) {
            heads.add(route.getPath());
        }
    }

    /** Once every route is registered: HEAD on every GET route that has none, with the GET handler. */
    void seal(RoutesConfig r) {
        for (Map.Entry<String, Handler> get : List.copyOf(gets.entrySet())) {
            if (!heads.contains(get.getKey())) {
                r.head(get.getKey(), get.getValue());
            }
        }
    }
}
