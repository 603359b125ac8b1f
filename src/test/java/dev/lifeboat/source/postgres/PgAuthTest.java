package dev.lifeboat.source.postgres;

import dev.lifeboat.core.ErrorCode;
import dev.lifeboat.core.LifeboatException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

class PgAuthTest {
    private static final String NO_PASSWORD = "psql: error: connection to server at \"db.example\", port 6543 failed: "
            + "fe_sendauth: no password supplied";
    private static final String REFUSED = "psql: error: connection to server at \"db.example\", port 6543 failed: "
            + "FATAL:  password authentication failed for user \"app\"";

    @TempDir
    Path dir;

    @AfterEach
    void forget() {
        PgAuth.reset();
    }

    private static PgConnection conn(String db) {
        return PgConnection.parse("postgres://app@db.example:6543/" + db);
    }

    @Test
    void aMissingPasswordSaysWhoseAndWhereToPutIt() {
        LifeboatException e = PgAuth.error(conn("a"), NO_PASSWORD);
        assertThat(e.code()).isEqualTo(ErrorCode.DATABASE);
        assertThat(e.getMessage()).isEqualTo("no password was given for user app at db.example:6543, and the server "
                + "asks for one");
        assertThat(e.hint()).contains("PGPASSWORD").contains("db.example:6543:*:app:PASSWORD to ~/.pgpass")
                .contains("chmod 0600").contains("PGPASSFILE").contains("postgres://user:password@host/db")
                .contains("lifeboat serve never does");

        String ignored = "WARNING: password file \"/home/x/.pgpass\" has group or world access; permissions should be "
                + "u=rw (0600) or less\n" + NO_PASSWORD;
        assertThat(PgAuth.error(PgConnection.parse("postgres://app@db.example:6543/a?passfile=/etc/pw"), ignored)
                .getMessage()).endsWith("; libpq ignored the password file, which others may read (chmod 0600 /etc/pw)");
    }

    @Test
    void aRefusedPasswordIsCalledWrongWithWhereItCameFrom() {
        LifeboatException e = PgAuth.error(PgConnection.parse("postgres://app:s3cret@db.example:6543/a"), REFUSED);
        assertThat(e.getMessage()).isEqualTo("password authentication failed for user app at db.example:6543: the "
                + "server refused the password from the connection string");
        assertThat(e.hint()).contains("correct the password in the connection string");
        assertThat(e.getMessage() + e.hint()).doesNotContain("s3cret");

        PgAuth.askWith(question -> "typed-wrong".toCharArray());
        assertThat(PgAuth.ask(conn("a"))).isTrue();
        e = PgAuth.error(conn("a"), REFUSED);
        assertThat(e.getMessage()).endsWith("the server refused the password typed at the prompt");
        assertThat(e.hint()).isEqualTo("run the command again and type the right password");
        assertThat(e.getMessage() + e.hint()).doesNotContain("typed-wrong");

        assertThat(PgAuth.error(conn("a"), "psql: error: FATAL:  database \"a\" does not exist")).isNull();
    }

    @Test
    void aPasswordIsAskedOnceAndHandedToEveryProgramOfThatLoginOnly() throws Exception {
        List<String> questions = new ArrayList<>();
        PgAuth.askWith(question -> {
            questions.add(question);
            return "typed".toCharArray();
        });
        assertThat(conn("a").environment(Map.of())).doesNotContainKey("PGPASSWORD");
        assertThat(PgAuth.ask(conn("a"))).isTrue();
        assertThat(PgAuth.ask(conn("b").withApplicationName("lifeboat-restore-1"))).isTrue();
        assertThat(questions).containsExactly("Password for user app at db.example:6543: ");

        assertThat(conn("a").environment(Map.of())).containsEntry("PGPASSWORD", "typed");
        assertThat(conn("postgres").environment(Map.of("PATH", "/bin"))).containsEntry("PGPASSWORD", "typed");
        // a password given wins, as libpq would have used it; another login gets nothing typed for this one
        assertThat(conn("a").environment(Map.of("PGPASSWORD", "given"))).containsEntry("PGPASSWORD", "given");
        assertThat(PgConnection.parse("postgres://app:own@db.example:6543/a").environment(Map.of()))
                .containsEntry("PGPASSWORD", "own");
        assertThat(PgConnection.parse("postgres://app@db.example:6544/a").environment(Map.of()))
                .doesNotContainKey("PGPASSWORD");
        assertThat(PgConnection.parse("postgres://other@db.example:6543/a").environment(Map.of()))
                .doesNotContainKey("PGPASSWORD");
        // never shown
        assertThat(conn("a").toString() + conn("a").withoutPassword(Map.of())).doesNotContain("typed");
    }

