package dev.lifeboat.state;

import dev.lifeboat.testing.MutableClock;

import dev.lifeboat.core.ErrorCode;
import dev.lifeboat.core.LifeboatException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;

import java.nio.file.Path;
import java.time.Instant;
import java.util.Base64;
import java.util.HashSet;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

@ParameterizedClass(name = "{0}")
@EnumSource(Backend.class)
class TokenStoreTest {
    private static final Instant START = Instant.parse("2026-11-21T03:00:00Z");

    @Parameter
    Backend backend;

    @TempDir
    Path temp;

    private StateFixture fixture;
    private MutableClock clock;
    private StateStore store;
    private TokenStore tokens;

    @BeforeEach
    void open() {
        fixture = new StateFixture(backend, temp);
        clock = new MutableClock(START);
        store = fixture.open(clock);
        tokens = store.tokens();
    }

    @AfterEach
    void close() {
        fixture.close();
    }

    @Test
    void anEmptyStoreHasNoTokensAndAuthenticatesNobody() {
        assertThat(tokens.list()).isEmpty();
        assertThat(tokens.authenticate("lb_" + "A".repeat(43))).isEmpty();
    }

    @Test
    void createdTokensHaveTheDocumentedShape() {
        CreatedToken created = tokens.create(Role.OPERATOR, "ci");
        assertThat(created.token()).startsWith("lb_").hasSize(46).matches("lb_[A-Za-z0-9_-]{43}");
        assertThat(Base64.getUrlDecoder().decode(created.token().substring(3))).hasSize(32);
        assertThat(created.info().id()).matches("[0-9a-f]{12}");
        assertThat(created.info().name()).isEqualTo("ci");
        assertThat(created.info().role()).isEqualTo(Role.OPERATOR);
        assertThat(created.info().created()).isEqualTo(clock.now);
        assertThat(created.info().lastUsed()).isNull();
        assertThat(created.toString()).doesNotContain(created.token());

        CreatedToken unnamed = tokens.create(Role.VIEWER, null);
        assertThat(unnamed.info().name()).isEqualTo("viewer-" + unnamed.info().id());

        Set<String> seen = new HashSet<>();
        for (int i = 0; i < 20; i++) {
            assertThat(seen.add(tokens.create(Role.VIEWER, null).token())).isTrue();
        }
    }

    @Test
    void authenticateReturnsThePrincipalAndRecordsTheUse() {
        CreatedToken created = tokens.create(Role.ADMIN, "alice");
        clock.now = clock.now.plusSeconds(60);

        Principal p = tokens.authenticate(created.token()).orElseThrow();
        assertThat(p).isEqualTo(new Principal(created.info().id(), "alice", Role.ADMIN));
        assertThat(tokens.list().get(0).lastUsed()).isEqualTo(Instant.parse("2026-11-21T03:01:00Z"));
    }

    @Test
    void aUseIsRecordedOnlyWhenTheRecordedOneIsAMinuteOld() {
        CreatedToken created = tokens.create(Role.ADMIN, "alice");
        tokens.authenticate(created.token()).orElseThrow();
        assertThat(tokens.list().get(0).lastUsed()).as("the first use").isEqualTo(START);

        clock.now = START.plusSeconds(59);
        tokens.authenticate(created.token()).orElseThrow();
        assertThat(tokens.list().get(0).lastUsed()).as("a use within the minute writes nothing").isEqualTo(START);

        clock.now = START.plusSeconds(61);
        tokens.authenticate(created.token()).orElseThrow();
        assertThat(tokens.list().get(0).lastUsed()).isEqualTo(START.plusSeconds(61));
    }

    @Test
    void wrongRevokedAndGarbageTokensAreRejected() {
        CreatedToken good = tokens.create(Role.ADMIN, "good");
        CreatedToken revoked = tokens.create(Role.ADMIN, "gone");
        tokens.revoke("gone");

        String t = good.token();
        char last = t.charAt(t.length() - 1);
        String oneCharOff = t.substring(0, t.length() - 1) + (last == 'A' ? 'B' : 'A');
        for (String bad : new String[] {null, "", "lb_", "Bearer " + t, t + "x", t.substring(3), " " + t,
                t.toUpperCase(), oneCharOff, "lb_" + "!".repeat(43), revoked.token()}) {
            assertThat(tokens.authenticate(bad)).as(String.valueOf(bad)).isEmpty();
        }
        assertThat(tokens.authenticate(t)).isPresent();
    }

