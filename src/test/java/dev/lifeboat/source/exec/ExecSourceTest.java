package dev.lifeboat.source.exec;

import dev.lifeboat.core.ErrorCode;
import dev.lifeboat.core.LifeboatException;
import dev.lifeboat.repository.Artifact;
import dev.lifeboat.repository.ChunkRef;
import dev.lifeboat.repository.Json;
import dev.lifeboat.repository.Manifest;
import dev.lifeboat.source.RestoreOptions;
import dev.lifeboat.source.Source;
import dev.lifeboat.source.SourceContractTest;
import dev.lifeboat.source.SourceSpec;
import dev.lifeboat.source.Sources;
import org.junit.jupiter.api.Test;

import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The {@code exec} type against a real "service": a folder of files, dumped with {@code tar} to standard output and
 * loaded back from standard input, as a service's own dump and load commands would.
 */
class ExecSourceTest extends SourceContractTest {
    Path data;

    @Override
    protected void fill() throws Exception {
        data = Files.createDirectories(work.resolve("service"));
        Random r = new Random(7);
        for (int i = 0; i < 12; i++) {
            byte[] b = new byte[200_000 + r.nextInt(100_000)];
            r.nextBytes(b);
            Files.write(data.resolve("part-" + i + ".bin"), b);
        }
        Files.writeString(data.resolve("notes.txt"), "state of the service\n".repeat(1000));
    }

    @Override
    protected SourceSpec spec(String name) {
        Map<String, Object> f = new LinkedHashMap<>();
        f.put("backup", "tar -C '" + data + "' --sort=name -cf - .");
        f.put("restore", "find '" + data + "' -mindepth 1 -delete && tar -C '" + data + "' -xf -");
        return new SourceSpec(name, "exec", f);
    }

    @Override
    protected String state() throws Exception {
        MessageDigest d = MessageDigest.getInstance("SHA-256");
        try (Stream<Path> files = Files.walk(data)) {
            for (Path p : files.filter(Files::isRegularFile).sorted().toList()) {
                d.update(data.relativize(p).toString().getBytes(StandardCharsets.UTF_8));
                d.update(Files.readAllBytes(p));
            }
        }
        return HexFormat.of().formatHex(d.digest());
    }

    @Override
    protected void damage() throws Exception {
        Files.delete(data.resolve("part-3.bin"));
        Files.writeString(data.resolve("notes.txt"), "overwritten");
    }

    @Override
    protected Map<SourceSpec, String> badSpecs() {
        Map<SourceSpec, String> bad = new LinkedHashMap<>();
        bad.put(new SourceSpec("kv", "exec", Map.of("restore", "cat")), "no backup");
        bad.put(new SourceSpec("kv", "exec", Map.of("backup", "cat x", "restor", "cat")), "unknown field 'restor'");
        bad.put(new SourceSpec("kv", "exec", Map.of("backup", "cat x", "output", "relative/file")), "absolute");
        bad.put(new SourceSpec("kv", "exec", Map.of("backup", "cat x", "timeout", 0)), "timeout");
        bad.put(new SourceSpec("kv", "exec", Map.of("backup", "cat x", "env", List.of("A=b"))), "env");
        bad.put(new SourceSpec("kv", "exec", Map.of("backup", "cat x", "cwd", work.resolve("nowhere").toString())),
                "cwd");
        bad.put(new SourceSpec("kv", "exec", Map.of("backup", "cat x", "output", work.resolve("no/such/out").toString())),
                "does not exist");
        bad.put(new SourceSpec("kv", "mongo", Map.of("backup", "cat x")), "unknown type 'mongo'");
        return bad;
    }

    @Test
    void aFailingCommandFailsTheBackupWithItsStatusAndStandardErrorAndCommitsNothing() throws Exception {
        SourceSpec spec = new SourceSpec("kv", "exec", Map.of("backup", "echo partial; echo 'no such key space' >&2; exit 3"));
        assertThatThrownBy(() -> backup(repo, spec)).isInstanceOf(LifeboatException.class)
                .hasMessage("source kv (exec): the backup command exited with status 3: no such key space")
                .satisfies(e -> assertThat(((LifeboatException) e).code()).isEqualTo(ErrorCode.SOURCE));
        assertThat(repo.backupIds()).isEmpty();
    }

    @Test
    void aCommandThatRunsTooLongIsStoppedWithWhatItStarted() throws Exception {
        Path marker = work.resolve("marker");
        SourceSpec spec = new SourceSpec("kv", "exec", Map.of("backup", "sleep 4; touch '" + marker + "'",
                "timeout", 1));
        long t0 = System.nanoTime();
        assertThatThrownBy(() -> backup(repo, spec)).isInstanceOf(LifeboatException.class)
                .hasMessageContaining("source kv (exec): the backup command did not end within 1.0 s");
        assertThat((System.nanoTime() - t0) / 1_000_000).as("ms until the failure").isLessThan(3_500);
        Thread.sleep(4_500);
        assertThat(marker).as("what the command started was stopped too").doesNotExist();
        assertThat(repo.backupIds()).isEmpty();
    }

