package dev.lifeboat.storage.s3;

import dev.lifeboat.storage.BlobInfo;
import dev.lifeboat.storage.BlobNames;
import dev.lifeboat.storage.Storage;
import dev.lifeboat.storage.StorageFeature;

import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.awscore.retry.AwsRetryStrategy;
import software.amazon.awssdk.core.ResponseInputStream;
import software.amazon.awssdk.core.checksums.RequestChecksumCalculation;
import software.amazon.awssdk.core.checksums.ResponseChecksumValidation;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.http.apache5.Apache5HttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.retries.api.BackoffStrategy;
import software.amazon.awssdk.retries.api.RetryStrategy;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.S3ClientBuilder;
import software.amazon.awssdk.services.s3.model.CompletedPart;
import software.amazon.awssdk.services.s3.model.GetObjectResponse;
import software.amazon.awssdk.services.s3.model.HeadObjectResponse;
import software.amazon.awssdk.services.s3.model.ListObjectsV2Request;
import software.amazon.awssdk.services.s3.model.S3Exception;
import software.amazon.awssdk.services.s3.model.S3Object;
import software.amazon.awssdk.utils.SdkAutoCloseable;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.NoSuchFileException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.function.Supplier;

/**
 * Blobs as objects in an S3 bucket (AWS or an S3-compatible server such as MinIO, Ceph, Garage or s3proxy),
 * under the key prefix of an {@link S3Location}: blob {@code chunks/ab/ab01} of {@code s3://b/repo} is object
 * {@code repo/chunks/ab/ab01} of bucket {@code b}.
 *
 * <p><b>Atomic writes.</b> A blob that fits in one part ({@value #PART_SIZE_MIB} MiB) is one PutObject. A longer
 * stream becomes a multipart upload of {@value #PART_SIZE_MIB} MiB parts, sent one after the other so memory stays
 * at about one part per writing thread; S3 shows the object only once CompleteMultipartUpload succeeds, and any
 * failure aborts the upload (best effort: a bucket lifecycle rule for incomplete multipart uploads cleans what an
 * abort could not). With 10,000 parts at most, one blob is at most about 78 GiB.
 *
 * <p><b>Retries and timeouts</b>, chosen for parts of a few MiB on links that may be slow or flaky:
 * <ul>
 *   <li>The SDK's standard retry strategy with AWS's retry conditions (5xx, throttling codes, I/O errors,
 *       attempt timeouts), {@value #MAX_ATTEMPTS} attempts in all, with full-jitter exponential backoff from
 *       250 ms up to 8 s (about 8 s of waiting at most over the 5 retries; throttling backs off from 1 s up to
 *       20 s). The retry-quota circuit breaker is off: a backup run would rather keep retrying each call through
 *       a short outage than start failing fast after a burst of errors.</li>
 *   <li>{@code apiCallAttemptTimeout} {@value #ATTEMPT_TIMEOUT_SECONDS} s: one attempt, such as sending one
 *       8 MiB part, may take that long, i.e. the link must move at least ~70 KiB/s.</li>
 *   <li>{@code apiCallTimeout} {@value #CALL_TIMEOUT_SECONDS} s: all attempts of one call, backoff included.</li>
 *   <li>Connecting times out after {@value #CONNECT_TIMEOUT_SECONDS} s and a socket read with no data after
 *       {@value #SOCKET_TIMEOUT_SECONDS} s, so a dead server is noticed quickly while a slow one is tolerated.</li>
 * </ul>
 * A read stream is not covered by the call timeouts once it is returned (only by the socket timeout), and the SDK
 * aborts it when nothing is read from it during its first 60 s. Reads that break midway are not resumed here.
 *
 * <p><b>Credentials</b> come from the SDK's default chain (system properties {@code aws.accessKeyId} /
 * {@code aws.secretAccessKey}, environment {@code AWS_ACCESS_KEY_ID} / {@code AWS_SECRET_ACCESS_KEY},
 * {@code ~/.aws/credentials}, web identity, container and instance roles) unless a provider is given.
 * Checksums are computed and validated only where S3 requires them, as S3-compatible servers such as s3proxy
 * reject the newer default checksum headers.
 */
