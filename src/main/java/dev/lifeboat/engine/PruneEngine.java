package dev.lifeboat.engine;

import dev.lifeboat.core.ErrorCode;
import dev.lifeboat.core.LifeboatException;
import dev.lifeboat.repository.Artifact;
import dev.lifeboat.repository.BackupEntry;
import dev.lifeboat.repository.BackupStatus;
import dev.lifeboat.repository.ChunkIdSet;
import dev.lifeboat.repository.ChunkLists;
import dev.lifeboat.repository.ChunkRef;
import dev.lifeboat.repository.Packs;
import dev.lifeboat.repository.FormatCheck;
import dev.lifeboat.repository.Manifest;
import dev.lifeboat.repository.Repository;
import dev.lifeboat.repository.RepositoryLock;
import dev.lifeboat.retention.Candidate;
import dev.lifeboat.retention.Decision;
import dev.lifeboat.retention.Retention;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * Applies retention and collects garbage, under an exclusive lock so that no backup runs meanwhile:
 * <ol>
 *   <li>decide, with the pure {@link Retention} function, which backups to keep;</li>
 *   <li>delete each removed backup's manifest (the backup ceases to exist), then its side blobs;</li>
 *   <li>delete every chunk no remaining manifest references, streaming the listing and deleting a batch at a
 *       time (skipped, with a warning naming them, while a manifest is unreadable: its chunks are unknown and a
 *       replica might restore it);</li>
 *   <li>delete side blobs whose manifest is gone and the backend's debris of interrupted writes.</li>
 * </ol>
 * A crash at any point leaves a repository that the next prune finishes cleaning: manifests go before
 * the chunks they reference, and only unreferenced chunks are ever deleted.
 *
 * <p>A backup whose manifest is malformed is never removed: prune does not delete what it does not understand.
 * It is kept (its decision says why), the other backups are pruned by the policy as usual, and no chunk is
 * collected, since the unreadable manifest may reference any of them. A manifest of a newer format version stops
 * the whole prune instead: an older release cannot know what a newer format's backups need of each other.
 */
public final class PruneEngine {
    private static final Logger LOG = LoggerFactory.getLogger(PruneEngine.class);

    /**
     * What a prune decided and did.
     *
     * @param unreadable the backups whose manifests could not be read, each with why: kept, and no chunk collected
     */
    /**
     * @param packs what became of the pack files (format 3), {@link Packed#NONE} in a repository without them
     */
    public record Result(List<Decision> decisions, int removedBackups, int unreferencedChunks, long unreferencedBytes,
                         int removedDebris, boolean chunksCollected, boolean dryRun, List<String> unreadable,
                         Packed packs) {}

    /**
     * Pack files under prune: those removed (no chunk of theirs referenced, or no index: debris), those kept because
     * some of their chunks are referenced while others are not, with the stored bytes of the unreferenced ones, and
     * the indexes that could not be read (their packs are kept).
     */
    public record Packed(int removed, int partlyUsed, long unusedBytesKept, List<String> unreadableIndexes) {
        public static final Packed NONE = new Packed(0, 0, 0, List.of());
    }

    private final Repository repo;
    private final Clock clock;

    public PruneEngine(Repository repo, Clock clock) {
        this.repo = repo;
        this.clock = clock;
    }

