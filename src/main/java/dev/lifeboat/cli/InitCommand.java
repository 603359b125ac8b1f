package dev.lifeboat.cli;

import dev.lifeboat.repository.ChunkerParams;
import dev.lifeboat.repository.Repository;
import dev.lifeboat.storage.Storage;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.util.List;
import java.util.concurrent.Callable;

@Command(name = "init", description = "Create a repository (encrypted when recipients are given).")
final class InitCommand implements Callable<Integer> {
    @Mixin
    Common common;

    @Option(names = "--recipient", paramLabel = "AGE_PUBLIC_KEY",
            description = "Encrypt to this age public key (age1...); repeat for several. Default: LIFEBOAT_RECIPIENTS.")
    List<String> recipients;

    @Override
    public Integer call() throws Exception {
        var settings = common.settings();
        List<String> to = recipients != null ? recipients : settings.recipients;
        try (Storage storage = common.openStorage()) {
            Repository repo = Repository.init(storage, to, ChunkerParams.DEFAULT, settings.compressionLevel,
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
