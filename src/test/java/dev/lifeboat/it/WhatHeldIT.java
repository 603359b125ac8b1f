package dev.lifeboat.it;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.lifeboat.testing.LifeboatCli;
import dev.lifeboat.testing.LifeboatService;
import dev.lifeboat.testing.PgCluster;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;

import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Issue 14's "what held": what the security review tried and could not break, kept so by a test each where no other
 * test holds it (child command lines: {@link PasswordIT}; hashed tokens, sessions and confirmations: the state
 * store's tests; authorisation of every endpoint: {@link ServiceApiIT}; CSRF, cookie flags and CSP: {@link WebUiIT}).
 */
class WhatHeldIT {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String API = "/api/v1/platform";
    /** Shell and SQL metacharacters: a name built into a command or a statement anywhere would run them. */
    private static final String DB = "held\"; drop table t; --$(touch canary)`touch canary` 'x";
    private static final String COPY = "held copy; $(touch canary)";
    private static final String TABLE = "t\"; drop table t; --$(touch canary)";

    @TempDir(cleanup = CleanupMode.ON_SUCCESS)
    static Path work;
    static PgCluster pg;
    static LifeboatCli cli;
    static LifeboatService service;
    static String viewer;
    static Path identity;

    @BeforeAll
    static void start() {
        pg = PgCluster.shared();
        pg.dropDatabase(DB);
        pg.dropDatabase(COPY);
        pg.createDatabase(DB);
        String t = PgCluster.quoteIdent(TABLE);
        pg.psql(DB, "create table " + t + " (id int primary key, " + PgCluster.quoteIdent("v; $(touch canary)")
                + " text);\n insert into " + t + " select g, 'row ' || g || ' $(touch canary) ''; drop' from "
                + "generate_series(1, 50) g;\n create table t(id int);");
        identity = work.resolve("identity.txt");
        // The password travels in the URL: it must be in no file, answer or metric afterwards.
        cli = new LifeboatCli(work).env("LIFEBOAT_REPOSITORY", work.resolve("repo").toString())
                .env("LIFEBOAT_DATA_DIR", work.resolve("data").toString())
                .env("LIFEBOAT_KEY_DIR", work.resolve("keys").toString())
                .env("DATABASE_URL", pg.url(DB))
                .env("LIFEBOAT_BACKUP_SCHEDULE", "0 3 1 1 *")
                .env("LIFEBOAT_RUN_MISSED_AT_STARTUP", "false");
        String recipient = cli.run("keygen", "-o", identity.toString()).expectSuccess().stdout().trim();
        cli.run("init", "--recipient", recipient).expectSuccess();
        cli.env("LIFEBOAT_IDENTITY_FILE", identity.toString());
        cli.run("backup", "--label", "first").expectSuccess();
        viewer = ServiceApiIT.createToken(cli, "viewer", "held-viewer");
        service = LifeboatService.start(cli);
    }

    @AfterAll
    static void stop() {
        if (service != null) {
            service.close();
        }
        if (pg != null) {
            pg.dropDatabase(DB);
            pg.dropDatabase(COPY);
        }
    }

    @Test
    void namesWithShellAndSqlMetacharactersAreInertAndRoundTrip() {
        cli.run("restore", "latest", "--to", pg.url(COPY), "--create", "--yes").expectSuccess();
        assertThat(pg.tableRows(COPY)).isEqualTo(pg.tableRows(DB)).containsKey("public." + TABLE);
        assertThat(pg.psql(COPY, "select count(*) from t").trim()).isEqualTo("0"); // the table named t is still there
        assertThat(work.resolve("canary")).doesNotExist();
        assertThat(Path.of("canary")).doesNotExist();
    }

    @Test
    void everyFileLifeboatWroteIsOwnerOnly() throws Exception {
        ServiceApiIT.call(service, "GET", API + "/backups", viewer, null); // the service has written its state too
        Set<PosixFilePermission> others = Set.of(PosixFilePermission.GROUP_READ, PosixFilePermission.GROUP_WRITE,
                PosixFilePermission.GROUP_EXECUTE, PosixFilePermission.OTHERS_READ, PosixFilePermission.OTHERS_WRITE,
                PosixFilePermission.OTHERS_EXECUTE);
        List<String> seen = new ArrayList<>();
        for (String tree : List.of("repo", "data", "keys")) {
            try (Stream<Path> s = Files.walk(work.resolve(tree))) {
                for (Path p : (Iterable<Path>) s::iterator) {
                    Set<PosixFilePermission> mode = Files.getPosixFilePermissions(p, LinkOption.NOFOLLOW_LINKS);
                    assertThat(mode).as("mode of %s", work.relativize(p)).doesNotContainAnyElementsOf(others);
                    seen.add(work.relativize(p).toString());
                }
            }
        }
        assertThat(Files.getPosixFilePermissions(identity)).doesNotContainAnyElementsOf(others);
        assertThat(Files.getPosixFilePermissions(Path.of(identity + ".signing-key"))).doesNotContainAnyElementsOf(others);
        // what the review named: the signing key, the trust record of the repository, the state, the chunks
        assertThat(seen).anyMatch(p -> p.endsWith(".signing-key")).anyMatch(p -> p.startsWith("keys/repositories/"))
                .anyMatch(p -> p.startsWith("repo/chunks/") || p.startsWith("repo/packs/")).anyMatch(p -> p.startsWith("data/"));
    }

    @Test
    void thePasswordIsInNoFileAnswerOrMetric() throws Exception {
        String secret = pg.password();
        StringBuilder everything = new StringBuilder();
        for (String path : List.of(API + "/backups", API + "/jobs", API + "/backups/config", "/metrics")) {
            ServiceApiIT.Resp r = ServiceApiIT.call(service, "GET", path, viewer, null);
            assertThat(r.status()).as(r.toString()).isEqualTo(200);
            everything.append(r.body());
        }
        everything.append(cli.run("list", "--json").expectSuccess().stdout());
        everything.append(cli.run("show", "latest", "--json").expectSuccess().stdout());
        assertThat(everything.toString()).contains("held").doesNotContain(secret);
        for (String tree : List.of("repo", "data", "keys")) {
            try (Stream<Path> s = Files.walk(work.resolve(tree))) {
                for (Path p : s.filter(Files::isRegularFile).toList()) {
                    String bytes = new String(Files.readAllBytes(p), StandardCharsets.ISO_8859_1);
                    assertThat(bytes).as("content of %s", work.relativize(p)).doesNotContain(secret);
                }
            }
        }
        assertThat(service.log()).doesNotContain(secret);
    }

    @Test
    void pathTraversalInIdsAndArtifactNamesIsRefused() {
        for (String id : List.of("..%2F..%2F..%2Fetc%2Fpasswd", "..", "%2e%2e", "20261201T000000Z-aaaaaa%2F..%2F..")) {
            ServiceApiIT.Resp r = ServiceApiIT.call(service, "GET", API + "/backups/" + id, viewer, null);
            assertThat(r.status()).as(r.toString()).isIn(400, 404);
            assertThat(r.body()).doesNotContain("root:").doesNotContain(work.toString());
        }
        for (String[] args : List.of(new String[] {"show", "../../../etc/passwd"},
                new String[] {"cat", "latest", "../../../etc/passwd"}, new String[] {"cat", "../config.json"})) {
            LifeboatCli.Result r = cli.run(args);
            assertThat(r.exitCode()).as(String.join(" ", args) + ": " + r.stderr()).isNotZero();
            assertThat(r.stdout()).doesNotContain("root:");
        }
    }

    @Test
    void twoHundredConcurrentListsAreAllAnswered() throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(50);
        try {
            List<Future<ServiceApiIT.Resp>> answers = new ArrayList<>();
            for (int i = 0; i < 200; i++) {
                answers.add(pool.submit(() -> ServiceApiIT.call(service, "GET", API + "/backups", viewer, null)));
            }
            for (Future<ServiceApiIT.Resp> f : answers) {
                ServiceApiIT.Resp r = f.get();
                assertThat(r.status()).as(r.toString()).isEqualTo(200);
                assertThat(r.json().path("backups")).hasSize(1);
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void aFiftyMegabyteBodyIsRefusedBeforeItIsSent() throws Exception {
        try (Socket s = new Socket("127.0.0.1", service.port())) {
            s.setSoTimeout(10_000);
            OutputStream out = s.getOutputStream();
            out.write(("POST " + API + "/backups HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer " + viewer
                    + "\r\nContent-Type: application/json\r\nContent-Length: " + 50 * 1024 * 1024 + "\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            out.write("{\"label\": \"".getBytes(StandardCharsets.US_ASCII));
            out.flush();
            // nothing more is sent: the answer must come from the declared length alone
            InputStream in = s.getInputStream();
            byte[] head = in.readNBytes(12);
            assertThat(new String(head, StandardCharsets.US_ASCII)).isEqualTo("HTTP/1.1 413");
        }
        JsonNode list = ServiceApiIT.call(service, "GET", API + "/backups", viewer, null).json();
        assertThat(list.path("backups")).hasSize(1); // and nothing was started
    }
}
