package dev.lifeboat.cli;

import dev.lifeboat.core.ErrorCode;
import dev.lifeboat.core.LifeboatException;
import dev.lifeboat.crypto.Age;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.concurrent.Callable;

@Command(name = "keygen", mixinStandardHelpOptions = true, description = "Create an age identity file (like age-keygen) and print its public key.")
final class KeygenCommand implements Callable<Integer> {
    @Option(names = {"-o", "--output"}, required = true, paramLabel = "FILE", description = "Identity file to create (0600)")
    Path output;

    @Override
    public Integer call() throws Exception {
        if (Files.exists(output)) {
            throw new LifeboatException(ErrorCode.USAGE, output + " already exists",
                    "choose another file; an identity is never overwritten");
        }
        String[] pair = Age.generate();
        Files.createFile(output, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        Files.writeString(output, "# created by lifeboat keygen\n# public key: " + pair[1] + "\n" + pair[0] + "\n");
        System.out.println(pair[1]);
        return 0;
    }
}
