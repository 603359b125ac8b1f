package dev.lifeboat.repository;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import dev.lifeboat.core.ErrorCode;
import dev.lifeboat.core.LifeboatException;
import dev.lifeboat.storage.BlobInfo;
import dev.lifeboat.storage.Storage;

import java.io.IOException;
import java.nio.file.NoSuchFileException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Pack files (repository format 3, docs/REPOSITORY-FORMAT.md): small chunks stored one after the other in {@code
 * packs/<2 hex>/<id>}, whose id is the SHA-256 of its bytes, each listed with its place in the pack by the pack's
 * index, {@code index/<id>}, a JSON blob written after the pack. Each chunk in a pack is exactly the blob it would be
 * on its own (a zstd frame, in an age file when encrypted), so a chunk read from a pack is checked against its id as
 * any other. A pack without an index is the debris of an interrupted backup; an index is checked here before anything
 * in it is used.
 */
public final class Packs {
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(Packs.class);
    public static final String PACK_PREFIX = "packs/";
    public static final String INDEX_PREFIX = "index/";
    /** Format version of index blobs. */
    public static final int INDEX_VERSION = 1;
    private static final int READ_ATTEMPTS = 3;

    private Packs() {}

    public static String packBlob(String id) {
        return PACK_PREFIX + id.substring(0, 2) + "/" + id;
    }

    public static String indexBlob(String id) {
        return INDEX_PREFIX + id;
    }

    /** The pack id of {@code name} when it is a pack's blob name, else null (a stray file, left alone). */
    static String packIdOf(String name) {
        String id = name.substring(name.lastIndexOf('/') + 1);
        return ChunkIndex.isId(id) && name.equals(packBlob(id)) ? id : null;
    }

    /** The pack id of {@code name} when it is an index's blob name, else null. */
    static String indexIdOf(String name) {
        String id = name.substring(name.lastIndexOf('/') + 1);
        return ChunkIndex.isId(id) && name.equals(indexBlob(id)) ? id : null;
    }

    /**
     * A pack's index.
     *
     * @param formatVersion {@value #INDEX_VERSION}
     * @param pack          the pack's id (hex SHA-256 of its bytes)
     * @param size          the pack's size in bytes
     * @param chunks        the chunks it holds, by offset
     */
    public record Index(int formatVersion, String pack, long size, List<Entry> chunks) {
        public String packBlob() {
            return Packs.packBlob(pack);
        }

        /** Stored bytes of its chunks. */
        public long chunkBytes() {
            long n = 0;
            for (Entry e : chunks) {
                n += e.length();
            }
            return n;
        }
    }

    /**
     * One chunk of a pack.
     *
     * @param id     the chunk's id
     * @param offset where its stored bytes start in the pack
     * @param length how many stored bytes it has
     * @param size   its plain size
     */
    public record Entry(String id, long offset, int length, int size) {}

    /**
     * Parses and checks the index blob {@code name}: its version first (a newer one is refused as such), then that it
     * names the pack its name does, and that every chunk lies inside the pack, after the one before, and is no larger
     * than {@code packs} allows. Whatever is wrong is one {@link LifeboatException} ({@link ErrorCode#INTEGRITY}, or
     * {@link ErrorCode#REPOSITORY} for a newer format) naming the blob.
     */
    public static Index parse(byte[] raw, String name, RepoConfig.Packs packs) {
        String fix = "run 'lifeboat verify --all' to see which backups need the chunks of " + name
                + "; restore the blob from a replica if you keep one";
        JsonNode tree;
        try {
            tree = Json.MAPPER.readTree(raw);
        } catch (IOException e) {
            throw new LifeboatException(ErrorCode.INTEGRITY, "pack index " + name + " is not valid JSON ("
                    + FormatCheck.parserMessage(e) + ")", fix, e);
        }
        FormatCheck.version(tree, "pack index " + name, INDEX_VERSION, null);
        Index index;
        try {
            index = Json.MAPPER.treeToValue(tree, Index.class);
        } catch (JsonProcessingException | RuntimeException e) {
            throw new LifeboatException(ErrorCode.INTEGRITY, "pack index " + name + " is malformed: "
                    + FormatCheck.mappingMessage(e), fix, e);
        }
        String problem = problem(index, indexIdOf(name), packs);
        if (problem != null) {
            throw new LifeboatException(ErrorCode.INTEGRITY, "pack index " + name + " is malformed: " + problem, fix);
        }
        return index;
    }

