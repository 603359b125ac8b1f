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
 */
public record Keys(byte[] chunkIdKey, List<RecipientStanzaWriter> recipients, List<RecipientStanzaReader> identities) {
    public static final Keys PLAIN = new Keys(null, List.of(), List.of());

    public boolean canDecrypt() {
        return !identities.isEmpty();
    }
}
