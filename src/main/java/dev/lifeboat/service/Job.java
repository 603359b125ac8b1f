package dev.lifeboat.service;

import dev.lifeboat.core.ErrorCode;
import dev.lifeboat.engine.Progress;

import java.time.Instant;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * One job of the service as it runs: queued, then running, then ended. Its progress is the engine's
 * {@link Progress} callbacks, read by the API and the web UI while it runs. The durable record of the job
 * is its row in the state store's job history; this object lives only while the service runs.
 */
public final class Job implements Progress {
    /** Where a job is; the last three are final. */
    public enum State {
        QUEUED, RUNNING, SUCCEEDED, FAILED, INTERRUPTED, CANCELLED;

        public String label() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }

        public boolean ended() {
            return this != QUEUED && this != RUNNING;
        }
    }

    /** Why a job failed: the same message, hint and stable code as the CLI prints. */
    public record Failure(ErrorCode code, String message, String hint) {}

    private final String id;
    private final JobKind kind;
    private final String target;
    private final String requestedBy;
    private final Instant submitted;
    private final CompletableFuture<Job> done = new CompletableFuture<>();

    private volatile State state = State.QUEUED;
    private volatile Instant started;
    private volatile Instant finished;
    private volatile String task;
    private volatile long bytesDone;
    private volatile long totalBytes = -1;
    private volatile long estimatedBytes = -1;
    private volatile long taskStartNanos = System.nanoTime();
    private volatile Map<String, Object> result = Map.of();
    private volatile Failure failure;

    Job(String id, JobKind kind, String target, String requestedBy, Instant submitted) {
        this.id = id;
        this.kind = kind;
        this.target = target;
        this.requestedBy = requestedBy;
        this.submitted = submitted;
    }

    public String id() {
        return id;
    }

    public JobKind kind() {
        return kind;
    }

    /** The backup id it works on, or null (a new backup). */
    public String target() {
        return target;
    }

    public String requestedBy() {
        return requestedBy;
    }

    public Instant submitted() {
        return submitted;
    }

    public State state() {
        return state;
    }

    public Instant started() {
        return started;
    }

    public Instant finished() {
        return finished;
    }

    /** What the engine is doing now ({@code backup app}, {@code verify 2026...}), or null. */
    public String task() {
        return task;
    }

    public long bytesDone() {
        return bytesDone;
    }

    /** -1 when unknown (a dump in progress). */
    public long totalBytes() {
        return totalBytes;
    }

    /**
     * The bytes the current task probably has: its total when known, else its estimate (a dump's, see
     * {@link #startEstimated}) as long as the task has not passed it; -1 when neither.
     */
    public long expectedBytes() {
        long total = totalBytes;
        if (total >= 0) {
            return total;
        }
        long estimate = estimatedBytes;
        return estimate > 0 && bytesDone <= estimate ? estimate : -1;
    }

    /** Whether {@link #expectedBytes} is an estimate rather than a known total. */
    public boolean expectedIsEstimate() {
        return totalBytes < 0 && expectedBytes() > 0;
    }

    /** Time left for the current task at its average rate so far, or null when there is no telling yet. */
    public java.time.Duration remaining() {
        return remaining(System.nanoTime());
    }

    java.time.Duration remaining(long nowNanos) {
        long expected = expectedBytes();
        long done = bytesDone;
        long elapsed = nowNanos - taskStartNanos;
        if (expected <= 0 || done <= 0 || done > expected || elapsed < 1_000_000_000L) {
            return null;
        }
        return java.time.Duration.ofNanos((long) ((double) elapsed * (expected - done) / done));
    }

    /** What the job produced (backup id, sizes, verification result); empty until it succeeds. */
    public Map<String, Object> result() {
        return result;
    }

    /** Why it failed, or null. */
    public Failure failure() {
        return failure;
    }

    /** Completes when the job has ended, whatever its state. */
    public CompletableFuture<Job> done() {
        return done;
    }

    @Override
    public void start(String task, long totalBytes) {
        this.task = task;
        this.totalBytes = totalBytes;
        this.estimatedBytes = -1;
        this.bytesDone = 0;
        this.taskStartNanos = System.nanoTime();
    }

    @Override
    public void startEstimated(String task, java.util.function.LongSupplier estimate) {
        start(task, -1);
        long e = estimate.getAsLong(); // on the job's thread, while the dump has started
        this.estimatedBytes = e > 0 ? e : -1;
    }

    @Override
    public void update(long bytesDone) {
        this.bytesDone = bytesDone;
    }

    @Override
    public void step(String description) {
        this.task = description;
        this.totalBytes = -1;
        this.estimatedBytes = -1;
    }

    @Override
    public void finish() {
        // the task stays visible until the next one starts
    }

    void running(Instant at) {
        started = at;
        state = State.RUNNING;
    }

    /** Records the end; {@link #done()} completes only with {@link #complete()}, once the end is fully recorded. */
    void end(State finalState, Instant at, Map<String, Object> result, Failure failure) {
        this.finished = at;
        this.result = result == null ? Map.of() : java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(result));
        this.failure = failure;
        this.state = finalState;
    }

    void complete() {
        done.complete(this);
    }
}
