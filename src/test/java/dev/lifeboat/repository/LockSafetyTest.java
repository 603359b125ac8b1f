package dev.lifeboat.repository;

import dev.lifeboat.core.ErrorCode;
import dev.lifeboat.core.LifeboatException;
import dev.lifeboat.storage.MemoryStorage;
import dev.lifeboat.testing.MutableClock;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * What a lock blob must never be taken for: garbage is an unknown process's lock until its blob ages out, a newer
 * format's is a conflict, a pid counts only in its own process space.
 */
class LockSafetyTest {
    private static final Duration STALE = Duration.ofMinutes(5);

    private static void assertConflict(MemoryStorage storage, String name, String why, String hint) {
        assertThatThrownBy(() -> RepositoryLock.acquire(storage, RepositoryLock.Kind.SHARED, "backup", STALE,
                Clock.systemUTC()))
                .isInstanceOf(LifeboatException.class)
                .satisfies(e -> assertThat(((LifeboatException) e).code()).isEqualTo(ErrorCode.LOCKED))
                .hasMessageContaining(name).hasMessageContaining(why)
                .satisfies(e -> assertThat(((LifeboatException) e).hint()).contains(hint));
    }

    @Test
    void aLockBlobThatCannotBeReadIsAnUnknownProcesssLockThatAgesOutByItsBlobsTime() throws IOException {
        MutableClock storageClock = new MutableClock(Instant.parse("2026-11-21T03:00:00Z"));
        MemoryStorage storage = new MemoryStorage(storageClock);
        String[][] cases = {
                {"{}", "has no id"},
                {"null", "not a JSON object"},
                {"[1,2]", "not a JSON object"},
                {"", "it is empty"},
                {"\u0000garbage", "not JSON"},
                {"{\"id\": \"x\", \"kind\": \"SHARED\"", "not JSON"},
                {"{\"id\": \"x\", \"host\": \"h\", \"created\": \"2026-11-21T03:00:00Z\", \"heartbeat\": \"2026-11-21T03:00:00Z\"}", "no kind"},
                {"{\"id\": \"x\", \"kind\": \"SOMETIMES\"}", "not a valid lock: kind"},
                {"{\"formatVersion\": \"one\", \"id\": \"x\"}", "is not a version"},
        };
        for (String[] c : cases) {
            storage.write("locks/odd.json", c[0].getBytes(StandardCharsets.UTF_8));
            // Fresh, it may be the lock of a process of any kind: a conflict, named, with what to do.
            assertConflict(storage, "locks/odd.json", c[1], "broken once it has gone unwritten for 5 minutes");
            storageClock.advance(STALE);
            assertConflict(storage, "locks/odd.json", c[1], "delete locks/odd.json");
            assertThat(storage.list("locks/")).hasSize(1); // our own attempt left nothing behind
            // Unwritten for longer than the stale time, it is no live process's: a live one rewrites its blob.
            storageClock.advance(Duration.ofSeconds(1));
            try (RepositoryLock mine = RepositoryLock.acquire(storage, RepositoryLock.Kind.EXCLUSIVE, "prune", STALE,
                    Clock.systemUTC())) {
                assertThat(storage.stat("locks/odd.json")).as(c[0]).isEmpty();
            }
        }
        // A lock of a newer format is a conflict whatever its age: nothing says how that release keeps it alive.
        storage.write("locks/odd.json", "{\"formatVersion\": 2, \"id\": \"x\", \"kind\": \"SHARED\"}"
                .getBytes(StandardCharsets.UTF_8));
        assertConflict(storage, "locks/odd.json", "format version 2", "upgrade Lifeboat");
        storageClock.advance(Duration.ofHours(1));
        assertConflict(storage, "locks/odd.json", "format version 2", "delete locks/odd.json");
        assertThat(storage.stat("locks/odd.json")).isPresent();
    }

