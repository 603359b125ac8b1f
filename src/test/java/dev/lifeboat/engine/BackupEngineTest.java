package dev.lifeboat.engine;

import dev.lifeboat.repository.Artifact;
import dev.lifeboat.repository.BackupEntry;
import dev.lifeboat.repository.Manifest;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.List;
import java.util.OptionalLong;

import static org.assertj.core.api.Assertions.assertThat;

class BackupEngineTest {
    private static final Instant T = Instant.parse("2026-11-21T10:00:00Z");

    /** A backup as the service's catalog holds it: manifest without chunk lists. */
    private static BackupEntry entry(String id, long minutes, Artifact... artifacts) {
        Manifest m = new Manifest(1, id, null, Manifest.COMPLETED, T.plusSeconds(60 * minutes), T.plusSeconds(60 * minutes),
                "test", "h", List.of(), List.of(artifacts), 0, 0, 0, null);
        return new BackupEntry(id, m.withoutChunks(), null, null, false);
    }

    private static Artifact dump(String database, long size) {
        return new Artifact(database + ".dump", database, "pg_dump-custom", size, size / 3, "ab".repeat(32), List.of());
    }

    @Test
    void theEstimateIsTheDumpsSizeInTheNewestBackupHoldingIt() {
        List<BackupEntry> oldestFirst = List.of(
                entry("20261121T100000Z-aaaaaa", 0, dump("app", 1_000), dump("billing", 50)),
                entry("20261121T100100Z-bbbbbb", 1, dump("app", 2_000)),
                new BackupEntry("20261121T100200Z-cccccc", null, "unreadable manifest", null, false),
                entry("20261121T100300Z-dddddd", 3, dump("other", 7)));
        assertThat(BackupEngine.lastDumpSize(oldestFirst, "app")).isEqualTo(OptionalLong.of(2_000));
        assertThat(BackupEngine.lastDumpSize(oldestFirst, "billing")).isEqualTo(OptionalLong.of(50));
        assertThat(BackupEngine.lastDumpSize(oldestFirst, "missing")).isEmpty();
        assertThat(BackupEngine.lastDumpSize(List.of(), "app")).isEmpty();
    }
}
