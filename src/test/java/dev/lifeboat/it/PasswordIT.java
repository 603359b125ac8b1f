package dev.lifeboat.it;

import dev.lifeboat.testing.LifeboatCli;
import dev.lifeboat.testing.PgCluster;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

import static dev.lifeboat.testing.Requirements.require;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Where the password a server asks for comes from: PGPASSWORD, ~/.pgpass or the URL, else the person at the
 * terminal, asked once and handed to every program; without one, one clear error at once. Every PostgreSQL program
 * runs through a wrapper that logs its arguments and whether PGPASSWORD was in its environment (never its value),
 * so the tests see each program the command started: none may prompt, and none may have the password on its
 * command line.
 */
class PasswordIT {
    private static final Duration FAST = Duration.ofSeconds(90);

    @TempDir
    Path work;
    PgCluster pg;
    Path repo;
    Path home;
    Path toolLog;
    Path tools;
    /** The random part of the password: found in any output however it was escaped around it. */
    String secret;

    @BeforeEach
    void setUp() throws IOException {
        pg = PgCluster.shared();
        secret = pg.password().substring(0, 24);
        for (String db : List.of("pw_a", "pw_b")) {
            pg.dropDatabase(db);
            pg.createDatabase(db);
            pg.psql(db, "create table t as select g, md5(g::text) v from generate_series(1, 1000) g");
        }
        repo = work.resolve("repo");
        home = Files.createDirectories(work.resolve("home")); // no ~/.pgpass unless a test writes one
        toolLog = work.resolve("tools.log");
        tools = Files.createDirectories(work.resolve("bin"));
        for (String tool : List.of("psql", "pg_dump", "pg_dumpall", "pg_restore")) {
            Path wrapper = tools.resolve(tool);
            Files.writeString(wrapper, "#!/bin/sh\n"
                    + "printf '%s password=%s %s\\n' " + tool + " \"${PGPASSWORD:+set}\" \"$*\" >> \"$TEST_TOOL_LOG\"\n"
                    + "exec " + pg.binDir().resolve(tool) + " \"$@\"\n");
            Files.setPosixFilePermissions(wrapper, PosixFilePermissions.fromString("rwx------"));
        }
        cli().run("init").expectSuccess();
    }

    /** Lifeboat with no password anywhere: no PG* variables, a home of its own, the logging wrappers. */
    private LifeboatCli cli() {
        return new LifeboatCli(work).env("LIFEBOAT_REPOSITORY", repo.toString()).env("HOME", home.toString())
                .env("LIFEBOAT_PG_BIN", tools.toString()).env("TEST_TOOL_LOG", toolLog.toString());
    }

    /** A URL of the cluster without the password. */
    private String url(String db) {
        return "postgres://" + pg.superuser() + "@127.0.0.1:" + pg.port() + "/" + db;
    }

    private String login() {
        return "user " + pg.superuser() + " at 127.0.0.1:" + pg.port();
    }

    private void writePgpass(String permissions) throws IOException {
        Path pgpass = home.resolve(".pgpass");
        Files.writeString(pgpass, "127.0.0.1:" + pg.port() + ":*:" + pg.superuser() + ":"
                + pg.password().replace("\\", "\\\\").replace(":", "\\:") + "\n");
        Files.setPosixFilePermissions(pgpass, PosixFilePermissions.fromString(permissions));
    }

    /** Runs a command with no terminal, failing the test if it does not end within {@link #FAST}: it must not wait. */
    private LifeboatCli.Result runFast(LifeboatCli cli, String... args) throws Exception {
        Path out = work.resolve("out.txt");
        Path err = work.resolve("err.txt");
        Process p = cli.command(args).redirectOutput(out.toFile()).redirectError(err.toFile())
                .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null"))).start();
        if (!p.waitFor(FAST.toSeconds(), TimeUnit.SECONDS)) {
            p.descendants().forEach(ProcessHandle::destroyForcibly);
            p.destroyForcibly();
            throw new AssertionError("lifeboat " + String.join(" ", args) + " still runs after " + FAST.toSeconds()
                    + " s: something waits for a password; stderr: " + Files.readString(err));
        }
        return new LifeboatCli.Result(p.exitValue(), Files.readString(out), Files.readString(err));
    }

