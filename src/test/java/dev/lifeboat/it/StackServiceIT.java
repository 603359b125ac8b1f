package dev.lifeboat.it;

import com.fasterxml.jackson.databind.JsonNode;
import dev.lifeboat.testing.LifeboatCli;
import dev.lifeboat.testing.LifeboatService;
import dev.lifeboat.testing.PgCluster;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.CookieManager;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static dev.lifeboat.it.ServiceItSupport.createToken;
import static dev.lifeboat.it.ServiceItSupport.get;
import static dev.lifeboat.it.ServiceItSupport.post;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Issue 15 through {@code lifeboat serve}: the scheduled and API backup is the stack's; the list, the detail and
 * {@code /metrics} show each source with its type, size and status; {@code POST .../restore} takes an optional
 * {@code {"source": ...}}, lists every target, and the confirmed job restores that source or the whole stack in
 * phases; the web UI's restore page lists every target and asks for the backup's last 6 characters.
 */
class StackServiceIT {
    private static final String API = "/api/v1/platform";

    @TempDir
    Path work;

    @Test
    void theServiceBacksUpAndRestoresTheStackOneSourceOrAll() throws Exception {
        PgCluster pg = PgCluster.shared();
        String db = "svc_stack";
        pg.dropDatabase(db);
        pg.createDatabase(db);
        pg.psql(db, "create table t(id int primary key, v text); insert into t select g, md5(g::text) "
                + "from generate_series(1, 1000) g");
        Path uploads = Files.createDirectories(work.resolve("uploads"));
        Files.writeString(uploads.resolve("a.txt"), "first a");
        Files.createDirectories(uploads.resolve("avatars"));
        Files.write(uploads.resolve("avatars/b.png"), new byte[] {(byte) 0x89, 'P', 'N', 'G', 0, 1, 2});
        Path kv = work.resolve("kv.txt");
        Files.writeString(kv, "kv-state-1\n");
        Path hooks = work.resolve("hooks.log");
        Files.createFile(hooks);
        Path config = work.resolve("lifeboat.yml");
        Files.writeString(config, """
                sources:
                  app:     { type: postgres, url: "postgres://%s@127.0.0.1:%d/%s" }
                  uploads: { type: files, path: "%s" }
                  kv:      { type: exec, backup: "cat %s", restore: "cat > %s.new && mv %s.new %s" }
                hooks:
                  before-backup: "echo before-backup >> %s"
                  after-backup: "echo after-backup >> %s"
                  before-restore: "echo before-restore >> %s"
                  after-restore: "echo after-restore >> %s"
                """.formatted(pg.superuser(), pg.port(), db, uploads, kv, kv, kv, kv, hooks, hooks, hooks, hooks));
        LifeboatCli cli = new LifeboatCli(work).env("PGPASSWORD", pg.password())
                .env("LIFEBOAT_REPOSITORY", work.resolve("repo").toString())
                .env("LIFEBOAT_DATA_DIR", work.resolve("data").toString())
                .env("LIFEBOAT_BACKUP_SCHEDULE", "0 3 1 1 *")
                .env("LIFEBOAT_RUN_MISSED_AT_STARTUP", "false");
        cli.run("init").expectSuccess();
        String admin = createToken(cli, "admin", "stack-admin");
        String operator = createToken(cli, "operator", "stack-operator");
        try (LifeboatService service = LifeboatService.start(cli, "--config", config.toString())) {
            // the API's backup is the stack's, with its hooks
            JsonNode made = post(service, operator, API + "/backups", "{\"label\": \"stack\"}").expect(201).body();
            String id = made.path("id").asText();
            assertThat(Files.readAllLines(hooks)).containsExactly("before-backup", "after-backup");
            assertThat(sources(made)).containsExactly("app:postgresql", "uploads:files", "kv:exec");

            // list and detail: every source with its type, size and status
            JsonNode row = null;
            for (JsonNode b : get(service, admin, API + "/backups").expect(200).body().path("backups")) {
                if (b.path("id").asText().equals(id)) {
                    row = b;
                }
            }
            assertThat(row).as("backup %s in the list", id).isNotNull();
            assertThat(sources(row)).containsExactly("app:postgresql", "uploads:files", "kv:exec");
            for (JsonNode s : row.path("sources")) {
                assertThat(s.path("status").asText()).as(s.toString()).isEqualTo("completed");
                assertThat(s.path("logicalBytes").asLong()).as(s.toString()).isPositive();
                assertThat(s.path("storedBytes").asLong()).as(s.toString()).isPositive();
            }
            assertThat(row.path("sources").get(2).path("logicalBytes").asLong()).isEqualTo("kv-state-1\n".length());
            assertThat(sources(get(service, admin, API + "/backups/" + id).expect(200).body()))
                    .containsExactly("app:postgresql", "uploads:files", "kv:exec");
            String metrics = raw(service, admin, "/metrics");
            assertThat(metrics).contains("lifeboat_source_last_backup_bytes{source=\"kv\",type=\"exec\"} 11.0")
                    .contains("lifeboat_source_corrupt{source=\"uploads\",type=\"files\"} 0.0")
                    .contains("lifeboat_source_last_backup_timestamp_seconds{source=\"app\",type=\"postgresql\"}");

            // everything changes after the backup
            pg.psql(db, "delete from t where id > 10");
            Files.writeString(uploads.resolve("a.txt"), "second a");
            Files.writeString(kv, "kv-state-2\n");
            Files.writeString(hooks, "");

            // a request that names nothing known, or both kinds, is refused before any token
            assertThat(post(service, admin, API + "/backups/" + id + "/restore", "{\"source\": \"nope\"}").status())
                    .isEqualTo(404);
            assertThat(post(service, admin, API + "/backups/" + id + "/restore",
                    "{\"source\": \"kv\", \"database\": \"app\"}").expect(400).body().path("error").path("message")
                    .asText()).contains("a database or a source, not both");

            // one source: the offer names its one target; only that source comes back
            JsonNode offer = post(service, admin, API + "/backups/" + id + "/restore", "{\"source\": \"uploads\"}")
                    .expect(200).body();
            assertThat(offer.path("source").asText()).isEqualTo("uploads");
            assertThat(offer.path("sources")).hasSize(1);
            assertThat(offer.path("sources").get(0).path("target").asText()).isEqualTo("folder " + uploads);
            assertThat(offer.path("warning").asText()).contains("source uploads").contains("safety backup");
            JsonNode one = post(service, admin, API + "/backups/" + id + "/restore/confirm", "{\"confirmationToken\": \""
                    + offer.path("confirmationToken").asText() + "\"}").expect(200).body();
            assertThat(one.path("restored")).extracting(JsonNode::asText).containsExactly("uploads");
            assertThat(one.path("preRestoreBackupId").asText()).isNotBlank(); // the folder held data
            assertThat(uploads.resolve("a.txt")).hasContent("first a");
            assertThat(pg.psql(db, "select count(*) from t").strip()).isEqualTo("10"); // not restored
            assertThat(kv).hasContent("kv-state-2\n");
            assertThat(Files.readAllLines(hooks)).containsExactly("before-restore", "after-restore");
            // the safety backup holds the folder as it was before
            JsonNode safety = get(service, admin, API + "/backups/" + one.path("preRestoreBackupId").asText())
                    .expect(200).body();
            assertThat(sources(safety)).containsExactly("uploads:files");

            // the whole stack, through the web UI: every target listed, the backup's last 6 characters typed
            Files.writeString(hooks, "");
            Files.writeString(uploads.resolve("a.txt"), "third a");
            Ui ui = Ui.signIn(service, admin);
            String backupPage = ui.get("/ui/backups/" + id);
            assertThat(backupPage).contains("every source (3)").contains("value=\"source:uploads\"");
            String page = ui.post("/ui/backups/" + id + "/restore", Map.of("choice", "stack",
                    "csrf", ui.csrf(backupPage)));
            assertThat(page).contains("id=\"restore-targets\"").contains(uploads.toString()).contains(">kv<")
                    .contains("127.0.0.1:" + pg.port()).contains("after-restore")
                    .contains("<strong class=\"mono\" id=\"confirm-word\">" + id.substring(id.length() - 6));
            Map<String, String> form = new LinkedHashMap<>(ui.hidden(page));
            form.put("typed", "wrong1");
            String again = ui.post("/ui/backups/" + id + "/restore/confirm", form);
            assertThat(again).contains("Nothing was done").contains("id=\"restore-targets\"");
            assertThat(uploads.resolve("a.txt")).hasContent("third a");
            form.put("typed", id.substring(id.length() - 6));
            String jobUrl = ui.postForRedirect("/ui/backups/" + id + "/restore/confirm", form);
            assertThat(jobUrl).startsWith("/ui/jobs/");
            JsonNode job = awaitJob(service, admin, jobUrl.substring("/ui/jobs/".length()));
            assertThat(job.path("status").asText()).as(job.toString()).isEqualTo("succeeded");
            assertThat(job.path("result").path("restored")).extracting(JsonNode::asText)
                    .containsExactly("app", "uploads", "kv");
            assertThat(pg.psql(db, "select count(*) from t").strip()).isEqualTo("1000");
            assertThat(uploads.resolve("a.txt")).hasContent("first a");
            assertThat(uploads.resolve("avatars/b.png")).hasBinaryContent(new byte[] {(byte) 0x89, 'P', 'N', 'G', 0, 1,
                    2});
            assertThat(kv).hasContent("kv-state-1\n");
            assertThat(Files.readAllLines(hooks)).containsExactly("before-restore", "after-restore");
            assertThat(ui.get(jobUrl)).contains("sources app, uploads, kv");
        } finally {
            pg.dropDatabase(db);
        }
    }

