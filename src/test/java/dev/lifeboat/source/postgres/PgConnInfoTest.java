package dev.lifeboat.source.postgres;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.entry;

/** The one parser of connection strings, as both {@link PgConnection} and the state store's PgLocation see it. */
class PgConnInfoTest {
    @Test
    void aUriBecomesLibpqParametersInTheOrderWritten() {
        Map<String, String> p = PgConnInfo.parse("postgres://app%40corp:s%3Acr%2Bt+@db.example:6543/my%20db"
                + "?sslmode=require&currentSchema=state");
        assertThat(p).containsExactly(entry("user", "app@corp"), entry("password", "s:cr+t+"),
                entry("host", "db.example"), entry("port", "6543"), entry("dbname", "my db"),
                entry("sslmode", "require"), entry("currentSchema", "state"));
    }

    @Test
    void emptyPartsAreLeftOutButAnEmptyPasswordIsKept() {
        assertThat(PgConnInfo.parse("postgres://")).isEmpty();
        assertThat(PgConnInfo.parse("postgres:///")).isEmpty();
        assertThat(PgConnInfo.parse("postgres://@/")).isEmpty();
        assertThat(PgConnInfo.parse("postgres://:@h/"))
                .as("libpq then skips PGPASSWORD").containsExactly(entry("password", ""), entry("host", "h"));
        assertThat(PgConnInfo.parse("postgres://,:5433/db")).as("no host given, one port")
                .containsExactly(entry("port", ",5433"), entry("dbname", "db"));
    }

    @Test
    void hostsAndPortsAreListsWithOneEntryAHostEvenWhenEmpty() {
        assertThat(PgConnInfo.parse("postgres://h1:5432,[::1]:5433,h3/db"))
                .containsEntry("host", "h1,::1,h3").containsEntry("port", "5432,5433,");
        assertThat(PgConnInfo.parse("postgres://:5433,h2:5434/db")).as("a leading empty host keeps its place")
                .containsEntry("host", ",h2").containsEntry("port", "5433,5434");
        assertThat(PgConnInfo.parse("postgres://h1,,h3,/db")).as("so do later ones")
                .containsEntry("host", "h1,,h3,").doesNotContainKey("port");
        assertThat(PgConnInfo.parse("postgres://%2Ftmp/db")).containsEntry("host", "/tmp");
    }

    @Test
    void theQueryOverridesTheUriAndEmptyPairsAreSkipped() {
        Map<String, String> p = PgConnInfo.parse("postgres://alice:pw@db/app?&user=bob&&host=h1,h2&port=&password=x&");
        assertThat(p).containsExactly(entry("user", "bob"), entry("password", "x"), entry("host", "h1,h2"),
                entry("dbname", "app"), entry("port", ""));
    }

    @Test
    void parseUriLeavesTheSchemeToTheCallerButParseFollowsLibpq() {
        assertThat(PgConnInfo.parseUri("POSTGRESQL://h/db")).containsExactly(entry("host", "h"), entry("dbname", "db"));
        assertThat(PgConnInfo.isUri("postgresql://h")).isTrue();
        assertThat(PgConnInfo.isUri("POSTGRES://h")).isFalse();
        assertThatThrownBy(() -> PgConnInfo.parse("POSTGRES://h/db")).hasMessageContaining("not key=value");
    }

    @Test
    void keywordStrings() {
        assertThat(PgConnInfo.parse(" host=/run/pg dbname='my app'  password='it\\'s' port=5432 "))
                .containsExactly(entry("host", "/run/pg"), entry("dbname", "my app"), entry("password", "it's"),
                        entry("port", "5432"));
        assertThatThrownBy(() -> PgConnInfo.parse("dbname='open")).hasMessageContaining("unterminated quoted value");
    }

    @Test
    void reservedCharactersInAPasswordWorkPercentEncodedAndAnAtSignNeedNot() {
        assertThat(PgConnInfo.parse("postgres://u:a%2Fb%3Fc%40d@h/db")).containsEntry("password", "a/b?c@d");
        assertThat(PgConnInfo.parse("postgres://u:p@ss@h/db")).containsEntry("password", "p@ss").containsEntry("host", "h");
        assertThat(PgConnInfo.parse("postgres://h/db?user=a@b")).containsEntry("host", "h").containsEntry("user", "a@b");
    }

    @Test
    void errorsNameThePartNeverItsText() {
        for (List<String> bad : List.of(
                List.of("postgres://u:hunter2%zz@h/db", "percent-encoding in the password"),
                List.of("postgres://u:hunter2%4@h/db", "percent-encoding in the password"),
                List.of("postgres://hunter2%zz@h/db", "percent-encoding in the user name"),
                List.of("postgres://u:hunter2@h%zz/db", "percent-encoding in the host"),
                List.of("postgres://u:hunter2@h/d%zz", "percent-encoding in the database name"),
                List.of("postgres://u:hunter2@h/db?password=hunter2%zz", "query parameter password"),
                List.of("postgres://u:hunter2@[::1/db", "unterminated IPv6 address"),
                List.of("postgres://u:hunter2@h:x/db", "invalid port 'x'"),
                List.of("postgres://u:hun/ter2@h:5432/db", "holds a '/' or '?' that is not percent-encoded"),
                List.of("postgres://u:hun?ter2@h/db", "holds a '/' or '?' that is not percent-encoded"),
                List.of("postgres://u:hun/ter2@h/db?sslmode=require", "holds a '/' or '?'"),
                List.of("postgres://u:hunter2@h/db?oops", "invalid parameter 'oops'"),
                List.of("", "empty"))) {
            assertThatThrownBy(() -> PgConnInfo.parse(bad.get(0))).as(bad.get(0))
                    .isExactlyInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining(bad.get(1)).message().doesNotContain("hunter2");
        }
    }

