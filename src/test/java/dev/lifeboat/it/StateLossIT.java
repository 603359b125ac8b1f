package dev.lifeboat.it;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.lifeboat.testing.LifeboatCli;
import dev.lifeboat.testing.LifeboatService;
import dev.lifeboat.testing.PgCluster;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The repository is the source of truth: losing the service's state folder loses history and tokens, never
 * the backups. A new service on the same repository lists them and restores one.
 */
class StateLossIT {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern TOKEN = Pattern.compile("lb_[A-Za-z0-9_-]+");
    private final HttpClient http = HttpClient.newHttpClient();

    @TempDir
    Path work;

    @Test
    void aServiceWhoseStateWasLostStillListsAndRestoresEveryBackup() throws Exception {
        PgCluster pg = PgCluster.shared();
        String db = "state_loss";
        pg.dropDatabase(db);
        pg.createDatabase(db);
        pg.psql(db, "create table notes(id int primary key, body text); "
                + "insert into notes select g, 'note ' || g from generate_series(1, 500) g");
        Path data = work.resolve("data");
        LifeboatCli cli = new LifeboatCli(work).env("LIFEBOAT_REPOSITORY", work.resolve("repo").toString())
                .env("LIFEBOAT_DATA_DIR", data.toString()).env("PGPASSWORD", pg.password())
                .env("DATABASE_URL", "postgres://" + pg.superuser() + "@127.0.0.1:" + pg.port() + "/" + db);
        cli.run("init").expectSuccess();

        String backupId;
        try (LifeboatService service = LifeboatService.start(cli, "--data-dir", data.toString())) {
            String token = token(cli, "first-admin");
            JsonNode made = JSON.readTree(send(service, token, "POST", "/api/v1/platform/backups", "{\"label\": \"before\"}", 201));
            backupId = made.get("id").asText();
            assertThat(service.stop(Duration.ofSeconds(60))).isIn(0, 143);
        }
        try (Stream<Path> files = Files.walk(data)) {
            files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
        assertThat(data).doesNotExist();
        pg.psql(db, "delete from notes where id > 100");

        try (LifeboatService service = LifeboatService.start(cli, "--data-dir", data.toString())) {
            assertThat(service.log()).contains("no admin token exists yet").contains("lifeboat token create --role admin");
            String token = token(cli, "second-admin");
            JsonNode list = JSON.readTree(send(service, token, "GET", "/api/v1/platform/backups", null, 200));
            assertThat(list.get("backups")).extracting(b -> b.get("id").asText()).containsExactly(backupId);
            assertThat(list.get("backups").get(0).get("label").asText()).isEqualTo("before");
            JsonNode history = JSON.readTree(send(service, token, "GET", "/api/v1/platform/jobs", null, 200));
            assertThat(history.get("history")).isEmpty();

            JsonNode offer = JSON.readTree(send(service, token, "POST", "/api/v1/platform/backups/" + backupId + "/restore", null, 200));
            JsonNode restored = JSON.readTree(send(service, token, "POST", "/api/v1/platform/backups/" + backupId
                    + "/restore/confirm", "{\"confirmationToken\": \"" + offer.get("confirmationToken").asText() + "\"}", 200));
            assertThat(restored.get("preRestoreBackupId").asText()).isNotBlank();
            assertThat(pg.psql(db, "select count(*) from notes").trim()).isEqualTo("500");
        }
    }

    private static String token(LifeboatCli cli, String name) {
        String out = cli.run("token", "create", "--role", "admin", "--name", name).expectSuccess().stdout();
        Matcher m = TOKEN.matcher(out);
        assertThat(m.find()).as("a token in: %s", out).isTrue();
        return m.group();
    }

    private String send(LifeboatService service, String token, String method, String path, String body, int expected)
            throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(service.uri(path)).header("Authorization", "Bearer " + token)
                .timeout(Duration.ofMinutes(2))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        HttpResponse<String> r = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as("%s %s answered %s\nlog:\n%s", method, path, r.body(), service.log())
                .isEqualTo(expected);
        return r.body();
    }
}
