package dev.lifeboat.cli;

import dev.lifeboat.core.ErrorCode;
import dev.lifeboat.core.LifeboatException;
import dev.lifeboat.repository.ChunkerParams;
import dev.lifeboat.repository.Repository;
import dev.lifeboat.storage.Storage;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.util.List;
import java.util.concurrent.Callable;

@Command(name = "init", mixinStandardHelpOptions = true, description = "Create a repository (encrypted when recipients are given).")
final class InitCommand implements Callable<Integer> {
    @Mixin
    Common common;

    @Option(names = "--recipient", paramLabel = "AGE_PUBLIC_KEY",
            description = "Encrypt to this age public key (age1...); repeat for several. Default: LIFEBOAT_RECIPIENTS.")
    List<String> recipients;

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
        try (Storage storage = common.openStorage()) {
            Repository repo = Repository.init(storage, to, chunker, settings.compressionLevel,
                    common.keyCache());
            System.out.println("Created " + (repo.config().encrypted() ? "encrypted " : "") + "repository "
                    + repo.config().id() + " at " + storage.location());
            if (repo.config().encrypted()) {
                System.out.println("Backups are encrypted to " + String.join(", ", to)
                        + ". Keep the matching identity safe and away from this host: restores need it.");
                System.out.println("This host's chunk-id key: " + common.keyCache().fileFor(repo.config().id()));
            }
        }
        return 0;
    }
}
