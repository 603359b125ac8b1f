package dev.lifeboat.storage;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class MemoryStorageTest extends StorageContractTest {

    @Override
    protected Storage createStorage() {
        return new MemoryStorage();
    }

    /** A write to memory is one map update: it leaves nothing behind when it fails. */
    @Override
    protected boolean makeDebris(String name) {
        return false;
    }

    @Override
    protected int countDebris() {
        return 0;
    }

    @Test
    void stampsBlobsWithTheGivenClock() throws IOException {
        Instant t = Instant.parse("2026-11-21T03:00:00Z");
        try (MemoryStorage s = new MemoryStorage(Clock.fixed(t, ZoneOffset.UTC))) {
            s.write("manifests/m1.json", new byte[3]);

            assertThat(s.stat("manifests/m1.json")).get().extracting(BlobInfo::lastModified).isEqualTo(t);
        }
    }

    @Test
    void helpersShowWhatWasWritten() throws IOException {
        MemoryStorage s = new MemoryStorage();
        s.write("b", new byte[2]);
        s.write("a/x", new byte[3]);
        s.corrupt("b", new byte[] {7});

        assertThat(s.names()).containsExactly("a/x", "b");
        assertThat(s.size()).isEqualTo(2);
        assertThat(s.totalBytes()).isEqualTo(4);
        assertThat(s.readAllBytes("b")).containsExactly(7);
        assertThatThrownBy(() -> s.corrupt("missing", new byte[0])).isInstanceOf(java.nio.file.NoSuchFileException.class);
    }

    @Test
    void closedStorageRefusesWork() {
        MemoryStorage s = new MemoryStorage();
        s.close();

        assertThatThrownBy(() -> s.list("")).isInstanceOf(IllegalStateException.class);
    }
}
