package dev.lifeboat.service;

import dev.lifeboat.repository.BackupEntry;
import dev.lifeboat.repository.BackupStatus;
import dev.lifeboat.storage.Storage;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

/**
 * What {@code /metrics} shows, in Prometheus' text format: per job kind the time and duration of the
 * last success and the count of runs and failures (a verify that finds damage is a failure); the size of the
 * last backup; the repository's size and backup count, and how many backups are corrupt or were never read by
 * a verify; when the next scheduled backup runs. Alert on
 * {@code time() - lifeboat_job_last_success_timestamp_seconds{kind="backup"} > 26*3600} and on
 * {@code lifeboat_backups_corrupt > 0}.
 *
 * <p>Per source of the stack ({@code source} and {@code type} labels), from the newest backup that holds it:
 * {@code lifeboat_source_last_backup_timestamp_seconds}, {@code lifeboat_source_last_backup_bytes} (its data),
 * {@code lifeboat_source_last_stored_bytes} and {@code lifeboat_source_corrupt} (1 when a verify found that
 * backup of the source damaged). Alert per source on
 * {@code time() - lifeboat_source_last_backup_timestamp_seconds > 26*3600}: a source left out of the stack's
 * backups shows there.
 */
public final class ServiceMetrics {
    private static final Logger LOG = LoggerFactory.getLogger(ServiceMetrics.class);

    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final Map<JobKind, AtomicLong> lastSuccess = new EnumMap<>(JobKind.class);
    private final Map<JobKind, AtomicLong> lastDurationMs = new EnumMap<>(JobKind.class);
    private final AtomicLong lastLogicalBytes = new AtomicLong();
    private final AtomicLong lastAddedBytes = new AtomicLong();
    private final AtomicLong repositoryBytes = new AtomicLong(-1);
    private final AtomicLong repositoryChunks = new AtomicLong(-1);
    private final AtomicLong backups = new AtomicLong(-1);
    private final AtomicLong corrupt = new AtomicLong(-1);
    private final AtomicLong unverified = new AtomicLong(-1);
    /** Per source: [finished (ms), data bytes, stored bytes, corrupt], gauges registered on first sight. */
    private final Map<String, AtomicLong[]> sources = new java.util.concurrent.ConcurrentHashMap<>();

    public ServiceMetrics(Supplier<java.util.Optional<Instant>> nextRun, Supplier<Integer> activeJobs) {
        this(nextRun, () -> true, activeJobs);
    }

    /** @param schedulerUp whether the scheduler still fires runs ({@code lifeboat_scheduler_up}) */
    public ServiceMetrics(Supplier<java.util.Optional<Instant>> nextRun, Supplier<Boolean> schedulerUp,
                          Supplier<Integer> activeJobs) {
        new JvmMemoryMetrics().bindTo(registry);
        for (JobKind k : JobKind.values()) {
            AtomicLong success = new AtomicLong();
            AtomicLong duration = new AtomicLong();
            lastSuccess.put(k, success);
            lastDurationMs.put(k, duration);
            Gauge.builder("lifeboat_job_last_success_timestamp_seconds", success, v -> v.get() / 1000.0)
                    .description("When the last successful job of this kind ended (0: none since start)")
                    .tag("kind", k.label()).register(registry);
            Gauge.builder("lifeboat_job_last_duration_seconds", duration, v -> v.get() / 1000.0)
                    .description("How long the last successful job of this kind took").tag("kind", k.label())
                    .register(registry);
            for (Job.State s : List.of(Job.State.SUCCEEDED, Job.State.FAILED, Job.State.INTERRUPTED)) {
                Counter.builder("lifeboat_job_runs").description("Jobs that ended, by result")
                        .tag("kind", k.label()).tag("result", s.label()).register(registry);
            }
            Counter.builder("lifeboat_job_failures").description("Jobs that failed or were interrupted")
                    .tag("kind", k.label()).register(registry);
        }
        Gauge.builder("lifeboat_backup_last_logical_bytes", lastLogicalBytes, AtomicLong::get)
                .description("Plain size of the data in the last backup").register(registry);
        Gauge.builder("lifeboat_backup_last_added_bytes", lastAddedBytes, AtomicLong::get)
                .description("Bytes the last backup added to the repository").register(registry);
        Gauge.builder("lifeboat_repository_size_bytes", repositoryBytes, AtomicLong::get)
                .description("Stored size of all chunks in the repository (-1: not measured yet)").register(registry);
        Gauge.builder("lifeboat_repository_chunks", repositoryChunks, AtomicLong::get)
                .description("Chunks in the repository").register(registry);
        Gauge.builder("lifeboat_repository_backups", backups, AtomicLong::get)
                .description("Backups in the repository").register(registry);
        Gauge.builder("lifeboat_backups_corrupt", corrupt, AtomicLong::get)
                .description("Backups recorded as corrupt by a verify, or whose manifest cannot be read (-1: not "
                        + "counted yet); a restore refuses them unless forced").register(registry);
        Gauge.builder("lifeboat_backups_unverified", unverified, AtomicLong::get)
                .description("Backups no verify has read (never verified, or only their chunks' existence checked), "
                        + "corrupt ones aside (-1: not counted yet)").register(registry);
        Gauge.builder("lifeboat_next_backup_timestamp_seconds",
                        () -> nextRun.get().map(i -> i.toEpochMilli() / 1000.0).orElse(0.0))
                .description("When the next scheduled backup starts").register(registry);
        Gauge.builder("lifeboat_scheduler_up", () -> schedulerUp.get() ? 1.0 : 0.0)
                .description("1 while the scheduler fires the scheduled backups, 0 once it stopped").register(registry);
        Gauge.builder("lifeboat_jobs_active", activeJobs::get)
                .description("Jobs queued or running").register(registry);
    }

