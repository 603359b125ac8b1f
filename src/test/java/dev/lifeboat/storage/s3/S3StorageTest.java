package dev.lifeboat.storage.s3;

import dev.lifeboat.storage.BlobInfo;
import dev.lifeboat.storage.Storage;
import dev.lifeboat.storage.StorageContractTest;
import dev.lifeboat.storage.StorageFeature;
import dev.lifeboat.testing.S3ProxyServer;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.ListMultipartUploadsResponse;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.NoSuchFileException;
import java.time.Duration;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The storage contract against a real s3proxy, plus what is particular to S3. */
class S3StorageTest extends StorageContractTest {
    private static S3ProxyServer server;
    private S3Location location;

    @BeforeAll
    static void startServer() throws IOException {
        server = S3ProxyServer.shared(); // fails, never skips, when the s3proxy jar is not there
    }

    @Override
    protected Storage createStorage() {
        location = server.location("repo-" + UUID.randomUUID());
        return S3Storage.open(location, server.credentials());
    }

    /** The multipart upload, with one part sent, that a write killed before CompleteMultipartUpload leaves. */
    @Override
    protected boolean makeDebris(String name) {
        unfinishedUpload(location.key(name));
        return true;
    }

    private static void unfinishedUpload(String key) {
        try (S3Client s3 = server.client()) {
            String uploadId = s3.createMultipartUpload(b -> b.bucket(S3ProxyServer.BUCKET).key(key)).uploadId();
            s3.uploadPart(b -> b.bucket(S3ProxyServer.BUCKET).key(key).uploadId(uploadId).partNumber(1),
                    RequestBody.fromBytes(new byte[7]));
        }
    }

    @Override
    protected int countDebris() {
        return uploadsUnder(location.prefix() + "/");
    }

    private static int uploadsUnder(String keyPrefix) {
        try (S3Client s3 = server.client()) {
            return s3.listMultipartUploads(b -> b.bucket(S3ProxyServer.BUCKET).prefix(keyPrefix)).uploads().size();
        }
    }

    @Test
    void removeDebrisLeavesTheUploadsOfALocationSharingTheBucketAlone() throws IOException {
        String sibling = location.prefix() + "-sibling";
        unfinishedUpload(sibling + "/chunks/ab/ab01");
        try {
            assertThat(storage.removeDebris(java.time.Instant.now().plusSeconds(60))).isZero();
            assertThat(uploadsUnder(sibling + "/")).isEqualTo(1);
        } finally {
            try (Storage other = S3Storage.open(server.location(sibling), server.credentials())) {
                other.removeDebris(java.time.Instant.now().plusSeconds(60));
            }
        }
    }

    @Test
    void declaresMultipartUploadAndAnHonestLocation() {
        assertThat(storage.features()).containsExactlyInAnyOrder(StorageFeature.MULTIPART_UPLOAD, StorageFeature.RETRIES);
        assertThat(storage.location()).isEqualTo("s3://" + S3ProxyServer.BUCKET + "/" + location.prefix()
                + "?endpoint=" + server.endpoint());
        assertThat(storage.location()).doesNotContain(server.accessKey()).doesNotContain(server.secretKey());
    }

    @Test
    void blobsAreObjectsUnderThePrefix() throws IOException {
        storage.write("chunks/ab/ab01", "x".getBytes(StandardCharsets.UTF_8));

        try (S3Client s3 = server.client()) {
            assertThat(s3.listObjectsV2(b -> b.bucket(S3ProxyServer.BUCKET).prefix(location.prefix() + "/"))
                    .contents()).extracting(o -> o.key()).containsExactly(location.prefix() + "/chunks/ab/ab01");
        }
    }

    @Test
    void streamsLongerThanOnePartAreUploadedInParts() throws IOException {
        storage.write("packs/one", new PseudoRandomStream(1, S3Storage.PART_SIZE));
        storage.write("packs/three", new PseudoRandomStream(2, 2L * S3Storage.PART_SIZE + 1));

        try (S3Client s3 = server.client()) {
            // A multipart upload's ETag ends in -<number of parts>; a single PutObject's has no dash.
            assertThat(s3.headObject(b -> b.bucket(S3ProxyServer.BUCKET).key(location.key("packs/one"))).eTag())
                    .doesNotContain("-");
            assertThat(s3.headObject(b -> b.bucket(S3ProxyServer.BUCKET).key(location.key("packs/three"))).eTag())
                    .endsWith("-3\"");
        }
    }

    @Test
    void locationsSharingABucketDoNotSeeEachOther() throws IOException {
        S3Location sibling = server.location(location.prefix() + "-sibling");
        try (Storage other = S3Storage.open(sibling, server.credentials())) {
            other.write("chunks/ab/ab01", new byte[1]);
            storage.write("chunks/ab/ab02", new byte[2]);

            assertThat(storage.list("")).extracting(BlobInfo::name).containsExactly("chunks/ab/ab02");
            assertThat(other.list("")).extracting(BlobInfo::name).containsExactly("chunks/ab/ab01");
        }
    }

