package dev.lifeboat.state;

import dev.lifeboat.core.ErrorCode;
import dev.lifeboat.core.LifeboatException;
import dev.lifeboat.core.Secrets;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.HashSet;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

@ParameterizedClass(name = "{0}")
@EnumSource(Backend.class)
class SessionStoreTest extends StateTestBase {
    private static final Duration TTL = Duration.ofHours(8);

    private SessionStore sessions;
    private CreatedToken token;
    private Principal alice;

    @BeforeEach
    void principal() {
        sessions = store.sessions();
        token = store.tokens().create(Role.ADMIN, "alice");
        alice = store.tokens().authenticate(token.token()).orElseThrow();
    }

    @Test
    void aSessionIsFoundByItsIdWithItsPrincipalAndCsrfToken() throws Exception {
        Session s = sessions.create(alice, TTL);
        assertThat(s.id()).matches("lbs_[A-Za-z0-9_-]{43}");
        assertThat(s.csrfToken()).matches("[A-Za-z0-9_-]{43}");
        assertThat(s.principal()).isEqualTo(alice);
        assertThat(s.expires()).isEqualTo(START.plus(TTL));
        assertThat(s.toString()).doesNotContain(s.id()).doesNotContain(s.csrfToken());
        assertThat(fixture.everythingStored()).doesNotContain(s.id().substring(4)).contains(Sql.hash(s.id()));

        clock.advance(Duration.ofHours(1));
        Session found = sessions.find(s.id()).orElseThrow();
        assertThat(found).isEqualTo(s);
        assertThat(found.principal()).isEqualTo(new Principal(token.info().id(), "alice", Role.ADMIN));

        Set<String> ids = new HashSet<>();
        for (int i = 0; i < 10; i++) {
            Session other = sessions.create(alice, TTL);
            assertThat(ids.add(other.id())).isTrue();
            assertThat(other.csrfToken()).isNotEqualTo(s.csrfToken());
        }
    }

    @Test
    void findingASessionWritesNothing() throws Exception {
        Session s = sessions.create(alice, TTL);
        clock.advance(Duration.ofHours(1));
        assertThat(sessions.find(s.id())).isPresent();
        try (Connection c = fixture.connect(); Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SELECT last_seen FROM web_session")) {
            assertThat(rs.next()).isTrue();
            assertThat(rs.getString(1)).as("the creation time").isEqualTo(Sql.time(START));
        }
    }

    @Test
    void unknownAndMalformedIdsFindNothing() {
        Session s = sessions.create(alice, TTL);
        for (String bad : new String[] {null, "", "lbs_", s.id() + "x", s.id().substring(4), s.csrfToken(),
                token.token(), Secrets.newSecret(SessionStore.PREFIX)}) {
            assertThat(sessions.find(bad)).as(String.valueOf(bad)).isEmpty();
        }
    }

    @Test
    void anExpiredSessionIsGone() {
        Session s = sessions.create(alice, Duration.ofMinutes(30));
        clock.advance(Duration.ofMinutes(29));
        assertThat(sessions.find(s.id())).isPresent();
        clock.advance(Duration.ofMinutes(1));
        assertThat(sessions.find(s.id())).isEmpty();
    }

    @Test
    void revokingTheApiTokenEndsItsSessions() {
        Session s = sessions.create(alice, TTL);
        CreatedToken other = store.tokens().create(Role.VIEWER, "bob");
        Session bobs = sessions.create(store.tokens().find(other.info().id()).orElseThrow(), TTL);

        store.tokens().revoke("alice");
        assertThat(sessions.find(s.id())).isEmpty();
        assertThat(sessions.find(bobs.id())).hasValueSatisfying(b -> assertThat(b.principal().name()).isEqualTo("bob"));
        assertThatThrownBy(() -> sessions.create(alice, TTL))
                .isInstanceOfSatisfying(LifeboatException.class,
                        e -> assertThat(e.code()).isEqualTo(ErrorCode.USAGE));
    }

    @Test
    void deleteEndsOneSession() {
        Session s = sessions.create(alice, TTL);
        Session other = sessions.create(alice, TTL);
        sessions.delete(s.id());
        sessions.delete(s.id());
        sessions.delete(null);
        sessions.delete("garbage");
        assertThat(sessions.find(s.id())).isEmpty();
        assertThat(sessions.find(other.id())).isPresent();
    }
}