    private void assertNoPasswordError(LifeboatCli.Result r) {
        assertThat(r.exitCode()).as("exit code; stderr: " + r.stderr()).isEqualTo(6);
        assertThat(r.stderr()).startsWith("Error: no password was given for " + login())
                .contains("Try: ").contains("PGPASSWORD").contains("~/.pgpass").contains("0600").contains("PGPASSFILE")
                .contains("postgres://user:password@")
                .doesNotContain("password authentication failed")
                .doesNotContain("Password for"); // no program prompted
        assertThat(r.stderr().lines().count()).as(r.stderr()).isEqualTo(2);
    }

    /** Whether the programs had PGPASSWORD in their environment. */
    private enum Handed { NEVER, ALWAYS, ONCE_TYPED }

    /**
     * Every program that connects ran with {@code --no-password} ({@code -w} for psql), none had the password on its
     * command line, and each had PGPASSWORD in its environment as {@code handed} says: once typed, every program
     * after the psql that found none (and the lock watch's, when it started while the question was asked).
     *
     * @return the connecting programs, by name
     */
    private List<String> assertEveryProgramRanWithoutPrompting(Handed handed) throws IOException {
        List<String> lines = Files.readAllLines(toolLog).stream().filter(l -> !l.endsWith(" --version")).toList();
        assertThat(String.join("\n", lines)).doesNotContain(secret);
        List<String> connecting = lines.stream()
                .filter(l -> !l.startsWith("pg_restore") || l.contains("--dbname")).toList();
        assertThat(connecting).isNotEmpty();
        int before = 0;
        while (handed == Handed.ONCE_TYPED && before < connecting.size() && connecting.get(before).startsWith("psql "
                + "password= ")) {
            before++;
        }
        assertThat(before).as("programs before the password was typed").isBetween(handed == Handed.ONCE_TYPED ? 1 : 0,
                handed == Handed.ONCE_TYPED ? 2 : 0);
        for (String l : connecting) {
            assertThat(l).as("a program that could prompt").containsAnyOf(" -w ", "--no-password");
        }
        for (String l : connecting.subList(before, connecting.size())) {
            assertThat(l).as("PGPASSWORD in the environment of: " + l)
                    .contains(handed == Handed.NEVER ? " password= " : " password=set ");
        }
        Files.delete(toolLog);
        return connecting.stream().map(l -> l.substring(0, l.indexOf(' '))).distinct().sorted().toList();
    }

    @Test
    void noPasswordAnywhereFailsAtOnceSayingWhereToPutIt() throws Exception {
        assertNoPasswordError(runFast(cli(), "backup", "--db", url("pw_a")));
        assertThat(cli().run("list", "--json").expectSuccess().stdout().trim()).isEqualTo("[ ]");
        assertThat(assertEveryProgramRanWithoutPrompting(Handed.NEVER)).containsExactly("psql");

        // libpq skips a password file that others may read: the error says so
        writePgpass("rw-r--r--");
        LifeboatCli.Result r = runFast(cli(), "backup", "--db", url("pw_a"));
        assertNoPasswordError(r);
        assertThat(r.stderr()).contains("ignored").contains("chmod 0600 " + home.resolve(".pgpass"));
    }

