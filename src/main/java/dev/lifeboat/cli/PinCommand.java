package dev.lifeboat.cli;

import dev.lifeboat.repository.Repository;
import dev.lifeboat.storage.Storage;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.util.concurrent.Callable;

@Command(name = "pin", mixinStandardHelpOptions = true, description = "Keep a backup whatever the retention policy says, until unpinned.")
final class PinCommand implements Callable<Integer> {
    @Mixin
    Common common;

    @Parameters(paramLabel = "ID", description = "Backup id, a unique start or end of it (such as its 6 hex digits), or 'latest'.")
    String id;

    @Option(names = "--note", description = "Why it is pinned, shown by show --json.")
    String note;

    @Override
    public Integer call() throws Exception {
        try (Storage storage = common.openStorage()) {
            Repository repo = common.openRepository(storage);
            String full = repo.resolve(id);
            repo.pin(full, note);
            System.out.println("Pinned " + full + ": prune will keep it.");
        }
        return 0;
    }

    @Command(name = "unpin", mixinStandardHelpOptions = true, description = "Let retention decide about a pinned backup again.")
    static final class Unpin implements Callable<Integer> {
        @Mixin
        Common common;

        @Parameters(paramLabel = "ID", description = "Backup id, a unique start or end of it (such as its 6 hex digits), or 'latest'.")
        String id;

        @Override
        public Integer call() throws Exception {
            try (Storage storage = common.openStorage()) {
                Repository repo = common.openRepository(storage);
                String full = repo.resolve(id);
                repo.unpin(full);
                System.out.println("Unpinned " + full + ".");
            }
            return 0;
        }
    }
}
