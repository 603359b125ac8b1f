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

    public static String blobName(String id) {
        return "chunks/" + id.substring(0, 2) + "/" + id;
    }
}
