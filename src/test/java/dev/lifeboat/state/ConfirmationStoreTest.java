package dev.lifeboat.state;

import dev.lifeboat.core.ErrorCode;
import dev.lifeboat.core.Secrets;
import dev.lifeboat.state.ConfirmationException.Failure;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

@ParameterizedClass(name = "{0}")
@EnumSource(Backend.class)
class ConfirmationStoreTest extends StateTestBase {
    private static final Duration FIVE_MINUTES = Duration.ofMinutes(5);

    private ConfirmationStore confirmations;
    private Principal alice;
    private Principal bob;

    @BeforeEach
    void principals() {
        confirmations = store.confirmations();
        alice = principal(store.tokens().create(Role.OPERATOR, "alice"));
        bob = principal(store.tokens().create(Role.ADMIN, "bob"));
    }

    private static Principal principal(CreatedToken t) {
        return new Principal(t.info().id(), t.info().name(), t.info().role());
    }

    @Test
    void aTokenConfirmsOnceForItsBackupAndUser() throws Exception {
        String token = confirmations.issue("b1", alice, "postgres://app@db/app", FIVE_MINUTES);
        assertThat(token).startsWith("lbc_").matches("lbc_[A-Za-z0-9_-]{43}");
        assertThat(Base64.getUrlDecoder().decode(token.substring(4))).hasSize(32);
        assertThat(fixture.everythingStored()).doesNotContain(token.substring(4)).contains(Sql.hash(token));

        clock.advance(Duration.ofMinutes(4));
        assertThat(confirmations.consume(token, "b1", alice))
                .isEqualTo(new Confirmed("b1", "postgres://app@db/app", alice.id()));

        assertRefused(() -> confirmations.consume(token, "b1", alice), Failure.USED, "was already used");
    }

    @Test
    void aTargetIsOptional() {
        String token = confirmations.issue("b1", alice, null, FIVE_MINUTES);
        assertThat(confirmations.consume(token, "b1", alice)).isEqualTo(new Confirmed("b1", null, alice.id()));
    }

    @Test
    void anExpiredTokenSaysHowLongItWasValid() {
        String token = confirmations.issue("b1", alice, "app", FIVE_MINUTES);
        clock.advance(FIVE_MINUTES);
        assertRefused(() -> confirmations.consume(token, "b1", alice), Failure.EXPIRED,
                "confirmation token has expired (valid 5 minutes); ask for a new one");

        String hourly = confirmations.issue("b1", alice, "app", Duration.ofHours(1));
        clock.advance(Duration.ofHours(2));
        assertRefused(() -> confirmations.consume(hourly, "b1", alice), Failure.EXPIRED, "(valid 1 hour)");
    }

    @Test
    void unknownAndMalformedTokensAreUnknown() {
        confirmations.issue("b1", alice, "app", FIVE_MINUTES);
        String neverIssued = Secrets.newSecret(ConfirmationStore.PREFIX);
        for (String bad : new String[] {neverIssued, null, "", "lbc_", "lb_" + neverIssued.substring(4),
                neverIssued + "x", " " + neverIssued}) {
            assertRefused(() -> confirmations.consume(bad, "b1", alice), Failure.UNKNOWN,
                    "confirmation token is unknown");
        }
    }

    @Test
    void aTokenForAnotherBackupIsRefusedAndStaysUsable() {
        String token = confirmations.issue("b1", alice, "app", FIVE_MINUTES);
        assertRefused(() -> confirmations.consume(token, "b2", alice), Failure.WRONG_BACKUP,
                "was issued for backup b1, not b2");
        assertThat(confirmations.consume(token, "b1", alice).backupId()).isEqualTo("b1");
    }

    @Test
    void aTokenOfAnotherUserIsRefusedWithoutSayingMore() {
        String token = confirmations.issue("b1", alice, "app", FIVE_MINUTES);
        ConfirmationException e = assertRefused(() -> confirmations.consume(token, "b1", bob), Failure.WRONG_USER,
                "was issued to another user");
        assertThat(e.getMessage()).doesNotContain("b1").doesNotContain(alice.id()).doesNotContain("alice");
        confirmations.consume(token, "b1", alice);
        assertRefused(() -> confirmations.consume(token, "b1", bob), Failure.WRONG_USER, "another user");
    }

    @Test
    void ofConcurrentConsumersExactlyOneWins() throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            for (int round = 0; round < 20; round++) {
                String token = confirmations.issue("b" + round, alice, "app", FIVE_MINUTES);
                String backup = "b" + round;
                CyclicBarrier start = new CyclicBarrier(2);
                List<Future<Object>> results = new ArrayList<>();
                for (int t = 0; t < 2; t++) {
                    results.add(pool.submit(() -> {
                        start.await(10, TimeUnit.SECONDS);
                        try {
                            return confirmations.consume(token, backup, alice);
                        } catch (ConfirmationException e) {
                            return e.failure();
                        }
                    }));
                }
                List<Object> outcomes = new ArrayList<>();
                for (Future<Object> f : results) {
                    outcomes.add(f.get(30, TimeUnit.SECONDS));
                }
                assertThat(outcomes).as("round " + round)
                        .containsExactlyInAnyOrder(new Confirmed(backup, "app", alice.id()), Failure.USED);
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void tokensExpiredForMoreThanADayAreDeletedWhenTheNextIsIssued() throws Exception {
        String old = confirmations.issue("b1", alice, "app", FIVE_MINUTES);
        clock.advance(Duration.ofHours(23));
        String b2 = confirmations.issue("b2", alice, "app", FIVE_MINUTES);
        assertRefused(() -> confirmations.consume(old, "b1", alice), Failure.EXPIRED, "expired");

        clock.advance(Duration.ofHours(2));
        String fresh = confirmations.issue("b3", alice, "app", FIVE_MINUTES);
        assertRefused(() -> confirmations.consume(old, "b1", alice), Failure.UNKNOWN, "unknown");
        List<String> kept = new ArrayList<>();
        try (Connection c = fixture.connect(); Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SELECT token_hash FROM confirmation_token")) {
            while (rs.next()) {
                kept.add(rs.getString(1));
            }
        }
        assertThat(kept).as("b2 expired less than a day ago, so it stays")
                .containsExactlyInAnyOrder(Sql.hash(b2), Sql.hash(fresh));
    }

    @Test
    void aTimeToLiveMustBePositive() {
        assertThatThrownBy(() -> confirmations.issue("b1", alice, "app", Duration.ZERO))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void validityIsSaidInWholeUnits() {
        assertThat(ConfirmationStore.describe(Duration.ofMinutes(5))).isEqualTo("5 minutes");
        assertThat(ConfirmationStore.describe(Duration.ofMinutes(1))).isEqualTo("1 minute");
        assertThat(ConfirmationStore.describe(Duration.ofHours(2))).isEqualTo("2 hours");
        assertThat(ConfirmationStore.describe(Duration.ofSeconds(90))).isEqualTo("90 seconds");
    }

    private static ConfirmationException assertRefused(Runnable consume, Failure failure, String message) {
        try {
            consume.run();
        } catch (ConfirmationException e) {
            assertThat(e.failure()).isEqualTo(failure);
            assertThat(e.code()).isEqualTo(ErrorCode.USAGE);
            assertThat(e.getMessage()).contains(message);
            assertThat(e.hint()).isNotBlank();
            return e;
        }
        throw new AssertionError("expected " + failure + " (" + message + ")");
    }
}
