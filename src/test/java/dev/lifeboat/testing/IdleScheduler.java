package dev.lifeboat.testing;

import dev.lifeboat.service.BackupScheduler;

import java.time.Instant;
import java.util.Optional;

/** A scheduler that runs and never fires: for tests of the service's HTTP side, where no backup is scheduled. */
public final class IdleScheduler implements BackupScheduler {
    @Override
    public void start() {}

    @Override
    public void reschedule() {}

    @Override
    public Optional<Instant> nextRun() {
        return Optional.empty();
    }

    @Override
    public boolean running() {
        return true;
    }

    @Override
    public void close() {}
}
