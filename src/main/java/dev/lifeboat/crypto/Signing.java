package dev.lifeboat.crypto;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.MessageDigest;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.Signature;
import java.security.spec.PKCS8EncodedKeySpec;
import java.security.spec.X509EncodedKeySpec;
import java.util.Base64;

/**
 * Ed25519 signatures of manifests, with the JDK's own implementation (RFC 8032). A public key is written
 * {@code ed25519:<base64 of its X.509 SubjectPublicKeyInfo>}, one line, so that it fits in a JSON field, a comment
 * of an age identity file and an environment variable; {@code base64 -d} of the part after the colon is the DER
 * public key {@code openssl pkeyutl -verify -pubin -keyform DER} reads. A private key is a PKCS#8 PEM file, as
 * {@code openssl genpkey -algorithm ed25519} writes it. A signature is the raw 64 bytes.
 */
public final class Signing {
    public static final String ALGORITHM = "ed25519";
    private static final String PREFIX = ALGORITHM + ":";
    private static final String PEM_BEGIN = "-----BEGIN PRIVATE KEY-----";
    private static final String PEM_END = "-----END PRIVATE KEY-----";

    private Signing() {}

    public static KeyPair generate() {
        try {
            return KeyPairGenerator.getInstance("Ed25519").generateKeyPair();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("this Java runtime has no Ed25519 (Java 15 or later has)", e);
        }
    }

    /** {@code ed25519:<base64 DER>}. */
    public static String publicKeyText(PublicKey key) {
        return PREFIX + Base64.getEncoder().encodeToString(key.getEncoded());
    }

    /**
     * Parses {@link #publicKeyText}'s form.
     *
     * @throws IllegalArgumentException naming what is wrong (never echoing more than the start of the text)
     */
    public static PublicKey parsePublicKey(String text) {
        if (text == null || !text.trim().startsWith(PREFIX)) {
            throw new IllegalArgumentException("a signing public key starts with '" + PREFIX + "'");
        }
        try {
            byte[] der = Base64.getDecoder().decode(text.trim().substring(PREFIX.length()));
            return KeyFactory.getInstance("Ed25519").generatePublic(new X509EncodedKeySpec(der));
        } catch (IllegalArgumentException | GeneralSecurityException e) {
            throw new IllegalArgumentException("'" + abbreviate(text) + "' is not an Ed25519 public key");
        }
    }

    /** The PKCS#8 PEM text of a private key. */
    public static String privateKeyPem(PrivateKey key) {
        String body = Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(key.getEncoded());
        return PEM_BEGIN + "\n" + body + "\n" + PEM_END + "\n";
    }

    /** Parses a PKCS#8 PEM Ed25519 private key; lines outside the PEM block (comments) are ignored. */
    public static PrivateKey parsePrivateKey(String pem) {
        int begin = pem.indexOf(PEM_BEGIN);
        int end = pem.indexOf(PEM_END);
        if (begin < 0 || end < begin) {
            throw new IllegalArgumentException("not a PEM private key (no '" + PEM_BEGIN + "' block)");
        }
        try {
            byte[] der = Base64.getMimeDecoder().decode(pem.substring(begin + PEM_BEGIN.length(), end));
            return KeyFactory.getInstance("Ed25519").generatePrivate(new PKCS8EncodedKeySpec(der));
        } catch (IllegalArgumentException | GeneralSecurityException e) {
            throw new IllegalArgumentException("the PEM block is not an Ed25519 private key");
        }
    }

    /** The public half of an Ed25519 private key (the JDK keeps no link between the two). */
    public static PublicKey publicKeyOf(PrivateKey key) {
        // The JDK derives no public key from a private one, but its generator makes the key pair of the 32-byte seed
        // it draws from its random source: hand it the private key's seed as that source.
        try {
            var spec = KeyFactory.getInstance("Ed25519").getKeySpec(key, java.security.spec.EdECPrivateKeySpec.class);
            byte[] seed = spec.getBytes();
            KeyPairGenerator g = KeyPairGenerator.getInstance("Ed25519");
            g.initialize(java.security.spec.NamedParameterSpec.ED25519, new FixedRandom(seed));
            return g.generateKeyPair().getPublic();
        } catch (GeneralSecurityException e) {
            throw new IllegalArgumentException("not an Ed25519 private key", e);
        }
    }

    public static byte[] sign(PrivateKey key, byte[] message) {
        try {
            Signature s = Signature.getInstance("Ed25519");
            s.initSign(key);
            s.update(message);
            return s.sign();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("Ed25519 signing failed", e);
        }
    }

    public static boolean verify(PublicKey key, byte[] message, byte[] signature) {
        try {
            Signature s = Signature.getInstance("Ed25519");
            s.initVerify(key);
            s.update(message);
            return s.verify(signature);
        } catch (GeneralSecurityException | IllegalArgumentException e) {
            return false; // a malformed signature is a wrong one
        }
    }

    /** {@code SHA256:<base64, no padding>} of the DER public key, as ssh-keygen prints fingerprints. */
    public static String fingerprint(PublicKey key) {
        try {
            byte[] h = MessageDigest.getInstance("SHA-256").digest(key.getEncoded());
            return "SHA256:" + Base64.getEncoder().withoutPadding().encodeToString(h);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String abbreviate(String s) {
        String t = s.trim();
        return t.length() > 16 ? t.substring(0, 16) + "..." : t;
    }

    /** Hands out the seed once: the generator's only randomness, so it derives the key pair of that seed. */
    private static final class FixedRandom extends java.security.SecureRandom {
        private final byte[] seed;

        FixedRandom(byte[] seed) {
            this.seed = seed.clone();
        }

        @Override
        public void nextBytes(byte[] bytes) {
            if (bytes.length != seed.length) {
                throw new IllegalStateException("unexpected request for " + bytes.length + " random bytes");
            }
            System.arraycopy(seed, 0, bytes, 0, seed.length);
        }
    }
}