    private static List<String> sources(JsonNode backup) {
        JsonNode list = backup.has("manifest") ? backup.path("manifest").path("sources") : backup.path("sources");
        List<String> out = new ArrayList<>();
        list.forEach(s -> out.add(s.path("name").asText() + ":" + s.path("type").asText()));
        return out;
    }

    private static String raw(LifeboatService s, String token, String path) throws Exception {
        return HttpClient.newHttpClient().send(HttpRequest.newBuilder(s.uri(path)).header("Authorization", "Bearer "
                        + token).build(),
                HttpResponse.BodyHandlers.ofString()).body();
    }

    private static JsonNode awaitJob(LifeboatService s, String token, String jobId) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofMinutes(2).toNanos();
        while (true) {
            JsonNode j = get(s, token, API + "/jobs/" + jobId).expect(200).body();
            String status = j.path("status").asText();
            if (!status.equals("queued") && !status.equals("running")) {
                return j;
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError("job " + jobId + " still " + status);
            }
            Thread.sleep(200);
        }
    }

    /** A signed-in browser without a browser: cookies, the sign-in form's CSRF, hidden fields of forms. */
    private record Ui(LifeboatService service, HttpClient http) {
        private static final Pattern HIDDEN = Pattern.compile(
                "<input type=\"hidden\" name=\"([^\"]+)\" value=\"([^\"]*)\">");

        static Ui signIn(LifeboatService service, String token) throws Exception {
            HttpClient http = HttpClient.newBuilder().cookieHandler(new CookieManager())
                    .followRedirects(HttpClient.Redirect.NEVER).build();
            Ui ui = new Ui(service, http);
            String form = ui.get("/ui/login");
            Map<String, String> fields = new LinkedHashMap<>(ui.hidden(form));
            fields.put("token", token);
            HttpResponse<String> r = ui.send("/ui/login", fields);
            assertThat(r.statusCode()).as(r.body()).isEqualTo(303);
            return ui;
        }

        String get(String path) throws Exception {
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(service.uri(path)).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(r.statusCode()).as(path + ": " + r.body()).isEqualTo(200);
            return r.body();
        }

        String post(String path, Map<String, String> fields) throws Exception {
            return send(path, fields).body();
        }

        String postForRedirect(String path, Map<String, String> fields) throws Exception {
            HttpResponse<String> r = send(path, fields);
            assertThat(r.statusCode()).as(r.body()).isEqualTo(303);
            return r.headers().firstValue("Location").orElseThrow();
        }

        HttpResponse<String> send(String path, Map<String, String> fields) throws Exception {
            StringBuilder body = new StringBuilder();
            fields.forEach((k, v) -> body.append(body.isEmpty() ? "" : "&").append(URLEncoder.encode(k,
                    StandardCharsets.UTF_8)).append('=').append(URLEncoder.encode(v, StandardCharsets.UTF_8)));
            return http.send(HttpRequest.newBuilder(service.uri(path)).header("Content-Type",
                            "application/x-www-form-urlencoded").POST(HttpRequest.BodyPublishers.ofString(body.toString()))
                    .build(), HttpResponse.BodyHandlers.ofString());
        }

        Map<String, String> hidden(String html) {
            Map<String, String> out = new LinkedHashMap<>();
            Matcher m = HIDDEN.matcher(html);
            int form = html.indexOf("restore/confirm");
            while (m.find()) {
                if (form < 0 || m.start() > form) { // the confirmation form's fields, not the header's sign-out
                    out.put(m.group(1), m.group(2).replace("&#34;", "\"").replace("&amp;", "&"));
                }
            }
            return out;
        }

        String csrf(String html) {
            Matcher m = Pattern.compile("name=\"csrf\" value=\"([^\"]+)\"").matcher(html);
            assertThat(m.find()).as("a csrf field").isTrue();
            return m.group(1);
        }
    }
}
