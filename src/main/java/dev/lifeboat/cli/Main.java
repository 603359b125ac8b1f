package dev.lifeboat.cli;

import dev.lifeboat.core.ErrorCode;
import dev.lifeboat.core.LifeboatException;
import dev.lifeboat.core.Version;
import dev.lifeboat.engine.UserErrors;
import dev.lifeboat.repository.RepositoryLock;
import picocli.CommandLine;
import picocli.CommandLine.Command;

import java.io.PrintWriter;
import java.util.List;

/** The {@code lifeboat} command. */
@Command(name = "lifeboat", mixinStandardHelpOptions = true, versionProvider = Main.VersionProvider.class,
        description = "Backup and disaster recovery for PostgreSQL and the services around it.",
        footerHeading = "%nExit codes:%n", footer = {
                "  0   success",
                "  1   unexpected error (a bug: please report it with the stack trace)",
                "  2   invalid usage or configuration",
                "  3   backup, artifact or table not found",
                "  4   repository missing or unreadable",
                "  5   storage unreachable or failing",
                "  6   database unreachable, or pg_dump / pg_restore failed",
                "  7   identity missing or wrong",
                "  8   repository locked by another process",
                "  9   aborted: confirmation declined or required",
                "  10  stored data is missing or corrupt",
                "  11  required PostgreSQL client tools missing",
                "  12  a source's command (exec) or a hook failed, or ran out of time",
                "  130, 143  stopped by Ctrl-C or SIGTERM (nothing half-done is kept)",
                "",
                "Environment (see README.md, Configuration):",
                "  LIFEBOAT_REPOSITORY, LIFEBOAT_IDENTITY_FILE, LIFEBOAT_RECIPIENTS,",
                "  LIFEBOAT_COMPRESSION_LEVEL, LIFEBOAT_THREADS, LIFEBOAT_KEY_DIR, LIFEBOAT_PG_BIN,",
                "  LIFEBOAT_LOCK_WAIT, LIFEBOAT_PG_LOCK_WAIT, LIFEBOAT_RETENTION_* (see prune --help),",
                "  LIFEBOAT_TIMEZONE, LIFEBOAT_DRILL_QUERY, LIFEBOAT_DATA_DIR, LIFEBOAT_STATE,",
                "  LIFEBOAT_LOG_LEVEL, DATABASE_URL; S3 credentials from AWS_ACCESS_KEY_ID and",
                "  AWS_SECRET_ACCESS_KEY, or ~/.aws/credentials."})
public final class Main {
    /**
     * The subcommands, in the order {@code --help} lists them. They are added in code rather than in the
     * annotation so that a command line naming one builds the model of that one only: picocli's reflection
     * over all of them cost every command about a tenth of a second of start-up.
     */
    private static final List<Class<?>> SUBCOMMANDS = List.of(InitCommand.class, BackupCommand.class,
            ListCommand.class, ShowCommand.class, LsCommand.class, RestoreCommand.class, CatCommand.class, VerifyCommand.class,
            PruneCommand.class, PinCommand.class, PinCommand.Unpin.class, KeygenCommand.class, TokenCommand.class,
            ServeCommand.class, TrainingCommand.class, CommandLine.HelpCommand.class);

    /** How long a stop on SIGTERM or Ctrl-C waits for the command to clean up (release its lock, say why). */
    private static final long STOP_GRACE_MILLIS = 10_000;
    /** Set by a stop on a signal: the command's failure is then reported as the stop it is. */
    private static volatile boolean stopping;
    /** Set when the command has ended and the JVM exits with its code: the shutdown hook has nothing to do. */
    private static volatile boolean exiting;

    public static void main(String[] args) {
        Thread command = Thread.currentThread();
        if (args.length == 0 || !args[0].equals("serve")) { // the service drains its jobs itself (ServeCommand)
            Runtime.getRuntime().addShutdownHook(new Thread(() -> stop(command), "lifeboat-stop"));
        }
        int code = run(args);
        if (!stopping) { // when stopping, the JVM is already exiting, with the signal's code (130 or 143)
            exiting = true;
            System.exit(code);
        }
    }

