package dev.lifeboat.service;

import dev.lifeboat.config.Settings;
import dev.lifeboat.core.ErrorCode;
import dev.lifeboat.core.LifeboatException;
import dev.lifeboat.source.postgres.PgTools;
import dev.lifeboat.repository.Artifact;
import dev.lifeboat.repository.Catalog;
import dev.lifeboat.repository.ChunkerParams;
import dev.lifeboat.repository.LocalKeyCache;
import dev.lifeboat.repository.Manifest;
import dev.lifeboat.repository.Repository;
import dev.lifeboat.storage.MemoryStorage;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Where the service's restore of a backup goes (the API's and the web UI's first step), on a real repository. */
class OperationsTest {
    private static final Instant T = Instant.parse("2026-11-21T03:00:00Z");
    private static final String ONE_WITH_GLOBALS = "20261121T030000Z-aaaaaa";
    private static final String TWO_WITH_GLOBALS = "20261121T040000Z-bbbbbb";

    @TempDir
    Path keyDir;
    Operations ops;

    @BeforeEach
    void repository() throws IOException {
        Repository repo = Repository.init(new MemoryStorage(), List.of(),
                new ChunkerParams(16 * 1024, 64 * 1024, 256 * 1024, 42), 3, new LocalKeyCache(keyDir));
        // what backup --globals writes: each database's dump, then globals.sql from the first database's source
        commit(repo, ONE_WITH_GLOBALS, dump("app"), globals("app"));
        commit(repo, TWO_WITH_GLOBALS, dump("app"), dump("billing"), globals("app"));
        Settings settings = new Settings();
        settings.databases = List.of("postgres://lb@db.example:5432/app");
        ops = new Operations(repo, new Catalog(repo), settings, () -> null, new PgTools(List.of()),
                Clock.systemUTC());
    }

    @Test
    void aOneDatabaseBackupWithGlobalsRestoresItsDatabaseWithoutNamingIt() throws IOException {
        Operations.RestorePlan plan = ops.planRestore(ONE_WITH_GLOBALS, null);
        assertThat(plan.database()).isEqualTo("app");
        assertThat(plan.artifact()).isEqualTo("app.dump");
        assertThat(plan.display()).isEqualTo("lb@db.example:5432/app");
        assertThat(ops.planRestore(ONE_WITH_GLOBALS, "app").artifact()).isEqualTo("app.dump");
    }

    @Test
    void severalDatabasesNeedANameAndTheGlobalsAreNoneOfThem() throws IOException {
        assertThatThrownBy(() -> ops.planRestore(TWO_WITH_GLOBALS, null)).isInstanceOfSatisfying(
                LifeboatException.class, e -> {
                    assertThat(e.code()).isEqualTo(ErrorCode.USAGE);
                    assertThat(e.getMessage()).isEqualTo("backup " + TWO_WITH_GLOBALS + " holds several databases");
                    assertThat(e.hint()).isEqualTo("name one with \"database\": one of [app, billing]");
                });
        Operations.RestorePlan billing = ops.planRestore(TWO_WITH_GLOBALS, "billing");
        assertThat(billing.artifact()).isEqualTo("billing.dump");
        assertThat(billing.display()).isEqualTo("lb@db.example:5432/billing");
        assertThat(ops.planRestore(TWO_WITH_GLOBALS, "app").artifact()).isEqualTo("app.dump");
        for (String notADatabase : List.of("globals.sql", "globals", "shop")) {
            assertThatThrownBy(() -> ops.planRestore(TWO_WITH_GLOBALS, notADatabase)).isInstanceOfSatisfying(
                    LifeboatException.class, e -> {
                        assertThat(e.code()).isEqualTo(ErrorCode.NOT_FOUND);
                        assertThat(e.getMessage()).isEqualTo("backup " + TWO_WITH_GLOBALS + " has no database '"
                                + notADatabase + "'");
                        assertThat(e.hint()).isEqualTo("its databases are [app, billing]");
                    });
        }
    }

    private static void commit(Repository repo, String id, Artifact... artifacts) throws IOException {
        repo.commit(new Manifest(Manifest.FORMAT_VERSION, id, null, Manifest.COMPLETED, T, T, "test", "h", List.of(),
                List.of(artifacts), 0, 0, 0, null));
    }

    private static Artifact dump(String database) {
        return new Artifact(database + ".dump", database, Artifact.PG_DUMP_CUSTOM, 0, 0, "", List.of());
    }

    private static Artifact globals(String source) {
        return new Artifact("globals.sql", source, Artifact.PG_DUMPALL_GLOBALS, 0, 0, "", List.of());
    }
}