    @Test
    void aWrongPasswordIsCalledWrongAndWhereItCameFrom() throws Exception {
        LifeboatCli.Result r = runFast(cli().env("PGPASSWORD", "not-" + secret), "backup", "--db", url("pw_a"));
        assertThat(r.exitCode()).as(r.stderr()).isEqualTo(6);
        assertThat(r.stderr()).startsWith("Error: password authentication failed for " + login())
                .contains("PGPASSWORD").doesNotContain("no password was given").doesNotContain(secret);

        r = runFast(cli(), "backup", "--db", "postgres://" + pg.superuser() + ":not-" + secret + "@127.0.0.1:"
                + pg.port() + "/pw_a");
        assertThat(r.exitCode()).as(r.stderr()).isEqualTo(6);
        assertThat(r.stderr()).startsWith("Error: password authentication failed for " + login())
                .contains("connection string").doesNotContain(secret);
        assertEveryProgramRanWithoutPrompting(Handed.ALWAYS);

        Files.writeString(home.resolve(".pgpass"), "*:*:*:*:not-" + secret + "\n");
        Files.setPosixFilePermissions(home.resolve(".pgpass"), PosixFilePermissions.fromString("rw-------"));
        r = runFast(cli(), "backup", "--db", url("pw_a"));
        assertThat(r.exitCode()).as(r.stderr()).isEqualTo(6);
        assertThat(r.stderr()).startsWith("Error: password authentication failed for " + login())
                .contains(home.resolve(".pgpass").toString()).doesNotContain(secret);
        assertEveryProgramRanWithoutPrompting(Handed.NEVER);
    }

    @Test
    void thePasswordInPgpassServesBackupRestoreAndDrillAndIsNeverShown() throws Exception {
        writePgpass("rw-------");
        LifeboatCli cli = cli();
        StringBuilder output = new StringBuilder();
        LifeboatCli.Result backup = cli.run("backup", "--db", url("pw_a"), "--db", url("pw_b"), "--globals", "--json")
                .expectSuccess();
        LifeboatCli.Result restore = cli.run("restore", "latest", "--database", "pw_a", "--to", url("pw_a"), "--yes")
                .expectSuccess();
        assertThat(restore.stdout()).contains("safety backup taken first");
        LifeboatCli.Result drill = cli.run("verify", "latest", "--drill", "--scratch", url("postgres")).expectSuccess();
        for (LifeboatCli.Result r : List.of(backup, restore, drill, cli.run("list", "--json").expectSuccess(),
                cli.run("show", "latest", "--json").expectSuccess())) {
            output.append(r.stdout()).append(r.stderr());
        }
        assertThat(output.toString()).doesNotContain(secret).contains("\"conninfo\"");
        assertThat(assertEveryProgramRanWithoutPrompting(Handed.NEVER))
                .containsExactly("pg_dump", "pg_dumpall", "pg_restore", "psql");
    }

    @Test
    void thePasswordInTheUrlReachesEveryProgramButNoManifest() throws Exception {
        LifeboatCli cli = cli();
        cli.run("backup", "--db", pg.url("pw_a"), "--db", pg.url("pw_b"), "--globals").expectSuccess();
        cli.run("restore", "latest", "--database", "pw_b", "--to", pg.url("pw_b"), "--yes").expectSuccess();
        String shown = cli.run("list", "--json").expectSuccess().stdout() + cli.run("show", "latest", "--json")
                .expectSuccess().stdout();
        assertThat(shown).doesNotContain(secret).contains("pw_b");
        try (var files = Files.walk(repo)) {
            for (Path p : files.filter(Files::isRegularFile).filter(p -> p.toString().endsWith(".json")).toList()) {
                assertThat(Files.readString(p)).as(p.toString()).doesNotContain(secret);
            }
        }
        assertThat(assertEveryProgramRanWithoutPrompting(Handed.ALWAYS))
                .containsExactly("pg_dump", "pg_dumpall", "pg_restore", "psql");
    }

    @Test
    void onATerminalOnePasswordTypedOnceServesEveryProgram() throws Exception {
        require(Files.isExecutable(Path.of("/usr/bin/script")), "script(1), to give Lifeboat a terminal",
                "apt-get install util-linux");
        LifeboatCli cli = cli();
        String backup = onTerminal(cli, pg.password(), "backup", "--db", url("pw_a"), "--db", url("pw_b"), "--globals");
        assertThat(backup).contains("Backup ").contains(" completed in ");
        assertThat(assertEveryProgramRanWithoutPrompting(Handed.ONCE_TYPED)).containsExactly("pg_dump", "pg_dumpall", "psql");

        // a restore over tables takes a safety backup first: the one password serves psql, pg_dump and pg_restore
        String restore = onTerminal(cli, pg.password(), "restore", "latest", "--database", "pw_a", "--to", url("pw_a"),
                "--yes");
        assertThat(restore).contains("Restored pw_a.dump").contains("safety backup taken first");
        assertThat(assertEveryProgramRanWithoutPrompting(Handed.ONCE_TYPED)).containsExactly("pg_dump", "pg_restore", "psql");
        assertThat(pg.psql("pw_a", "select count(*) from t").trim()).isEqualTo("1000");

        String wrong = onTerminal(cli, "not-" + secret, "backup", "--db", url("pw_a"));
        assertThat(wrong).contains("Error: password authentication failed for " + login()).contains("typed")
                .doesNotContain(secret);
    }