    @Test
    void storageAtTheBucketRootWorks() throws IOException {
        String bucket = "root-" + UUID.randomUUID().toString().substring(0, 8);
        server.createBucket(bucket);
        try (Storage root = S3Storage.open(server.location(bucket, ""), server.credentials())) {
            root.write("config", new byte[] {1});
            root.write("chunks/ab/ab01", new byte[] {2});

            assertThat(root.list("")).extracting(BlobInfo::name).containsExactlyInAnyOrder("config", "chunks/ab/ab01");
            assertThat(root.readAllBytes("chunks/ab/ab01")).containsExactly(2);
            assertThat(root.location()).isEqualTo("s3://" + bucket + "?endpoint=" + server.endpoint());
        }
    }

    @Test
    @Timeout(value = 2, unit = TimeUnit.MINUTES)
    void failedMultipartUploadIsAborted() {
        InputStream failing = new PseudoRandomStream(11, 30L * MIB).failingAfter(17L * MIB);

        assertThatThrownBy(() -> storage.write("packs/broken", failing)).isInstanceOf(IOException.class);

        try (S3Client s3 = server.client()) {
            ListMultipartUploadsResponse uploads = s3.listMultipartUploads(b -> b.bucket(S3ProxyServer.BUCKET)
                    .prefix(location.prefix() + "/"));
            assertThat(uploads.uploads()).isEmpty();
        }
        assertThatNoBlob("packs/broken");
    }