    @Test
    void withoutAPromptOrAnAnswerNothingIsAskedAgain() {
        assertThat(PgAuth.ask(conn("a"))).as("no prompt: the service, or no terminal").isFalse();
        AtomicInteger asked = new AtomicInteger();
        PgAuth.askWith(question -> {
            asked.incrementAndGet();
            return null; // no console, or end of input
        });
        assertThat(PgAuth.ask(conn("a"))).isFalse();
        assertThat(PgAuth.ask(conn("b"))).isFalse();
        assertThat(asked).hasValue(1);
        assertThat(conn("a").environment(Map.of())).doesNotContainKey("PGPASSWORD");
    }

    @Test
    void aThreadThatNeedsThePasswordWhileItIsAskedForWaitsForTheAnswer() throws Exception {
        CountDownLatch asking = new CountDownLatch(1);
        CountDownLatch answer = new CountDownLatch(1);
        AtomicInteger asked = new AtomicInteger();
        PgAuth.askWith(question -> {
            asked.incrementAndGet();
            asking.countDown();
            try {
                answer.await();
            } catch (InterruptedException e) {
                throw new AssertionError(e);
            }
            return "typed".toCharArray();
        });
        boolean[] second = new boolean[1];
        Thread first = new Thread(() -> PgAuth.ask(conn("a")));
        first.start();
        asking.await();
        Thread watch = new Thread(() -> second[0] = PgAuth.ask(conn("a").withApplicationName("watch")));
        watch.start();
        Thread.sleep(100);
        answer.countDown();
        first.join();
        watch.join();
        assertThat(second[0]).isTrue();
        assertThat(asked).hasValue(1);
    }

    /** A psql that wants a password: it fails as libpq does without one, and answers queries with one. */
    private PgTools.Binary psqlWantingAPassword(Path seen) throws Exception {
        Path psql = dir.resolve("psql");
        Files.writeString(psql, "#!/bin/sh\n"
                + "printf '%s\\n' \"$*\" >> '" + seen + "'\n"
                + "if [ -z \"$PGPASSWORD\" ]; then echo '" + NO_PASSWORD + "' >&2; exit 2; fi\n"
                + "printf 'PGPASSWORD=%s\\n' \"$PGPASSWORD\" >> '" + seen + "'\n"
                + "while read -r line; do case \"$line\" in '\\echo '*) echo \"${line#??????}\";; '\\q') exit 0;; "
                + "esac; done\n");
        Files.setPosixFilePermissions(psql, PosixFilePermissions.fromString("rwx------"));
        return new PgTools.Binary("psql", psql, 15, "15.0");
    }

    @Test
    void psqlNeverPromptsAndIsStartedAgainWithThePasswordTyped() throws Exception {
        assumeTrue(System.getenv("PGPASSWORD") == null, "PGPASSWORD is set");
        Path seen = dir.resolve("seen");
        PgTools.Binary psql = psqlWantingAPassword(seen);
        PgConnection conn = PgConnection.parse("postgres://app@127.0.0.1:1/a");

        // no prompt: the one clear error, psql run once
        assertThatThrownBy(() -> PsqlSession.open(psql, conn)).isInstanceOf(LifeboatException.class)
                .hasMessage("no password was given for user app at 127.0.0.1:1, and the server asks for one");
        assertThat(Files.readAllLines(seen)).hasSize(1);
        Files.delete(seen);

        AtomicInteger asked = new AtomicInteger();
        PgAuth.askWith(question -> {
            asked.incrementAndGet();
            return "pa ss".toCharArray();
        });
        try (PsqlSession s = PsqlSession.open(psql, conn)) {
            assertThat(s.query("select 1")).isEmpty();
        }
        try (PsqlSession s = PsqlSession.open(psql, conn.withDatabase("b"))) {
            assertThat(s.query("select 2")).isEmpty();
        }
        assertThat(asked).hasValue(1);
        List<String> command = PsqlSession.command(psql);
        assertThat(command).contains("-w").noneMatch(a -> a.contains("pa ss") || a.contains("app"));
        String args = String.join(" ", command.subList(1, command.size()));
        // the first without a password, then each with the one typed, in its environment
        assertThat(Files.readAllLines(seen)).containsExactly(args, args, "PGPASSWORD=pa ss", args, "PGPASSWORD=pa ss");
    }
}