    /** Issue 14: {@code invalid parameter 'PartTwoSecret@...'} was readable by a viewer through the job history. */
    @Test
    void aPasswordCutShortByAQuestionMarkIsNeverQuoted() {
        String uri = "postgres://app:4242?PartTwoSecret@host/app";
        assertThatThrownBy(() -> PgConnInfo.parse(uri)).isExactlyInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("holds a '/' or '?' that is not percent-encoded")
                .hasMessageContaining("postgres://***@host/app")
                .message().doesNotContain("PartTwoSecret").doesNotContain("4242");
        assertThatThrownBy(() -> PgConnection.parse(uri)).message().doesNotContain("PartTwoSecret");
        assertThatThrownBy(() -> PgConnInfo.parse("postgres://u:1234/PartTwo@h/db")).as("a '/' in the password")
                .hasMessageContaining("postgres://***@h/db").message().doesNotContain("PartTwo").doesNotContain("1234");
    }

    @Test
    void whatLiesBeforeTheLastAtSignIsNeverQuoted() {
        assertThat(PgConnInfo.parse("postgres://u:p@ss:w@h/db")).containsEntry("password", "p@ss:w")
                .containsEntry("host", "h").containsEntry("dbname", "db");
        for (List<String> bad : List.of(
                List.of("postgres://u:p@ss:w@h/db?bogus=1", "unsupported connection parameter 'bogus' in postgres://***@h/db?bogus=1"),
                List.of("postgres://u:p@ss:w@h:x/db", "invalid port 'x' in the PostgreSQL URI postgres://***@h:x/db"),
                List.of("postgres://u:p@ss:w@h/db?oops", "invalid parameter 'oops' in the PostgreSQL URI postgres://***@h/db?oops"),
                List.of("postgres://u:p@ss:w@h/d%zz", "percent-encoding in the database name of the PostgreSQL URI postgres://***@h/d%zz"))) {
            assertThatThrownBy(() -> PgConnection.parse(bad.get(0))).as(bad.get(0))
                    .hasMessageContaining(bad.get(1)).message().doesNotContain("ss:w").doesNotContain("p@");
        }
    }

    @Test
    void aKeywordStringNeverShowsWhatFollowsAnUnquotedPassword() {
        assertThatThrownBy(() -> PgConnection.parse("host=h password=x y=z"))
                .hasMessageContaining("unsupported connection parameter after the password in host=h password=***")
                .message().doesNotContain("y=z").doesNotContain("'y'").doesNotContain("=x");
        assertThatThrownBy(() -> PgConnInfo.parse("host=h password=x y"))
                .hasMessageContaining("a part is not key=value (in host=h password=***)")
                .hasMessageContaining("password='")
                .message().doesNotContain("'y'").doesNotContain("=x");
        assertThatThrownBy(() -> PgConnInfo.parse("host=h password='x y"))
                .hasMessageContaining("unterminated quoted value for 'password' (in host=h password=***)").message().doesNotContain("x y");
        assertThatThrownBy(() -> PgConnection.parse("host=h password='x y' sslmod=require"))
                .as("a quoted password ends where its quote does").hasMessageContaining("'sslmod'");
        assertThatThrownBy(() -> PgConnection.parse("host=h oops password=x"))
                .message().doesNotContain("=x");
    }

    @Test
    void redactHidesUserInfoAndPasswordsOfTheQueryAndOfKeywords() {
        assertThat(PgConnInfo.redact("postgres://app:4242?PartTwoSecret@host/app")).isEqualTo("postgres://***@host/app");
        assertThat(PgConnInfo.redact("postgres://u:p@ss:w@h/db")).isEqualTo("postgres://***@h/db");
        assertThat(PgConnInfo.redact("postgres://h/db?sslmode=require&password=s&x=1"))
                .isEqualTo("postgres://h/db?sslmode=require&password=***");
        assertThat(PgConnInfo.redact("postgres://h/db?pass%77ord=s")).isEqualTo("postgres://h/db?pass%77ord=***");
        assertThat(PgConnInfo.redact("postgres://h/db")).isEqualTo("postgres://h/db");
        assertThat(PgConnInfo.redact("host=h password=x y=z")).isEqualTo("host=h password=***");
        assertThat(PgConnInfo.redact("host=h password='x y' sslmode=require dbname='a b'"))
                .isEqualTo("host=h password=*** sslmode=require dbname='a b'");
        assertThat(PgConnInfo.redact("host=h sslpassword = k port=1")).isEqualTo("host=h sslpassword = ***");
        assertThat(PgConnInfo.redact(null)).isEmpty();
    }
}
