package dev.lifeboat.core;

import java.security.SecureRandom;
import java.util.Base64;

/** Random secrets: API tokens, session ids, confirmation and CSRF tokens. */
public final class Secrets {
    private static final SecureRandom RANDOM = new SecureRandom();

    private Secrets() {}

    /** A secret of 32 random bytes, base64url without padding (43 characters), after {@code prefix}. */
    public static String newSecret(String prefix) {
        byte[] secret = new byte[32];
        RANDOM.nextBytes(secret);
        return prefix + Base64.getUrlEncoder().withoutPadding().encodeToString(secret);
    }
}
