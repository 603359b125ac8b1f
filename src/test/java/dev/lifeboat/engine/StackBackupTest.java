package dev.lifeboat.engine;

import dev.lifeboat.config.Hook;
import dev.lifeboat.core.ErrorCode;
import dev.lifeboat.core.LifeboatException;
import dev.lifeboat.repository.ChunkerParams;
import dev.lifeboat.repository.Keys;
import dev.lifeboat.repository.LocalKeyCache;
import dev.lifeboat.repository.Manifest;
import dev.lifeboat.repository.Repository;
import dev.lifeboat.source.SourceSpec;
import dev.lifeboat.source.postgres.PgTools;
import dev.lifeboat.storage.MemoryStorage;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Issue 15: a stack backup with hooks. Sources read while the stack is stopped run between before-backup and
 * after-backup, the others before the stop; after-backup runs whatever happened once before-backup has started; a
 * failure anywhere commits nothing and names what failed. The sources here are exec sources writing to one log, so
 * that the order of everything is what the log says.
 */
class StackBackupTest {
    @TempDir
    Path dir;
    Path log;
    Repository repo;
    Keys keys;

    @BeforeEach
    void setUp() throws Exception {
        log = dir.resolve("order.log");
        Files.createFile(log);
        repo = Repository.init(new MemoryStorage(), List.of(), new ChunkerParams(16 * 1024, 64 * 1024, 256 * 1024, 42),
                3, new LocalKeyCache(dir.resolve("keys")));
        keys = repo.writeKeys(new LocalKeyCache(dir.resolve("keys")), List.of());
    }

    private String say(String what) {
        return "echo " + what + " >> '" + log + "'";
    }

    private SourceSpec exec(String name, String backup, Object... more) {
        Map<String, Object> f = new LinkedHashMap<>();
        f.put("type", "exec");
        f.put("backup", backup);
        for (int i = 0; i < more.length; i += 2) {
            f.put((String) more[i], more[i + 1]);
        }
        return new SourceSpec(name, "exec", f);
    }

    private Map<String, Hook> hooks(String before, String after) {
        Map<String, Hook> h = new LinkedHashMap<>();
        if (before != null) {
            h.put("before-backup", new Hook("before-backup", before, Duration.ofSeconds(30)));
        }
        if (after != null) {
            h.put("after-backup", new Hook("after-backup", after, Duration.ofSeconds(30)));
        }
        return h;
    }

    private Manifest backup(List<SourceSpec> sources, Map<String, Hook> hooks, int parallel) throws Exception {
        return new BackupEngine(repo, keys, PgTools.search(List.of(), Duration.ofSeconds(5)), Progress.NONE,
                Clock.systemUTC(), m -> {})
                .run(new BackupRequest(List.of(), false, false, "stack", 3, 2, null).withStack(sources, hooks, parallel));
    }

    private List<String> order() throws Exception {
        return Files.readAllLines(log);
    }

    @Test
    void hooksRunAroundTheSourcesReadWhileStoppedAndTheManifestRecordsThem() throws Exception {
        Manifest m = backup(List.of(
                exec("kv", say("kv") + "; printf kv-data"),
                exec("cache", say("cache") + "; printf cache-data", "stop", false,
                        "before-backup", say("cache-before"), "after-backup", say("cache-after"))),
                hooks(say("before-backup"), say("after-backup")), 1);
        assertThat(order()).containsExactly("cache-before", "cache", "cache-after", "before-backup", "kv",
                "after-backup");
        assertThat(m.formatVersion()).isEqualTo(3);
        assertThat(m.sources()).extracting(Manifest.Source::name).containsExactly("kv", "cache"); // the file's order
        assertThat(m.artifacts()).extracting(a -> a.name() + "<-" + a.source()).containsExactly("kv.out<-kv",
                "cache.out<-cache");
        Manifest.Stack stack = repo.manifest(m.id()).stack();
        assertThat(stack.hooks()).extracting(h -> (h.source() == null ? "" : h.source() + ":") + h.name())
                .containsExactly("cache:before-backup", "cache:after-backup", "before-backup", "after-backup");
        assertThat(stack.hooks()).allSatisfy(h -> assertThat(h.exitCode()).isZero());
        assertThat(stack.stopped()).isNotNull();
        assertThat(stack.resumed()).isAfterOrEqualTo(stack.stopped());
        assertThat(stack.stoppedSeconds()).isGreaterThanOrEqualTo(0);
    }

    @Test
    void aFailedBeforeBackupStopsTheBackupAndAfterBackupStillRuns() throws Exception {
        assertThatThrownBy(() -> backup(List.of(exec("kv", say("kv") + "; printf x")),
                hooks("echo 'compose: no such service api'; exit 5", say("after-backup")), 1))
                .isInstanceOf(LifeboatException.class)
                .hasMessage("hook before-backup exited with status 5: compose: no such service api");
        assertThat(order()).containsExactly("after-backup");
        assertThat(repo.backupIds()).isEmpty();
        assertThat(backup(List.of(exec("kv", "printf x")), hooks(null, null), 1).status()).isEqualTo("completed");
    }

    @Test
    void aFailingSourceFailsTheBackupNamingItAndAfterBackupRuns() throws Exception {
        assertThatThrownBy(() -> backup(List.of(exec("db", say("db") + "; printf ok"),
                exec("kv", "echo partial; echo 'redis: LOADING' >&2; exit 3")),
                hooks(say("before-backup"), say("after-backup")), 2))
                .isInstanceOf(LifeboatException.class)
                .hasMessage("source kv (exec): the backup command exited with status 3: redis: LOADING")
                .satisfies(e -> assertThat(((LifeboatException) e).code()).isEqualTo(ErrorCode.SOURCE));
        assertThat(order()).first().isEqualTo("before-backup");
        assertThat(order()).last().isEqualTo("after-backup");
        assertThat(repo.backupIds()).isEmpty();
    }

    @Test
    void aFailedAfterBackupLeavesTheCompleteBackupAndSaysWhatMayStillBeStopped() throws Exception {
        assertThatThrownBy(() -> backup(List.of(exec("kv", "printf x")), hooks(null, "exit 9"), 1))
                .isInstanceOf(LifeboatException.class)
                .hasMessageMatching("backup \\S+ is complete, but hook after-backup exited with status 9: what "
                        + "before-backup stopped may still be stopped");
        assertThat(repo.backupIds()).hasSize(1);
    }

    @Test
    void sourcesReadWhileStoppedAreReadInParallel() throws Exception {
        // each source says it started, waits until the other has started too (or 10 s), and says it ended
        String both = "for i in $(seq 100); do [ $(grep -c start '" + log + "') -ge 2 ] && break; sleep 0.1; done";
        backup(List.of(exec("a", say("start-a") + "; " + both + "; " + say("end-a") + "; printf a"),
                exec("b", say("start-b") + "; " + both + "; " + say("end-b") + "; printf b")),
                hooks(null, null), 2);
        List<String> order = order();
        assertThat(order.subList(0, 2)).containsExactlyInAnyOrder("start-a", "start-b");
    }

    @Test
    void aBadHookOfASourceIsRefusedBeforeAnythingRuns() {
        assertThatThrownBy(() -> backup(List.of(exec("kv", say("kv") + "; printf x", "before-backup",
                Map.of("run", "true", "timout", 3))), hooks(say("before-backup"), null), 1))
                .isInstanceOf(LifeboatException.class)
                .hasMessageContaining("source kv: hook before-backup has an unknown field 'timout'");
        assertThat(log).isEmptyFile();
    }
}
