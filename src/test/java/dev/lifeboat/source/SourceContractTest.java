package dev.lifeboat.source;

import dev.lifeboat.core.ErrorCode;
import dev.lifeboat.core.LifeboatException;
import dev.lifeboat.engine.BackupEngine;
import dev.lifeboat.engine.BackupRequest;
import dev.lifeboat.engine.Progress;
import dev.lifeboat.repository.Artifact;
import dev.lifeboat.repository.ChunkerParams;
import dev.lifeboat.repository.Keys;
import dev.lifeboat.repository.LocalKeyCache;
import dev.lifeboat.repository.Manifest;
import dev.lifeboat.repository.Repository;
import dev.lifeboat.source.postgres.PgTools;
import dev.lifeboat.storage.MemoryStorage;
import dev.lifeboat.storage.faults.FaultyStorage;
import dev.lifeboat.storage.local.LocalStorage;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The contract of {@link Source}, held by every type: each type's test extends this class against a real instance of
 * what it reads (a PostgreSQL cluster, a file tree, a service driven by commands), which {@link #fill} fills with some
 * megabytes of data. Backups run through the real {@link BackupEngine} into a real repository.
 */
public abstract class SourceContractTest {
    @TempDir
    protected Path work;
    protected Repository repo;
    protected Keys keys;

    /** A configuration of the source under test, named {@code name}, reading the instance {@link #fill} filled. */
    protected abstract SourceSpec spec(String name) throws Exception;

    /** Puts data into the instance: a few megabytes, in the shapes the type must keep. */
    protected abstract void fill() throws Exception;

    /** The instance's data, as text that is equal exactly when the data is (a digest of every byte and attribute). */
    protected abstract String state() throws Exception;

    /** Changes the instance's data, so that a restore has something to put back. */
    protected abstract void damage() throws Exception;

    /**
     * Configurations that must fail before anything is written: each with a word its one-line error must hold beside
     * the source's name (a missing field, a bad value, something that cannot be reached).
     */
    protected abstract Map<SourceSpec, String> badSpecs() throws Exception;

    protected static final PgTools PG_TOOLS = PgTools.search(List.of(), java.time.Duration.ofSeconds(30));

    protected SourceContext context() {
        return new SourceContext(System.getenv(), m -> {}, Map.of(PgTools.class, PG_TOOLS));
    }

    @BeforeEach
    void repository() throws Exception {
        repo = Repository.init(new LocalStorage(work.resolve("repo")), List.of(),
                new ChunkerParams(16 * 1024, 64 * 1024, 256 * 1024, 42), 3, new LocalKeyCache(work.resolve("keys")));
        keys = repo.writeKeys(new LocalKeyCache(work.resolve("keys")), List.of());
        fill();
    }

    protected Manifest backup(Repository into, SourceSpec spec) throws Exception {
        return new BackupEngine(into, keys, PG_TOOLS, Progress.NONE, Clock.systemUTC(), m -> {})
                .run(new BackupRequest(List.of(), false, false, "contract", 3, 2, null)
                        .withStack(List.of(spec), Map.of(), 1));
    }

    /** Restores the source of {@code m} named {@code name} into its configured place. */
    protected void restore(Manifest m, SourceSpec spec) throws Exception {
        Manifest full = repo.manifest(m.id());
        Manifest.Source recorded = full.sources().stream().filter(s -> s.name().equals(spec.name())).findFirst()
                .orElseThrow();
        Source source = Sources.configure(List.of(spec), context()).get(0);
        List<Artifact> mine = full.artifacts().stream().filter(a -> spec.name().equals(a.source())).toList();
        var reader = repo.artifactReader(keys);
        Restorer r = source.restorer(recorded, RestoreOptions.DEFAULT, null);
        r.inspect();
        r.restore(Restorer.Artifacts.of(mine, reader::open));
    }

    @Test
    void aRestoredBackupIsIdenticalToTheSource() throws Exception {
        String before = state();
        SourceSpec spec = spec("it");
        Manifest m = backup(repo, spec);
        assertThat(m.sources()).singleElement().satisfies(s -> {
            assertThat(s.name()).isEqualTo("it");
            assertThat(Sources.recorded(s)).as("its type is known").isPresent();
        });
        assertThat(m.artifacts()).isNotEmpty().allSatisfy(a -> assertThat(a.source()).isEqualTo("it"));
        List<String> problems = new java.util.ArrayList<>();
        Sources.problems(m.sources().get(0), "source it", problems);
        assertThat(problems).as("what it recorded is well-formed").isEmpty();
        damage();
        assertThat(state()).as("the damage changed the data").isNotEqualTo(before);
        restore(m, spec);
        assertThat(state()).isEqualTo(before);
    }

    @Test
    void anInterruptedBackupCommitsNothingAndLeavesTheSourceAlone() throws Exception {
        String before = state();
        Path dir = work.resolve("faulty-repo");
        Repository.init(new LocalStorage(dir), List.of(), repo.config().chunker(), 3,
                new LocalKeyCache(work.resolve("keys-faulty")));
        FaultyStorage full = FaultyStorage.reliable(new LocalStorage(dir)).fullAfter(200_000);
        Repository faulty = Repository.open(full);
        Keys saved = keys;
        keys = faulty.writeKeys(new LocalKeyCache(work.resolve("keys-faulty")), List.of());
        try {
            assertThatThrownBy(() -> backup(faulty, spec("it"))).isInstanceOf(Exception.class);
        } finally {
            keys = saved;
        }
        assertThat(Repository.open(new LocalStorage(dir)).backupIds()).as("committed backups").isEmpty();
        assertThat(state()).as("the source after a failed backup").isEqualTo(before);
        assertThat(backup(repo, spec("it")).status()).isEqualTo(Manifest.COMPLETED);
    }

    @Test
    void anUnchangedSecondBackupAddsAlmostNothing() throws Exception {
        Manifest first = backup(repo, spec("it"));
        Manifest second = backup(repo, spec("it"));
        assertThat(first.logicalBytes()).as("the data set is big enough to tell").isGreaterThan(1_000_000);
        assertThat(second.addedBytes()).as("bytes the second backup added, of " + first.storedBytes())
                .isLessThan(Math.max(64 * 1024, first.storedBytes() / 50));
    }

    @Test
    void aBadConfigurationFailsBeforeAnythingIsWrittenNamingTheSource() throws Exception {
        for (var bad : badSpecs().entrySet()) {
            SourceSpec spec = bad.getKey();
            long blobs = blobCount();
            assertThatThrownBy(() -> backup(repo, spec)).as(spec.toString())
                    .isInstanceOf(LifeboatException.class)
                    .satisfies(e -> {
                        String message = e.getMessage();
                        assertThat(message).as("one line").doesNotContain("\n");
                        assertThat(message).contains("source " + spec.name()).contains(bad.getValue());
                        assertThat(((LifeboatException) e).code()).isNotEqualTo(ErrorCode.INTERNAL);
                    });
            assertThat(blobCount()).as("blobs after " + spec).isEqualTo(blobs);
        }
    }

    private long blobCount() throws Exception {
        try (var files = Files.walk(work.resolve("repo"))) {
            return files.filter(Files::isRegularFile).count();
        }
    }

    /** A memory repository, for types' own tests that need no files. */
    protected static Repository memoryRepository(Path keys) throws Exception {
        return Repository.init(new MemoryStorage(), List.of(), new ChunkerParams(16 * 1024, 64 * 1024, 256 * 1024, 42),
                3, new LocalKeyCache(keys));
    }
}
