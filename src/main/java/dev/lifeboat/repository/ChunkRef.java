package dev.lifeboat.repository;

/**
 * One chunk of an artifact, in stream order.
 *
 * @param id     the chunk's name: hex SHA-256 of its plain bytes, or HMAC-SHA-256 in encrypted repositories
 * @param size   plain size in bytes
 * @param stored size of the stored blob (compressed, encrypted)
 */
public record ChunkRef(String id, int size, int stored) {
    /** Where the chunk is stored. */
    public String blobName() {
        return blobName(id);
    }

    /** Where chunks live: {@code chunks/<first 2 hex digits>/<id>}. */
    public static final String PREFIX = "chunks/";

    public static String blobName(String id) {
        return PREFIX + id.substring(0, 2) + "/" + id;
    }

    /** The id of the chunk stored as {@code blobName}, or null when that is no chunk's name (a stray file). */
    public static String idOf(String blobName) {
        String id = blobName.substring(blobName.lastIndexOf('/') + 1);
        return ChunkIndex.isId(id) && blobName.equals(blobName(id)) ? id : null;
    }
}