    public Result run(PruneRequest request) throws IOException {
        try (RepositoryLock lock = repo.lock(RepositoryLock.Kind.EXCLUSIVE, "prune")) {
            Instant now = clock.instant();
            List<BackupEntry> entries = repo.entries();
            refuseNewer(entries);
            Map<String, BackupEntry> byId = entries.stream().collect(Collectors.toMap(BackupEntry::id, Function.identity()));
            List<BackupEntry> unreadable = entries.stream().filter(e -> e.manifest() == null).toList();
            List<Candidate> candidates = entries.stream().filter(e -> e.manifest() != null)
                    .map(e -> new Candidate(e.id(), e.started(), e.complete(), e.pinned(), e.safety())).toList();
            List<Decision> decisions = new ArrayList<>(Retention.decide(candidates, request.policy(), now, request.zone()));
            for (BackupEntry e : unreadable) {
                decisions.add(new Decision(e.id(), true, List.of("its manifest cannot be read, and prune deletes "
                        + "nothing it does not understand: " + e.manifestError())));
            }
            decisions.sort(java.util.Comparator.comparing((Decision d) -> byId.get(d.id()).started())
                    .thenComparing(Decision::id).reversed());
            boolean collectable = unreadable.isEmpty();
            if (!collectable) {
                LOG.warn("not collecting chunks: the manifests of {} cannot be read, so any chunk may be theirs ({})",
                        unreadable.stream().map(BackupEntry::id).collect(Collectors.joining(", ")),
                        unreadable.stream().map(BackupEntry::manifestError).collect(Collectors.joining(" | ")));
            }

            ChunkIdSet referenced = new ChunkIdSet();
            for (Decision d : decisions) {
                BackupEntry e = byId.get(d.id());
                if (!d.keep() || e.manifest() == null) {
                    continue;
                }
                for (Artifact a : e.manifest().artifacts()) {
                    // a chunk list that cannot be read stops prune: the chunks it lists would be collected
                    ChunkLists.forEach(repo.storage(), a, c -> referenced.add(c.id()));
                }
            }

            // before anything is deleted: an index of a newer format stops prune here (Packs.scan refuses it); each
            // index is read once, and only what prune needs of it is kept
            List<PackUse> packUse = new ArrayList<>();
            Packs.Scan packScan = collectable ? repo.packScan((index, present) -> packUse.add(PackUse.of(index,
                    referenced))) : null;
            List<String> removed = decisions.stream().filter(d -> !d.keep()).map(Decision::id).toList();
            if (!request.dryRun()) {
                lock.checkStillHeld();
                for (String id : removed) {
                    lock.confirmBeforeDelete();
                    repo.storage().delete(Manifest.blobName(id));
                    repo.storage().delete(BackupStatus.blobName(id));
                    repo.storage().delete(Repository.Pin.blobName(id));
                    repo.storage().delete(Manifest.signatureBlobName(id));
                    repo.storage().delete(ChunkLists.blobName(id));
                }
                lock.checkStillHeld();
            }
            long[] garbage = collectable ? collect(referenced, request.dryRun(), lock) : new long[2];
            Packed packs = collectable ? collectPacks(packScan, packUse, request.dryRun(), lock, garbage) : Packed.NONE;
            if (request.dryRun()) {
                return new Result(decisions, removed.size(), (int) garbage[0], garbage[1], 0, collectable, true,
                        unreadable(unreadable), packs);
            }
            lock.checkStillHeld();
            removeOrphanSideBlobs(byId.keySet(), removed, lock);
            lock.checkStillHeld();
            int debris = repo.storage().removeDebris(now.minus(RepositoryLock.DEFAULT_STALE_AFTER));
            return new Result(decisions, removed.size(), (int) garbage[0], garbage[1], debris, collectable, false,
                    unreadable(unreadable), packs);
        }
    }

    private static List<String> unreadable(List<BackupEntry> entries) {
        return entries.stream().map(e -> e.manifestError() != null && e.manifestError().contains(e.id())
                ? e.manifestError() : e.id() + ": " + e.manifestError()).toList();
    }

    /**
     * Nothing is deleted while any manifest is of a newer format version: an older release cannot know what such a
     * backup references or needs of the others (an old binary must never prune a newer format's backups).
     */
    private void refuseNewer(List<BackupEntry> entries) {
        List<String> newer = entries.stream().filter(e -> e.manifest() == null && FormatCheck.isNewer(e.manifestError()))
                .map(e -> e.id() + ": " + e.manifestError()).toList();
        if (!newer.isEmpty()) {
            throw new LifeboatException(ErrorCode.REPOSITORY, "prune deletes nothing while " + newer.size()
                    + " manifest(s) are of a newer format: " + String.join(" | ", newer),
                    "upgrade Lifeboat to the release that wrote them, and prune with it");
        }
    }

    /**
     * Streams the listing of {@code chunks/} and deletes, {@value #DELETE_BATCH} at a time, each chunk that
     * {@code referenced} does not hold (nothing when {@code dryRun}): memory stays that of one batch however many
     * chunks the repository or its garbage has. Runs after the removed backups' manifests are gone, so that a
     * crash never leaves a manifest whose chunks were deleted. Names that are no chunk id are not Lifeboat's and
     * are left alone. After a retried listing the counts may include some chunks twice; deleting is idempotent.
     *
     * @return the number and stored bytes of unreferenced chunks
     */
    private long[] collect(ChunkIdSet referenced, boolean dryRun, RepositoryLock lock) throws IOException {
        long[] garbage = new long[2];
        List<String> batch = new ArrayList<>();
        try {
            repo.forEachChunkBlob((id, stored) -> {
                if (referenced.mayContain(id)) {
                    return;
                }
                garbage[0]++;
                garbage[1] += stored;
                if (!dryRun) {
                    batch.add(ChunkRef.blobName(id));
                    if (batch.size() >= DELETE_BATCH) {
                        deleteAll(batch, lock);
                    }
                }
            });
            deleteAll(batch, lock);
        } catch (UncheckedIOException e) {
            throw e.getCause();
        }
        return garbage;
    }