    // Gauges built from a state object hold it weakly; the AtomicLongs above are fields of this object and
    // the two suppliers are held by Gauge.builder(String, Supplier) strongly, so none is collected.

    /** Records a job that ended. */
    public void jobEnded(Job job) {
        JobKind k = job.kind();
        String result = job.state() == Job.State.CANCELLED ? Job.State.INTERRUPTED.label() : job.state().label();
        registry.counter("lifeboat_job_runs", "kind", k.label(), "result", result).increment();
        if (job.state() == Job.State.SUCCEEDED) {
            lastSuccess.get(k).set(job.finished().toEpochMilli());
            if (job.started() != null) {
                lastDurationMs.get(k).set(Duration.between(job.started(), job.finished()).toMillis());
            }
            if (k == JobKind.BACKUP) {
                lastLogicalBytes.set(((Number) job.result().getOrDefault("logicalBytes", 0L)).longValue());
                lastAddedBytes.set(((Number) job.result().getOrDefault("addedBytes", 0L)).longValue());
            }
        } else {
            registry.counter("lifeboat_job_failures", "kind", k.label()).increment();
        }
    }

    /**
     * Counts the backups, the corrupt ones and those no verify has read; takes the last backup's time and sizes
     * from the repository, so a restart does not reset them.
     */
    public void seed(List<BackupEntry> entries) {
        backups.set(entries.size());
        corrupt.set(entries.stream().filter(e -> BackupStatus.CORRUPT.equals(e.effectiveStatus())).count());
        unverified.set(entries.stream().filter(e -> !BackupStatus.CORRUPT.equals(e.effectiveStatus())
                && !e.verifiedBeyondExistence()).count());
        entries.stream().filter(e -> e.manifest() != null && !e.manifest().safety()).reduce((a, b) -> b).ifPresent(e -> {
            if (lastSuccess.get(JobKind.BACKUP).get() == 0) {
                lastSuccess.get(JobKind.BACKUP).set(e.manifest().finished().toEpochMilli());
                lastDurationMs.get(JobKind.BACKUP).set(
                        Duration.between(e.manifest().started(), e.manifest().finished()).toMillis());
                lastLogicalBytes.set(e.manifest().logicalBytes());
                lastAddedBytes.set(e.manifest().addedBytes());
            }
        });
        seedSources(entries);
    }

    /** The newest backup of each source (by name and type), in the gauges of that source. */
    private void seedSources(List<BackupEntry> entries) {
        java.util.Set<String> seen = new java.util.HashSet<>();
        for (int i = entries.size() - 1; i >= 0; i--) {
            BackupEntry e = entries.get(i);
            if (e.manifest() == null || e.manifest().safety() || e.manifest().sources() == null) {
                continue;
            }
            for (var s : e.manifest().sources()) {
                String type = String.valueOf(s.type());
                if (!seen.add(s.name() + "\0" + type)) {
                    continue;
                }
                AtomicLong[] g = sources.computeIfAbsent(s.name() + "\0" + type, k -> register(s.name(), type));
                long[] bytes = e.manifest().bytesOf(s.name());
                g[0].set(e.manifest().finished() == null ? 0 : e.manifest().finished().toEpochMilli());
                g[1].set(bytes[0]);
                g[2].set(bytes[1]);
                g[3].set(BackupStatus.CORRUPT.equals(e.sourceStatus(s.name())) ? 1 : 0);
            }
        }
    }

    private AtomicLong[] register(String source, String type) {
        AtomicLong[] g = {new AtomicLong(), new AtomicLong(), new AtomicLong(), new AtomicLong()};
        Gauge.builder("lifeboat_source_last_backup_timestamp_seconds", g[0], v -> v.get() / 1000.0)
                .description("When the newest backup that holds this source finished").tag("source", source)
                .tag("type", type).register(registry);
        Gauge.builder("lifeboat_source_last_backup_bytes", g[1], AtomicLong::get)
                .description("Bytes of data of this source in its newest backup").tag("source", source)
                .tag("type", type).register(registry);
        Gauge.builder("lifeboat_source_last_stored_bytes", g[2], AtomicLong::get)
                .description("Bytes stored for this source's newest backup (shared chunks counted)")
                .tag("source", source).tag("type", type).register(registry);
        Gauge.builder("lifeboat_source_corrupt", g[3], AtomicLong::get)
                .description("1 when a verify found the newest backup of this source damaged").tag("source", source)
                .tag("type", type).register(registry);
        return g;
    }

    /** Measures the repository by listing its chunks: one listing, no reads. */
    public void measure(Storage storage) {
        try {
            long[] total = new long[2]; // bytes, chunks
            storage.forEach("chunks/", b -> {
                total[0] += b.size();
                total[1]++;
            });
            repositoryBytes.set(total[0]);
            repositoryChunks.set(total[1]);
        } catch (IOException | RuntimeException e) {
            LOG.warn("metrics: cannot list the repository's chunks: {}", e.toString());
        }
    }

    /** The text {@code /metrics} serves. */
    public String scrape() {
        return registry.scrape();
    }
}
