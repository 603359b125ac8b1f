package dev.lifeboat.storage;

/** Capabilities a backend declares, so callers never test for a backend's type. */
public enum StorageFeature {
    /** Blobs are files whose permissions the backend sets to owner-only (0600, folders 0700). */
    OWNER_ONLY_FILES,
    /** Streams of unknown length are uploaded in parts, so memory does not grow with the blob. */
    MULTIPART_UPLOAD,
    /** The backend retries transient failures itself (timeouts, 5xx); no retry wrapper is added. */
    RETRIES
}
