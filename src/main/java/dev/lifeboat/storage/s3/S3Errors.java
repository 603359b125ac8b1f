package dev.lifeboat.storage.s3;

import software.amazon.awssdk.awscore.exception.AwsErrorDetails;
import software.amazon.awssdk.core.exception.AbortedException;
import software.amazon.awssdk.core.exception.ApiCallAttemptTimeoutException;
import software.amazon.awssdk.core.exception.ApiCallTimeoutException;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.services.s3.model.S3Exception;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.net.ConnectException;
import java.net.NoRouteToHostException;
import java.net.UnknownHostException;
import java.util.Set;

/** Turns SDK exceptions into {@link IOException}s that say what failed, on which object, and what to do next. */
final class S3Errors {
    private static final Set<String> AUTH_CODES = Set.of("AccessDenied", "InvalidAccessKeyId",
            "SignatureDoesNotMatch", "ExpiredToken", "InvalidToken", "TokenRefreshRequired", "AllAccessDisabled");
    private static final String CREDENTIALS_HINT = "check the credentials in AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY"
            + " (or ~/.aws/credentials)";

    private final S3Location location;

    S3Errors(S3Location location) {
        this.location = location;
    }

    /** A 404 that is about the object, not the bucket. */
    static boolean isMissingObject(S3Exception e) {
        return e.statusCode() == 404 && !"NoSuchBucket".equals(code(e));
    }

    /** {@code could not <operation> s3://bucket/key: <reason>}, with the SDK exception as cause. */
    IOException failed(String operation, String key, SdkException e) {
        String message = "could not " + operation + " " + location.describe(key) + ": " + reason(e);
        if (e instanceof AbortedException || Thread.currentThread().isInterrupted()) {
            InterruptedIOException interrupted = new InterruptedIOException(message);
            interrupted.initCause(e);
            return interrupted;
        }
        return new IOException(message, e);
    }

    String missingBucket() {
        String bucket = location.bucket();
        String rules = AWS_BUCKET_RULES.matcher(bucket).matches() ? ""
                : " (and note that '" + bucket + "' breaks S3's naming rules, 3 to 63 lowercase letters, digits, dots"
                  + " and hyphens, which some servers answer as a missing bucket)";
        return "the bucket '" + bucket + "' does not exist at " + endpoint() + "; create it, or correct the location"
                + rules;
    }

    /** AWS's rules for bucket names; S3-compatible servers may accept more, so they only explain a miss. */
    private static final java.util.regex.Pattern AWS_BUCKET_RULES =
            java.util.regex.Pattern.compile("[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]");

    private String reason(SdkException e) {
        if (e instanceof S3Exception) {
            S3Exception s3e = (S3Exception) e;
            String code = code(s3e);
            int status = s3e.statusCode();
            AwsErrorDetails details = s3e.awsErrorDetails();
            String text = details != null && details.errorMessage() != null ? details.errorMessage() : s3e.getMessage();
            String detail = text + " (HTTP " + status + (code == null ? "" : ", " + code) + ")";
            if ("NoSuchBucket".equals(code)) {
                return missingBucket();
            }
            if (status == 403 || AUTH_CODES.contains(code)) {
                return "access denied: " + detail + "; " + CREDENTIALS_HINT + ", and that they may use the bucket '"
                        + location.bucket() + "'";
            }
            if (status == 301 || "PermanentRedirect".equals(code) || "AuthorizationHeaderMalformed".equals(code)) {
                return detail + "; the bucket may be in another region than '" + location.region()
                        + "': add ?region=... to the location";
            }
            return detail;
        }
        if (e instanceof ApiCallTimeoutException) {
            return "no answer from " + endpoint() + " within " + S3Storage.CALL_TIMEOUT_SECONDS
                    + " s, retries included";
        }
        Throwable unreachable = unreachableCause(e);
        if (unreachable != null) {
            return "the endpoint " + endpoint() + " is unreachable (" + unreachable.getMessage() + ", "
                    + S3Storage.MAX_ATTEMPTS + " attempts); check the address and that the server is running";
        }
        if (e instanceof ApiCallAttemptTimeoutException) {
            return "no answer from " + endpoint() + " within " + S3Storage.ATTEMPT_TIMEOUT_SECONDS + " s";
        }
        String message = String.valueOf(e.getMessage());
        if (message.contains("Unable to load credentials")) {
            // The SDK's own text lists every provider of its chain, a screenful; it stays in the cause.
            return "no AWS credentials found; set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or write"
                    + " ~/.aws/credentials";
        }
        return message;
    }

    private String endpoint() {
        return location.endpoint() != null ? location.endpoint().toString()
                : "AWS S3 (region " + location.region() + ")";
    }

    private static Throwable unreachableCause(Throwable e) {
        for (Throwable t = e; t != null && t.getCause() != t; t = t.getCause()) {
            if (t instanceof ConnectException || t instanceof NoRouteToHostException
                    || t instanceof UnknownHostException || t.getClass().getSimpleName().equals("ConnectTimeoutException")) {
                return t;
            }
        }
        return null;
    }

    private static String code(S3Exception e) {
        AwsErrorDetails details = e.awsErrorDetails();
        return details == null ? null : details.errorCode();
    }
}
