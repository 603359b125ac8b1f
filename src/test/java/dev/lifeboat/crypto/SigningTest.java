package dev.lifeboat.crypto;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.PrivateKey;
import java.util.Base64;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class SigningTest {
    @TempDir
    Path dir;

    @Test
    void signaturesVerifyOnlyForTheExactBytesAndTheKeyThatMadeThem() {
        KeyPair a = Signing.generate();
        KeyPair b = Signing.generate();
        byte[] message = "{\"id\": \"x\"}\n".getBytes(StandardCharsets.UTF_8);
        byte[] sig = Signing.sign(a.getPrivate(), message);
        assertThat(sig).hasSize(64);
        assertThat(Signing.verify(a.getPublic(), message, sig)).isTrue();
        assertThat(Signing.verify(b.getPublic(), message, sig)).isFalse();
        byte[] altered = message.clone();
        altered[3] ^= 1;
        assertThat(Signing.verify(a.getPublic(), altered, sig)).isFalse();
        assertThat(Signing.verify(a.getPublic(), message, new byte[64])).isFalse();
        assertThat(Signing.verify(a.getPublic(), message, new byte[3])).isFalse();
    }

    @Test
    void keysSurviveTheirTextFormsAndThePublicHalfIsDerivedFromThePrivateOne() {
        KeyPair a = Signing.generate();
        String text = Signing.publicKeyText(a.getPublic());
        assertThat(text).startsWith("ed25519:");
        assertThat(Signing.parsePublicKey(text).getEncoded()).isEqualTo(a.getPublic().getEncoded());
        PrivateKey back = Signing.parsePrivateKey(Signing.privateKeyPem(a.getPrivate()));
        assertThat(Signing.publicKeyOf(back).getEncoded()).isEqualTo(a.getPublic().getEncoded());
        assertThat(Signing.fingerprint(a.getPublic())).startsWith("SHA256:").isNotEqualTo(
                Signing.fingerprint(Signing.generate().getPublic()));
        assertThatThrownBy(() -> Signing.parsePublicKey("age1qqqq")).hasMessageContaining("starts with 'ed25519:'");
        assertThatThrownBy(() -> Signing.parsePublicKey("ed25519:AAAA")).hasMessageContaining("not an Ed25519");
        assertThatThrownBy(() -> Signing.parsePrivateKey("hello")).hasMessageContaining("not a PEM");
    }

    /** The no-Lifeboat recipe: OpenSSL checks Lifeboat's signatures, and Lifeboat uses OpenSSL's keys. */
    @Test
    void opensslVerifiesOurSignaturesAndMakesKeysWeRead() throws Exception {
        KeyPair a = Signing.generate();
        Path message = dir.resolve("manifest.json");
        Files.writeString(message, "{\"formatVersion\": 1}\n");
        Files.write(dir.resolve("manifest.sig"), Signing.sign(a.getPrivate(), Files.readAllBytes(message)));
        String text = Signing.publicKeyText(a.getPublic());
        Files.write(dir.resolve("key.der"), Base64.getDecoder().decode(text.substring("ed25519:".length())));
        assertThat(run("openssl", "pkeyutl", "-verify", "-pubin", "-keyform", "DER", "-inkey", "key.der", "-rawin",
                "-in", "manifest.json", "-sigfile", "manifest.sig")).isZero();
        Files.writeString(message, "{\"formatVersion\": 2}\n");
        assertThat(run("openssl", "pkeyutl", "-verify", "-pubin", "-keyform", "DER", "-inkey", "key.der", "-rawin",
                "-in", "manifest.json", "-sigfile", "manifest.sig")).isNotZero();

        assertThat(run("openssl", "genpkey", "-algorithm", "ed25519", "-out", "openssl.pem")).isZero();
        assertThat(run("openssl", "pkey", "-in", "openssl.pem", "-pubout", "-outform", "DER", "-out", "openssl.pub"))
                .isZero();
        PrivateKey theirs = Signing.parsePrivateKey(Files.readString(dir.resolve("openssl.pem")));
        assertThat(Signing.publicKeyOf(theirs).getEncoded()).isEqualTo(Files.readAllBytes(dir.resolve("openssl.pub")));
    }

    private int run(String... command) throws Exception {
        Process p = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        return p.waitFor();
    }
}