    @Test
    void revokeByIdOrNameIsIdempotentAndFreesTheName() {
        CreatedToken a = tokens.create(Role.VIEWER, "dash");
        clock.now = clock.now.plusSeconds(5);
        TokenInfo r = tokens.revoke(a.info().id());
        assertThat(r.revoked()).isEqualTo(clock.now);
        clock.now = clock.now.plusSeconds(5);
        assertThat(tokens.revoke("dash").revoked()).as("first revocation time kept").isEqualTo(r.revoked());

        CreatedToken b = tokens.create(Role.VIEWER, "dash");
        assertThat(tokens.revoke("dash").id()).isEqualTo(b.info().id());
        assertThat(tokens.list()).extracting(TokenInfo::isRevoked).containsExactly(true, true);

        assertThatThrownBy(() -> tokens.revoke("nobody"))
                .isInstanceOfSatisfying(LifeboatException.class, e -> {
                    assertThat(e.code()).isEqualTo(ErrorCode.NOT_FOUND);
                    assertThat(e.hint()).contains("token list");
                });
    }

    @Test
    void namesAreUniqueAmongActiveTokensAndWellFormed() {
        tokens.create(Role.VIEWER, "ci");
        assertThatThrownBy(() -> tokens.create(Role.ADMIN, "ci"))
                .isInstanceOfSatisfying(LifeboatException.class, e -> {
                    assertThat(e.code()).isEqualTo(ErrorCode.USAGE);
                    assertThat(e.getMessage()).contains("'ci' already exists");
                    assertThat(e.hint()).isNotBlank();
                });
        for (String bad : new String[] {"", " x", "-x", "a b", "x".repeat(65), "é"}) {
            assertThatThrownBy(() -> tokens.create(Role.VIEWER, bad)).as(bad)
                    .isInstanceOfSatisfying(LifeboatException.class,
                            e -> assertThat(e.code()).isEqualTo(ErrorCode.USAGE));
        }
        assertThat(tokens.list()).hasSize(1);
    }

    @Test
    void theDatabaseHoldsOnlyTheHash() throws Exception {
        CreatedToken created = tokens.create(Role.ADMIN, "secret-holder");
        tokens.authenticate(created.token());
        String secretPart = created.token().substring(3);
        String hash = dev.lifeboat.core.Hex.of(TokenStore.sha256(created.token()));

        assertThat(fixture.everythingStored()).doesNotContain(secretPart).contains(hash); // open: WAL holds the rows
        store.close();
        assertThat(fixture.everythingStored()).doesNotContain(secretPart).contains(hash); // closed: checkpointed
        store = fixture.open(clock);
        assertThat(store.tokens().authenticate(created.token())).isPresent();
    }

    @Test
    void findGivesThePrincipalOfATokenThatIsNotRevoked() {
        CreatedToken created = tokens.create(Role.OPERATOR, "web");
        clock.now = clock.now.plusSeconds(60);
        assertThat(tokens.find(created.info().id())).contains(new Principal(created.info().id(), "web", Role.OPERATOR));
        assertThat(tokens.list().get(0).lastUsed()).as("find is not a use of the token").isNull();
        assertThat(tokens.find("000000000000")).isEmpty();
        assertThat(tokens.find(null)).isEmpty();
        tokens.revoke("web");
        assertThat(tokens.find(created.info().id())).isEmpty();
    }

    @Test
    void listNeverExposesHashes() {
        tokens.create(Role.ADMIN, "a");
        assertThat(TokenInfo.class.getRecordComponents()).extracting(c -> c.getName())
                .containsExactly("id", "name", "role", "created", "lastUsed", "revoked");
    }

    @Test
    void rolesIncludeTheOnesBelow() {
        assertThat(Role.ADMIN.allows(Role.ADMIN)).isTrue();
        assertThat(Role.ADMIN.allows(Role.OPERATOR)).isTrue();
        assertThat(Role.ADMIN.allows(Role.VIEWER)).isTrue();
        assertThat(Role.OPERATOR.allows(Role.ADMIN)).isFalse();
        assertThat(Role.OPERATOR.allows(Role.OPERATOR)).isTrue();
        assertThat(Role.OPERATOR.allows(Role.VIEWER)).isTrue();
        assertThat(Role.VIEWER.allows(Role.ADMIN)).isFalse();
        assertThat(Role.VIEWER.allows(Role.OPERATOR)).isFalse();
        assertThat(Role.VIEWER.allows(Role.VIEWER)).isTrue();
        assertThat(new Principal("x", "y", Role.OPERATOR).allows(Role.ADMIN)).isFalse();
    }

    @Test
    void rolesParseFromTheirLabels() {
        assertThat(Role.parse("admin")).isEqualTo(Role.ADMIN);
        assertThat(Role.parse("Operator")).isEqualTo(Role.OPERATOR);
        assertThat(Role.VIEWER.label()).isEqualTo("viewer");
        assertThatThrownBy(() -> Role.parse("root"))
                .isInstanceOfSatisfying(LifeboatException.class, e -> {
                    assertThat(e.code()).isEqualTo(ErrorCode.USAGE);
                    assertThat(e.hint()).contains("admin, operator or viewer");
                });
    }
}
