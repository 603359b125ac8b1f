package dev.lifeboat.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;
import java.util.stream.Stream;

/**
 * A chunk's stored bytes in a local repository, wherever they lie: a blob of its own ({@code chunks/xx/id}) or a range
 * of a pack file, placed by its index (repository format 3). Tests damage a chunk through it as a disk would: flip
 * bytes, cut it short, lose it; {@link #restore} puts back what was there.
 */
public final class StoredChunk {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final Path repo;
    private final String id;
    private final Path blob;
    private final Path index;
    private final Path pack;
    private final long offset;
    private final int length;
    private byte[] originalIndex;
    private byte[] originalBytes;

    private StoredChunk(Path repo, String id, Path blob, Path index, Path pack, long offset, int length) {
        this.repo = repo;
        this.id = id;
        this.blob = blob;
        this.index = index;
        this.pack = pack;
        this.offset = offset;
        this.length = length;
    }

    /** Chunk {@code id} of the repository at {@code repo}; fails when neither a blob nor a pack index holds it. */
    public static StoredChunk of(Path repo, String id) throws IOException {
        Path blob = repo.resolve("chunks").resolve(id.substring(0, 2)).resolve(id);
        if (Files.isRegularFile(blob)) {
            return new StoredChunk(repo, id, blob, null, null, 0, 0);
        }
        Path indexes = repo.resolve("index");
        if (Files.isDirectory(indexes)) {
            try (Stream<Path> files = Files.list(indexes)) {
                for (Path i : (Iterable<Path>) files::iterator) {
                    JsonNode tree = JSON.readTree(i.toFile());
                    for (JsonNode c : tree.path("chunks")) {
                        if (c.path("id").asText().equals(id)) {
                            String p = tree.path("pack").asText();
                            return new StoredChunk(repo, id, null, i, repo.resolve("packs").resolve(p.substring(0, 2))
                                    .resolve(p), c.path("offset").asLong(), c.path("length").asInt());
                        }
                    }
                }
            }
        }
        throw new IllegalStateException("chunk " + id + " is neither a blob nor in a pack of " + repo);
    }

    /** Every chunk id the repository stores: blobs and packed. */
    public static Set<String> ids(Path repo) throws IOException {
        Set<String> out = new HashSet<>();
        Path chunks = repo.resolve("chunks");
        if (Files.isDirectory(chunks)) {
            try (Stream<Path> files = Files.walk(chunks)) {
                files.filter(Files::isRegularFile).forEach(f -> out.add(f.getFileName().toString()));
            }
        }
        Path indexes = repo.resolve("index");
        if (Files.isDirectory(indexes)) {
            try (Stream<Path> files = Files.list(indexes)) {
                for (Path i : (Iterable<Path>) files::iterator) {
                    JSON.readTree(i.toFile()).path("chunks").forEach(c -> out.add(c.path("id").asText()));
                }
            }
        }
        return out;
    }

    public boolean packed() {
        return blob == null;
    }

    /** The file that holds it: its blob, or its pack. */
    public Path file() {
        return packed() ? pack : blob;
    }

    public byte[] read() throws IOException {
        if (!packed()) {
            return Files.readAllBytes(blob);
        }
        try (RandomAccessFile f = new RandomAccessFile(pack.toFile(), "r")) {
            byte[] b = new byte[length];
            f.seek(offset);
            f.readFully(b);
            return b;
        }
    }

    /** Replaces its bytes with {@code bytes}, no longer than they are (a packed chunk's index then says the new length). */
    public void write(byte[] bytes) throws IOException {
        if (originalBytes != null && java.util.Arrays.equals(bytes, originalBytes)) {
            restore(); // putting back what was there, after any change (a delete too)
            return;
        }
        keep();
        if (!packed()) {
            Files.write(blob, bytes);
            return;
        }
        if (bytes.length > length) {
            throw new IllegalArgumentException("a packed chunk cannot grow");
        }
        try (RandomAccessFile f = new RandomAccessFile(pack.toFile(), "rw")) {
            f.seek(offset);
            f.write(bytes);
        }
        editIndex(bytes.length);
    }

    /** Flips a bit in its middle byte. */
    public void flip(int mask) throws IOException {
        byte[] b = read();
        b[b.length / 2] ^= (byte) mask;
        write(b);
    }

    /** Loses it: its blob is deleted, or its pack's index no longer lists it. */
    public void delete() throws IOException {
        keep();
        if (!packed()) {
            Files.delete(blob);
            return;
        }
        editIndex(-1);
    }

    /** Puts back the bytes (and index) it had before the first change through this object. */
    public void restore() throws IOException {
        if (originalBytes == null) {
            return;
        }
        if (!packed()) {
            Files.write(blob, originalBytes);
        } else {
            try (RandomAccessFile f = new RandomAccessFile(pack.toFile(), "rw")) {
                f.seek(offset);
                f.write(originalBytes);
            }
            Files.write(index, originalIndex);
        }
        originalBytes = null;
    }

    private void keep() throws IOException {
        if (originalBytes == null) {
            originalBytes = read();
            originalIndex = packed() ? Files.readAllBytes(index) : null;
        }
    }

    /** Sets the chunk's length in its index, or drops it from the index when {@code newLength} is negative. */
    private void editIndex(int newLength) throws IOException {
        ObjectNode tree = (ObjectNode) JSON.readTree(index.toFile());
        ArrayNode chunks = (ArrayNode) tree.path("chunks");
        for (int i = 0; i < chunks.size(); i++) {
            if (chunks.get(i).path("id").asText().equals(id)) {
                if (newLength < 0) {
                    chunks.remove(i);
                } else {
                    ((ObjectNode) chunks.get(i)).put("length", newLength);
                }
                break;
            }
        }
        if (chunks.isEmpty()) {
            Files.delete(index);
        } else {
            Files.write(index, JSON.writeValueAsBytes(tree));
        }
    }

    @Override
    public String toString() {
        return id + (packed() ? " in " + repo.relativize(pack) : "");
    }

}
