package dev.lifeboat.source.postgres;

import dev.lifeboat.core.ErrorCode;
import dev.lifeboat.core.LifeboatException;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;

/** How long a backup or restore waits for a table lock, and how a wait that ran out is told. */
class LockWaitTest {
    @Test
    void theWaitIsFiveMinutesUnlessConfiguredAndGivenToPostgresInSeconds() {
        // LIFEBOAT_PG_LOCK_WAIT and pgLockWaitSeconds are parsed by Settings (SettingsTest)
        assertThat(new PgTools(List.of()).lockWait()).isEqualTo(Duration.ofMinutes(5));
        assertThat(new PgTools(List.of(), Duration.ofSeconds(30)).lockWait()).isEqualTo(Duration.ofSeconds(30));
        assertThat(LockWait.setting(Duration.ofSeconds(300))).isEqualTo("300s");
    }

    @Test
    void theTimeoutsOfPsqlAndPgDumpAreRecognizedAndOtherErrorsAreNot() {
        String pgDump = """
                pg_dump: error: query failed: ERROR:  canceling statement due to statement timeout
                pg_dump: detail: Query was: LOCK TABLE public.t IN ACCESS SHARE MODE""";
        assertThat(LockWait.timedOut(pgDump)).isTrue();
        assertThat(LockWait.timedOut("database app: ERROR:  canceling statement due to lock timeout")).isTrue();
        assertThat(LockWait.timedOut("ERROR:  canceling statement due to statement timeout")).as("a slow query").isFalse();
        assertThat(LockWait.timedOut("pg_dump: error: connection to server failed")).isFalse();
    }

    @Test
    void theTableIsReadFromTheStatementThatWaited() {
        assertThat(LockWait.table("pg_dump: detail: Query was: LOCK TABLE public.t IN ACCESS SHARE MODE"))
                .contains("public.t");
        assertThat(LockWait.table("pg_restore: error: could not execute query: ERROR:  canceling statement due to user "
                + "request\nCommand was: DROP TABLE IF EXISTS \"Sales 2026\".\"Orders\";")).contains("\"Sales 2026\".\"Orders\"");
        assertThat(LockWait.table("Command was: ALTER TABLE ONLY public.orders DROP CONSTRAINT orders_pkey;"))
                .contains("public.orders");
        assertThat(LockWait.table("ERROR:  canceling statement due to user request; STATEMENT:  ALTER TABLE ONLY "
                + "public.orders; DROP CONSTRAINT orders_user_id_fkey")).contains("public.orders");
        assertThat(LockWait.table("ERROR:  canceling statement due to lock timeout")).isEmpty();
    }

    @Test
    void theErrorNamesTheTableWhoHoldsItAndHowToEndIt() {
        LockWait.Holder h = new LockWait.Holder("4242", "app", "idle in transaction", 754, "public.t AccessShareLock");
        LifeboatException e = LockWait.error(PgConnection.parse("postgres://u@db.example:5432/app"), "restoring into",
                Optional.of("public.t"), Duration.ofSeconds(300), List.of(h), "the transaction was rolled back");
        assertThat(e.code()).isEqualTo(ErrorCode.DATABASE);
        assertThat(e.getMessage()).isEqualTo("restoring into u@db.example:5432/app: waited 5 min 00 s for a lock on table "
                + "public.t and gave up; held by pid 4242 (user app, idle in transaction for 12 min 34 s, holding public.t "
                + "AccessShareLock)");
        assertThat(e.hint()).startsWith("let that session finish, or end it with select pg_terminate_backend(4242)")
                .contains("LIFEBOAT_PG_LOCK_WAIT").endsWith("the transaction was rolled back");

        LifeboatException unknown = LockWait.error(PgConnection.parse("postgres://u@db.example:5432/app"), "backing up",
                Optional.empty(), Duration.ofSeconds(30), List.of(), "nothing was committed");
        assertThat(unknown.getMessage()).endsWith("waited 30.0 s for a lock on a table and gave up; another session holds it");
        assertThat(unknown.hint()).startsWith("find it in pg_locks and pg_stat_activity");
    }
}
