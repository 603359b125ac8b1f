package dev.lifeboat.engine;

import dev.lifeboat.core.ErrorCode;
import dev.lifeboat.core.LifeboatException;
import dev.lifeboat.repository.ChunkerParams;
import dev.lifeboat.repository.LocalKeyCache;
import dev.lifeboat.repository.Repository;
import dev.lifeboat.repository.RepositoryPolicy;
import dev.lifeboat.retention.RetentionPolicy;
import dev.lifeboat.storage.MemoryStorage;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The repository's policy.json is the one retention policy: who sets it, when a config file may replace it. */
class PolicyInForceTest {
    private static final ZoneId UTC = ZoneId.of("UTC");
    private static final Clock CLOCK = Clock.fixed(Instant.parse("2026-12-02T10:00:00Z"), ZoneOffset.UTC);
    private static final RetentionPolicy FILE = new RetentionPolicy(0, Duration.ofDays(14), 0, 7, 4, 0, 0, 2);

    @TempDir
    Path keyDir;

    private MemoryStorage storage;
    private Repository repo;

    @BeforeEach
    void repository() throws Exception {
        storage = new MemoryStorage();
        repo = Repository.init(storage, List.of(), ChunkerParams.withAverage(1 << 20), 3, new LocalKeyCache(keyDir));
    }

    @Test
    void withNothingConfiguredOrStoredTheDefaultAppliesAndNothingIsWritten() throws Exception {
        PolicyInForce p = PolicyInForce.resolveAndStore(repo, null, null, UTC, CLOCK);
        assertThat(p.policy()).isEqualTo(RetentionPolicy.DEFAULT);
        assertThat(p.source()).contains("default");
        assertThat(repo.policy()).isEmpty();
    }

    @Test
    void aConfiguredPolicyIsStoredAndThenAppliesOnAHostWithoutOne() throws Exception {
        PolicyInForce dry = PolicyInForce.resolve(repo, FILE, RepositoryPolicy.FROM_FILE, UTC, CLOCK);
        assertThat(dry.policy()).isEqualTo(FILE);
        assertThat(dry.notes()).singleElement().asString().contains("a prune that is not a dry run stores");
        assertThat(repo.policy()).as("resolving stores nothing").isEmpty();

        PolicyInForce stored = PolicyInForce.resolveAndStore(repo, FILE, RepositoryPolicy.FROM_FILE, UTC, CLOCK);
        assertThat(stored.notes()).singleElement().asString().contains("is now that of lifeboat.yml");
        assertThat(repo.policy()).get().satisfies(p -> {
            assertThat(p.policy()).isEqualTo(FILE);
            assertThat(p.from()).isEqualTo("lifeboat.yml");
            assertThat(p.set()).isEqualTo(CLOCK.instant());
        });
        // another host, without lifeboat.yml: the same rules, and where they came from
        PolicyInForce elsewhere = PolicyInForce.resolveAndStore(repo, null, null, ZoneId.of("Europe/Zurich"), CLOCK);
        assertThat(elsewhere.policy()).isEqualTo(FILE);
        assertThat(elsewhere.zone()).isEqualTo(UTC);
        assertThat(elsewhere.source()).contains("policy.json").contains("lifeboat.yml").contains("2026-12-02T10:00:00Z");
        // the same file again changes nothing
        assertThat(PolicyInForce.resolveAndStore(repo, FILE, RepositoryPolicy.FROM_FILE, UTC, CLOCK).notes()).isEmpty();
    }

