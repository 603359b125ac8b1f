package dev.lifeboat.api;

import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.NanoTime;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.concurrent.TimeoutException;

/**
 * A request body must have arrived whole within a deadline counted from the end of its headers. Jetty's idle timeout
 * bounds each silence on a connection, but a client that sends one byte just before every timeout would hold the
 * worker thread that reads its body (reads in a servlet block) for as long as it likes; with this wrapper, the first
 * read that needs more data after the deadline fails with a {@link TimeoutException} instead, answered 408.
 *
 * <p>Every failed read of a body (this deadline, the idle timeout, a client that went away) is logged here, in one
 * line naming the request and the client, so that the handlers above need not (and log no stack trace for it,
 * {@link HttpServer#clientFault}).
 *
 * <p>So a body holds a thread for at most the deadline plus one idle timeout (the last silence). Headers are parsed
 * by Jetty without a thread, so a client trickling them holds only its connection, bounded by the idle timeout
 * between bytes.
 */
final class RequestDeadline extends Handler.Wrapper {
    private static final Logger LOG = LoggerFactory.getLogger(RequestDeadline.class);
    private final long limitNanos;

    RequestDeadline(Duration limit) {
        this.limitNanos = limit.toNanos();
    }

    @Override
    public boolean handle(Request request, Response response, Callback callback) throws Exception {
        return super.handle(new Bounded(request), response, callback);
    }

    private final class Bounded extends Request.Wrapper {
        private volatile Content.Chunk expired;
        private volatile boolean logged;

        Bounded(Request request) {
            super(request);
        }

        private boolean late() {
            if (expired == null && NanoTime.since(getHeadersNanoTime()) > limitNanos) {
                expired = Content.Chunk.from(new TimeoutException("the request body did not arrive within "
                        + Duration.ofNanos(limitNanos).toSeconds() + " s of its headers"), true);
            }
            return expired != null;
        }

        @Override
        public Content.Chunk read() {
            Content.Chunk chunk = super.read();
            // what has arrived is read; only waiting for more is refused after the deadline
            if (chunk == null && late()) {
                chunk = expired;
            }
            if (Content.Chunk.isFailure(chunk) && !logged) {
                logged = true;
                Throwable why = chunk.getFailure();
                LOG.warn("{} {} from {}: the request body was not read: {}", getMethod(), getHttpURI().getPath(),
                        getConnectionMetaData().getRemoteSocketAddress(), why.getMessage() == null || why.getMessage()
                                .isBlank() ? why.getClass().getSimpleName() : why.getMessage());
            }
            return chunk;
        }

        @Override
        public void demand(Runnable demandCallback) {
            if (late()) {
                demandCallback.run(); // read() now returns the failure
                return;
            }
            super.demand(demandCallback);
        }
    }
}
