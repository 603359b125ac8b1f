package dev.lifeboat.cli;

import dev.lifeboat.core.ErrorCode;
import dev.lifeboat.core.LifeboatException;
import dev.lifeboat.config.Settings;
import dev.lifeboat.crypto.Age;
import dev.lifeboat.repository.LocalKeyCache;
import dev.lifeboat.crypto.IdentityFile;
import dev.lifeboat.crypto.Signing;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyPair;
import java.util.concurrent.Callable;

@Command(name = "keygen", mixinStandardHelpOptions = true, description = {
        "Create an age identity file (like age-keygen) and a signing key, and print the identity's public key.",
        "FILE holds the age identity and the signing key's public half: keep it away from the backup host, for "
                + "restores. FILE.signing-key holds the key that signs backups: give it to the backup host (lifeboat "
                + "init --signing-key, or LIFEBOAT_SIGNING_KEY) with the printed recipient, then delete it here."})
final class KeygenCommand implements Callable<Integer> {
    @Option(names = {"-o", "--output"}, required = true, paramLabel = "FILE", description = "Identity file to create (0600)")
    Path output;

    @Override
    public Integer call() throws Exception {
        Path signing = output.resolveSibling(output.getFileName() + ".signing-key");
        for (Path p : new Path[] {output, signing}) {
            if (Files.exists(p)) {
                throw new LifeboatException(ErrorCode.USAGE, p + " already exists",
                        "choose another file; an identity or key is never overwritten");
            }
        }
        String[] pair = Age.generate();
        KeyPair sign = Signing.generate();
        var mode = PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------"));
        Files.createFile(output, mode);
        Files.writeString(output, "# created by lifeboat keygen\n# public key: " + pair[1] + "\n"
                + IdentityFile.SIGNING_KEY_COMMENT + Signing.publicKeyText(sign.getPublic()) + "\n" + pair[0] + "\n");
        Files.createFile(signing, mode);
        Files.writeString(signing, Signing.privateKeyPem(sign.getPrivate()));
        // On this host, init --recipient of this identity finds the signing key by itself.
        new LocalKeyCache(Settings.load(null, System.getenv()).keyDir).storeSigningKeyForRecipient(pair[1], sign.getPrivate());
        System.out.println(pair[1]);
        System.err.println("Wrote " + output + " (identity, for restores: keep it off the backup host) and " + signing
                + " (signing key " + Signing.fingerprint(sign.getPublic()) + "). 'lifeboat init --recipient " + pair[1]
                + "' on this host signs with it; on another backup host, add --signing-key " + signing + ".");
        return 0;
    }
}
