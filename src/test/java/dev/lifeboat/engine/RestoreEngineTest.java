package dev.lifeboat.engine;

import dev.lifeboat.core.ErrorCode;
import dev.lifeboat.core.LifeboatException;
import dev.lifeboat.repository.Artifact;
import dev.lifeboat.repository.Manifest;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** What a failed pg_restore tells the user to do when the cause is the target, not the backup. */
class RestoreEngineTest {
    private static final String ID = "20261121T030000Z-abc123";

    /** A backup of database app with these artifacts; {@code globals.sql} is what {@code --globals} adds. */
    private static Manifest manifest(String... artifacts) {
        List<Artifact> list = java.util.Arrays.stream(artifacts)
                .map(n -> new Artifact(n, "app", n.equals("globals.sql") ? Artifact.PG_DUMPALL_GLOBALS
                        : Artifact.PG_DUMP_CUSTOM, 1, 1, "00", List.of())).toList();
        return new Manifest(Manifest.FORMAT_VERSION, ID, null, Manifest.COMPLETED, Instant.EPOCH, Instant.EPOCH, "test",
                "host", List.of(), list, 1, 1, 1, null);
    }

    private static LifeboatException failed(String stderr) {
        return new LifeboatException(ErrorCode.DATABASE, "pg_restore into u@h:5432/app failed (exit 1): " + stderr,
                "the transaction was rolled back; the target is as it was");
    }

    @Test
    void aMissingRoleNamesTheBackupsGlobalsWhenItHasThem() {
        String text = "pg_restore: error: could not execute query: ERROR:  role \"app_reader\" does not exist; "
                + "Command was: GRANT SELECT ON TABLE public.t TO app_reader;";
        LifeboatException withGlobals = RestoreEngine.explain(failed(text), manifest("app.dump", "globals.sql"), false);
        assertThat(withGlobals.hint()).isEqualTo("create role app_reader on this server first (or every role of the "
                + "backup: lifeboat cat " + ID + " globals.sql | psql -d postgres), or restore without GRANTs "
                + "(--no-privileges); the transaction was rolled back and the target is as it was");
        assertThat(withGlobals.getMessage()).isEqualTo(failed(text).getMessage());
        assertThat(RestoreEngine.explain(failed(text), manifest("app.dump"), true).hint())
                .isEqualTo("create role app_reader on this server first, or restore without GRANTs (--no-privileges); "
                        + "the transaction was rolled back and the database it created was dropped");
    }

    @Test
    void anObjectTheBackupDoesNotHaveBlockingADropIsNamedAndCascadeIsNotSuggested() {
        String text = "pg_restore: error: could not execute query: ERROR:  cannot drop table public.t because other "
                + "objects depend on it; DETAIL:  view public.v_extra depends on table public.t; HINT:  Use DROP ... "
                + "CASCADE to drop the dependent objects too.; Command was: DROP TABLE IF EXISTS public.t;";
        assertThat(RestoreEngine.explain(failed(text), manifest("app.dump"), false).hint())
                .isEqualTo("the target holds view public.v_extra, which the backup does not have and which depends on "
                        + "table public.t: restore into a new database (--create) and switch over to it, or drop those "
                        + "objects first; the transaction was rolled back and the target is as it was");
    }

    @Test
    void aMissingExtensionSaysToInstallItInEitherWordingOfTheServer() {
        String pg15 = "ERROR:  could not open extension control file \"/usr/share/postgresql/15/extension/postgis.control\":"
                + " No such file or directory; Command was: CREATE EXTENSION IF NOT EXISTS postgis WITH SCHEMA public;";
        String pg16 = "ERROR:  extension \"postgis\" is not available; DETAIL:  Could not open extension control file";
        for (String text : List.of(pg15, pg16)) {
            assertThat(RestoreEngine.explain(failed(text), manifest("app.dump"), false).hint())
                    .startsWith("install extension postgis on the target's server");
        }
    }

