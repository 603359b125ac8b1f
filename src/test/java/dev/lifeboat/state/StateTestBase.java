package dev.lifeboat.state;

import dev.lifeboat.testing.MutableClock;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.Parameter;

import java.nio.file.Path;
import java.time.Instant;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Base of the state tests that run on both backends: subclasses are
 * {@code @ParameterizedClass(name = "{0}") @EnumSource(Backend.class)}. Each test gets an empty state, open in
 * {@link #store}, with a clock at {@link #START} that it moves by hand.
 */
abstract class StateTestBase {
    static final Instant START = Instant.parse("2026-11-21T03:00:00Z");

    @Parameter
    Backend backend;

    @TempDir
    Path temp;

    StateFixture fixture;
    MutableClock clock;
    StateStore store;

    @BeforeEach
    void openState() {
        fixture = new StateFixture(backend, temp);
        clock = new MutableClock(START);
        store = fixture.open(clock);
        assertThat(store.isPostgres()).isEqualTo(backend == Backend.POSTGRES);
    }

    @AfterEach
    void closeState() {
        fixture.close();
    }
}
