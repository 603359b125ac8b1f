package dev.lifeboat.api;

import dev.lifeboat.state.Principal;
import dev.lifeboat.state.Role;
import dev.lifeboat.state.TokenStore;
import io.javalin.http.Context;

import java.util.Optional;

/**
 * Bearer-token authentication of API calls: {@code Authorization: Bearer lb_...}, checked against the
 * hashed tokens of the state store. No token or an unknown or revoked one: 401; a role too low: 403.
 */
final class Auth {
    private static final String PRINCIPAL = "lifeboat.principal";

    private Auth() {}

    /** Authenticates the request; the before-handler of every protected path. */
    static void authenticate(Context ctx, TokenStore tokens) {
        String header = ctx.header("Authorization");
        if (header == null || header.isBlank()) {
            throw unauthorized("no Authorization header");
        }
        if (!header.regionMatches(true, 0, "Bearer ", 0, 7)) {
            throw unauthorized("the Authorization header is not 'Bearer <token>'");
        }
        Optional<Principal> p = tokens.authenticate(header.substring(7).strip());
        if (p.isEmpty()) {
            throw unauthorized("the token is unknown or revoked");
        }
        ctx.attribute(PRINCIPAL, p.get());
    }

    static Principal principal(Context ctx) {
        Principal p = ctx.attribute(PRINCIPAL);
        if (p == null) {
            throw unauthorized("no Authorization header");
        }
        return p;
    }

    /** For reads: 403 when the caller's role is too low. State changes check in the service, which audits. */
    static Principal require(Context ctx, Role role) {
        Principal p = principal(ctx);
        if (!p.allows(role)) {
            throw ApiError.forbidden(p, role);
        }
        return p;
    }

    static ApiError unauthorized(String why) {
        return new ApiError(401, "unauthorized", "authentication required: " + why,
                "send 'Authorization: Bearer <token>'; an admin creates tokens with: lifeboat token create --role viewer");
    }
}
