package dev.lifeboat.crypto;

import com.exceptionfactory.jagged.RecipientStanzaReader;
import com.exceptionfactory.jagged.RecipientStanzaWriter;
import com.exceptionfactory.jagged.framework.stream.StandardDecryptingChannelFactory;
import com.exceptionfactory.jagged.framework.stream.StandardEncryptingChannelFactory;
import com.exceptionfactory.jagged.x25519.X25519KeyPairGenerator;
import com.exceptionfactory.jagged.x25519.X25519RecipientStanzaReaderFactory;
import com.exceptionfactory.jagged.x25519.X25519RecipientStanzaWriterFactory;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.WritableByteChannel;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.util.ArrayList;
import java.util.List;

/**
 * The age file format (age-encryption.org/v1) with X25519 recipients, through the jagged library.
 * Everything Lifeboat encrypts is a standard age file that the {@code age} command can decrypt.
 */
public final class Age {
    private Age() {}

    /** Checks that each string is an X25519 recipient ({@code age1...}); throws with the bad one named. */
    public static List<RecipientStanzaWriter> recipients(List<String> publicKeys) {
        List<RecipientStanzaWriter> out = new ArrayList<>();
        for (String key : publicKeys) {
            try {
                out.add(X25519RecipientStanzaWriterFactory.newRecipientStanzaWriter(key.trim()));
            } catch (GeneralSecurityException | RuntimeException e) {
                throw new IllegalArgumentException("'" + abbreviate(key) + "' is not an age X25519 recipient "
                        + "(expected a public key starting with age1, as printed by age-keygen)", e);
            }
        }
        if (out.isEmpty()) {
            throw new IllegalArgumentException("no recipients given");
        }
        return out;
    }

    /** Readers for private keys ({@code AGE-SECRET-KEY-1...}). */
    public static List<RecipientStanzaReader> identities(List<String> privateKeys) throws GeneralSecurityException {
        List<RecipientStanzaReader> out = new ArrayList<>();
        for (String key : privateKeys) {
            out.add(X25519RecipientStanzaReaderFactory.newRecipientStanzaReader(key.trim()));
        }
        return out;
    }

    public static byte[] encrypt(byte[] plain, List<RecipientStanzaWriter> recipients) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream(plain.length + 256);
        try (WritableByteChannel ch = new StandardEncryptingChannelFactory()
                .newEncryptingChannel(Channels.newChannel(out), recipients)) {
            ByteBuffer b = ByteBuffer.wrap(plain);
            while (b.hasRemaining()) {
                ch.write(b);
            }
        } catch (GeneralSecurityException e) {
            throw new IOException("age encryption failed: " + e.getMessage(), e);
        }
        return out.toByteArray();
    }

    /**
     * Decrypts a whole age file held in memory.
     *
     * @throws GeneralSecurityException when no identity matches a recipient or the file was altered
     */
    public static byte[] decrypt(byte[] encrypted, List<RecipientStanzaReader> identities)
            throws IOException, GeneralSecurityException {
        try (ReadableByteChannel ch = new StandardDecryptingChannelFactory()
                .newDecryptingChannel(Channels.newChannel(new ByteArrayInputStream(encrypted)), identities);
             InputStream in = Channels.newInputStream(ch)) {
            return in.readAllBytes();
        }
    }

    /** A new key pair: {@code [identity, recipient]} as age prints them. */
    public static String[] generate() {
        try {
            KeyPair pair = new X25519KeyPairGenerator().generateKeyPair();
            return new String[] {pair.getPrivate().toString(), pair.getPublic().toString()};
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("X25519 is not available in this JVM", e);
        }
    }

    private static String abbreviate(String s) {
        return s.length() > 24 ? s.substring(0, 24) + "..." : s;
    }
}
