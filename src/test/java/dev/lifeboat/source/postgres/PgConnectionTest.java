package dev.lifeboat.source.postgres;

import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class PgConnectionTest {
    @Test
    void parsesUriIntoEnvironmentAndHidesThePassword() {
        PgConnection c = PgConnection.parse("postgres://app%40corp:s%3Acr%2Fet@db.example:6543/my%20db?sslmode=require");
        Map<String, String> env = c.environment(Map.of("PGPASSWORD", "inherited", "PATH", "/bin"));
        assertThat(env).containsEntry("PGUSER", "app@corp").containsEntry("PGPASSWORD", "s:cr/et")
                .containsEntry("PGHOST", "db.example").containsEntry("PGPORT", "6543")
                .containsEntry("PGDATABASE", "my db").containsEntry("PGSSLMODE", "require").containsEntry("PATH", "/bin");
        assertThat(c.toString()).isEqualTo("app@corp@db.example:6543/my db").doesNotContain("s:cr/et");
    }

    @Test
    void parsesKeywordStrings() {
        PgConnection c = PgConnection.parse("host=/var/run/postgresql dbname='my app' user=u password='it\\'s' port=5432");
        assertThat(c.environment(Map.of())).containsEntry("PGPASSWORD", "it's");
        assertThat(c.database()).isEqualTo("my app");
        assertThat(c.get("host")).isEqualTo("/var/run/postgresql");
        PgConnection d = PgConnection.parse("dbname='a\\'b'");
        assertThat(d.database()).isEqualTo("a'b");
    }

    @Test
    void uriWithoutPasswordOrDatabaseKeepsInheritedSettings() {
        PgConnection c = PgConnection.parse("postgresql://localhost");
        assertThat(c.database()).isNull();
        assertThat(c.environment(Map.of("PGPASSWORD", "x"))).containsEntry("PGPASSWORD", "x");
        assertThat(c.withDatabase("other").database()).isEqualTo("other");
    }

    @Test
    void rejectsBadInputWithAClearMessage() {
        assertThatThrownBy(() -> PgConnection.parse("postgres://h:abc/db")).hasMessageContaining("invalid port 'abc'");
        assertThatThrownBy(() -> PgConnection.parse("postgres://h/db?bogus=1")).hasMessageContaining("'bogus'");
        assertThatThrownBy(() -> PgConnection.parse("just-a-name")).hasMessageContaining("not key=value");
        assertThatThrownBy(() -> PgConnection.parse("")).hasMessageContaining("empty");
    }

    @Test
    void everyHostKeepsItsPlaceSoPortsStayWithTheirHosts() {
        // Before the parser was shared, a leading empty host lost its comma (ports "5433" and "5434" ran
        // together into 54335434) and a trailing one was dropped; libpq reads both as the default host.
        assertThat(PgConnection.parse("postgres://:5433,h2:5434/db").environment(Map.of()))
                .containsEntry("PGHOST", ",h2").containsEntry("PGPORT", "5433,5434");
        assertThat(PgConnection.parse("postgres://h1:1,h2:2,/db").environment(Map.of()))
                .containsEntry("PGHOST", "h1,h2,").containsEntry("PGPORT", "1,2,");
        assertThat(PgConnection.parse("postgres://[::1]:5433,[fe80::1]/db").environment(Map.of()))
                .containsEntry("PGHOST", "::1,fe80::1").containsEntry("PGPORT", "5433,");
    }

    @Test
    void malformedUrisAreIllegalArgumentsThatNeverShowThePassword() {
        assertThatThrownBy(() -> PgConnection.parse("postgres://u:hunter2@[::1/db"))
                .isExactlyInstanceOf(IllegalArgumentException.class).hasMessageContaining("unterminated IPv6");
        assertThatThrownBy(() -> PgConnection.parse("postgres://u:hunter2%zz@h/db"))
                .isExactlyInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("percent-encoding in the password").message().doesNotContain("hunter2");
    }

    @Test
    void emptyQueryPairsAreSkippedAndParametersAreStillChecked() {
        assertThat(PgConnection.parse("postgres://h/db?sslmode=require&&connect_timeout=5&").get("connect_timeout"))
                .isEqualTo("5");
        assertThatThrownBy(() -> PgConnection.parse("postgres://h/db?&currentSchema=x"))
                .hasMessageContaining("unsupported connection parameter 'currentSchema'");
    }
}
