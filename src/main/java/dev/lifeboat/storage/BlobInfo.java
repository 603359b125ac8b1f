package dev.lifeboat.storage;

import java.time.Instant;

/** What a backend knows of one stored blob without reading it. */
public record BlobInfo(String name, long size, Instant lastModified) {}
