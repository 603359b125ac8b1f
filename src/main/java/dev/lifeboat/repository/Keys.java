package dev.lifeboat.repository;

import com.exceptionfactory.jagged.RecipientStanzaReader;
import com.exceptionfactory.jagged.RecipientStanzaWriter;

import java.util.List;

/**
 * The secrets a repository operation holds. Writing an encrypted repository needs the recipients
 * (public) and the chunk-id key (which names chunks but cannot decrypt anything); reading needs
 * identities (private keys).
 *
 * @param chunkIdKey  HMAC key for chunk ids; null in plain repositories, or when not available
 * @param recipients  empty in plain repositories
 * @param identities  empty when no identity was given
 * @param signingKey  the private key that signs manifests, for writing; null for reading, and in repositories of
 *                    format 1, whose manifests are unsigned
 */
public record Keys(byte[] chunkIdKey, List<RecipientStanzaWriter> recipients, List<RecipientStanzaReader> identities,
                   java.security.PrivateKey signingKey) {
    public static final Keys PLAIN = new Keys(null, List.of(), List.of());

    public Keys(byte[] chunkIdKey, List<RecipientStanzaWriter> recipients, List<RecipientStanzaReader> identities) {
        this(chunkIdKey, recipients, identities, null);
    }

    public Keys withSigningKey(java.security.PrivateKey key) {
        return new Keys(chunkIdKey, recipients, identities, key);
    }

    public boolean canDecrypt() {
        return !identities.isEmpty();
    }
}