public final class S3Storage implements Storage {
    static final int PART_SIZE_MIB = 8;
    static final int PART_SIZE = PART_SIZE_MIB * 1024 * 1024;
    static final int MAX_PARTS = 10_000;
    static final int MAX_ATTEMPTS = 6;
    static final int ATTEMPT_TIMEOUT_SECONDS = 120;
    static final int CALL_TIMEOUT_SECONDS = 600;
    static final int CONNECT_TIMEOUT_SECONDS = 5;
    static final int SOCKET_TIMEOUT_SECONDS = 60;
    private static final int FIRST_BUFFER = 64 * 1024;
    private static final String CONTENT_TYPE = "application/octet-stream";

    private final S3Location location;
    private final S3Client s3;
    private final S3Errors errors;
    private final SdkAutoCloseable ownedCredentials;
    private volatile boolean bucketSeen;

    private S3Storage(S3Location location, S3Client s3, SdkAutoCloseable ownedCredentials) {
        this.location = location;
        this.s3 = s3;
        this.errors = new S3Errors(location);
        this.ownedCredentials = ownedCredentials;
    }

    /** Opens a location with credentials from the SDK's default provider chain. */
    public static S3Storage open(S3Location location) {
        DefaultCredentialsProvider credentials = DefaultCredentialsProvider.builder().build();
        return new S3Storage(location, client(location, credentials), credentials);
    }

    /** Opens a location with the given credentials, which the caller keeps and closes. */
    public static S3Storage open(S3Location location, AwsCredentialsProvider credentials) {
        return new S3Storage(location, client(location, credentials), null);
    }

    private static S3Client client(S3Location location, AwsCredentialsProvider credentials) {
        RetryStrategy retry = AwsRetryStrategy.standardRetryStrategy().toBuilder()
                .maxAttempts(MAX_ATTEMPTS)
                .backoffStrategy(BackoffStrategy.exponentialDelay(Duration.ofMillis(250), Duration.ofSeconds(8)))
                .throttlingBackoffStrategy(BackoffStrategy.exponentialDelay(Duration.ofSeconds(1), Duration.ofSeconds(20)))
                .circuitBreakerEnabled(false)
                .build();
        S3ClientBuilder builder = S3Client.builder()
                .region(Region.of(location.region()))
                .credentialsProvider(credentials)
                .forcePathStyle(location.pathStyle())
                .requestChecksumCalculation(RequestChecksumCalculation.WHEN_REQUIRED)
                .responseChecksumValidation(ResponseChecksumValidation.WHEN_REQUIRED)
                .httpClientBuilder(Apache5HttpClient.builder()
                        .connectionTimeout(Duration.ofSeconds(CONNECT_TIMEOUT_SECONDS))
                        .socketTimeout(Duration.ofSeconds(SOCKET_TIMEOUT_SECONDS))
                        .tcpKeepAlive(true))
                .overrideConfiguration(o -> o.retryStrategy(retry)
                        .apiCallAttemptTimeout(Duration.ofSeconds(ATTEMPT_TIMEOUT_SECONDS))
                        .apiCallTimeout(Duration.ofSeconds(CALL_TIMEOUT_SECONDS)));
        if (location.endpoint() != null) {
            builder.endpointOverride(location.endpoint());
        }
        return builder.build();
    }

    /** The parsed location this storage writes to. */
    public S3Location s3Location() {
        return location;
    }

    @Override
    public String location() {
        return location.uri();
    }

    @Override
    public Set<StorageFeature> features() {
        return EnumSet.of(StorageFeature.MULTIPART_UPLOAD, StorageFeature.RETRIES);
    }

    @Override
    public InputStream read(String name) throws IOException {
        String key = location.key(BlobNames.check(name));
        ResponseInputStream<GetObjectResponse> in;
        try {
            in = s3.getObject(b -> b.bucket(location.bucket()).key(key));
        } catch (S3Exception e) {
            if (S3Errors.isMissingObject(e)) {
                throw new NoSuchFileException(name, null, "no such blob in " + location());
            }
            throw errors.failed("read", key, e);
        } catch (SdkException e) {
            throw errors.failed("read", key, e);
        }
        Long length = in.response().contentLength();
        return new S3BlobInputStream(in, location.describe(key), length == null ? -1 : length);
    }

