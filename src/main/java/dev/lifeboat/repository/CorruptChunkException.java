package dev.lifeboat.repository;

import java.io.IOException;

/** A stored chunk that is missing or does not decode to the bytes its id names. */
public class CorruptChunkException extends IOException {
    private final String chunkId;

    public CorruptChunkException(String chunkId, String problem, Throwable cause) {
        super("chunk " + chunkId + " " + problem, cause);
        this.chunkId = chunkId;
    }

    public String chunkId() {
        return chunkId;
    }
}
