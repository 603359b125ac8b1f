package dev.lifeboat.cli;

import dev.lifeboat.core.ErrorCode;
import dev.lifeboat.core.LifeboatException;
import dev.lifeboat.repository.ChunkerParams;
import dev.lifeboat.repository.Repository;
import dev.lifeboat.storage.Storage;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import dev.lifeboat.crypto.IdentityFile;
import dev.lifeboat.crypto.Signing;
import dev.lifeboat.repository.LocalTrust;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.PrivateKey;
import java.util.List;
import java.util.concurrent.Callable;

@Command(name = "init", mixinStandardHelpOptions = true, description = "Create a repository (encrypted when recipients are given).")
final class InitCommand implements Callable<Integer> {
    @Mixin
    Common common;

    @Option(names = "--recipient", paramLabel = "AGE_PUBLIC_KEY",
            description = "Encrypt to this age public key (age1...); repeat for several. Default: LIFEBOAT_RECIPIENTS.")
    List<String> recipients;

    @Option(names = "--signing-key", paramLabel = "FILE",
            description = "Sign backups with this Ed25519 key, as 'lifeboat keygen' writes it beside the identity; "
                    + "default: LIFEBOAT_SIGNING_KEY, else the key 'lifeboat keygen' made on this host for the "
                    + "recipient, else a new key kept in the key folder.")
    Path signingKey;

    @Option(names = "--avg-chunk-size", paramLabel = "MiB", defaultValue = "2",
            description = "Average chunk size in MiB, a power of two from 1 to 8 (default: ${DEFAULT-VALUE}); "
                    + "fixed for the repository's life.")
    int avgChunkMiB;

    @Override
    public Integer call() throws Exception {
        var settings = common.settings();
        if (avgChunkMiB < 1 || avgChunkMiB > 8 || Integer.bitCount(avgChunkMiB) != 1) {
            throw new LifeboatException(ErrorCode.USAGE, "--avg-chunk-size must be 1, 2, 4 or 8 (MiB), not "
                    + avgChunkMiB, "leave it out to use 2 MiB");
        }
        ChunkerParams chunker = avgChunkMiB == 2 ? ChunkerParams.DEFAULT : ChunkerParams.withAverage(avgChunkMiB << 20);
        List<String> to = recipients != null ? recipients : settings.recipients;
        Path keyFile = signingKey != null ? signingKey : settings.signingKey;
        PrivateKey key = null;
        if (keyFile != null) {
            try {
                key = Signing.parsePrivateKey(Files.readString(keyFile));
            } catch (IOException | IllegalArgumentException e) {
                throw new LifeboatException(ErrorCode.USAGE, "cannot use signing key " + keyFile + ": " + e.getMessage(),
                        "give the FILE.signing-key that 'lifeboat keygen -o FILE' wrote, or leave it out for a new key");
            }
        }
        boolean madeByKeygen = false;
        if (key == null && !to.isEmpty()) {
            key = common.keyCache().signingKeyMadeFor(to).orElse(null);
            madeByKeygen = key != null;
        }
        try (Storage storage = common.openStorage()) {
            Repository repo = Repository.init(storage, to, chunker, settings.compressionLevel,
                    common.keyCache(), key, new LocalTrust(settings.keyDir));
            System.out.println("Created " + (repo.config().encrypted() ? "encrypted " : "") + "repository "
                    + repo.config().id() + " at " + storage.location());
            String publicKey = repo.config().signing().publicKey();
            System.out.println("Backups are signed with key " + Signing.fingerprint(Signing.parsePublicKey(publicKey))
                    + ", kept in " + common.keyCache().signingKeyFor(repo.config().id()) + ".");
            if (madeByKeygen) {
                System.out.println("It is the key 'lifeboat keygen' made with the identity of " + to.get(0)
                        + ", which names it: restores with that identity refuse backups not signed by it.");
            } else if (keyFile == null) {
                System.out.println("Keep its public half where restores happen: add this line to the identity file"
                        + " (restore and verify then refuse backups not signed by it):");
                System.out.println("  " + IdentityFile.SIGNING_KEY_COMMENT + publicKey);
            }
            if (repo.config().encrypted()) {
                System.out.println("Backups are encrypted to " + String.join(", ", to)
                        + ". Keep the matching identity safe and away from this host: restores need it.");
                System.out.println("This host's chunk-id key: " + common.keyCache().fileFor(repo.config().id()));
            }
        }
        return 0;
    }
}