    @Override
    public InputStream read(String name, long offset, long length) throws IOException {
        if (offset < 0 || length < 0) {
            throw new IllegalArgumentException("range " + offset + "+" + length + " of " + name);
        }
        if (length == 0) {
            stat(name).orElseThrow(() -> new NoSuchFileException(name, null, "no such blob in " + location()));
            return InputStream.nullInputStream();
        }
        String key = location.key(BlobNames.check(name));
        String range = "bytes=" + offset + "-" + (offset + length - 1);
        ResponseInputStream<GetObjectResponse> in;
        try {
            in = s3.getObject(b -> b.bucket(location.bucket()).key(key).range(range));
        } catch (S3Exception e) {
            if (S3Errors.isMissingObject(e)) {
                throw new NoSuchFileException(name, null, "no such blob in " + location());
            }
            if (e.statusCode() == 416) {
                return InputStream.nullInputStream(); // the blob ends before offset: the caller sees no bytes
            }
            throw errors.failed("read", key, e);
        } catch (SdkException e) {
            throw errors.failed("read", key, e);
        }
        Long got = in.response().contentLength();
        InputStream body = new S3BlobInputStream(in, location.describe(key), got == null ? -1 : got);
        // a server that ignores Range sends the whole blob: skip to the offset here
        return dev.lifeboat.storage.BoundedInputStream.range(body, in.response().contentRange() == null ? offset : 0,
                length);
    }

    @Override
    public void write(String name, InputStream data) throws IOException {
        String key = location.key(BlobNames.check(name));
        PartBuffer part = new PartBuffer();
        boolean full = part.fill(data, -1);
        int lookahead = full ? data.read() : -1;
        if (lookahead < 0) {
            call("write", key, () -> s3.putObject(b -> b.bucket(location.bucket()).key(key)
                    .contentLength((long) part.length).contentType(CONTENT_TYPE), part.body()));
            return;
        }
        writeMultipart(key, part, lookahead, data);
    }

    /** Bytes already in memory (chunks) go out as they are, without a copy into a part buffer. */
    @Override
    public void write(String name, byte[] data) throws IOException {
        if (data.length > PART_SIZE) {
            write(name, new ByteArrayInputStream(data));
            return;
        }
        String key = location.key(BlobNames.check(name));
        RequestBody body = RequestBody.fromContentProvider(() -> new ByteArrayInputStream(data), data.length, CONTENT_TYPE);
        call("write", key, () -> s3.putObject(b -> b.bucket(location.bucket()).key(key)
                .contentLength((long) data.length).contentType(CONTENT_TYPE), body));
    }

    private void writeMultipart(String key, PartBuffer part, int lookahead, InputStream data) throws IOException {
        String uploadId = call("write", key, () -> s3.createMultipartUpload(b -> b.bucket(location.bucket())
                .key(key).contentType(CONTENT_TYPE)).uploadId());
        try {
            List<CompletedPart> parts = new ArrayList<>();
            int next = lookahead;
            while (true) {
                int number = parts.size() + 1;
                if (number > MAX_PARTS) {
                    throw new IOException("could not write " + location.describe(key) + ": the blob is larger than "
                            + MAX_PARTS + " parts of " + PART_SIZE_MIB + " MiB");
                }
                String etag = call("write", key, () -> s3.uploadPart(b -> b.bucket(location.bucket()).key(key)
                        .uploadId(uploadId).partNumber(number).contentLength((long) part.length), part.body()).eTag());
                parts.add(CompletedPart.builder().partNumber(number).eTag(etag).build());
                if (next < 0) {
                    break;
                }
                boolean full = part.fill(data, next);
                next = full ? data.read() : -1;
            }
            call("write", key, () -> s3.completeMultipartUpload(b -> b.bucket(location.bucket()).key(key)
                    .uploadId(uploadId).multipartUpload(m -> m.parts(parts))));
        } catch (Throwable failure) {
            try {
                s3.abortMultipartUpload(b -> b.bucket(location.bucket()).key(key).uploadId(uploadId));
            } catch (RuntimeException abortFailure) {
                failure.addSuppressed(abortFailure);
            }
            throw failure;
        }
    }

    @Override
    public Optional<BlobInfo> stat(String name) throws IOException {
        String key = location.key(BlobNames.check(name));
        HeadObjectResponse head;
        try {
            head = s3.headObject(b -> b.bucket(location.bucket()).key(key));
        } catch (S3Exception e) {
            if (e.statusCode() == 404) {
                // A HEAD answer has no body, so a missing bucket looks like a missing object: check the bucket once.
                checkBucket("stat", key);
                return Optional.empty();
            }
            throw errors.failed("stat", key, e);
        } catch (SdkException e) {
            throw errors.failed("stat", key, e);
        }
        bucketSeen = true;
        return Optional.of(new BlobInfo(name, head.contentLength(), orEpoch(head.lastModified())));
    }

