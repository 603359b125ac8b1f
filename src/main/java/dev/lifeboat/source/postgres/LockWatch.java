package dev.lifeboat.source.postgres;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * Watches the server sessions of a client program, found by their {@code application_name}. When one waits for a
 * lock, says once who holds it. For a program that cannot be given a lock timeout (pg_restore: every archive
 * starts with {@code SET lock_timeout = 0}), it also cancels the statement once it has waited longer than the
 * limit, so that the program fails (its transaction rolled back) instead of waiting for ever, and keeps who was in
 * the way for the error; a backup's sessions have timeouts of their own, and the watch only warns.
 */
final class LockWatch implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(LockWatch.class);
    static final Duration POLL = Duration.ofSeconds(1);

    private final PgTools tools;
    private final PgConnection conn;
    private final String applicationName;
    private final Duration limit;
    private final String action;
    private final boolean cancel;
    private final CountDownLatch stop = new CountDownLatch(1);
    private final Thread thread;
    private volatile List<LockWait.Holder> cancelledFor;

    private LockWatch(PgTools tools, PgConnection conn, String applicationName, Duration limit, String action,
                      boolean cancel) {
        this.tools = tools;
        this.cancel = cancel;
        this.conn = conn;
        this.applicationName = applicationName;
        this.limit = limit;
        this.action = action;
        this.thread = new Thread(this::run, "lifeboat-lock-watch");
        this.thread.setDaemon(true);
    }

    /**
     * Starts watching the sessions named {@code applicationName} on the database of {@code conn}; with
     * {@code cancel}, cancels a statement that has waited for a lock longer than {@code limit}.
     */
    static LockWatch start(PgTools tools, PgConnection conn, String applicationName, Duration limit, String action,
                           boolean cancel) {
        LockWatch w = new LockWatch(tools, conn, applicationName, limit, action, cancel);
        w.thread.start();
        return w;
    }

    /** Stops watching without waiting for the watch to end ({@link #close} waits). */
    void stopSoon() {
        stop.countDown();
    }

    /** Who held the lock when the watch cancelled the statement; null when it did not. */
    List<LockWait.Holder> cancelledFor() {
        return cancelledFor;
    }

    private void run() {
        PsqlSession s;
        try {
            // Connect only once the program has run a while: a short restore never pays for the watch, and a long
            // one's start (when it competes for the CPUs) is left alone.
            if (stop.await(POLL.toMillis(), TimeUnit.MILLISECONDS)) {
                return;
            }
            s = PsqlSession.open(tools.newest("psql"), conn);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return;
        } catch (RuntimeException e) {
            LOG.debug("lock watch of {} not started: {}", conn, e.getMessage());
            return;
        }
        try (s) {
            long waitingSince = -1;
            String waitingQueryStart = null;
            while (!stop.await(POLL.toMillis(), TimeUnit.MILLISECONDS)) {
                List<String[]> rows = s.query("select pid, coalesce(query_start::text, ''), "
                        + "coalesce(array_to_string(pg_blocking_pids(pid), ','), '') from pg_stat_activity "
                        + "where application_name = " + PsqlSession.literal(applicationName)
                        + " and wait_event_type = 'Lock'");
                if (rows.isEmpty() || rows.get(0)[2].isEmpty()) {
                    waitingSince = -1;
                    continue;
                }
                String[] r = rows.get(0);
                if (waitingSince < 0 || !r[1].equals(waitingQueryStart)) { // a new wait (of a new statement)
                    waitingSince = System.nanoTime();
                    waitingQueryStart = r[1];
                    List<LockWait.Holder> holders = LockWait.holders(s, "a.pid in (" + r[2] + ")");
                    LOG.warn("{} {}: waiting for a lock held by {}; giving up after {} ({})", action, conn,
                            holders.isEmpty() ? "pid " + r[2] : holders.get(0), dev.lifeboat.core.Units.duration(limit),
                            LockWait.VARIABLE);
                } else if (cancel && System.nanoTime() - waitingSince >= limit.toNanos()) {
                    cancelledFor = LockWait.holders(s, "a.pid in (" + r[2] + ")");
                    s.query("select pg_cancel_backend(" + Integer.parseInt(r[0]) + ")");
                    return;
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException e) {
            // the watched program ended, or the server went away: its own error will say why
            LOG.debug("lock watch of {} ended: {}", conn, e.getMessage());
        }
    }

    @Override
    public void close() {
        stop.countDown();
        try {
            thread.join(TimeUnit.SECONDS.toMillis(10));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
