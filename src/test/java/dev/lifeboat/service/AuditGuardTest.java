package dev.lifeboat.service;

import dev.lifeboat.state.AuditEntry;
import dev.lifeboat.state.Principal;
import dev.lifeboat.state.Role;
import dev.lifeboat.state.StateStore;
import dev.lifeboat.testing.MutableClock;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;

/** The audit log's maintenance point with small limits: the row cap, the hourly prune, the denial window. */
class AuditGuardTest {
    @TempDir
    Path dir;
    MutableClock clock = new MutableClock("2026-11-21T03:00:00Z");
    StateStore state;
    AuditGuard guard;

    @BeforeEach
    void open() {
        state = StateStore.open(dir, clock);
        guard = new AuditGuard(state.audit(), clock, Duration.ofDays(400), 3, 2, Duration.ofMinutes(1));
    }

    @AfterEach
    void close() {
        state.close();
    }

    @Test
    void prunesToTheCapAtMostOncePerHour() {
        for (int i = 0; i < 5; i++) {
            state.audit().record("ci", "backup.create", "b" + i, "ok", null);
        }
        guard.maintain();
        // the three newest, and the note of the prune
        assertThat(state.audit().recent(10)).extracting(AuditEntry::action)
                .containsExactly("audit.prune", "backup.create", "backup.create", "backup.create");
        assertThat(state.audit().recent(1).get(0).details()).containsEntry("count", 2);

        for (int i = 0; i < 5; i++) {
            state.audit().record("ci", "backup.create", "c" + i, "ok", null);
        }
        clock.advance(Duration.ofMinutes(59));
        guard.maintain();
        assertThat(state.audit().count()).isEqualTo(9); // not an hour since the last prune
        clock.advance(Duration.ofMinutes(1));
        guard.maintain();
        assertThat(state.audit().count()).isEqualTo(4);
        assertThat(state.audit().recent(4)).extracting(AuditEntry::target).containsExactly(null, "c4", "c3", "c2");
    }

    @Test
    void deniesPerTokenAndPerWindow() {
        Principal vera = new Principal("id-vera", "vera", Role.VIEWER);
        Principal otto = new Principal("id-otto", "otto", Role.VIEWER);
        assertThat(guard.deny(vera)).isEmpty();
        assertThat(guard.deny(vera)).isEmpty();
        clock.advance(Duration.ofSeconds(15));
        assertThat(guard.deny(vera)).contains(Duration.ofSeconds(45));
        assertThat(guard.deny(otto)).isEmpty(); // another token has its own count
        clock.advance(Duration.ofSeconds(45));
        assertThat(guard.deny(vera)).isEmpty(); // a new window; the summary of the last one is written
        assertThat(state.audit().recent(10)).singleElement().satisfies(e -> {
            assertThat(e.action()).isEqualTo(AuditGuard.SUPPRESSED);
            assertThat(e.actor()).isEqualTo("vera");
            assertThat(e.details()).containsEntry("count", 1).containsEntry("written", 2);
        });
        clock.advance(Duration.ofMinutes(5));
        guard.maintain(); // windows without suppressed denials end without an entry
        assertThat(state.audit().recent(10)).extracting(AuditEntry::action)
                .containsExactly(AuditGuard.SUPPRESSED);
    }
}
