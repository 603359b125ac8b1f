package dev.lifeboat.state;

import dev.lifeboat.core.ErrorCode;
import dev.lifeboat.core.LifeboatException;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** {@code --state} URIs turned into what the JDBC driver wants; no server needed. */
class PgLocationTest {
    private static final Map<String, String> NO_ENV = Map.of();

    @Test
    void aFullUriBecomesUrlUserPasswordAndProperties() {
        PgLocation at = PgLocation.parse("postgres://alice:s%40cr%3At%2B@db.example.com:6543/life%20boat"
                + "?sslmode=verify-full&sslrootcert=/etc/ca.pem&connect_timeout=5&application_name=svc"
                + "&target_session_attrs=read-write&currentSchema=state", NO_ENV);
        assertThat(at.jdbcUrl()).isEqualTo("jdbc:postgresql://db.example.com:6543/life%20boat");
        assertThat(at.user()).isEqualTo("alice");
        assertThat(at.password()).isEqualTo("s@cr:t+");
        assertThat(at.properties()).containsEntry("sslmode", "verify-full")
                .containsEntry("sslrootcert", "/etc/ca.pem")
                .containsEntry("connectTimeout", "5")
                .containsEntry("ApplicationName", "svc")
                .containsEntry("targetServerType", "primary")
                .containsEntry("currentSchema", "state")
                .doesNotContainKeys("user", "password");
        assertThat(at.connectionProperties()).containsEntry("user", "alice").containsEntry("password", "s@cr:t+");
        assertThat(at.display()).isEqualTo("postgres://alice@db.example.com:6543/life%20boat?sslmode=verify-full"
                + "&sslrootcert=%2Fetc%2Fca.pem&connect_timeout=5&application_name=svc"
                + "&target_session_attrs=read-write&currentSchema=state");
        assertThat(at.toString()).isEqualTo(at.display());
    }

    @Test
    void theApplicationIsNamedLifeboatUnlessSaidOtherwise() {
        assertThat(PgLocation.parse("postgresql://u@h/db", NO_ENV).properties())
                .containsEntry("ApplicationName", "lifeboat");
    }

    @Test
    void severalHostsAndIpv6() {
        PgLocation at = PgLocation.parse("postgres://u@h1:5432,[::1]:5433,h3/db", NO_ENV);
        assertThat(at.jdbcUrl()).isEqualTo("jdbc:postgresql://h1:5432,[::1]:5433,h3/db");
        assertThat(at.display()).isEqualTo("postgres://u@h1:5432,[::1]:5433,h3/db");
    }

    @Test
    void whatTheUriLeavesOutComesFromTheEnvironment() {
        Map<String, String> env = Map.of("PGUSER", "svc", "PGPASSWORD", "from-env", "PGHOST", "pg.internal",
                "PGPORT", "6000", "PGDATABASE", "state", "PGSSLMODE", "require");
        PgLocation at = PgLocation.parse("postgres://", env);
        assertThat(at.jdbcUrl()).isEqualTo("jdbc:postgresql://pg.internal:6000/state");
        assertThat(at.user()).isEqualTo("svc");
        assertThat(at.password()).isEqualTo("from-env");
        assertThat(at.properties()).containsEntry("sslmode", "require");
        assertThat(at.display()).isEqualTo("postgres://svc@pg.internal:6000/state?sslmode=require")
                .doesNotContain("from-env");

        PgLocation given = PgLocation.parse("postgres://alice:in-uri@db/app?sslmode=disable", env);
        assertThat(given.password()).isEqualTo("in-uri");
        assertThat(given.user()).isEqualTo("alice");
        assertThat(given.jdbcUrl()).as("PGPORT still applies, as in libpq").isEqualTo("jdbc:postgresql://db:6000/app");
        assertThat(given.properties()).containsEntry("sslmode", "disable");

        PgLocation noPassword = PgLocation.parse("postgres://alice@db/app", Map.of());
        assertThat(noPassword.password()).as("the driver then tries ~/.pgpass").isNull();
        assertThat(noPassword.connectionProperties()).doesNotContainKey("password");

        assertThat(PgLocation.parse("postgres:///app", Map.of("PGHOST", "/var/run/postgresql")).jdbcUrl())
                .as("a socket folder is no TCP host").isEqualTo("jdbc:postgresql://localhost/app");
        assertThat(PgLocation.parse("postgres://bob@db", NO_ENV).jdbcUrl())
                .as("the database defaults to the user, as in libpq").isEqualTo("jdbc:postgresql://db/bob");
    }

    @Test
    void queryParametersOverrideTheUriAndSecretsAreNeverShown() {
        PgLocation at = PgLocation.parse("postgres://alice@db/app?user=bob&password=hunter2&dbname=other"
                + "&sslpassword=keypass&sslkey=/k.pk8", NO_ENV);
        assertThat(at.user()).isEqualTo("bob");
        assertThat(at.password()).isEqualTo("hunter2");
        assertThat(at.jdbcUrl()).isEqualTo("jdbc:postgresql://db/other");
        assertThat(at.properties()).containsEntry("sslpassword", "keypass").containsEntry("sslkey", "/k.pk8");
        assertThat(at.display()).isEqualTo("postgres://bob@db/other?sslkey=%2Fk.pk8")
                .doesNotContain("hunter2").doesNotContain("keypass");
    }