    private void checkBucket(String operation, String key) throws IOException {
        if (bucketSeen) {
            return;
        }
        try {
            s3.headBucket(b -> b.bucket(location.bucket()));
            bucketSeen = true;
        } catch (S3Exception e) {
            if (e.statusCode() == 404) {
                throw new IOException("could not " + operation + " " + location.describe(key) + ": "
                        + errors.missingBucket(), e);
            }
            throw errors.failed(operation, key, e);
        } catch (SdkException e) {
            throw errors.failed(operation, key, e);
        }
    }

    @Override
    public List<BlobInfo> list(String prefix) throws IOException {
        List<BlobInfo> out = new ArrayList<>();
        forEach(prefix, out::add);
        return out;
    }

    /** One page of up to 1,000 keys in memory at a time, as S3 returns them. */
    @Override
    public void forEach(String prefix, java.util.function.Consumer<BlobInfo> each) throws IOException {
        BlobNames.checkPrefix(prefix);
        String keyPrefix = location.keyPrefix();
        String listed = keyPrefix + prefix;
        ListObjectsV2Request request = ListObjectsV2Request.builder().bucket(location.bucket()).prefix(listed).build();
        try {
            for (S3Object object : s3.listObjectsV2Paginator(request).contents()) {
                String name = object.key().substring(keyPrefix.length());
                if (isBlobName(name)) {
                    each.accept(new BlobInfo(name, object.size(), orEpoch(object.lastModified())));
                }
            }
        } catch (SdkException e) {
            throw errors.failed("list", listed, e);
        }
    }

    /** Skips what is no blob: folder markers made by consoles, and other tools' hidden objects. */
    private static boolean isBlobName(String name) {
        try {
            BlobNames.check(name);
            return true;
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    @Override
    public void delete(String name) throws IOException {
        String key = location.key(BlobNames.check(name));
        try {
            s3.deleteObject(b -> b.bucket(location.bucket()).key(key));
        } catch (S3Exception e) {
            if (!S3Errors.isMissingObject(e)) { // S3 answers 204 for a missing key; some servers answer 404
                throw errors.failed("delete", key, e);
            }
        } catch (SdkException e) {
            throw errors.failed("delete", key, e);
        }
    }

    @Override
    public int removeDebris(java.time.Instant olderThan) throws IOException {
        int removed = 0;
        try {
            for (var upload : s3.listMultipartUploadsPaginator(b -> b.bucket(location.bucket())
                    .prefix(location.keyPrefix())).uploads()) {
                if (upload.initiated() != null && upload.initiated().isBefore(olderThan)) {
                    s3.abortMultipartUpload(b -> b.bucket(location.bucket()).key(upload.key()).uploadId(upload.uploadId()));
                    removed++;
                }
            }
        } catch (SdkException e) {
            throw errors.failed("abort unfinished uploads under", location.keyPrefix(), e);
        }
        return removed;
    }

    @Override
    public void close() {
        s3.close();
        if (ownedCredentials != null) {
            ownedCredentials.close();
        }
    }

    private <T> T call(String operation, String key, Supplier<T> request) throws IOException {
        try {
            return request.get();
        } catch (SdkException e) {
            throw errors.failed(operation, key, e);
        }
    }

    private static Instant orEpoch(Instant t) {
        return t == null ? Instant.EPOCH : t;
    }

    /** One part's bytes; starts small so that small blobs do not cost a whole part of memory. */
    private static final class PartBuffer {
        private byte[] bytes = new byte[FIRST_BUFFER];
        private int length;

        /**
         * Empties the buffer, puts {@code firstByte} (when not negative) first, then reads until the buffer holds
         * {@link #PART_SIZE} bytes or the stream ends. Returns whether the buffer is full.
         */
        boolean fill(InputStream in, int firstByte) throws IOException {
            length = 0;
            if (firstByte >= 0) {
                bytes[length++] = (byte) firstByte;
            }
            while (length < PART_SIZE) {
                if (length == bytes.length) {
                    bytes = Arrays.copyOf(bytes, Math.min(PART_SIZE, bytes.length * 2));
                }
                int n = in.read(bytes, length, bytes.length - length);
                if (n < 0) {
                    return false;
                }
                length += n;
            }
            return true;
        }

        /** The current bytes, without a copy: the SDK may read them more than once (signing, retries). */
        RequestBody body() {
            byte[] b = bytes;
            int n = length;
            return RequestBody.fromContentProvider(() -> new ByteArrayInputStream(b, 0, n), n, CONTENT_TYPE);
        }
    }
}
