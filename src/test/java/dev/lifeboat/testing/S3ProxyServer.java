package dev.lifeboat.testing;

import dev.lifeboat.storage.s3.S3Location;

import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.checksums.RequestChecksumCalculation;
import software.amazon.awssdk.core.checksums.ResponseChecksumValidation;
import software.amazon.awssdk.http.apache5.Apache5HttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.HttpURLConnection;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A real s3proxy server (jclouds {@code filesystem} backend, AWS v2/v4 signatures, a random key pair) in a child
 * JVM on 127.0.0.1, for tests of the S3 backend and of whole backups to S3.
 *
 * <p>The jar comes from the system property {@code s3proxy.jar}, which Maven's surefire and failsafe set to
 * {@code target/test-servers/s3proxy.jar} (copied by the dependency plugin in {@code process-test-resources}).
 * Its output goes to {@code target/test-servers/s3proxy-*.log}.
 *
 * <p>Starting costs about a second, so test classes share one server through {@link #shared()}, stopped by a
 * shutdown hook; give each test its own bucket or key prefix. {@link #start()} gives a private one to close.
 */
public final class S3ProxyServer implements AutoCloseable {
    public static final String JAR_PROPERTY = "s3proxy.jar";
    /** The bucket every server creates at start. */
    public static final String BUCKET = "lifeboat-test";
    private static final Duration START_TIMEOUT = Duration.ofSeconds(60);
    private static S3ProxyServer shared;

    private final Process process;
    private final URI endpoint;
    private final String accessKey;
    private final String secretKey;
    private final Path home;
    private final Path logFile;

    private S3ProxyServer(Process process, URI endpoint, String accessKey, String secretKey, Path home,
            Path logFile) {
        this.process = process;
        this.endpoint = endpoint;
        this.accessKey = accessKey;
        this.secretKey = secretKey;
        this.home = home;
        this.logFile = logFile;
    }

    /** The server all test classes of this JVM share, started on first use and stopped when the JVM exits. */
    public static synchronized S3ProxyServer shared() throws IOException {
        if (shared == null || !shared.process.isAlive()) {
            S3ProxyServer server = start();
            Runtime.getRuntime().addShutdownHook(new Thread(server::close, "s3proxy-stop"));
            shared = server;
        }
        return shared;
    }

    /** Starts a server of its own, with bucket {@link #BUCKET}; the caller closes it. */
    public static S3ProxyServer start() throws IOException {
        Path jar = jar();
        Path logDir = jar.toAbsolutePath().getParent();
        IOException last = null;
        for (int attempt = 1; attempt <= 3; attempt++) { // a free port can be taken between finding and binding it
            try {
                return startOnce(jar, logDir);
            } catch (PortTakenException e) {
                last = e;
            }
        }
        throw last;
    }

    private static Path jar() {
        String property = System.getProperty(JAR_PROPERTY);
        if (property == null || property.isBlank()) {
            throw new IllegalStateException("the system property " + JAR_PROPERTY + " is not set, so the S3 tests"
                    + " cannot start s3proxy. Run them with Maven (mvn test), which copies"
                    + " org.gaul:s3proxy:jar-with-dependencies to target/test-servers/s3proxy.jar and sets it;"
                    + " from an IDE, run `mvn process-test-resources` once and add"
                    + " -Ds3proxy.jar=<project>/target/test-servers/s3proxy.jar to the JVM options.");
        }
        Path jar = Path.of(property);
        if (!Files.isRegularFile(jar)) {
            throw new IllegalStateException("the s3proxy jar " + jar + " (system property " + JAR_PROPERTY
                    + ") does not exist; run `mvn process-test-resources` to fetch it");
        }
        return jar;
    }

    private static S3ProxyServer startOnce(Path jar, Path logDir) throws IOException {
        int port = freePort();
        URI endpoint = URI.create("http://127.0.0.1:" + port);
        String accessKey = "AK" + randomHex(9);
        String secretKey = randomHex(20);
        Path home = Files.createTempDirectory("lifeboat-s3proxy-");
        Path dataDir = Files.createDirectories(home.resolve("data"));
        Properties p = new Properties();
        p.setProperty("s3proxy.endpoint", endpoint.toString());
        p.setProperty("s3proxy.authorization", "aws-v2-or-v4");
        p.setProperty("s3proxy.identity", accessKey);
        p.setProperty("s3proxy.credential", secretKey);
        // Without this s3proxy answers 501 to headers it does not know, which the AWS SDK sends.
        p.setProperty("s3proxy.ignore-unknown-headers", "true");
        p.setProperty("jclouds.provider", "filesystem");
        p.setProperty("jclouds.filesystem.basedir", dataDir.toString());
        p.setProperty("jclouds.identity", "local");
        p.setProperty("jclouds.credential", "local");
        Path config = home.resolve("s3proxy.properties");
        try (OutputStream out = Files.newOutputStream(config)) {
            p.store(out, "written by " + S3ProxyServer.class.getName());
        }
        String stamp = LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss"));
        Path logFile = logDir.resolve("s3proxy-" + stamp + "-" + port + ".log");
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        ProcessBuilder builder = new ProcessBuilder(java.toString(), "-Xmx512m", "-jar", jar.toString(),
                "--properties", config.toString())
                .directory(home.toFile())
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(logFile.toFile()));
        builder.environment().put("LOG_LEVEL", "info");
        Process process = builder.start();
        S3ProxyServer server = new S3ProxyServer(process, endpoint, accessKey, secretKey, home, logFile);
        try {
            server.awaitListening();
            server.createBucket(BUCKET);
            return server;
        } catch (IOException | RuntimeException | Error e) {
            server.close();
            throw e;
        }
    }

    private void awaitListening() throws IOException {
        long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                String log = logTail();
                if (log.contains("Address already in use") || log.contains("BindException")) {
                    throw new PortTakenException(endpoint);
                }
                throw new IOException("s3proxy exited with code " + process.exitValue() + " before listening on "
                        + endpoint + "; its log " + logFile + " ends with:\n" + log);
            }
            try {
                HttpURLConnection c = (HttpURLConnection) endpoint.toURL().openConnection();
                c.setConnectTimeout(500);
                c.setReadTimeout(2000);
                int status = c.getResponseCode(); // 403 without a signature: it answers, that is all we need
                c.disconnect();
                if (status > 0) {
                    return;
                }
            } catch (IOException notYet) {
                // not listening yet
            }
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted while waiting for s3proxy", e);
            }
        }
        throw new IOException("s3proxy did not answer on " + endpoint + " within " + START_TIMEOUT.toSeconds()
                + " s; its log " + logFile + " ends with:\n" + logTail());
    }

    /** Creates a bucket (an S3 CreateBucket call, as a user would). */
    public void createBucket(String bucket) {
        try (S3Client s3 = client()) {
            s3.createBucket(b -> b.bucket(bucket));
        }
    }

    /** A plain SDK client for this server, for test set-up and inspection that bypasses the code under test. */
    public S3Client client() {
        return S3Client.builder()
                .endpointOverride(endpoint)
                .region(Region.US_EAST_1)
                .forcePathStyle(true)
                .credentialsProvider(credentials())
                .requestChecksumCalculation(RequestChecksumCalculation.WHEN_REQUIRED)
                .responseChecksumValidation(ResponseChecksumValidation.WHEN_REQUIRED)
                .httpClientBuilder(Apache5HttpClient.builder())
                .build();
    }

    public URI endpoint() {
        return endpoint;
    }

    public String accessKey() {
        return accessKey;
    }

    public String secretKey() {
        return secretKey;
    }

    public AwsCredentialsProvider credentials() {
        return StaticCredentialsProvider.create(AwsBasicCredentials.create(accessKey, secretKey));
    }

    /** {@code s3://lifeboat-test/<prefix>?endpoint=...}: a location in this server's bucket. */
    public S3Location location(String prefix) {
        return location(BUCKET, prefix);
    }

    /** A location in any bucket of this server, which need not exist. */
    public S3Location location(String bucket, String prefix) {
        return new S3Location(bucket, prefix, endpoint, "us-east-1", true);
    }

    /** The file that has the server's stdout and stderr. */
    public Path logFile() {
        return logFile;
    }

    /** The folder where the filesystem backend keeps buckets (one folder each) and objects. */
    public Path dataDir() {
        return home.resolve("data");
    }

    public boolean isRunning() {
        return process.isAlive();
    }

    /** Stops the server and its child processes, and removes its data. */
    @Override
    public void close() {
        List<ProcessHandle> tree = new ArrayList<>();
        process.descendants().forEach(tree::add);
        tree.forEach(ProcessHandle::destroy);
        process.destroy();
        try {
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                tree.forEach(ProcessHandle::destroyForcibly);
                process.destroyForcibly();
                process.waitFor(10, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
        deleteTree(home);
    }

    private String logTail() {
        try {
            List<String> lines = Files.readAllLines(logFile, StandardCharsets.UTF_8);
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size()));
        } catch (IOException | UncheckedIOException e) {
            return "(could not read the log: " + e.getMessage() + ")";
        }
    }

    private static void deleteTree(Path dir) {
        try (Stream<Path> paths = Files.walk(dir)) {
            paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException | UncheckedIOException ignored) {
            // A temp folder left behind is harmless.
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
            return socket.getLocalPort();
        }
    }

    private static String randomHex(int bytes) {
        byte[] b = new byte[bytes];
        new SecureRandom().nextBytes(b);
        return HexFormat.of().formatHex(b);
    }

    private static final class PortTakenException extends IOException {
        PortTakenException(URI endpoint) {
            super("the port of " + endpoint + " was taken before s3proxy could bind it");
        }
    }
}