    @Test
    void secretsComeFromTheEnvironmentAndStayOutOfTheManifest() throws Exception {
        String secret = "s3cr3t-" + new Random().nextInt(1_000_000);
        SourceSpec spec = new SourceSpec("kv", "exec", Map.of("backup", "printf %s \"$KV_PASSWORD\"",
                "env", Map.of("KV_PASSWORD", secret)));
        Manifest m = backup(repo, spec);
        Artifact a = m.artifacts().get(0);
        try (InputStream in = repo.artifactReader(keys).open(repo.manifest(m.id()).artifacts().get(0))) {
            assertThat(new String(in.readAllBytes(), StandardCharsets.UTF_8)).isEqualTo(secret);
        }
        assertThat(a.name()).isEqualTo("kv.out");
        assertThat(Json.MAPPER.writeValueAsString(repo.manifest(m.id()))).doesNotContain(secret);
    }

    @Test
    void aCommandThatWritesAFileIsReadFromThereAndTheFileRemoved() throws Exception {
        Path out = work.resolve("dump.out");
        Path loaded = work.resolve("loaded");
        SourceSpec spec = new SourceSpec("graph", "exec", Map.of(
                "backup", "tar -C '" + data + "' --sort=name -cf '" + out + "' .",
                "restore", "cp '" + out + "' '" + loaded + "'",
                "output", out.toString()));
        Manifest m = backup(repo, spec);
        assertThat(out).as("removed after the backup").doesNotExist();
        assertThat(m.sources().get(0).text("output")).isEqualTo("file");
        restore(m, spec);
        assertThat(out).as("removed after the restore").doesNotExist();
        Path fresh = work.resolve("fresh.tar");
        new ProcessBuilder("tar", "-C", data.toString(), "--sort=name", "-cf", fresh.toString(), ".").start().waitFor();
        assertThat(Files.readAllBytes(loaded)).isEqualTo(Files.readAllBytes(fresh));
    }

    @Test
    void aCorruptChunkStopsTheRestoreCommandBeforeItSeesTheEnd() throws Exception {
        Path state = work.resolve("state.bin");
        Files.write(state, "old state".getBytes(StandardCharsets.UTF_8));
        SourceSpec spec = new SourceSpec("kv", "exec", Map.of(
                "backup", "tar -C '" + data + "' --sort=name -cf - .",
                // a careful load: it replaces the state only once it has read all of its input
                "restore", "cat > '" + state + ".new' && mv '" + state + ".new' '" + state + "'"));
        Manifest m = backup(repo, spec);
        List<ChunkRef> chunks = repo.manifest(m.id()).artifacts().get(0).chunks();
        ChunkRef last = chunks.get(chunks.size() - 1);
        dev.lifeboat.testing.StoredChunk.of(work.resolve("repo"), last.id()).flip(1);
        assertThatThrownBy(() -> restore(m, spec)).hasMessageContaining(last.id());
        assertThat(Files.readString(state)).as("the state the command would have replaced").isEqualTo("old state");
    }

    @Test
    void aDrillRunsTheConfiguredDrillCommandWithTheBackupOnItsInput() throws Exception {
        Path seen = work.resolve("seen");
        SourceSpec spec = new SourceSpec("kv", "exec", Map.of("backup", "printf hello",
                "drill", "cat > '" + seen + "'; grep -q hello '" + seen + "'"));
        Manifest m = backup(repo, spec);
        var engine = new dev.lifeboat.engine.VerifyEngine(repo, keys, PG_TOOLS, dev.lifeboat.engine.Progress.NONE,
                java.time.Clock.systemUTC(), r -> {});
        var ok = engine.run(new dev.lifeboat.engine.VerifyRequest(List.of(m.id()), false, true, null, true, null,
                null, true, List.of(spec)));
        assertThat(ok).singleElement().satisfies(r -> {
            assertThat(r.problems()).isEmpty();
            assertThat(r.status()).isEqualTo("drilled");
            assertThat(r.drill().sources()).singleElement().satisfies(d -> {
                assertThat(d.type()).isEqualTo("exec");
                assertThat(d.compared()).containsExactly(Map.entry("commands", 1L));
            });
        });
        assertThat(Files.readString(seen)).isEqualTo("hello");

        // the command comes from lifeboat.yml, never from the repository: a failing one is a mismatch of the drill
        SourceSpec failing = new SourceSpec("kv", "exec", Map.of("backup", "printf hello", "drill", "grep -q bye"));
        var bad = engine.run(new dev.lifeboat.engine.VerifyRequest(List.of(m.id()), false, true, null, true, null,
                null, true, List.of(failing)));
        assertThat(bad).singleElement().satisfies(r -> {
            assertThat(r.status()).isEqualTo("corrupt");
            assertThat(r.problems()).singleElement().asString()
                    .startsWith("drill: source kv (exec): the drill command exited with status 1");
        });
    }

    @Test
    void withoutARestoreCommandTheRestoreSaysWhatToAdd() throws Exception {
        SourceSpec spec = new SourceSpec("kv", "exec", Map.of("backup", "printf hello"));
        Manifest m = backup(repo, spec);
        Source source = Sources.configure(List.of(spec), context()).get(0);
        assertThatThrownBy(() -> source.restorer(m.sources().get(0), RestoreOptions.DEFAULT, null))
                .hasMessageContaining("source kv (exec) has no restore command")
                .satisfies(e -> assertThat(((LifeboatException) e).hint()).contains("add restore:"));
        assertThatThrownBy(() -> Sources.configure(List.of(spec("kv")), context()).get(0)
                .restorer(m.sources().get(0), RestoreOptions.DEFAULT, "/somewhere"))
                .hasMessageContaining("takes no --to");
    }
}
