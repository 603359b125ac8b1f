package dev.lifeboat.repository;

import dev.lifeboat.storage.BlobInfo;
import dev.lifeboat.storage.Storage;

import java.io.IOException;
import java.util.HashMap;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * The one place that knows how a backup's blobs are named: {@code backups/<id>/manifest.json} (its presence
 * makes the backup exist), {@code backups/<id>/status.json}, {@code backups/<id>/pin.json} and
 * {@code backups/<id>/manifest.sig} beside it, and {@code backups/<id>/chunk-lists.bin} ({@link ChunkLists}); and
 * how one listing of {@code backups/} is read back into backups. {@link Repository#entries()} and
 * {@link Catalog} both list through here.
 */
final class BackupBlobs {
    static final String PREFIX = "backups/";
    static final String MANIFEST = "manifest.json";
    static final String STATUS = "status.json";
    static final String PIN = "pin.json";
    /** Format 2 on: the Ed25519 signature of {@code manifest.json}'s bytes, written just before it. */
    static final String SIGNATURE = "manifest.sig";

    private BackupBlobs() {}

    static String name(String id, String file) {
        return PREFIX + id + "/" + file;
    }

    /**
     * One committed backup as a listing saw it.
     *
     * @param manifest its manifest blob
     * @param status   its status blob, or null when it has none
     * @param pin      its pin blob, or null when it is not pinned
     */
    record Listed(String id, BlobInfo manifest, BlobInfo status, BlobInfo pin) {}

    /**
     * Lists {@code backups/} once: the committed backups, by id. Blobs of other names, of invalid ids, and side
     * blobs whose manifest is gone (left by an interrupted prune) are left out.
     */
    static SortedMap<String, Listed> list(Storage storage) throws IOException {
        Map<String, BlobInfo[]> byId = new HashMap<>();
        for (BlobInfo b : storage.list(PREFIX)) {
            String name = b.name();
            int slash = name.indexOf('/', PREFIX.length());
            if (!name.startsWith(PREFIX) || slash < 0) {
                continue;
            }
            int slot = switch (name.substring(slash + 1)) {
                case MANIFEST -> 0;
                case STATUS -> 1;
                case PIN -> 2;
                default -> -1;
            };
            if (slot >= 0) {
                byId.computeIfAbsent(name.substring(PREFIX.length(), slash), id -> new BlobInfo[3])[slot] = b;
            }
        }
        SortedMap<String, Listed> out = new TreeMap<>();
        byId.forEach((id, blobs) -> {
            if (blobs[0] != null && BackupIds.isValid(id)) {
                out.put(id, new Listed(id, blobs[0], blobs[1], blobs[2]));
            }
        });
        return out;
    }

    /**
     * The status, pin and signature blobs under {@code backups/<id>/} of backups not in {@code live}: those an
     * interrupted prune left after deleting a manifest (or a backup killed between its signature and its manifest). A manifest is never returned, so a
     * backup committed after {@code live} was taken cannot lose it.
     */
    static java.util.List<String> orphanSideBlobs(Storage storage, java.util.Set<String> live) throws IOException {
        java.util.List<String> out = new java.util.ArrayList<>();
        for (BlobInfo b : storage.list(PREFIX)) {
            String name = b.name();
            int slash = name.indexOf('/', PREFIX.length());
            if (!name.startsWith(PREFIX) || slash <= PREFIX.length()) {
                continue;
            }
            String id = name.substring(PREFIX.length(), slash);
            String file = name.substring(slash + 1);
            // Only blobs the format names: a stranger's file under backups/ is not Lifeboat's to delete.
            if (SIDE_BLOBS.contains(file) && BackupIds.isValid(id) && !live.contains(id)) {
                out.add(name);
            }
        }
        return out;
    }

    /** The blobs beside a manifest that prune deletes with it. */
    static final java.util.Set<String> SIDE_BLOBS = java.util.Set.of(STATUS, PIN, SIGNATURE, ChunkLists.BLOB);
}