    @Test
    void jdbcUrlsKeepTheirPropertiesButNotTheirPassword() {
        PgLocation at = PgLocation.parse("jdbc:postgresql://db:5432/app?user=alice&password=hunter2&ssl=true",
                Map.of("PGPASSWORD", "ignored"));
        assertThat(at.jdbcUrl()).isEqualTo("jdbc:postgresql://db:5432/app");
        assertThat(at.user()).isEqualTo("alice");
        assertThat(at.password()).isEqualTo("hunter2");
        assertThat(at.properties()).containsEntry("ssl", "true").doesNotContainKeys("user", "password");
        assertThat(at.display()).isEqualTo("jdbc:postgresql://db:5432/app?user=alice&ssl=true");

        PgLocation fromEnv = PgLocation.parse("jdbc:postgresql://db/app", Map.of("PGPASSWORD", "p", "PGUSER", "u"));
        assertThat(fromEnv.user()).isEqualTo("u");
        assertThat(fromEnv.password()).isEqualTo("p");
    }

    @Test
    void malformedLocationsAreUsageErrorsWithoutThePassword() {
        for (String bad : new String[] {"postgres://u:hunter2@db:port/app", "postgres://u:hunter2@db/app?oops",
                "postgres://u:hunter2@db/app?target_session_attrs=sometimes", "postgres://u:hunter2@[::1/app",
                "jdbc:postgresql://u:hunter2@db/app", "jdbc:postgresql:?password=hunter2",
                "postgres://u:hunter2@%2Ftmp/app"}) {
            assertThatThrownBy(() -> PgLocation.parse(bad, NO_ENV)).as(bad)
                    .isInstanceOfSatisfying(LifeboatException.class, e -> {
                        assertThat(e.code()).isEqualTo(ErrorCode.USAGE);
                        assertThat(e.getMessage()).doesNotContain("hunter2");
                        assertThat(e.hint()).contains("postgres://");
                    });
        }
    }

    @Test
    void scrubMasksThePasswordInAnyText() {
        PgLocation at = PgLocation.parse("postgres://u:hunter2@db/app", NO_ENV);
        assertThat(at.scrub("failed with hunter2 in it")).isEqualTo("failed with ******** in it");
        assertThat(at.scrub(null)).isNull();
        assertThat(PgLocation.parse("postgres://u@db/app", NO_ENV).scrub("text")).isEqualTo("text");
    }

    @Test
    void whichLocationsArePostgres() {
        assertThat(PgLocation.isPostgres("postgres://db/x")).isTrue();
        assertThat(PgLocation.isPostgres(" POSTGRESQL://db/x")).isTrue();
        assertThat(PgLocation.isPostgres("jdbc:postgresql://db/x")).isTrue();
        assertThat(PgLocation.isPostgres("mysql://db/x")).isFalse();
        assertThat(PgLocation.isPostgres("state.db")).isFalse();
    }

    @Test
    void badPercentEscapesAreUsageErrorsWithoutThePassword() {
        // Before, the URL decoder's own IllegalArgumentException escaped, with part of the text it choked on.
        for (String bad : new String[] {"postgres://u:hunter2%zz@db/app", "postgres://u:hunter2%4@db/app",
                "postgres://u:hunter2@db/app?password=hunter2%zz", "postgres://u:hunter2@db/app%zz",
                "jdbc:postgresql://db/app?password=hunter2%zz"}) {
            assertThatThrownBy(() -> PgLocation.parse(bad, NO_ENV)).as(bad)
                    .isInstanceOfSatisfying(LifeboatException.class, e -> {
                        assertThat(e.code()).isEqualTo(ErrorCode.USAGE);
                        assertThat(e.getMessage()).contains("percent-encoding").doesNotContain("hunter2");
                        assertThat(e.hint()).contains("postgres://");
                    });
        }
    }

    @Test
    void whatTheSharedParserLeavesToTheStateStore() {
        assertThat(PgLocation.parse("POSTGRESQL://u@db/app", NO_ENV).jdbcUrl())
                .as("any case of scheme, as isPostgres accepts").isEqualTo("jdbc:postgresql://db/app");
        assertThat(PgLocation.parse("postgres://u@:5433,db2:5434,/app", NO_ENV).jdbcUrl())
                .as("an empty host is localhost, its port kept")
                .isEqualTo("jdbc:postgresql://localhost:5433,db2:5434,localhost/app");
        PgLocation at = PgLocation.parse("postgres://u:@db/app?&socketTimeout=30&&user=", Map.of("PGUSER", "svc",
                "PGPASSWORD", "from-env"));
        assertThat(at.user()).as("an empty user falls back to PGUSER").isEqualTo("svc");
        assertThat(at.password()).as("an empty password falls back to PGPASSWORD").isEqualTo("from-env");
        assertThat(at.properties()).as("parameters the client programs could not take")
                .containsEntry("socketTimeout", "30");
    }

    /** Issue 14: the state's location showed a piece of its password in the message of a failed start. */
    @Test
    void aPasswordCutShortIsNotShownInTheMessage() {
        for (String bad : new String[] {"postgres://app:4242?PartTwoSecret@host/app", "postgres://u:12/PartTwoSecret@h/db",
                "postgres://u:p@PartTwoSecret:w@h:x/db", "postgres://h/db?password=a&PartTwoSecret"}) {
            assertThatThrownBy(() -> PgLocation.parse(bad, NO_ENV)).as(bad)
                    .isInstanceOfSatisfying(LifeboatException.class, e -> {
                        assertThat(e.code()).isEqualTo(ErrorCode.USAGE);
                        assertThat(e.getMessage()).contains("postgres://").doesNotContain("PartTwoSecret")
                                .doesNotContain("4242");
                    });
        }
    }
}
