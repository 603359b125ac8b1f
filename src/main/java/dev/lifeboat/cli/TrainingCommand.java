package dev.lifeboat.cli;

import dev.lifeboat.crypto.Age;
import dev.lifeboat.repository.Artifact;
import dev.lifeboat.repository.ChunkWriter;
import dev.lifeboat.repository.ChunkerParams;
import dev.lifeboat.repository.Json;
import dev.lifeboat.repository.Keys;
import dev.lifeboat.repository.LocalKeyCache;
import dev.lifeboat.repository.Manifest;
import dev.lifeboat.repository.Repository;
import dev.lifeboat.storage.Storage;
import dev.lifeboat.storage.Storages;
import picocli.CommandLine.Command;

import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Random;
import java.util.concurrent.Callable;

/**
 * Exercises the code paths of backup, restore, list and S3 in a scratch folder, with no database and no
 * network, so that the launcher can record the classes they load in a class-data-sharing archive
 * ({@code -XX:ArchiveClassesAtExit}); later starts map them instead of loading them, which saves a few
 * tenths of a second of CPU on every command.
 */
@Command(name = "cds-training", hidden = true)
final class TrainingCommand implements Callable<Integer> {
    @Override
    public Integer call() throws Exception {
        Path dir = Files.createTempDirectory("lifeboat-cds-");
        try {
            String[] key = Age.generate();
            for (List<String> recipients : List.of(List.<String>of(), List.of(key[1]))) {
                Path root = dir.resolve(recipients.isEmpty() ? "plain" : "encrypted");
                try (Storage storage = Storages.openWithRetries(root.toString())) {
                    Repository repo = Repository.init(storage, recipients, ChunkerParams.DEFAULT, 3,
                            new LocalKeyCache(dir.resolve("keys")));
                    Keys keys = recipients.isEmpty() ? Keys.PLAIN : repo.readKeys(List.of(key[0]));
                    byte[] data = new byte[3 << 20];
                    new Random(1).nextBytes(data);
                    Artifact a;
                    try (ChunkWriter w = repo.chunkWriter(keys, 3, 2)) {
                        a = w.write("t.dump", "t", Artifact.PG_DUMP_CUSTOM, new ByteArrayInputStream(data), n -> {});
                        w.flush();
                    }
                    Instant now = Instant.now();
                    repo.commit(new Manifest(Manifest.FORMAT_VERSION, "20000101T000000Z-000000", null, Manifest.COMPLETED,
                            now, now, "training", "localhost", List.of(), List.of(a), a.size(), a.storedSize(), 0, null));
                    Json.MAPPER.writeValueAsString(repo.entries());
                    try (InputStream in = repo.artifactReader(keys).open(a)) {
                        in.transferTo(java.io.OutputStream.nullOutputStream());
                    }
                }
            }
            // Building an S3 client loads most of the SDK; nothing is sent.
            try (Storage s3 = Storages.openWithRetries("s3://training/x?endpoint=http://127.0.0.1:9&region=us-east-1")) {
                s3.location();
            }
        } finally {
            try (var files = Files.walk(dir)) {
                files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
        return 0;
    }
}
