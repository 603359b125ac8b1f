package dev.lifeboat.source.postgres;

import dev.lifeboat.core.ErrorCode;
import dev.lifeboat.core.LifeboatException;

import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The password a server asks for. Every client program runs with {@code --no-password} ({@code -w} for psql), so
 * none ever prompts on the terminal or reads a password from its input: libpq takes it from the connection string,
 * {@code PGPASSWORD}, or the password file ({@code PGPASSFILE}, else {@code ~/.pgpass}), and when none of them has
 * one it fails with {@value #NOT_GIVEN}. Then, and only when a {@link Prompt} is installed (the CLI, which asks on
 * its terminal; never the service), Lifeboat asks once per user, host and port, keeps the answer in memory for the
 * rest of the process, and hands it to every program it starts for that login through {@code PGPASSWORD} in the
 * program's environment ({@link PgConnection#environment}), never on a command line and never in a message. Without
 * an answer, the error says which password is missing and where to put it; a password the server refuses is
 * reported as wrong, with where it came from.
 */
public final class PgAuth {
    /** libpq's text when the server asks for a password and the client has none (never translated). */
    static final String NOT_GIVEN = "fe_sendauth: no password supplied";

    /** Asks a person for a password. */
    @FunctionalInterface
    public interface Prompt {
        /** What was typed after {@code question}; null when nothing could be asked (no terminal) or typed. */
        char[] ask(String question);
    }

    /** A user at a server, as a program's environment names them, with libpq's defaults for what it leaves out. */
    record Login(String user, String host, String port) {
        static Login of(Map<String, String> env) {
            String host = env.get("PGHOST") != null ? env.get("PGHOST") : env.get("PGHOSTADDR");
            return new Login(env.getOrDefault("PGUSER", System.getProperty("user.name")),
                    host == null || host.isEmpty() ? "localhost" : host, env.getOrDefault("PGPORT", "5432"));
        }

        @Override
        public String toString() {
            return "user " + user + " at " + host + ":" + port;
        }
    }

    private static volatile Prompt prompt;
    /** What was typed for each login asked; empty when nothing was. */
    private static final Map<Login, String> typed = new ConcurrentHashMap<>();

    private PgAuth() {
    }

    /** Asks with {@code p} for the passwords libpq does not find; null: never ask (the default). */
    public static void askWith(Prompt p) {
        prompt = p;
    }

    /** Forgets the prompt and every password typed (tests). */
    static void reset() {
        prompt = null;
        typed.clear();
    }

    /** Sets PGPASSWORD in a program's environment to the password typed for its login, when it has none. */
    static void supply(Map<String, String> env) {
        if (env.getOrDefault("PGPASSWORD", "").isEmpty()) {
            String password = typed.get(Login.of(env));
            if (password != null && !password.isEmpty()) {
                env.put("PGPASSWORD", password);
            }
        }
    }

    /** Whether a program failed because the server asked for a password it did not have. */
    static boolean notGiven(String stderr) {
        return stderr.contains(NOT_GIVEN);
    }

    /**
     * Asks for the password of the login of {@code conn}, once in the process (another thread that needs it meanwhile
     * waits for the answer): true when there is one to try again with, false when none could be asked or was typed.
     */
    static synchronized boolean ask(PgConnection conn) {
        Login login = Login.of(conn.environment(System.getenv()));
        String known = typed.get(login);
        if (known == null) {
            Prompt p = prompt;
            if (p == null) {
                return false;
            }
            typed.put(login, ""); // asked once, even when the question ends in an error (a stop at the prompt)
            char[] answer = p.ask("Password for " + login + ": ");
            if (answer == null) {
                return false;
            }
            known = new String(answer);
            Arrays.fill(answer, '\0');
            typed.put(login, known);
        }
        return !known.isEmpty();
    }

    /**
     * The error for a program that could not log in to the server of {@code conn}, from its stderr: a password the
     * server asks for and none was given, or one it refused; null when it failed for another reason.
     */
    public static LifeboatException error(PgConnection conn, String stderr) {
        Map<String, String> env = conn.environment(System.getenv());
        Login login = Login.of(env);
        if (notGiven(stderr)) {
            String ignored = stderr.contains("has group or world access") ? "; libpq ignored the password file, "
                    + "which others may read (chmod 0600 " + passFile(env) + ")" : "";
            return new LifeboatException(ErrorCode.DATABASE, "no password was given for " + login
                    + ", and the server asks for one" + ignored,
                    "set PGPASSWORD, or add the line " + login.host() + ":" + login.port() + ":*:" + login.user()
                            + ":PASSWORD to ~/.pgpass (chmod 0600; PGPASSFILE names another file), or put it in the "
                            + "URL (postgres://user:password@host/db); on a terminal Lifeboat asks for it, "
                            + "lifeboat serve never does");
        }
        if (stderr.contains("password authentication failed for user")) {
            String from;
            String fix;
            if (conn.get("password") != null) {
                from = "from the connection string";
                fix = "correct the password in the connection string, or leave it out and set PGPASSWORD or ~/.pgpass";
            } else if (!System.getenv().getOrDefault("PGPASSWORD", "").isEmpty()) {
                from = "from PGPASSWORD";
                fix = "correct PGPASSWORD, or unset it to use " + passFile(env);
            } else if (!typed.getOrDefault(login, "").isEmpty()) {
                from = "typed at the prompt";
                fix = "run the command again and type the right password";
            } else {
                from = "from " + (env.containsKey("PGSERVICE") ? "the service file or " : "") + passFile(env);
                fix = "correct the line for this server and user in " + passFile(env)
                        + " (host:port:database:user:password; the first line that matches is used)";
            }
            return new LifeboatException(ErrorCode.DATABASE, "password authentication failed for " + login + ": the "
                    + "server refused the password " + from, fix);
        }
        return null;
    }

    /** The password file libpq reads, as a path (its default spelled out when the home is known). */
    private static String passFile(Map<String, String> env) {
        String file = env.get("PGPASSFILE");
        if (file != null && !file.isEmpty()) {
            return file;
        }
        String home = env.get("HOME");
        return home == null || home.isEmpty() ? "~/.pgpass" : home.replaceAll("/$", "") + "/.pgpass";
    }
}