    private static String problem(Index index, String idOfName, RepoConfig.Packs packs) {
        if (idOfName == null) {
            return "its name is not index/<64 hex digits>";
        }
        if (!idOfName.equals(index.pack())) {
            return "it names pack '" + FormatCheck.shorten(String.valueOf(index.pack())) + "', not " + idOfName;
        }
        if (index.size() < 0 || index.size() > packs.maxBytes()) {
            return "its pack size " + index.size() + " is outside 0 to " + packs.maxBytes();
        }
        if (index.chunks() == null || index.chunks().isEmpty() || index.chunks().size() > packs.chunks()) {
            return "it lists " + (index.chunks() == null ? "no" : index.chunks().size()) + " chunks, not 1 to "
                    + packs.chunks();
        }
        long end = 0;
        for (int i = 0; i < index.chunks().size(); i++) {
            Entry e = index.chunks().get(i);
            if (e == null || e.id() == null || !ChunkIndex.isId(e.id())) {
                return "chunks[" + i + "] has no chunk id";
            }
            if (e.offset() < end || e.length() <= 0 || e.offset() + e.length() > index.size()) {
                return "chunks[" + i + "] (" + e.id() + ") at " + e.offset() + "+" + e.length()
                        + " is not inside the pack after the chunk before it";
            }
            if (e.size() < 0 || e.size() >= packs.below()) {
                return "chunks[" + i + "] (" + e.id() + ") has plain size " + e.size() + ", not 0 to "
                        + (packs.below() - 1);
            }
            end = e.offset() + e.length();
        }
        return null;
    }

    /** The most bytes an index of {@code packs.chunks()} chunks takes, with room for indentation. */
    static long maxIndexBytes(RepoConfig.Packs packs) {
        return packs.chunks() * 320L + 4096;
    }

    /**
     * What {@link #scan} found: the indexes it kept (all of them for {@link #scan(Storage, RepoConfig.Packs)}, none
     * for a streaming scan), the pack blobs listed, the indexes that could not be read, and the names of all indexes
     * listed.
     */
    public record Scan(List<Index> indexes, Map<String, Long> packSizes, List<String> unreadable,
                       List<String> indexNames) {
        /** Packs listed that no index names: the debris of a backup that died between the two writes. */
        public List<String> orphanPacks() {
            java.util.Set<String> indexed = new java.util.HashSet<>();
            for (String n : indexNames) {
                indexed.add(indexIdOf(n));
            }
            List<String> out = new ArrayList<>();
            for (String id : packSizes.keySet()) {
                if (!indexed.contains(id)) {
                    out.add(id);
                }
            }
            return out;
        }

        /** Whether the pack {@code index} lists is there, at least as long as the index says. */
        public boolean packPresent(Index index) {
            Long size = packSizes.get(index.pack());
            return size != null && size >= index.size();
        }
    }

    /** What a streaming {@link #scan(Storage, RepoConfig.Packs, Visitor)} gives each index it read and checked. */
    @FunctionalInterface
    public interface Visitor {
        /** {@code packPresent}: whether its pack is there, at least as long as the index says. */
        void index(Index index, boolean packPresent) throws IOException;
    }

    /**
     * Lists {@code packs/} and {@code index/} and reads every index, keeping them all in {@link Scan#indexes}: for
     * repositories whose indexes fit in memory (tests, tools). The engines stream instead ({@link #scan(Storage,
     * RepoConfig.Packs, Visitor)}, {@link #forEachUsable}).
     */
    public static Scan scan(Storage storage, RepoConfig.Packs packs) throws IOException {
        List<Index> all = new ArrayList<>();
        Scan s = scan(storage, packs, (index, present) -> all.add(index));
        return new Scan(all, s.packSizes(), s.unreadable(), s.indexNames());
    }

