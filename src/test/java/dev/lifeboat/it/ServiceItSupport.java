package dev.lifeboat.it;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.lifeboat.testing.LifeboatCli;
import dev.lifeboat.testing.LifeboatService;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/** What the service ITs share: API calls with a token, tokens made by the CLI, counting repository files. */
final class ServiceItSupport {
    static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private static final Pattern TOKEN = Pattern.compile("lb_[A-Za-z0-9_-]{43}");

    private ServiceItSupport() {}

    /** An HTTP answer: status and JSON body (null when the body is empty). */
    record Answer(int status, JsonNode body) {
        Answer expect(int expected) {
            if (status != expected) {
                throw new AssertionError("expected HTTP " + expected + ", got " + status + ": " + body);
            }
            return this;
        }
    }

    /** {@code lifeboat token create --role ROLE --name NAME extraArgs...}: the token it prints once. */
    static String createToken(LifeboatCli cli, String role, String name, String... extraArgs) {
        List<String> args = new ArrayList<>(List.of("token", "create", "--role", role, "--name", name));
        args.addAll(List.of(extraArgs));
        String out = cli.run(args.toArray(String[]::new)).expectSuccess().stdout();
        Matcher m = TOKEN.matcher(out);
        if (!m.find()) {
            throw new AssertionError("no token in the output of token create: " + out);
        }
        return m.group();
    }

    static Answer get(LifeboatService s, String token, String path) {
        return send(s, token, "GET", path, null);
    }

    static Answer post(LifeboatService s, String token, String path, String json) {
        return send(s, token, "POST", path, json);
    }

    static Answer put(LifeboatService s, String token, String path, String json) {
        return send(s, token, "PUT", path, json);
    }

    static Answer send(LifeboatService s, String token, String method, String path, String json) {
        HttpRequest.Builder b = HttpRequest.newBuilder(s.uri(path)).timeout(Duration.ofSeconds(60))
                .method(method, json == null ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofString(json));
        if (token != null) {
            b.header("Authorization", "Bearer " + token);
        }
        if (json != null) {
            b.header("Content-Type", "application/json");
        }
        try {
            HttpResponse<String> r = HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
            return new Answer(r.statusCode(), r.body().isBlank() ? null : JSON.readTree(r.body()));
        } catch (IOException e) {
            throw new UncheckedIOException(method + " " + path, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    /** The backups {@code lifeboat list --json} lists. */
    static JsonNode list(LifeboatCli cli) {
        try {
            return JSON.readTree(cli.run("list", "--json").expectSuccess().stdout());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Chunk files in the repository, without the hidden temporary files of unfinished writes. */
    static long chunkCount(Path repo) {
        return visibleFiles(repo.resolve("chunks"));
    }

    /** Lock files in the repository. */
    static long lockCount(Path repo) {
        return visibleFiles(repo.resolve("locks"));
    }

    private static long visibleFiles(Path dir) {
        if (!Files.isDirectory(dir)) {
            return 0;
        }
        try (Stream<Path> s = Files.walk(dir)) {
            return s.filter(Files::isRegularFile).filter(p -> !p.getFileName().toString().startsWith(".")).count();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The log lines that mention {@code text}. */
    static List<String> lines(String log, String text) {
        return log.lines().filter(l -> l.contains(text)).toList();
    }

    /**
     * Sleeps until at least {@code margin} separates now from the next minute boundary, so that a check of
     * "nothing ran yet" cannot collide with a scheduled slot; returns the next boundary.
     */
    static Instant awayFromMinuteBoundary(Duration margin) throws InterruptedException {
        Instant now = Instant.now();
        Instant next = now.truncatedTo(ChronoUnit.MINUTES).plus(Duration.ofMinutes(1));
        if (Duration.between(now, next).compareTo(margin) < 0) {
            sleepUntil(next.plusMillis(500));
            next = next.plus(Duration.ofMinutes(1));
        }
        return next;
    }

    static void sleepUntil(Instant t) throws InterruptedException {
        long ms = Duration.between(Instant.now(), t).toMillis();
        if (ms > 0) {
            Thread.sleep(ms);
        }
    }
}
