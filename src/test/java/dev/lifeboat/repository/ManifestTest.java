package dev.lifeboat.repository;

import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** Which artifact of a backup is a database's dump and which the globals: decided by the recorded format. */
class ManifestTest {
    private static Artifact artifact(String name, String source, String format) {
        return new Artifact(name, source, format, 10, 5, "ab".repeat(32), List.of());
    }

    private static Manifest manifest(Artifact... artifacts) {
        return new Manifest(Manifest.FORMAT_VERSION, "20261121T030000Z-abc123", null, Manifest.COMPLETED, Instant.EPOCH,
                Instant.EPOCH, "test", "h", List.of(), List.of(artifacts), 0, 0, 0, null);
    }

    private static Artifact dump(String database) {
        return artifact(database + ".dump", database, Artifact.PG_DUMP_CUSTOM);
    }

    /** What {@code backup --globals} of one database writes: its dump and the globals, both from that source. */
    private static final Artifact APP = dump("app");
    private static final Artifact GLOBALS = artifact("globals.sql", "app", Artifact.PG_DUMPALL_GLOBALS);

    @Test
    void aOneDatabaseBackupWithGlobalsHoldsOneDatabaseDump() {
        Manifest m = manifest(APP, GLOBALS);
        assertThat(m.databaseDumps()).containsExactly(APP);
        assertThat(m.globals()).isEqualTo(GLOBALS);
        assertThat(m.dumpOf("app")).isEqualTo(APP);
        assertThat(APP.databaseDump()).isTrue();
        assertThat(APP.globals()).isFalse();
        assertThat(GLOBALS.databaseDump()).isFalse();
        assertThat(GLOBALS.globals()).isTrue();
    }

    @Test
    void theGlobalsAreNeverADatabasesDumpWhateverTheirNameOrSource() {
        Artifact namedLikeADatabase = artifact("shop.dump", "shop", Artifact.PG_DUMPALL_GLOBALS);
        Manifest m = manifest(GLOBALS, dump("billing"), namedLikeADatabase);
        assertThat(m.databaseDumps()).extracting(Artifact::name).containsExactly("billing.dump");
        assertThat(m.dumpOf("app")).as("the globals' source has no dump here").isNull();
        assertThat(m.dumpOf("globals.sql")).isNull();
        assertThat(m.dumpOf("globals")).isNull();
        assertThat(m.dumpOf("shop")).isNull();
        assertThat(m.dumpOf("shop.dump")).isNull();
        assertThat(m.globals()).isEqualTo(GLOBALS);
    }

    @Test
    void aDumpIsFoundByItsSourceOrByItsNameWithOrWithoutDotDump() {
        Artifact renamed = artifact("sales-2026.dump", "sales", Artifact.PG_DUMP_CUSTOM);
        Manifest m = manifest(dump("billing"), APP, renamed, GLOBALS);
        assertThat(m.databaseDumps()).containsExactly(m.artifacts().get(0), APP, renamed);
        assertThat(m.dumpOf("app")).isEqualTo(APP);
        assertThat(m.dumpOf("app.dump")).isEqualTo(APP);
        assertThat(m.dumpOf("sales")).isEqualTo(renamed);
        assertThat(m.dumpOf("sales-2026")).isEqualTo(renamed);
        assertThat(m.dumpOf("sales-2026.dump")).isEqualTo(renamed);
        assertThat(m.dumpOf("shop")).isNull();
    }

    @Test
    void aSourceWinsOverAnotherDumpsName() {
        // a database named "a.dump" next to a database "a": asking for "a.dump" means the former
        Artifact a = dump("a");
        Artifact odd = artifact("a.dump.dump", "a.dump", Artifact.PG_DUMP_CUSTOM);
        Manifest m = manifest(a, odd);
        assertThat(m.dumpOf("a.dump")).isEqualTo(odd);
        assertThat(m.dumpOf("a")).isEqualTo(a);
    }

    @Test
    void aBackupWithoutGlobalsOrWithUnknownArtifactsHasNone() {
        assertThat(manifest(APP).globals()).isNull();
        Manifest listed = new Manifest(1, "20261121T030000Z-abc123", null, Manifest.COMPLETED, Instant.EPOCH,
                Instant.EPOCH, "test", "h", List.of(), null, 0, 0, 0, null);
        assertThat(listed.databaseDumps()).isEmpty();
        assertThat(listed.dumpOf("app")).isNull();
        assertThat(listed.globals()).isNull();
        // a format this version does not know (a later artifact kind) is not a database's dump
        assertThat(manifest(artifact("app.tar", "app", "files-tar")).databaseDumps()).isEmpty();
    }

    @Test
    void catalogCopiesWithoutChunksDecideAlike() {
        Manifest m = manifest(APP, GLOBALS).withoutChunks();
        assertThat(m.databaseDumps()).extracting(Artifact::name).containsExactly("app.dump");
        assertThat(m.globals().name()).isEqualTo("globals.sql");
    }
}
