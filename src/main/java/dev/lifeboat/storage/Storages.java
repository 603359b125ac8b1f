package dev.lifeboat.storage;

import dev.lifeboat.storage.local.LocalStorage;
import dev.lifeboat.storage.s3.S3Location;
import dev.lifeboat.storage.s3.S3Storage;

import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Opens the {@link Storage} a location string names, as users write it in config and on the command line. */
public final class Storages {
    /** What {@link #open} accepts, for messages and {@code --help}. */
    public static final String SUPPORTED = "s3://bucket/prefix[?endpoint=URL&region=NAME&pathStyle=true|false],"
            + " file:///absolute/path, or a plain folder path";
    private static final Pattern SCHEME = Pattern.compile("^([A-Za-z][A-Za-z0-9+.-]*):");

    private Storages() {}

    /**
     * {@link #open(String)}, wrapped in a {@link dev.lifeboat.storage.retry.RetryingStorage} unless the
     * backend retries by itself: what commands use.
     */
    public static Storage openWithRetries(String location) {
        return dev.lifeboat.storage.retry.RetryingStorage.wrap(open(location));
    }

    /**
     * {@code s3://...} opens an {@link S3Storage} (credentials from the AWS default chain); {@code file:///path} or a
     * plain path, relative or absolute, opens a {@link LocalStorage}.
     *
     * @throws IllegalArgumentException for any other scheme or a malformed location; the message lists what is
     *     supported and never repeats a credential
     */
    public static Storage open(String location) {
        if (location == null || location.isBlank()) {
            throw new IllegalArgumentException("no storage location given; supported are " + SUPPORTED);
        }
        Matcher m = SCHEME.matcher(location);
        String scheme = m.find() ? m.group(1).toLowerCase(Locale.ROOT) : null;
        boolean hasAuthority = scheme != null && location.startsWith("//", m.end());
        if (S3Location.SCHEME.equals(scheme)) {
            return S3Storage.open(S3Location.parse(location));
        }
        if ("file".equals(scheme)) {
            return new LocalStorage(filePath(location));
        }
        if (scheme != null && (hasAuthority || scheme.length() > 1)) {
            // A one-letter "scheme" without "//" is a Windows drive (C:\backups); anything else is a URI we lack.
            throw new IllegalArgumentException("unsupported storage scheme '" + scheme + ":'; supported are "
                    + SUPPORTED + " (write ./" + scheme + ":... for a folder whose name has a ':')");
        }
        try {
            return new LocalStorage(Path.of(location));
        } catch (InvalidPathException e) {
            throw new IllegalArgumentException("invalid storage path: " + e.getMessage() + "; supported are "
                    + SUPPORTED);
        }
    }

    private static Path filePath(String location) {
        URI uri;
        try {
            uri = new URI(location);
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException("invalid file location: " + e.getReason()
                    + "; write file:///absolute/path or a plain path");
        }
        if (uri.getRawAuthority() != null && !uri.getRawAuthority().isEmpty()) {
            throw new IllegalArgumentException("a file: location names a local folder, e.g. file:///var/backups,"
                    + " not a host");
        }
        try {
            return Path.of(uri);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("invalid file location: " + e.getMessage()
                    + "; write file:///absolute/path or a plain path", e);
        }
    }
}
