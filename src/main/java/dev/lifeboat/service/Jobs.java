package dev.lifeboat.service;

import dev.lifeboat.core.ErrorCode;
import dev.lifeboat.core.LifeboatException;
import dev.lifeboat.engine.UserErrors;
import dev.lifeboat.state.JobHistory;
import dev.lifeboat.state.JobRecord;
import dev.lifeboat.state.JobStatus;
import dev.lifeboat.state.StateStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * The service's job queue. Every job touches the one repository, so jobs run one at a time, in the order
 * they were submitted, on one worker thread; a {@link JobGate} extends that to several instances.
 *
 * <p>A job equal to one already queued or running (same kind, same backup) is refused with
 * {@link ErrorCode#LOCKED}, naming the job that holds the slot: a second click never runs a backup twice.
 * Each job is written to the job history when submitted, again when it starts to run (past the
 * {@link JobGate}, so that its start is when it really began) and when it ends; a job cut short by
 * {@link #shutdown} is recorded as interrupted, one that never started as cancelled. Its leftovers (chunks without a manifest) are removed by
 * the next prune.
 */
public final class Jobs {
    private static final Logger LOG = LoggerFactory.getLogger(Jobs.class);
    private static final int RECENT = 100;

    private final StateStore state;
    private final String instance;
    private final JobGate gate;
    private final Clock clock;
    private final ExecutorService worker;
    private final Map<String, Job> live = new LinkedHashMap<>();
    private final List<Job> ended = new ArrayList<>();
    private final List<Consumer<Job>> listeners = new CopyOnWriteArrayList<>();
    private volatile boolean stopping;

    public Jobs(StateStore state, String instance, JobGate gate, Clock clock) {
        this.state = state;
        this.instance = instance;
        this.gate = gate;
        this.clock = clock;
        this.worker = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "lifeboat-job");
            t.setDaemon(true);
            return t;
        });
    }

    /**
     * Called with every job that ends, on the worker thread, after it is recorded and before
     * {@link Job#done()} completes.
     */
    public void onEnd(Consumer<Job> listener) {
        listeners.add(listener);
    }

    /**
     * Queues a job.
     *
     * @param target the backup it works on, or null
     * @throws LifeboatException {@link ErrorCode#LOCKED} when an equal job is queued or running, or the
     *                           service is shutting down
     */
    public Job submit(JobKind kind, String target, String requestedBy, Map<String, ?> details, JobBody body) {
        return submit(kind, target, requestedBy, details, accepted -> {}, body);
    }

    /**
     * {@link #submit(JobKind, String, String, Map, JobBody)}, calling {@code accepted} with the job once it is
     * recorded and before it can start (the audit entry of the request then always precedes the job's end).
     */
    public Job submit(JobKind kind, String target, String requestedBy, Map<String, ?> details, Consumer<Job> accepted,
                      JobBody body) {
        Job job;
        synchronized (this) {
            if (stopping) {
                throw new LifeboatException(ErrorCode.LOCKED, "the service is shutting down",
                        "try again once it has restarted");
            }
            for (Job j : live.values()) {
                if (j.kind() == kind && java.util.Objects.equals(j.target(), target)) {
                    throw new LifeboatException(ErrorCode.LOCKED, "a " + kind.label() + " job"
                            + (target == null ? "" : " of backup " + target) + " is already " + j.state().label()
                            + ": job " + j.id() + ", requested by " + j.requestedBy(),
                            "wait for job " + j.id() + " to end; its status is at /api/v1/platform/jobs/" + j.id());
                }
            }
            Map<String, Object> recorded = new LinkedHashMap<>(details);
            if (target != null) {
                recorded.put("backup", target);
            }
            JobRecord rec = state.jobs().start(kind.label(), requestedBy, instance, recorded);
            job = new Job(rec.id(), kind, target, requestedBy, rec.started());
            live.put(job.id(), job);
        }
        LOG.info("job {} {} queued (requested by {}{})", job.id(), kind.label(), requestedBy,
                target == null ? "" : ", backup " + target);
        try {
            accepted.accept(job);
        } finally {
            worker.submit(() -> execute(job, body));
        }
        return job;
    }

    private static final Job.Failure NOT_STARTED = new Job.Failure(ErrorCode.ABORTED,
            "the service stopped before the job started", "submit it again");

    private void execute(Job job, JobBody body) {
        if (stopping) {
            end(job, Job.State.CANCELLED, null, NOT_STARTED);
            return;
        }
        Map<String, Object> result = null;
        Job.Failure failure = null;
        try (JobGate.Pass pass = gate.enter(job)) {
            // Started only now, past the gate: a job that waited for another instance's did not run meanwhile.
            Instant start = clock.instant();
            try {
                start = state.jobs().running(job.id());
            } catch (RuntimeException e) {
                LOG.warn("job {}: cannot record its start in the state store: {}", job.id(), e.toString());
            }
            job.running(start);
            LOG.info("job {} {} started", job.id(), job.kind().label());
            result = body.run(job);
        } catch (JobFailure e) {
            result = new LinkedHashMap<>(e.result());
            failure = new Job.Failure(e.code(), e.getMessage(), e.hint());
        } catch (LifeboatException e) {
            failure = new Job.Failure(e.code(), e.getMessage(), e.hint());
        } catch (InterruptedException | java.io.InterruptedIOException
                 | java.nio.channels.ClosedByInterruptException e) {
            // shutdown() interrupts the worker once the grace has passed; I/O reports it in its own way
            failure = new Job.Failure(ErrorCode.ABORTED, "interrupted", null);
        } catch (java.io.IOException e) {
            // the repository's storage failed (full, unreachable, denied) or its data is corrupt: the user's to fix
            LifeboatException le = UserErrors.ofStorage(e);
            LOG.debug("job {} {} failed", job.id(), job.kind().label(), e);
            failure = new Job.Failure(le.code(), le.getMessage(), le.hint());
        } catch (Exception | Error e) {
            if (stopping) {
                // what terminating pg_dump or interrupting the worker looks like: no unexpected failure
                LOG.debug("job {} {} cut short by the shutdown", job.id(), job.kind().label(), e);
            } else {
                LOG.error("job {} {} failed unexpectedly", job.id(), job.kind().label(), e);
            }
            // the exception's text stays in the log: it may name internals the API's callers should not see
            failure = new Job.Failure(ErrorCode.INTERNAL, "unexpected error (" + e.getClass().getSimpleName() + ")",
                    "see the service log for job " + job.id());
        }
        Job.State outcome = failure == null ? Job.State.SUCCEEDED
                : !stopping ? Job.State.FAILED
                : job.started() == null ? Job.State.CANCELLED : Job.State.INTERRUPTED;
        if (outcome == Job.State.CANCELLED) {
            failure = NOT_STARTED;
        } else if (outcome == Job.State.INTERRUPTED) {
            failure = new Job.Failure(ErrorCode.ABORTED, JobHistory.INTERRUPTED_ERROR + " ("
                    + failure.message() + ")", "run it again; the next prune removes what it left");
        }
        end(job, outcome, result, failure);
    }

    private void end(Job job, Job.State outcome, Map<String, Object> result, Job.Failure failure) {
        Instant at = clock.instant();
        String backupId = result == null ? job.target() : (String) result.getOrDefault("id", job.target());
        try {
            state.jobs().finish(job.id(), statusOf(outcome), backupId, failure == null ? null : failure.message());
        } catch (RuntimeException e) {
            LOG.error("job {}: cannot record its end in the state store", job.id(), e);
        }
        job.end(outcome, at, result, failure);
        synchronized (this) {
            live.remove(job.id());
            ended.add(0, job);
            if (ended.size() > RECENT) {
                ended.remove(ended.size() - 1);
            }
        }
        Duration took = job.started() == null ? Duration.ZERO : Duration.between(job.started(), at);
        if (failure == null) {
            LOG.info("job {} {} succeeded in {} ms{}", job.id(), job.kind().label(), took.toMillis(),
                    backupId == null ? "" : ": backup " + backupId);
        } else {
            LOG.warn("job {} {} {} after {} ms: {}", job.id(), job.kind().label(), outcome.label(), took.toMillis(),
                    failure.message());
        }
        // Listeners first (listing refreshed, metrics, audit entry), then the waiting synchronous request:
        // what it answers must already show in GET /backups, /audit and /metrics.
        try {
            for (Consumer<Job> l : listeners) {
                try {
                    l.accept(job);
                } catch (RuntimeException e) {
                    LOG.warn("job {}: listener failed", job.id(), e);
                }
            }
        } finally {
            job.complete();
        }
    }

    private static JobStatus statusOf(Job.State s) {
        return switch (s) {
            case SUCCEEDED -> JobStatus.SUCCEEDED;
            case FAILED -> JobStatus.FAILED;
            case INTERRUPTED -> JobStatus.INTERRUPTED;
            case CANCELLED -> JobStatus.CANCELLED;
            default -> throw new IllegalArgumentException("not an end state: " + s);
        };
    }

    /** A job of this instance, queued, running or among the last hundred that ended. */
    public synchronized Optional<Job> find(String id) {
        Job j = live.get(id);
        if (j != null) {
            return Optional.of(j);
        }
        return ended.stream().filter(e -> e.id().equals(id)).findFirst();
    }

    /** Queued and running jobs, oldest first. */
    public synchronized List<Job> active() {
        return List.copyOf(live.values());
    }

    /** The running or queued job of this kind and target, if any. */
    public synchronized Optional<Job> activeOf(JobKind kind, String target) {
        return live.values().stream()
                .filter(j -> j.kind() == kind && java.util.Objects.equals(j.target(), target)).findFirst();
    }

    public boolean stopping() {
        return stopping;
    }

    /**
     * Stops taking jobs, cancels queued ones, and gives the running one {@code grace} to end. After that,
     * its child processes (pg_dump, pg_restore) are terminated so that it fails fast, releases its
     * repository lock and is recorded as interrupted.
     */
    public void shutdown(Duration grace) {
        stopping = true;
        worker.shutdown();
        try {
            if (!worker.awaitTermination(grace.toMillis(), TimeUnit.MILLISECONDS)) {
                LOG.warn("a job is still running after {} s: stopping it", grace.toSeconds());
                postgresTools().forEach(ProcessHandle::destroy);
                worker.shutdownNow();
                if (!worker.awaitTermination(20, TimeUnit.SECONDS)) {
                    postgresTools().forEach(ProcessHandle::destroyForcibly);
                    worker.awaitTermination(10, TimeUnit.SECONDS);
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        synchronized (this) {
            for (Job j : List.copyOf(live.values())) {
                // never started, or the worker did not come back: record it so that no row stays 'running'
                try {
                    state.jobs().finish(j.id(), j.state() == Job.State.QUEUED ? JobStatus.CANCELLED
                            : JobStatus.INTERRUPTED, j.target(), JobHistory.INTERRUPTED_ERROR);
                } catch (RuntimeException e) {
                    LOG.warn("job {}: cannot record its end", j.id(), e);
                }
            }
        }
    }

    /** The PostgreSQL client programs this process runs for its jobs (pg_dump, pg_restore, psql...). */
    private static java.util.stream.Stream<ProcessHandle> postgresTools() {
        return ProcessHandle.current().children().filter(p -> p.info().command()
                .map(c -> c.matches(".*/(pg_dump|pg_dumpall|pg_restore|psql)")).orElse(false));
    }

    /** Waits for a job submitted elsewhere; used by synchronous API calls. */
    public static Job await(Job job, Duration timeout) throws InterruptedException {
        try {
            return job.done().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (java.util.concurrent.ExecutionException e) {
            throw new IllegalStateException(e.getCause());
        } catch (java.util.concurrent.TimeoutException e) {
            return job;
        }
    }
}
