package dev.lifeboat.web;

import dev.lifeboat.core.Secrets;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;

/**
 * Cross-site request forgery checks. Every POST of a signed-in user carries the session's CSRF token, in
 * the form field {@value #FIELD} or, for htmx requests, in the header {@value #HEADER} (set by
 * {@code hx-headers} on {@code <body>}); a request whose token is missing or differs is refused with 403
 * before anything is done. The sign-in form, which has no session yet, uses a double-submit token: a
 * random value both in a SameSite=Strict cookie and in a hidden field.
 */
public final class Csrf {
    public static final String FIELD = "csrf";
    public static final String HEADER = "X-CSRF-Token";

    private Csrf() {}

    /**
     * Whether {@code presented} is the {@code expected} token, compared in constant time. A missing or
     * empty token on either side never matches.
     */
    public static boolean matches(String expected, String presented) {
        if (expected == null || presented == null || expected.isEmpty() || presented.isEmpty()) {
            return false;
        }
        return MessageDigest.isEqual(expected.getBytes(StandardCharsets.UTF_8),
                presented.getBytes(StandardCharsets.UTF_8));
    }

    /** The token a request presents: the header when set, else the form field; null when neither is. */
    public static String presented(String header, String formField) {
        if (header != null && !header.isBlank()) {
            return header.strip();
        }
        return formField == null ? null : formField.strip();
    }

    /** A new random token (32 bytes, base64url): the sign-in form's double-submit value. */
    public static String newToken() {
        return Secrets.newSecret("");
    }
}