    @Test
    void ctrlCAtThePasswordPromptStopsAtOnce() throws Exception {
        require(Files.isExecutable(Path.of("/usr/bin/script")), "script(1), to give Lifeboat a terminal",
                "apt-get install util-linux");
        Path out = work.resolve("terminal.out");
        Process script = startOnTerminal(cli(), out, "backup", "--db", url("pw_a"));
        try (OutputStream keyboard = script.getOutputStream()) {
            awaitPrompt(script, out);
            ProcessHandle jvm = script.descendants().filter(h -> h.info().command().orElse("").endsWith("java"))
                    .findFirst().orElseThrow();
            Instant sent = Instant.now();
            new ProcessBuilder("kill", "-INT", Long.toString(jvm.pid())).start().waitFor();
            assertThat(script.waitFor(30, TimeUnit.SECONDS)).isTrue();
            assertThat(Duration.between(sent, Instant.now())).as("stopped at once, not after the stop's grace period")
                    .isLessThan(Duration.ofSeconds(5));
        }
        assertThat(script.exitValue()).isEqualTo(130);
        assertThat(Files.readString(out)).contains("Error: stopped on request");
        assertThat(cli().run("list", "--json").expectSuccess().stdout().trim()).isEqualTo("[ ]");
    }

    /** Starts a command on a terminal (script(1)) whose screen goes to {@code out}; its keyboard is the stdin. */
    private Process startOnTerminal(LifeboatCli cli, Path out, String... args) throws IOException {
        ProcessBuilder command = cli.command(args);
        String line = command.command().stream().map(a -> "'" + a.replace("'", "'\\''") + "'")
                .collect(Collectors.joining(" "));
        ProcessBuilder onTerminal = new ProcessBuilder("script", "-qec", line, "/dev/null")
                .directory(command.directory()).redirectOutput(out.toFile()).redirectErrorStream(true);
        onTerminal.environment().clear();
        onTerminal.environment().putAll(command.environment());
        return onTerminal.start();
    }

    private void awaitPrompt(Process script, Path out) throws Exception {
        String prompt = "Password for " + login() + ": ";
        Instant deadline = Instant.now().plus(FAST);
        while (!Files.readString(out).contains(prompt) && script.isAlive() && Instant.now().isBefore(deadline)) {
            Thread.sleep(20);
        }
        assertThat(Files.readString(out)).as("the prompt").contains(prompt);
    }

    /**
     * Runs a command on a terminal, types {@code password} at its one prompt, and returns what the terminal showed:
     * the prompt once, and never the password, which is not echoed.
     */
    private String onTerminal(LifeboatCli cli, String password, String... args) throws Exception {
        Path out = work.resolve("terminal.out");
        Process script = startOnTerminal(cli, out, args);
        try (OutputStream keyboard = script.getOutputStream()) {
            awaitPrompt(script, out);
            keyboard.write((password + "\n").getBytes(StandardCharsets.UTF_8));
            keyboard.flush();
            if (!script.waitFor(5, TimeUnit.MINUTES)) {
                script.descendants().forEach(ProcessHandle::destroyForcibly);
                script.destroyForcibly();
                throw new AssertionError("lifeboat " + String.join(" ", args) + " did not end: " + Files.readString(out));
            }
        }
        String shown = Files.readString(out);
        Matcher prompts = Pattern.compile(Pattern.quote("Password for")).matcher(shown);
        assertThat(prompts.results().count()).as("prompts in: " + shown).isEqualTo(1);
        assertThat(shown).doesNotContain(secret);
        return shown;
    }
}