    /**
     * On SIGTERM or Ctrl-C: stops the command's programs (pg_dump, pg_restore, psql), so that reading their output
     * ends, and interrupts the command, which then fails the way it fails on any error: a backup is not
     * committed, a restore's transaction is rolled back, and locks are released. Waits for that, briefly.
     */
    private static void stop(Thread command) {
        if (exiting) {
            return;
        }
        stopping = true;
        ProcessHandle.current().descendants().forEach(ProcessHandle::destroy);
        command.interrupt();
        try {
            command.join(STOP_GRACE_MILLIS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (command.isAlive()) { // stuck in a call that ignores interrupts: release its locks for it, then go
            RepositoryLock.releaseAll();
            System.err.println("Error: stopped on request (SIGTERM or Ctrl-C); the command did not end within "
                    + STOP_GRACE_MILLIS / 1000 + " s, so its locks were released for it (a backup that did not finish is not listed)");
        }
    }

    public static int run(String... args) {
        CommandLine cli = new CommandLine(new Main());
        Class<?> named = args.length > 0 ? subcommand(args[0]) : null;
        for (Class<?> c : named != null ? List.<Class<?>>of(named) : SUBCOMMANDS) {
            cli.addSubcommand(c);
        }
        // After the subcommands: picocli hands these settings to the subcommands present at the call.
        cli.setExecutionExceptionHandler(Main::handle);
        cli.setParameterExceptionHandler((ex, a) -> {
            PrintWriter err = ex.getCommandLine().getErr();
            err.println("Error: " + ex.getMessage());
            err.println("Try: " + ex.getCommandLine().getCommandSpec().qualifiedName() + " --help");
            return ErrorCode.USAGE.exitCode();
        });
        try {
            return cli.execute(args);
        } catch (OutOfMemoryError e) {
            return outOfMemory(cli.getErr());
        }
    }

    /**
     * Out of heap: with the launcher's fixed heap that means a repository of more chunks than its index can hold
     * (about 1.5 million with the default 160 MB), or a bug; either way the user can raise the heap and retry.
     */
    static int outOfMemory(PrintWriter err) {
        long mb = Runtime.getRuntime().maxMemory() / (1024 * 1024);
        err.println("Error: Lifeboat ran out of memory (its heap is limited to " + mb + " MB) and stopped");
        err.println("Try: raise the limit, e.g. LIFEBOAT_JAVA_OPTS='-Xmx" + Math.max(512, 4 * mb)
                + "m -XX:+UseSerialGC', and run the command again (a repository of more than about 1.5 million"
                + " chunks needs more than 160 MB); if it happens with a small repository, please report it");
        err.flush();
        return ErrorCode.INTERNAL.exitCode();
    }

    /**
     * The subcommand called {@code name}, or null (then all are added, for help and suggestions). Never
     * {@code help}, which needs the others ({@code lifeboat help backup}).
     */
    static Class<?> subcommand(String name) {
        for (Class<?> c : SUBCOMMANDS) {
            if (c == CommandLine.HelpCommand.class) {
                continue;
            }
            Command command = c.getAnnotation(Command.class);
            if (command != null && command.name().equals(name) && command.aliases().length == 0) {
                return c;
            }
        }
        return null;
    }

    static int handle(Exception ex, CommandLine cmd, CommandLine.ParseResult parse) {
        PrintWriter err = cmd.getErr();
        if (stopping) {
            err.println("Error: stopped on request (SIGTERM or Ctrl-C) before the command finished");
            err.println("Try: run it again; nothing half-done was kept (a backup that did not finish is not listed,"
                    + " a restore that did not finish was rolled back)");
            err.flush();
            return ErrorCode.ABORTED.exitCode();
        }
        for (Throwable t = ex; t != null; t = t.getCause()) {
            if (t instanceof OutOfMemoryError) { // in a worker thread, reported through a Future
                return outOfMemory(err);
            }
        }
        LifeboatException le = UserErrors.of(ex);
        if (le != null) {
            err.println("Error: " + Terminal.safe(le.getMessage()));
            if (le.hint() != null) {
                err.println("Try: " + le.hint());
            }
            if (Boolean.getBoolean("lifeboat.debug") && le.getCause() != null) {
                le.getCause().printStackTrace(err);
            }
            err.flush();
            return le.code().exitCode();
        }
        err.println("Error: unexpected " + ex + " (this is a bug in Lifeboat " + Version.get()
                + "; please report it with the trace below)");
        ex.printStackTrace(err);
        err.flush();
        return ErrorCode.INTERNAL.exitCode();
    }

    static final class VersionProvider implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            return new String[] {"lifeboat " + Version.get()};
        }
    }

}