    @Test
    void missingBucketIsNamed() {
        String bucket = "no-such-bucket-" + UUID.randomUUID().toString().substring(0, 8);
        try (Storage missing = S3Storage.open(server.location(bucket, "repo"), server.credentials())) {
            assertThatThrownBy(() -> missing.write("config", new byte[1])).isInstanceOf(IOException.class)
                    .hasMessageContaining("could not write s3://" + bucket + "/repo/config")
                    .hasMessageContaining("bucket '" + bucket + "' does not exist");
            assertThatThrownBy(() -> missing.list("")).isInstanceOf(IOException.class)
                    .hasMessageContaining("bucket '" + bucket + "' does not exist");
            assertThatThrownBy(() -> missing.read("config")).isNotInstanceOf(NoSuchFileException.class)
                    .isInstanceOf(IOException.class).hasMessageContaining("bucket '" + bucket + "' does not exist");
            assertThatThrownBy(() -> missing.stat("config")).isInstanceOf(IOException.class)
                    .hasMessageContaining("bucket '" + bucket + "' does not exist");
            // No check of delete: AWS answers NoSuchBucket, but s3proxy answers 204 as for any missing key.
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void missingBucketWithANameS3RejectsSaysSo() throws IOException {
        // s3proxy, like others, answers NoSuchBucket for a two-letter bucket, even when its folder exists.
        try (Storage bad = S3Storage.open(server.location("bk", "repo"), server.credentials())) {
            assertThatThrownBy(() -> bad.stat("config")).isInstanceOf(IOException.class)
                    .hasMessageContaining("bucket 'bk' does not exist")
                    .hasMessageContaining("'bk' breaks S3's naming rules, 3 to 63 lowercase letters");
        }
        try (Storage valid = S3Storage.open(server.location("no-such-bucket-x1", "repo"), server.credentials())) {
            assertThatThrownBy(() -> valid.stat("config")).isInstanceOf(IOException.class)
                    .hasMessageNotContaining("naming rules");
        }
    }

    @Test
    void wrongSecretGivesACredentialsHint() {
        var wrong = StaticCredentialsProvider.create(AwsBasicCredentials.create(server.accessKey(), "not-the-secret"));
        try (Storage s = S3Storage.open(location, wrong)) {
            assertThatThrownBy(() -> s.write("config", new byte[1])).isInstanceOf(IOException.class)
                    .hasMessageContaining("could not write " + "s3://" + S3ProxyServer.BUCKET)
                    .hasMessageContaining("access denied")
                    .hasMessageContaining("AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY")
                    .hasMessageNotContaining("not-the-secret");
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void unreachableEndpointFailsWithinFifteenSecondsAndNamesTheEndpoint() throws IOException {
        int port;
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
            port = socket.getLocalPort(); // closed when the try ends: nothing listens there
        }
        URI endpoint = URI.create("http://127.0.0.1:" + port);
        S3Location nowhere = new S3Location("bucket", "repo", endpoint, "us-east-1", true);
        long start = System.nanoTime();
        try (Storage s = S3Storage.open(nowhere, server.credentials())) {
            assertThatThrownBy(() -> s.write("config", new byte[1])).isInstanceOf(IOException.class)
                    .hasMessageContaining("could not write s3://bucket/repo/config")
                    .hasMessageContaining("endpoint " + endpoint + " is unreachable");
        }
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(15));
    }

    @Test
    void defaultCredentialChainReadsSystemProperties() throws IOException {
        String oldKey = System.getProperty("aws.accessKeyId");
        String oldSecret = System.getProperty("aws.secretAccessKey");
        System.setProperty("aws.accessKeyId", server.accessKey());
        System.setProperty("aws.secretAccessKey", server.secretKey());
        try (Storage s = S3Storage.open(location)) {
            s.write("config", "via the default chain".getBytes(StandardCharsets.UTF_8));
            assertThat(storage.readAllBytes("config")).asString(StandardCharsets.UTF_8)
                    .isEqualTo("via the default chain");
        } finally {
            restore("aws.accessKeyId", oldKey);
            restore("aws.secretAccessKey", oldSecret);
        }
    }

    // S3Location: parsed here too, since a location is what users type.

    @Test
    void parsesBucketPrefixEndpointAndRegion() {
        S3Location l = S3Location.parse("s3://bucket/some/prefix?endpoint=http://127.0.0.1:9000&region=eu-west-3");

        assertThat(l.bucket()).isEqualTo("bucket");
        assertThat(l.prefix()).isEqualTo("some/prefix");
        assertThat(l.endpoint()).isEqualTo(URI.create("http://127.0.0.1:9000"));
        assertThat(l.region()).isEqualTo("eu-west-3");
        assertThat(l.pathStyle()).isTrue();
        assertThat(l.uri()).isEqualTo("s3://bucket/some/prefix?endpoint=http://127.0.0.1:9000");
        assertThat(S3Location.parse(l.uri(), env -> null)).isEqualTo(
                new S3Location("bucket", "some/prefix", URI.create("http://127.0.0.1:9000"), "us-east-1", true));
    }

    @Test
    void parsesDefaults() {
        S3Location l = S3Location.parse("s3://my-bucket", env -> null);

        assertThat(l).isEqualTo(new S3Location("my-bucket", "", null, "us-east-1", false));
        assertThat(l.uri()).isEqualTo("s3://my-bucket");
        assertThat(S3Location.parse("s3://my-bucket/", env -> null).prefix()).isEmpty();
        assertThat(S3Location.parse("s3://my-bucket/a/b/", env -> null).prefix()).isEqualTo("a/b");
        assertThat(S3Location.parse("S3://my-bucket/a", env -> null).prefix()).isEqualTo("a");
        assertThat(S3Location.parse("s3://my_bucket?region=eu-west-1", env -> null))
                .isEqualTo(new S3Location("my_bucket", "", null, "eu-west-1", false));
    }

    @Test
    void regionComesFromAwsRegionWhenNotGiven() {
        assertThat(S3Location.parse("s3://b/p", env -> env.equals("AWS_REGION") ? "ap-south-1" : null).region())
                .isEqualTo("ap-south-1");
        assertThat(S3Location.parse("s3://b/p?region=eu-north-1", env -> "ap-south-1").region())
                .isEqualTo("eu-north-1");
    }

    @Test
    void pathStyleParameterOverridesTheDefault() {
        assertThat(S3Location.parse("s3://b/p?endpoint=https://minio.example:9000&pathStyle=false").pathStyle())
                .isFalse();
        assertThat(S3Location.parse("s3://b/p?pathStyle=true").pathStyle()).isTrue();
        assertThat(S3Location.parse("s3://b/p?endpoint=http%3A%2F%2F127.0.0.1%3A9000").endpoint())
                .isEqualTo(URI.create("http://127.0.0.1:9000"));
    }

    @Test
    void credentialsInTheLocationAreRejectedWithoutRepeatingThem() {
        for (String uri : new String[] {"s3://AKIAEXAMPLE:s3cr3tValue@bucket/prefix", "s3://AKIAEXAMPLE@bucket",
                "s3://bucket/p?endpoint=http://AKIAEXAMPLE:s3cr3tValue@127.0.0.1:9000"}) {
            assertThatThrownBy(() -> S3Location.parse(uri)).as(uri).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY")
                    .hasMessageContaining("~/.aws/credentials")
                    .hasMessageContaining("never in the URI")
                    .hasMessageNotContaining("s3cr3tValue")
                    .hasMessageNotContaining("AKIAEXAMPLE");
        }
    }

    @Test
    void unknownParametersAreNamed() {
        assertThatThrownBy(() -> S3Location.parse("s3://b/p?endpoint=http://127.0.0.1:9000&storageClass=GLACIER&x=1"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("storageClass").hasMessageContaining("x");
    }

    @Test
    void malformedLocationsAreRejected() {
        for (String uri : new String[] {"s3:///prefix", "s3://", "gs://bucket/p", "bucket/p", "s3://b/a//c",
                "s3://b/../c", "s3://b:9000/p", "s3://b/p?endpoint=ftp://127.0.0.1", "s3://b/p?endpoint=127.0.0.1",
                "s3://b/p?pathStyle=maybe", "s3://b/p?region=a&region=b", "s3://b/p#frag", "s3://b/p?region=no%20way"}) {
            assertThatThrownBy(() -> S3Location.parse(uri)).as(uri).isInstanceOf(IllegalArgumentException.class);
        }
    }

    private static void restore(String property, String value) {
        if (value == null) {
            System.clearProperty(property);
        } else {
            System.setProperty(property, value);
        }
    }
}
