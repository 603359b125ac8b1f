package dev.lifeboat.storage.s3;

import java.net.URI;
import java.net.URISyntaxException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.UnaryOperator;
import java.util.regex.Pattern;

/**
 * Where an S3 repository lives, parsed from {@code s3://bucket/some/prefix?endpoint=...&region=...&pathStyle=...}.
 *
 * <ul>
 *   <li>{@code prefix} has no leading or trailing {@code /} and may be empty (the bucket's root).</li>
 *   <li>{@code endpoint} is null for AWS itself, else the S3-compatible server, e.g. {@code http://127.0.0.1:9000}.</li>
 *   <li>{@code region} is the {@code region=} parameter, else {@code AWS_REGION}, else {@code us-east-1}.</li>
 *   <li>{@code pathStyle} ({@code http://host/bucket/key}) is on by default when an endpoint is given, since most
 *       S3-compatible servers want it, and off for AWS; {@code pathStyle=true|false} overrides.</li>
 * </ul>
 * Credentials never appear in a location: they come from the environment ({@code AWS_ACCESS_KEY_ID} /
 * {@code AWS_SECRET_ACCESS_KEY}) or {@code ~/.aws/credentials}, so a location can be logged and stored in manifests.
 */
public record S3Location(String bucket, String prefix, URI endpoint, String region, boolean pathStyle) {
    public static final String SCHEME = "s3";
    static final String DEFAULT_REGION = "us-east-1";
    private static final Set<String> PARAMETERS = Set.of("endpoint", "region", "pathStyle");
    // Lenient on purpose: S3-compatible servers accept more than AWS's own bucket rules.
    private static final Pattern BUCKET = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,254}");
    private static final Pattern PREFIX_SEGMENT = Pattern.compile("[A-Za-z0-9._-]+");
    private static final Pattern REGION = Pattern.compile("[A-Za-z0-9_-]+");
    private static final String CREDENTIALS_HINT = "credentials do not belong in the storage location: put them in the"
            + " environment (AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY) or in ~/.aws/credentials, never in the URI";

    public S3Location {
        if (bucket == null || !BUCKET.matcher(bucket).matches()) {
            throw new IllegalArgumentException("invalid S3 bucket name '" + bucket + "'");
        }
        prefix = normalizePrefix(prefix == null ? "" : prefix);
        if (endpoint != null) {
            checkEndpoint(endpoint);
        }
        if (region == null || !REGION.matcher(region).matches()) {
            throw new IllegalArgumentException("invalid S3 region '" + region + "'");
        }
    }

    /** Parses {@code s3://bucket[/prefix][?endpoint=URL&region=NAME&pathStyle=true|false]}. */
    public static S3Location parse(String uri) {
        return parse(uri, System::getenv);
    }

    /** {@link #parse(String)} with the environment given, for tests. */
    static S3Location parse(String uri, UnaryOperator<String> env) {
        if (uri == null || !uri.regionMatches(true, 0, SCHEME + "://", 0, SCHEME.length() + 3)) {
            throw new IllegalArgumentException("an S3 location starts with s3://, e.g. s3://bucket/prefix");
        }
        // Look for user-info before handing the text to URI, whose errors would quote the secret back.
        String rest = uri.substring(SCHEME.length() + 3);
        int end = indexOfAny(rest, "/?#");
        String authority = end < 0 ? rest : rest.substring(0, end);
        if (authority.contains("@")) {
            throw new IllegalArgumentException(CREDENTIALS_HINT);
        }
        URI parsed;
        try {
            parsed = new URI(uri);
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException("invalid S3 location: " + e.getReason() + " at index " + e.getIndex());
        }
        if (parsed.getRawFragment() != null) {
            throw new IllegalArgumentException("an S3 location has no '#' fragment: " + parsed.getScheme() + "://"
                    + authority);
        }
        if (authority.isEmpty()) {
            throw new IllegalArgumentException("the S3 location names no bucket; use s3://bucket/prefix");
        }
        if (authority.contains(":")) {
            throw new IllegalArgumentException("the bucket '" + authority + "' may not contain ':'; give the server"
                    + " with ?endpoint=http://host:port instead");
        }
        String path = parsed.getRawPath() == null ? "" : decode(parsed.getRawPath());
        Map<String, String> params = queryParameters(parsed.getRawQuery());
        Set<String> unknown = new TreeSet<>(params.keySet());
        unknown.removeAll(PARAMETERS);
        if (!unknown.isEmpty()) {
            throw new IllegalArgumentException("unknown S3 location parameter(s) " + unknown + "; supported are "
                    + new TreeSet<>(PARAMETERS));
        }
        URI endpoint = null;
        String endpointText = params.get("endpoint");
        if (endpointText != null) {
            try {
                endpoint = new URI(endpointText);
            } catch (URISyntaxException e) {
                throw new IllegalArgumentException("invalid S3 endpoint: " + e.getReason());
            }
            checkEndpoint(endpoint);
        }
        String region = params.get("region");
        if (region == null || region.isEmpty()) {
            String fromEnv = env.apply("AWS_REGION");
            region = fromEnv == null || fromEnv.isBlank() ? DEFAULT_REGION : fromEnv.trim();
        }
        boolean pathStyle = endpoint != null;
        String pathStyleText = params.get("pathStyle");
        if (pathStyleText != null) {
            if (pathStyleText.equalsIgnoreCase("true")) {
                pathStyle = true;
            } else if (pathStyleText.equalsIgnoreCase("false")) {
                pathStyle = false;
            } else {
                throw new IllegalArgumentException("pathStyle must be true or false, not '" + pathStyleText + "'");
            }
        }
        return new S3Location(authority, path, endpoint, region, pathStyle);
    }

    /**
     * {@code s3://bucket/prefix}, with {@code ?endpoint=...} when there is one: what messages and manifests show.
     * It never contains a credential, and {@link #parse} reads it back (region and path style from their defaults).
     */
    public String uri() {
        StringBuilder s = new StringBuilder(SCHEME).append("://").append(bucket);
        if (!prefix.isEmpty()) {
            s.append('/').append(prefix);
        }
        if (endpoint != null) {
            s.append("?endpoint=").append(endpoint);
        }
        return s.toString();
    }

    /** The object key of a blob name: the prefix, a {@code /}, and the name. */
    String key(String name) {
        return prefix.isEmpty() ? name : prefix + "/" + name;
    }

    /** The key prefix every blob of this location starts with: empty, or the prefix and a {@code /}. */
    String keyPrefix() {
        return prefix.isEmpty() ? "" : prefix + "/";
    }

    /** {@code s3://bucket/key}, for messages. */
    String describe(String key) {
        return SCHEME + "://" + bucket + "/" + key;
    }

    @Override
    public String toString() {
        return uri();
    }

    private static String normalizePrefix(String raw) {
        String p = raw;
        while (p.startsWith("/")) {
            p = p.substring(1);
        }
        while (p.endsWith("/")) {
            p = p.substring(0, p.length() - 1);
        }
        if (p.isEmpty()) {
            return p;
        }
        for (String segment : p.split("/", -1)) {
            if (!PREFIX_SEGMENT.matcher(segment).matches() || segment.equals(".") || segment.equals("..")) {
                throw new IllegalArgumentException("invalid S3 prefix '" + raw + "': use segments of letters, digits,"
                        + " '.', '_' and '-' separated by single '/'");
            }
        }
        return p;
    }

    private static void checkEndpoint(URI endpoint) {
        if (endpoint.getRawUserInfo() != null) {
            throw new IllegalArgumentException(CREDENTIALS_HINT);
        }
        String scheme = endpoint.getScheme();
        if (scheme == null || !(scheme.equalsIgnoreCase("http") || scheme.equalsIgnoreCase("https"))
                || endpoint.getHost() == null) {
            throw new IllegalArgumentException("the S3 endpoint must look like http://host:port or https://host, not '"
                    + endpoint + "'");
        }
        if (endpoint.getRawQuery() != null || endpoint.getRawFragment() != null) {
            throw new IllegalArgumentException("the S3 endpoint '" + endpoint + "' may not have a query or fragment");
        }
    }

    private static Map<String, String> queryParameters(String rawQuery) {
        Map<String, String> params = new LinkedHashMap<>();
        if (rawQuery == null || rawQuery.isEmpty()) {
            return params;
        }
        for (String pair : rawQuery.split("&")) {
            if (pair.isEmpty()) {
                continue;
            }
            int eq = pair.indexOf('=');
            String name = decode(eq < 0 ? pair : pair.substring(0, eq));
            String value = eq < 0 ? "" : decode(pair.substring(eq + 1));
            if (params.put(name, value) != null) {
                throw new IllegalArgumentException("S3 location parameter '" + name + "' is given twice");
            }
        }
        return params;
    }

    private static String decode(String s) {
        // Not URLDecoder: '+' stays '+' in paths and endpoints.
        return URLDecoder.decode(s.replace("+", "%2B"), StandardCharsets.UTF_8);
    }

    private static int indexOfAny(String s, String chars) {
        for (int i = 0; i < s.length(); i++) {
            if (chars.indexOf(s.charAt(i)) >= 0) {
                return i;
            }
        }
        return -1;
    }
}