    /**
     * The pack files' part of {@link #collect}, after it (docs/REPOSITORY-FORMAT.md, "Prune and packs"): a pack none
     * of whose chunks {@code referenced} holds is removed, its index first and then the pack, so that a crash between
     * the two leaves a pack without an index, which the next prune removes as the debris it is; so is a pack that has
     * no index at all (a backup that died between writing the two, since no backup runs beside prune's exclusive
     * lock). A pack of which some chunks are referenced is kept whole: its unreferenced chunks are counted, not
     * removed. A pack whose index cannot be read is kept, and so is its index, since prune cannot know what it holds.
     * The unreferenced chunks of removed packs are added to {@code garbage}. {@code scan} was taken under the same
     * exclusive lock before any backup was removed.
     */
    private Packed collectPacks(Packs.Scan scan, List<PackUse> uses, boolean dryRun, RepositoryLock lock,
                                long[] garbage) throws IOException {
        if (!repo.config().packed()) {
            return Packed.NONE;
        }
        for (String problem : scan.unreadable()) {
            LOG.warn("{}; its pack is kept", problem);
        }
        int removed = 0;
        int partly = 0;
        long unusedKept = 0;
        for (PackUse use : uses) {
            if (use.unusedChunks() == 0) {
                continue;
            }
            if (use.unusedChunks() < use.chunks()) {
                partly++;
                unusedKept += use.unusedBytes();
                continue;
            }
            garbage[0] += use.unusedChunks();
            garbage[1] += use.unusedBytes();
            removed++;
            if (!dryRun) {
                lock.checkStillHeld();
                lock.confirmBeforeDelete();
                repo.storage().delete(Packs.indexBlob(use.pack()));
                lock.confirmBeforeDelete();
                repo.storage().delete(Packs.packBlob(use.pack()));
            }
        }
        for (String orphan : scan.orphanPacks()) {
            removed++;
            garbage[1] += scan.packSizes().get(orphan);
            if (!dryRun) {
                lock.checkStillHeld();
                lock.confirmBeforeDelete();
                repo.storage().delete(Packs.packBlob(orphan));
            }
        }
        if (partly > 0) {
            LOG.info("{} pack(s) kept partly used: {} bytes of chunks no backup references stay in them", partly,
                    unusedKept);
        }
        return new Packed(removed, partly, unusedKept, scan.unreadable());
    }

    /** What prune keeps of one pack's index: its pack, how many chunks it lists, and how many of them are unused. */
    private record PackUse(String pack, int chunks, int unusedChunks, long unusedBytes) {
        static PackUse of(Packs.Index index, ChunkIdSet referenced) {
            long unused = 0;
            int unusedChunks = 0;
            for (Packs.Entry e : index.chunks()) {
                if (!referenced.mayContain(e.id())) {
                    unused += e.length();
                    unusedChunks++;
                }
            }
            return new PackUse(index.pack(), index.chunks().size(), unusedChunks, unused);
        }
    }

    private static final int DELETE_BATCH = 1000;

    /** Deletes a batch, confirming before it (and during it, when slow) that prune's lock was not broken. */
    private void deleteAll(List<String> names, RepositoryLock lock) {
        try {
            lock.checkStillHeld();
            for (String name : names) {
                lock.confirmBeforeDelete();
                repo.storage().delete(name);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        names.clear();
    }

    /** Status and pin blobs left by a prune that died between deleting a manifest and its side blobs. */
    private void removeOrphanSideBlobs(Set<String> hadManifest, List<String> removed, RepositoryLock lock)
            throws IOException {
        Set<String> live = new HashSet<>(hadManifest);
        live.removeAll(removed);
        for (String name : repo.orphanSideBlobs(live)) {
            lock.confirmBeforeDelete();
            repo.storage().delete(name);
        }
    }
}
