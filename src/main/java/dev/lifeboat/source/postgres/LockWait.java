package dev.lifeboat.source.postgres;

import dev.lifeboat.core.ErrorCode;
import dev.lifeboat.core.LifeboatException;
import dev.lifeboat.core.Units;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * How long Lifeboat's PostgreSQL sessions (its own, pg_dump's and pg_restore's) wait for a table lock that
 * another session holds: {@link PgTools#lockWait()}, which {@code Settings} reads from {@code LIFEBOAT_PG_LOCK_WAIT}
 * ({@code pgLockWaitSeconds}), 300 s by default. Without a limit a backup that
 * meets a migration, or a restore over a database an application holds open in a transaction, would wait for
 * ever without a word. Lifeboat's sessions use {@code lock_timeout}, pg_dump {@code --lock-wait-timeout}, and
 * pg_restore a {@link LockWatch}. When the wait runs out, the error names the table and the sessions that hold it.
 */
public final class LockWait {
    /** The wait when none is configured. */
    public static final Duration DEFAULT = Duration.ofMinutes(5);
    static final String VARIABLE = "LIFEBOAT_PG_LOCK_WAIT";

    private static final Pattern STATEMENT_TABLE = Pattern.compile(
            "(?:(?:Query|Command) was:|STATEMENT:) +(?:LOCK TABLE|DROP TABLE IF EXISTS|DROP TABLE|ALTER TABLE(?: IF EXISTS)?(?: ONLY)?"
                    + "|TRUNCATE TABLE(?: ONLY)?) ((?:\"[^\"]+\"|[^\\s.;]+)\\.(?:\"[^\"]+\"|[^\\s;]+))");

    private LockWait() {}

    /** The value for {@code lock_timeout} and {@code pg_dump --lock-wait-timeout}. */
    static String setting(Duration wait) {
        return wait.toSeconds() + "s";
    }

    /** Whether a client's error text is a lock wait that ran out (psql and pg_restore; pg_dump's LOCK TABLE). */
    static boolean timedOut(String text) {
        return text.contains("canceling statement due to lock timeout")
                || (text.contains("canceling statement due to statement timeout") && text.contains("LOCK TABLE"));
    }

    /** The table named by the statement that waited, when the tool printed it (pg_dump, pg_restore). */
    static Optional<String> table(String text) {
        Matcher m = STATEMENT_TABLE.matcher(text);
        return m.find() ? Optional.of(m.group(1)) : Optional.empty();
    }

    /**
     * The error for a lock wait that ran out while {@code action} (such as "backing up" or "restoring into") the
     * database of {@code conn}, naming the table when known (see {@link #table}) and the sessions holding locks there.
     *
     * @param exclusiveOnly whether only ACCESS EXCLUSIVE locks were in the way (a dump reads; a restore drops)
     * @param outcome       what became of the work, for the hint ("nothing was committed")
     */
    static LifeboatException error(PgTools tools, PgConnection conn, String action, Optional<String> table,
                                   Duration wait, boolean exclusiveOnly, String outcome) {
        return error(conn, action, table, wait, holders(tools, conn, exclusiveOnly), outcome);
    }

    /**
     * A session holding locks on tables of the database. Its statement's text is left out on purpose: it may hold
     * data (literals), and the error reaches the service's viewers; the pid finds it in pg_stat_activity.
     */
    record Holder(String pid, String user, String state, long seconds, String tables) {
        @Override
        public String toString() {
            return "pid " + pid + " (user " + user + ", " + (state.isEmpty() ? "state unknown" : state) + " for "
                    + Units.duration(Duration.ofSeconds(seconds)) + ", holding " + tables + ")";
        }
    }

    private static final String HOLDERS = """
            select a.pid, coalesce(a.usename, ''), coalesce(a.state, ''),
                   coalesce(extract(epoch from now() - coalesce(a.xact_start, a.query_start))::bigint, 0),
                   encode(convert_to(string_agg(distinct format('%%I.%%I %%s', n.nspname, c.relname, l.mode), ', '), 'UTF8'), 'hex')
            from pg_locks l join pg_stat_activity a on a.pid = l.pid
                 join pg_class c on c.oid = l.relation join pg_namespace n on n.oid = c.relnamespace
            where l.locktype = 'relation' and l.granted and l.pid <> pg_backend_pid()
              and l.database = (select oid from pg_database where datname = current_database())
              and n.nspname not in ('pg_catalog', 'information_schema') and n.nspname not like 'pg\\_toast%%'
              %s
            group by a.pid, a.usename, a.state, a.xact_start, a.query_start
            order by min(coalesce(a.xact_start, a.query_start)) limit 5""";

    /**
     * Who holds table locks in the database, oldest transaction first; empty when that cannot be read.
     *
     * @param exclusiveOnly only ACCESS EXCLUSIVE locks (those in a dump's way)
     */
    static List<Holder> holders(PgTools tools, PgConnection conn, boolean exclusiveOnly) {
        try (PsqlSession s = PsqlSession.open(tools.newest("psql"), conn)) {
            return holders(s, exclusiveOnly ? "l.mode = 'AccessExclusiveLock'" : "true");
        } catch (RuntimeException e) {
            return List.of(); // best effort: the error still says where to look
        }
    }

    /** {@link #holders(PgTools, PgConnection, boolean)} in an open session, for the sessions {@code condition} selects. */
    static List<Holder> holders(PsqlSession s, String condition) {
        List<Holder> out = new ArrayList<>();
        s.query("set lock_timeout = '5s'");
        for (String[] r : s.query(String.format(HOLDERS, "and " + condition))) {
            out.add(new Holder(r[0], r[1], r[2], Long.parseLong(r[3]), PostgresDump.unhex(r[4])));
        }
        return out;
    }

    /** The error for a wait that ran out, given who was in the way. */
    static LifeboatException error(PgConnection conn, String action, Optional<String> table, Duration wait,
                                   List<Holder> holders, String outcome) {
        StringBuilder msg = new StringBuilder(action).append(' ').append(conn).append(": waited ")
                .append(Units.duration(wait)).append(" for a lock on ")
                .append(table.map(t -> "table " + t).orElse("a table")).append(" and gave up");
        if (holders.isEmpty()) {
            msg.append("; another session holds it");
        } else {
            msg.append("; held by ");
            for (int i = 0; i < holders.size(); i++) {
                msg.append(i == 0 ? "" : "; ").append(holders.get(i));
            }
        }
        String end = holders.isEmpty() ? "find it in pg_locks and pg_stat_activity, and let it finish or end it"
                : "let " + (holders.size() == 1 ? "that session" : "those sessions") + " finish, or end "
                + (holders.size() == 1 ? "it" : "them") + " with select pg_terminate_backend(" + holders.get(0).pid() + ")";
        return new LifeboatException(ErrorCode.DATABASE, msg.toString(), end + ", then run again (" + VARIABLE
                + " sets the wait, now " + wait.toSeconds() + " s); " + outcome);
    }
}
