package dev.lifeboat.service;

import com.github.kagkarlsson.scheduler.Scheduler;
import com.github.kagkarlsson.scheduler.SchedulerName;
import com.github.kagkarlsson.scheduler.task.ExecutionComplete;
import com.github.kagkarlsson.scheduler.task.helper.RecurringTask;
import com.github.kagkarlsson.scheduler.task.helper.Tasks;
import com.github.kagkarlsson.scheduler.task.schedule.Schedule;
import dev.lifeboat.core.ErrorCode;
import dev.lifeboat.core.LifeboatException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import javax.sql.DataSource;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * The scheduler of several instances sharing one PostgreSQL state store, on db-scheduler: the next
 * scheduled backup is one row of {@code scheduled_tasks}, and the instance that locks it runs it; the
 * others skip it. A run that fell while every instance was down is still due when the first comes back,
 * so it runs once then (or is skipped with a log line when {@code runMissedAtStartup} is off). An
 * instance that dies mid-backup stops its heartbeat and another instance runs the backup again.
 *
 * <p>The cron schedule is read from the shared configuration at each computation, so a change made
 * through the API on one instance is seen by all; the instance that made it moves the pending run.
 */
public final class ClusteredScheduler implements BackupScheduler {
    private static final Logger LOG = LoggerFactory.getLogger(ClusteredScheduler.class);
    static final String TASK = "lifeboat-backup";
    static final String INSTANCE = "default";
    /** How late a run may start and still count as on time rather than missed. */
    static final Duration ON_TIME = Duration.ofMinutes(5);

    private final Supplier<ServiceConfig> config;
    private final Scheduler scheduler;
    private final RecurringTask<Void> task;

    /**
     * @param fire runs the backup of a slot and returns when it has ended (so that the row stays locked
     *             by this instance meanwhile)
     */
    /**
     * @param pollInterval how often this instance looks for a due run (a run starts at most this late)
     */
    public ClusteredScheduler(DataSource dataSource, String instanceName, Duration pollInterval,
                              Supplier<ServiceConfig> config, java.util.function.BiConsumer<Instant, Boolean> fire) {
        this.config = config;
        Schedule schedule = new Schedule() {
            @Override
            public Instant getNextExecutionTime(ExecutionComplete done) {
                return config.get().schedule().nextRun(done.getTimeDone()).orElse(Schedule.NEVER);
            }

            @Override
            public boolean isDeterministic() {
                return true;
            }
        };
        this.task = Tasks.recurring(TASK, schedule).execute((instance, ctx) -> {
            Instant slot = ctx.getExecution().executionTime;
            boolean late = Duration.between(slot, Instant.now()).compareTo(ON_TIME) > 0;
            if (late && !config.get().runMissedAtStartup()) {
                LOG.warn("scheduler: the backup of {} was missed; runMissedAtStartup is off, so the next one runs at "
                        + "its time", slot);
                return;
            }
            fire.accept(slot, late);
        });
        this.scheduler = Scheduler.create(dataSource)
                .startTasks(task)
                .schedulerName(new SchedulerName.Fixed(instanceName))
                .pollingInterval(pollInterval)
                .heartbeatInterval(Duration.ofSeconds(30))
                .threads(1)
                // close() comes after the service's jobs have ended, so a fired run returns at once
                .shutdownMaxWait(Duration.ofSeconds(10))
                .build();
    }

    @Override
    public void start() {
        scheduler.start();
        LOG.info("scheduler (clustered): backups at {}", config.get().schedule().describe());
    }

    /**
     * Moves the pending run to the next slot of the new configuration, unless it runs now or is due: a run
     * whose time has come waits only for an instance to poll, and moving it would skip that slot. The run
     * after it follows the new configuration.
     */
    @Override
    public void reschedule() {
        Instant now = Instant.now();
        Instant next = config.get().schedule().nextRun(now).orElse(Schedule.NEVER);
        try {
            var pending = scheduler.getScheduledExecution(task.getDefaultTaskInstance());
            if (pending.isPresent() && (pending.get().isPicked() || !pending.get().getExecutionTime().isAfter(now))) {
                LOG.info("scheduler: the run of {} is due or running; the schedule applies from the next one",
                        pending.get().getExecutionTime());
                return;
            }
            scheduler.reschedule(task.getDefaultTaskInstance(), next);
        } catch (RuntimeException e) {
            LOG.warn("scheduler: cannot move the next run to {}: {}", next, e.toString());
        }
    }

    @Override
    public Optional<Instant> nextRun() {
        try {
            return scheduler.getScheduledExecution(task.getDefaultTaskInstance()).map(e -> e.getExecutionTime());
        } catch (RuntimeException e) {
            return Optional.empty();
        }
    }

    /**
     * Polls no more: this instance takes no new run. A run it took goes on, and its execution returns when
     * the service's job ends, within the shutdown grace.
     */
    @Override
    public void stopFiring() {
        scheduler.pause();
    }

    @Override
    public void close() {
        scheduler.stop();
    }
}