    @Test
    void theDocumentedLowerCaseKindIsReadAsTheUpperCaseOneWritten() throws IOException {
        MemoryStorage storage = new MemoryStorage();
        Instant now = Instant.now();
        storage.write("locks/lower.json", ("{\"id\": \"lower\", \"kind\": \"exclusive\", \"purpose\": \"prune\", "
                + "\"host\": \"elsewhere\", \"pid\": 1, \"created\": \"" + now + "\", \"heartbeat\": \"" + now + "\"}")
                .getBytes(StandardCharsets.UTF_8));
        assertThatThrownBy(() -> RepositoryLock.acquire(storage, RepositoryLock.Kind.SHARED, "backup", STALE,
                Clock.systemUTC())).hasMessageContaining("locked by prune on host elsewhere");
        storage.delete("locks/lower.json");
        try (RepositoryLock mine = RepositoryLock.acquire(storage, RepositoryLock.Kind.SHARED, "backup", STALE,
                Clock.systemUTC())) {
            String written = new String(storage.readAllBytes("locks/" + mine.info().id() + ".json"), StandardCharsets.UTF_8);
            assertThat(written).contains("\"kind\" : \"SHARED\"");
            if (RepositoryLock.machine() != null) {
                assertThat(written).contains(RepositoryLock.machine());
            }
        }
    }

    @Test
    void aDeadPidIsTrustedOnlyInTheSameProcessSpaceNotOnAHostOfTheSameName() throws Exception {
        MemoryStorage storage = new MemoryStorage();
        long deadPid = deadPid();
        Instant now = Instant.now();
        String host = RepositoryLock.hostname();
        // Another container with our host name: its pid means nothing here, and its blob is fresh.
        storage.write("locks/container.json", Json.MAPPER.writeValueAsBytes(new RepositoryLock.Info("container",
                RepositoryLock.Kind.EXCLUSIVE, "prune", host, deadPid, now, now, "other-boot/pid:[1]")));
        assertThatThrownBy(() -> RepositoryLock.acquire(storage, RepositoryLock.Kind.SHARED, "backup", STALE,
                Clock.systemUTC())).hasMessageContaining("locked by prune");
        // A lock of an earlier release (no machine recorded) is judged by its age alone, too.
        storage.write("locks/container.json", Json.MAPPER.writeValueAsBytes(new RepositoryLock.Info("container",
                RepositoryLock.Kind.EXCLUSIVE, "prune", host, deadPid, now, now)));
        assertThatThrownBy(() -> RepositoryLock.acquire(storage, RepositoryLock.Kind.SHARED, "backup", STALE,
                Clock.systemUTC())).hasMessageContaining("locked by prune");
        assertThat(RepositoryLock.machine()).as("this test runs on Linux").isNotNull();
        // Our own process space: a dead pid is a dead lock, broken at once.
        storage.write("locks/container.json", Json.MAPPER.writeValueAsBytes(new RepositoryLock.Info("container",
                RepositoryLock.Kind.EXCLUSIVE, "prune", host, deadPid, now, now, RepositoryLock.machine())));
        try (RepositoryLock mine = RepositoryLock.acquire(storage, RepositoryLock.Kind.SHARED, "backup", STALE,
                Clock.systemUTC())) {
            assertThat(storage.stat("locks/container.json")).isEmpty();
        }
    }

    @Test
    void aHolderPausedPastAQuarterOfTheStaleTimeLooksAgainBeforeItDeletes() throws Exception {
        MemoryStorage storage = new MemoryStorage();
        Duration stale = Duration.ofMillis(800); // heartbeats every 200 ms
        try (RepositoryLock prune = RepositoryLock.acquire(storage, RepositoryLock.Kind.EXCLUSIVE, "prune", stale,
                Clock.systemUTC())) {
            prune.confirmBeforeDelete();
            // Another process broke it as stale: the next delete is refused.
            storage.delete("locks/" + prune.info().id() + ".json");
            Thread.sleep(450);
            assertThatThrownBy(prune::confirmBeforeDelete).isInstanceOf(LifeboatException.class)
                    .hasMessageContaining("was broken by another process");
            assertThat(storage.stat("locks/" + prune.info().id() + ".json")).as("never resurrected").isEmpty();
        }
    }

    private static long deadPid() throws Exception {
        Process p = new ProcessBuilder("true").start();
        p.waitFor();
        return p.pid();
    }
}
