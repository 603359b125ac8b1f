package dev.lifeboat.service;

import dev.lifeboat.retention.RetentionPolicy;
import dev.lifeboat.schedule.CronSchedule;
import dev.lifeboat.state.StateStore;
import dev.lifeboat.testing.PgCluster;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Timestamp;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** The clustered scheduler's pending run in scheduled_tasks, moved (or not) when the configuration changes. */
class ClusteredSchedulerTest {
    private static final String DB = "clustered_scheduler_test";

    @TempDir
    Path dir;

    private StateStore state;
    private ClusteredScheduler scheduler;

    @BeforeEach
    void open() {
        PgCluster pg = PgCluster.shared();
        pg.dropDatabase(DB);
        pg.createDatabase(DB);
        state = StateStore.open(pg.url(DB), dir, Clock.systemUTC());
        ServiceConfig everyMinute = new ServiceConfig(CronSchedule.parse("* * * * *", ZoneOffset.UTC),
                RetentionPolicy.DEFAULT, true);
        // Not started: nothing polls, so the pending run stays as the test leaves it.
        scheduler = new ClusteredScheduler(state.postgresDataSource().orElseThrow(), "test", Duration.ofSeconds(10), () -> everyMinute,
                (slot, missed) -> {});
    }

    @AfterEach
    void close() {
        state.close();
        PgCluster.shared().dropDatabase(DB);
    }

    private void pendingRunAt(Instant at) throws Exception {
        try (Connection c = state.postgresDataSource().orElseThrow().getConnection();
             PreparedStatement ps = c.prepareStatement("INSERT INTO scheduled_tasks (task_name, task_instance, "
                     + "execution_time, picked, version) VALUES (?, 'recurring', ?, false, 1)")) {
            ps.setString(1, ClusteredScheduler.TASK);
            ps.setTimestamp(2, Timestamp.from(at));
            ps.executeUpdate();
        }
    }

    private Instant pendingRun() throws Exception {
        try (Connection c = state.postgresDataSource().orElseThrow().getConnection();
             PreparedStatement ps = c.prepareStatement("SELECT execution_time FROM scheduled_tasks WHERE task_name = ?")) {
            ps.setString(1, ClusteredScheduler.TASK);
            try (ResultSet rs = ps.executeQuery()) {
                assertThat(rs.next()).isTrue();
                return rs.getTimestamp(1).toInstant();
            }
        }
    }

    @Test
    void aChangeMovesAPendingRunToTheNewScheduleNextSlot() throws Exception {
        Instant inAnHour = Instant.now().truncatedTo(ChronoUnit.MINUTES).plus(Duration.ofHours(1));
        pendingRunAt(inAnHour);
        Instant before = Instant.now();
        scheduler.reschedule();
        Instant next = pendingRun();
        assertThat(next).isAfter(before).isBefore(before.plus(Duration.ofSeconds(61)));
        assertThat(next.getEpochSecond() % 60).isZero();
    }

    @Test
    void aChangeLeavesARunThatIsDueAlone() throws Exception {
        // The slot has come, and no instance has polled yet: moving it to the next slot would skip it.
        Instant due = Instant.now().minusSeconds(3).truncatedTo(ChronoUnit.MILLIS);
        pendingRunAt(due);
        scheduler.reschedule();
        assertThat(pendingRun()).isEqualTo(due);
    }
}