    @Test
    void anUnchangedFileDoesNotUndoALaterChangeThroughTheApiButAChangedFileDoes() throws Exception {
        PolicyInForce.resolveAndStore(repo, FILE, RepositoryPolicy.FROM_FILE, UTC, CLOCK);
        RepositoryPolicy fromFile = repo.policy().orElseThrow();
        RetentionPolicy sixty = FILE.withKeepWithin(Duration.ofDays(60));
        repo.writePolicy(new RepositoryPolicy(1, RepositoryPolicy.Rules.of(sixty), "UTC", CLOCK.instant(),
                "admin through the API", RepositoryPolicy.FROM_API, fromFile.configured()));

        PolicyInForce p = PolicyInForce.resolveAndStore(repo, FILE, RepositoryPolicy.FROM_FILE, UTC, CLOCK);
        assertThat(p.policy()).isEqualTo(sixty);
        assertThat(p.notes()).singleElement().asString().contains("is not applied").contains("admin through the API");
        assertThat(repo.policy().orElseThrow().policy()).isEqualTo(sixty);

        RetentionPolicy edited = FILE.withKeepWithin(Duration.ofDays(21));
        PolicyInForce q = PolicyInForce.resolveAndStore(repo, edited, RepositoryPolicy.FROM_FILE, UTC, CLOCK);
        assertThat(q.policy()).isEqualTo(edited);
        assertThat(q.notes()).singleElement().asString().contains("was: within 60d");
        assertThat(repo.policy().orElseThrow().policy()).isEqualTo(edited);
    }

    @Test
    void flagsApplyToOneRunAndSaySo() throws Exception {
        PolicyInForce p = PolicyInForce.resolveAndStore(repo, null, null, UTC, CLOCK)
                .withFlags(RetentionPolicy.DEFAULT.withKeepWithin(Duration.ofDays(2)));
        assertThat(p.policy().keepWithin()).isEqualTo(Duration.ofDays(2));
        assertThat(p.source()).startsWith("command-line flags (this run only)");
        assertThat(repo.policy()).isEmpty();
    }

    @Test
    void theGoldenPolicyOfFormatOneReadsAsTheRulesItWasWrittenWith() throws Exception {
        try (var in = getClass().getClassLoader().getResourceAsStream("golden/policy-v1/policy.json")) {
            storage.write("policy.json", in.readAllBytes());
        }
        PolicyInForce p = PolicyInForce.resolve(repo, null, null, UTC, CLOCK);
        assertThat(p.policy()).isEqualTo(new RetentionPolicy(0, Duration.ofDays(14), 0, 7, 0, 0, 0, 5,
                Duration.ofDays(3)));
        assertThat(p.zone()).isEqualTo(ZoneId.of("Europe/Zurich"));
        assertThat(p.source()).isEqualTo("the repository's policy.json, set from environment by lifeboat 0.1.0 on "
                + "host vm at 2026-12-02T17:07:12Z");
    }

    @Test
    void aNewerOrInvalidPolicyIsRefusedNamingTheBlob() throws Exception {
        storage.write("policy.json", "{\"formatVersion\": 2, \"retention\": {}}".getBytes(StandardCharsets.UTF_8));
        assertThatThrownBy(() -> PolicyInForce.resolveAndStore(repo, null, null, UTC, CLOCK))
                .isInstanceOfSatisfying(LifeboatException.class, e -> {
                    assertThat(e.code()).isEqualTo(ErrorCode.REPOSITORY);
                    assertThat(e.getMessage()).contains("policy.json has format version 2");
                });
        storage.write("policy.json", ("{\"formatVersion\": 1, \"retention\": {\"keepLast\": -1, \"minimumKeep\": 3},"
                + " \"timeZone\": \"UTC\"}").getBytes(StandardCharsets.UTF_8));
        assertThatThrownBy(() -> repo.policy()).isInstanceOfSatisfying(LifeboatException.class, e -> {
            assertThat(e.code()).isEqualTo(ErrorCode.INTEGRITY);
            assertThat(e.getMessage()).contains("policy.json").contains("keepLast");
            assertThat(e.hint()).contains("delete policy.json");
        });
        storage.write("policy.json", "{\"formatVersion\": 1, \"retention\": {\"keepWithin\": \"30d\"}, \"timeZone\": "
                .concat("\"Mars/Olympus\"}").getBytes(StandardCharsets.UTF_8));
        assertThatThrownBy(() -> repo.policy()).hasMessageContaining("Mars/Olympus");
    }
}
