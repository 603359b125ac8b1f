package dev.lifeboat.api;

import dev.lifeboat.config.Settings;
import dev.lifeboat.core.ErrorCode;
import dev.lifeboat.core.LifeboatException;
import dev.lifeboat.repository.Json;
import dev.lifeboat.service.ServiceConfig;
import dev.lifeboat.state.ConfirmationStore;
import dev.lifeboat.state.Principal;
import dev.lifeboat.state.Role;
import dev.lifeboat.state.StateStore;
import dev.lifeboat.testing.MutableClock;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** The statuses and codes the API and the web UI answer for the engine's and the service's errors. */
class ApiErrorTest {
    private static final String BACKUP = "20261121T030000Z-ab12";
    private static final Duration TTL = Duration.ofMinutes(5);

    @TempDir
    Path dir;
    MutableClock clock;
    StateStore state;
    Principal alice;

    @BeforeEach
    void open() {
        clock = new MutableClock("2026-11-21T03:00:00Z");
        state = StateStore.open(dir, clock);
        alice = state.tokens().authenticate(state.tokens().create(Role.ADMIN, "alice").token()).orElseThrow();
    }

    @AfterEach
    void close() {
        state.close();
    }

    @Test
    void anErrorCodeGivesTheStatusAndCode() {
        ApiError a = ApiError.of(new LifeboatException(ErrorCode.NOT_FOUND, "no backup 'x'", "list them"));
        assertThat(a.status()).isEqualTo(404);
        assertThat(a.code()).isEqualTo("not_found");
        assertThat(a.hint()).isEqualTo("list them");
        assertThat(ApiError.of(new LifeboatException(ErrorCode.USAGE, "bad", null)).status()).isEqualTo(400);
    }

    @Test
    void anInvalidSettingNamesItsField() throws Exception {
        ServiceConfig config = ServiceConfig.load(Settings.load(null, Map.of()), state.settings());
        ServiceConfig.InvalidField e = assertThrows(ServiceConfig.InvalidField.class, () -> config.update(
                Json.MAPPER.readTree("{\"retentionDays\": 0}"), state.settings(), "alice"));
        ApiError a = ApiError.of(e);
        assertThat(a.status()).isEqualTo(400);
        assertThat(a.code()).isEqualTo("invalid_request");
        assertThat(error(a)).containsEntry("field", "retentionDays");
    }

    @Test
    void eachRefusedConfirmationHasItsStatus() {
        ConfirmationStore c = state.confirmations();
        Principal bob = new Principal("b0b0b0b0b0b0", "bob", Role.ADMIN);
        assertStatus(() -> c.consume("lbc_nope", BACKUP, alice), 400, "confirmation_invalid");
        String token = c.issue(BACKUP, alice, "app", TTL);
        assertStatus(() -> c.consume(token, BACKUP, bob), 403, "confirmation_mismatch");
        assertStatus(() -> c.consume(token, "20261121T040000Z-cd34", alice), 403, "confirmation_mismatch");
        c.consume(token, BACKUP, alice);
        assertStatus(() -> c.consume(token, BACKUP, alice), 409, "confirmation_used");
        String late = c.issue(BACKUP, alice, "app", TTL);
        clock.advance(TTL);
        assertStatus(() -> c.consume(late, BACKUP, alice), 410, "confirmation_expired");
    }

    @Test
    void aRoleTooLowIsForbiddenNamingBothRoles() {
        ApiError a = ApiError.forbidden(new Principal("v", "ci", Role.VIEWER), Role.OPERATOR);
        assertThat(a.status()).isEqualTo(403);
        assertThat(a.getMessage()).isEqualTo("token 'ci' has role viewer; this needs operator");
        assertThat(a.hint()).isEqualTo("use a token with role operator (lifeboat token create --role operator)");
    }

    private static void assertStatus(Executable consume, int status, String code) {
        ApiError a = ApiError.of(assertThrows(LifeboatException.class, consume));
        assertThat(a.status()).as(code).isEqualTo(status);
        assertThat(a.code()).isEqualTo(code);
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> error(ApiError a) {
        return (Map<String, Object>) a.body().get("error");
    }
}
