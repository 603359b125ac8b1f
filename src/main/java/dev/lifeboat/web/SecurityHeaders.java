package dev.lifeboat.web;

import io.javalin.http.Context;

/**
 * Headers on every response of the web UI. The pages load scripts and styles only from this server and
 * have no inline script or style, so the policy allows nothing else; they cannot be framed, send no
 * referrer, and are not cached (they show live state and a CSRF token).
 */
final class SecurityHeaders {
    static final String CSP = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
            + "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'";

    private SecurityHeaders() {}

    static void apply(Context ctx) {
        ctx.header("Content-Security-Policy", CSP);
        ctx.header("X-Frame-Options", "DENY");
        ctx.header("Referrer-Policy", "no-referrer");
        ctx.header("X-Content-Type-Options", "nosniff");
        ctx.header("Cache-Control", "no-store");
    }
}