    /**
     * Lists {@code packs/} and {@code index/} and reads every index one at a time, giving each to {@code each} and
     * keeping none ({@link Scan#indexes} is empty): memory holds one index whatever the repository's size. An index
     * that cannot be read is named in {@link Scan#unreadable} (and logged by the caller); one of a newer format is
     * refused, since nothing may act on what it cannot read.
     */
    public static Scan scan(Storage storage, RepoConfig.Packs packs, Visitor each) throws IOException {
        Map<String, Long> packSizes = new HashMap<>();
        storage.forEach(PACK_PREFIX, b -> {
            String id = packIdOf(b.name());
            if (id != null) {
                packSizes.put(id, b.size());
            }
        });
        List<String> names = new ArrayList<>();
        for (BlobInfo b : storage.list(INDEX_PREFIX)) {
            if (indexIdOf(b.name()) != null) {
                names.add(b.name());
            }
        }
        names.sort(null);
        List<String> unreadable = new ArrayList<>();
        for (String name : names) {
            Index index;
            try {
                index = readIndex(storage, name, packs);
            } catch (NoSuchFileException deleted) {
                continue; // deleted since the listing (a prune)
            } catch (LifeboatException e) {
                if (e.code() != ErrorCode.INTEGRITY) {
                    throw e; // newer
                }
                unreadable.add(e.getMessage());
                continue;
            }
            Long size = packSizes.get(index.pack());
            each.index(index, size != null && size >= index.size());
        }
        return new Scan(List.of(), packSizes, unreadable, names);
    }

    /**
     * Reads and checks the index blob {@code name}. A read that fails or does not parse is tried again (twice): a
     * dropped connection or a short read must not pass for a damaged index, whose chunks would then count as missing.
     * A damaged one is {@link ErrorCode#INTEGRITY}, one of a newer format {@link ErrorCode#REPOSITORY}.
     */
    private static Index readIndex(Storage storage, String name, RepoConfig.Packs packs) throws IOException {
        long limit = maxIndexBytes(packs);
        for (int attempt = 1; ; attempt++) {
            byte[] raw;
            try (java.io.InputStream in = storage.read(name)) {
                raw = in.readNBytes((int) Math.min(Integer.MAX_VALUE - 8, limit + 1));
            } catch (NoSuchFileException deleted) {
                throw deleted;
            } catch (IOException e) {
                if (attempt == READ_ATTEMPTS) {
                    throw e;
                }
                continue;
            }
            if (raw.length > limit) {
                throw new LifeboatException(ErrorCode.INTEGRITY, "pack index " + name + " is larger than " + limit
                        + " bytes, more than an index of " + packs.chunks() + " chunks takes: it was not read", null);
            }
            try {
                return parse(raw, name, packs);
            } catch (LifeboatException e) {
                if (e.code() != ErrorCode.INTEGRITY || attempt == READ_ATTEMPTS) {
                    throw e;
                }
            }
        }
    }

    /**
     * Gives every index whose pack is there to {@code each}, one at a time; an index that cannot be read, and one
     * whose pack is missing or shorter than it says, is named in a warning: its chunks count as missing.
     */
    public static void forEachUsable(Storage storage, RepoConfig.Packs packs, java.util.function.Consumer<Index> each)
            throws IOException {
        Scan s = scan(storage, packs, (index, present) -> {
            if (present) {
                each.accept(index);
            } else {
                LOG.warn("pack {} is missing or shorter than its index {} says ({} bytes); its chunks count as "
                        + "missing", index.packBlob(), indexBlob(index.pack()), index.size());
            }
        });
        for (String problem : s.unreadable()) {
            LOG.warn("{}; its chunks count as missing", problem);
        }
    }
}