    @Test
    void aUserWhoMayNotReplaceTheTargetsObjectsIsToldWhoMay() {
        String owner = "pg_restore: error: could not execute query: ERROR:  must be owner of table t; Command was: "
                + "DROP TABLE IF EXISTS public.t;";
        assertThat(RestoreEngine.explain(failed(owner), manifest("app.dump"), false).hint())
                .isEqualTo("a restore drops and creates the target's objects, so it must run as their owner, the owner "
                        + "of their schema, or a superuser; the user restoring does not own table t: restore as the "
                        + "database's owner, or into a new database (--create); the transaction was rolled back and "
                        + "the target is as it was");
        String schema = "ERROR:  permission denied for schema public; Command was: CREATE TABLE public.t (g integer);";
        assertThat(RestoreEngine.explain(failed(schema), manifest("app.dump"), true).hint())
                .contains("the user restoring may not create in schema public");
        String sequence = "ERROR:  must be owner of sequence public.t_id_seq";
        assertThat(RestoreEngine.explain(failed(sequence), manifest("app.dump"), false).hint())
                .contains("does not own sequence public.t_id_seq");
    }

    @Test
    void aOneDatabaseBackupWithGlobalsRestoresItsDumpUnnamedAndNeverTheGlobals() {
        Manifest m = manifest("app.dump", "globals.sql");
        assertThat(RestoreEngine.chooseArtifact(m, null).name()).isEqualTo("app.dump");
        assertThat(RestoreEngine.chooseArtifact(m, "app").name()).isEqualTo("app.dump");
        assertThat(RestoreEngine.chooseArtifact(m, "app.dump").name()).isEqualTo("app.dump");
        for (String globals : List.of("globals.sql", "globals")) {
            assertThatThrownBy(() -> RestoreEngine.chooseArtifact(m, globals)).isInstanceOfSatisfying(
                    LifeboatException.class, e -> {
                        assertThat(e.code()).isEqualTo(ErrorCode.NOT_FOUND);
                        assertThat(e.getMessage()).isEqualTo("backup " + ID + " has no database dump '" + globals + "'");
                        assertThat(e.hint()).isEqualTo("give --database one of its databases: app");
                    });
        }
    }

    @Test
    void aSubscriptionWithASlotInTheTargetIsNamedWithHowToDetachIt() {
        String text = "pg_restore: error: could not execute query: ERROR:  DROP SUBSCRIPTION cannot run inside a "
                + "transaction block; Command was: DROP SUBSCRIPTION IF EXISTS feed;";
        assertThat(RestoreEngine.explain(failed(text), manifest("app.dump"), false).hint()).isEqualTo("the target's "
                + "subscription feed has a replication slot, and a subscription with one cannot be dropped inside the "
                + "restore's transaction: restore into a new database (--create), or detach it first (ALTER "
                + "SUBSCRIPTION feed DISABLE; ALTER SUBSCRIPTION feed SET (slot_name = NONE)) and drop its slot on the "
                + "publisher; the transaction was rolled back and the target is as it was");
    }

    @Test
    void aDomainTheTargetLacksWhileHoldingOtherObjectsIsNamed() {
        String text = "pg_restore: error: could not execute query: ERROR:  type \"app.percent\" does not exist; "
                + "Command was: ALTER DOMAIN app.percent DROP CONSTRAINT IF EXISTS percent_range;";
        assertThat(RestoreEngine.explain(failed(text), manifest("app.dump"), false).hint()).isEqualTo("the target "
                + "holds objects, but not domain app.percent of the backup, and a NOT VALID constraint of a domain "
                + "cannot be cleaned away when the domain is not there: restore into a new database (--create) or an "
                + "empty one; the transaction was rolled back and the target is as it was");
    }

    @Test
    void otherFailuresKeepTheirHint() {
        LifeboatException e = failed("pg_restore: error: could not execute query: ERROR:  out of shared memory");
        assertThat(RestoreEngine.explain(e, manifest("app.dump"), false)).isSameAs(e);
    }
}
