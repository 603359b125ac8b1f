package dev.lifeboat.state;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.lifeboat.core.ErrorCode;
import dev.lifeboat.testing.InProcessCli;
import dev.lifeboat.testing.InProcessCli.Run;
import dev.lifeboat.testing.PgCluster;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code lifeboat token ...} run in-process, as the CLI's user sees it. */
class TokenCommandTest {
    @TempDir
    Path temp;

    private static Run lifeboat(String... args) {
        return InProcessCli.run(args);
    }

    private String dir() {
        return temp.resolve("data").toString();
    }

    @Test
    void createListAuthenticateRevoke() throws Exception {
        Run created = lifeboat("token", "create", "--role", "operator", "--name", "ci", "--data-dir", dir());
        assertThat(created.exitCode()).as(created.err()).isZero();
        Matcher m = Pattern.compile("(lb_[A-Za-z0-9_-]{43})").matcher(created.out());
        assertThat(m.find()).as(created.out()).isTrue();
        String token = m.group(1);
        assertThat(m.find()).as("the token is printed once").isFalse();
        assertThat(created.out()).contains("only this once").contains("Authorization: Bearer <token>");

        try (StateStore store = StateStore.open(Path.of(dir()))) {
            assertThat(store.tokens().authenticate(token)).hasValueSatisfying(p -> {
                assertThat(p.name()).isEqualTo("ci");
                assertThat(p.role()).isEqualTo(Role.OPERATOR);
            });
        }

        Run list = lifeboat("token", "list", "--data-dir", dir());
        assertThat(list.exitCode()).isZero();
        assertThat(list.out()).contains("ID", "NAME", "ROLE", "LAST USED", "REVOKED", "ci", "operator")
                .doesNotContain(token.substring(3));

        Run json = lifeboat("token", "list", "--json", "--data-dir", dir());
        assertThat(json.exitCode()).isZero();
        JsonNode rows = new ObjectMapper().readTree(json.out());
        assertThat(rows).hasSize(1);
        assertThat(rows.get(0).get("name").asText()).isEqualTo("ci");
        assertThat(rows.get(0).get("role").asText()).isEqualTo("operator");
        assertThat(rows.get(0).get("revoked").asBoolean()).isFalse();
        assertThat(rows.get(0).has("lastUsed")).isTrue();
        String id = rows.get(0).get("id").asText();

        Run revoke = lifeboat("token", "revoke", "ci", "--data-dir", dir());
        assertThat(revoke.exitCode()).as(revoke.err()).isZero();
        assertThat(revoke.out()).contains(id).contains("revoked");

        JsonNode after = new ObjectMapper().readTree(lifeboat("token", "list", "--json", "--data-dir", dir()).out());
        assertThat(after.get(0).get("revoked").asBoolean()).isTrue();
        try (StateStore store = StateStore.open(Path.of(dir()))) {
            assertThat(store.tokens().authenticate(token)).isEmpty();
        }
    }

    @Test
    void anEmptyStoreSaysHowToStart() {
        Run list = lifeboat("token", "list", "--data-dir", dir());
        assertThat(list.exitCode()).isZero();
        assertThat(list.out()).contains("No API tokens").contains("token create --role admin");
        assertThat(lifeboat("token", "list", "--json", "--data-dir", dir()).out().strip()).isEqualTo("[ ]");
    }

    @Test
    void errorsAreOneErrorLineAndOneTryLine() {
        Run unknownRole = lifeboat("token", "create", "--role", "root", "--data-dir", dir());
        assertThat(unknownRole.exitCode()).isEqualTo(ErrorCode.USAGE.exitCode());
        assertThat(unknownRole.err()).contains("Error: unknown role 'root'").contains("Try: use admin, operator or viewer");
        assertThat(Files.exists(Path.of(dir()))).as("nothing created for a usage error").isFalse();

        Run unknownToken = lifeboat("token", "revoke", "nobody", "--data-dir", dir());
        assertThat(unknownToken.exitCode()).isEqualTo(ErrorCode.NOT_FOUND.exitCode());
        assertThat(unknownToken.err()).contains("Error: no API token with id or name 'nobody'").contains("Try: ");

        assertThat(lifeboat("token", "create", "--role", "admin", "--name", "ops", "--data-dir", dir()).exitCode()).isZero();
        Run duplicate = lifeboat("token", "create", "--role", "viewer", "--name", "ops", "--data-dir", dir());
        assertThat(duplicate.exitCode()).isEqualTo(ErrorCode.USAGE.exitCode());
        assertThat(duplicate.err()).contains("already exists").contains("Try: ");

        Run missingRole = lifeboat("token", "create", "--data-dir", dir());
        assertThat(missingRole.exitCode()).isEqualTo(ErrorCode.USAGE.exitCode());

        Run noSubcommand = lifeboat("token");
        assertThat(noSubcommand.exitCode()).isEqualTo(ErrorCode.USAGE.exitCode());
        assertThat(noSubcommand.err()).contains("create, list or revoke");
    }

    @Test
    void stateOptionKeepsTokensInPostgres() {
        try (StateFixture pg = new StateFixture(Backend.POSTGRES, temp)) {
            String url = pg.stateUrl();
            String password = StateFixture.cluster().password();

            Run empty = lifeboat("token", "list", "--state", url);
            assertThat(empty.exitCode()).as(empty.err()).isZero();
            assertThat(empty.out()).contains("No API tokens in postgres://" + PgCluster.SUPERUSER + "@")
                    .contains(pg.database).doesNotContain(password);

            Run created = lifeboat("token", "create", "--role", "admin", "--name", "ops", "--state", url);
            assertThat(created.exitCode()).as(created.err()).isZero();
            Matcher m = Pattern.compile("(lb_[A-Za-z0-9_-]{43})").matcher(created.out());
            assertThat(m.find()).isTrue();
            assertThat(lifeboat("token", "list", "--state", url).out()).contains("ops", "admin");
            assertThat(Files.exists(Path.of(dir()))).as("no SQLite file with --state").isFalse();

            try (StateStore store = pg.open(java.time.Clock.systemUTC())) {
                assertThat(store.tokens().authenticate(m.group(1))).isPresent();
            }
            assertThat(lifeboat("token", "revoke", "ops", "--state", url).exitCode()).isZero();

            String wrong = url.replaceFirst(":[^:@/]+@", ":wrong-password@");
            assertThat(wrong).isNotEqualTo(url);
            Run refused = lifeboat("token", "list", "--state", wrong);
            assertThat(refused.exitCode()).isEqualTo(ErrorCode.STORAGE.exitCode());
            assertThat(refused.err()).contains("Error: cannot connect to state database").contains("Try: ")
                    .doesNotContain("wrong-password");
        }
    }

    @Test
    void helpListsTheSubcommands() {
        Run help = lifeboat("token", "--help");
        assertThat(help.exitCode()).isZero();
        assertThat(help.out()).contains("create", "list", "revoke");
        assertThat(lifeboat("--help").out()).contains("token");
    }
}
