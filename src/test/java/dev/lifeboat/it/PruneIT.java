package dev.lifeboat.it;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.lifeboat.testing.LifeboatCli;
import dev.lifeboat.testing.PgCluster;
import dev.lifeboat.testing.S3ProxyServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code lifeboat prune}, {@code pin}, {@code unpin} and repository locks through the packaged CLI: retention
 * decisions and garbage collection, leftovers of a killed backup, backups and prunes running at the same time,
 * SIGKILL in the middle of prune's deletions and of a verify, and waiting for (or giving up on) a held lock.
 */
class PruneIT {
    private static final ObjectMapper JSON = new ObjectMapper();
    /** The source database every test backs up; tests change it between backups. */
    private static final String SRC = "prune_src";
    private static final int SIGKILLED = 137;
    private static PgCluster pg;

    @TempDir
    Path work;

    @BeforeAll
    static void createSource() {
        pg = PgCluster.shared();
        pg.dropDatabase(SRC);
        pg.createDatabase(SRC);
        // About 9 MB of dump: 8 or so chunks in a repository made with --avg-chunk-size 1.
        pg.psql(SRC, "create table t as select g, md5(g::text) || md5((g * 7)::text) as v "
                + "from generate_series(1, 120000) g");
    }

    @AfterAll
    static void dropSource() {
        pg.dropDatabase(SRC);
    }

    // ---- retention -----------------------------------------------------------------------------------------

    @Test
    void theRepositorysPolicyIsStoredByAPruneThatRanAndNeverByOneThatRefused() throws Exception {
        Path repo = work.resolve("repo");
        LifeboatCli cli = localCli(repo).env("LIFEBOAT_RETENTION_KEEP_WITHIN", "45d");
        cli.run("init").expectSuccess();
        String id = backup(cli);
        Path manifest = repo.resolve("backups").resolve(id).resolve("manifest.json");
        String written = Files.readString(manifest);
        Files.writeString(manifest, written.replaceFirst("\"formatVersion\" : \\d+", "\"formatVersion\" : 99"));
        LifeboatCli.Result refused = cli.run("prune");
        assertThat(refused.exitCode()).as(describe(refused)).isNotZero();
        assertThat(refused.stderr()).contains("format version 99");
        assertThat(repo.resolve("policy.json")).as("a prune that refused changed nothing").doesNotExist();

        Files.writeString(manifest, written);
        LifeboatCli.Result dry = cli.run("prune", "--dry-run").expectSuccess();
        assertThat(dry.stdout()).contains("Policy: within 45d, minimum 3");
        assertThat(repo.resolve("policy.json")).as("a dry run stores nothing").doesNotExist();
        LifeboatCli.Result ran = cli.run("prune").expectSuccess();
        assertThat(ran.stderr()).contains("the repository's retention policy is now that of environment");
        // another host, without the variable, prunes by the same rules
        LifeboatCli.Result elsewhere = localCli(repo).run("prune", "--dry-run").expectSuccess();
        assertThat(elsewhere.stdout()).contains("Policy: within 45d, minimum 3")
                .contains("From:   the repository's policy.json, set from environment");
    }

    @Test
    void retentionKeepsPinnedAndNewestRemovesTheRestAndCollectsTheirChunks() throws Exception {
        Path repo = work.resolve("repo");
        LifeboatCli cli = localCli(repo);
        cli.run("init", "--avg-chunk-size", "1").expectSuccess();
        String b1 = backup(cli);
        changeSome(1);
        String b2 = backup(cli);
        SortedMap<String, String> rows2 = pg.tableRows(SRC);
        changeSome(2);
        String b3 = backup(cli);
        changeSome(3);
        String b4 = backup(cli);
        SortedMap<String, String> rows4 = pg.tableRows(SRC);

        assertThat(cli.run("pin", b2, "--note", "before the upgrade").expectSuccess().stdout()).contains("Pinned " + b2);
        JsonNode listed = JSON.readTree(cli.run("list", "--json").expectSuccess().stdout());
        Map<String, Boolean> pinned = new TreeMap<>();
        listed.forEach(n -> pinned.put(n.get("id").asText(), n.get("pinned").asBoolean()));
        assertThat(pinned).containsOnly(Map.entry(b1, false), Map.entry(b2, true), Map.entry(b3, false),
                Map.entry(b4, false));

        Set<String> chunksBefore = chunkIds(repo);
        Set<String> kept = union(manifestChunks(repo, b2), manifestChunks(repo, b4));
        Set<String> garbage = new HashSet<>(union(manifestChunks(repo, b1), manifestChunks(repo, b3)));
        garbage.removeAll(kept);
        assertThat(garbage).as("chunks only the removed backups reference").isNotEmpty();
        assertThat(chunksBefore).containsAll(kept).containsAll(garbage);
        Map<String, String> filesBefore = snapshot(repo);

        String[] policy = {"--keep-within", "0", "--keep-last", "1", "--minimum-keep", "1"};
        LifeboatCli.Result dry = cli.run(concat(new String[] {"prune", "--dry-run"}, policy)).expectSuccess();
        assertThat(dry.stdout()).contains("Policy: last 1, minimum 1");
        assertThat(dry.stdout()).containsPattern(row(b4, "keep", "last 1; minimum 1"))
                .containsPattern(row(b3, "remove", "matched no rule"))
                .containsPattern(row(b2, "keep", "pinned"))
                .containsPattern(row(b1, "remove", "matched no rule"))
                .contains("Would remove 2 backups and " + garbage.size() + " unreferenced chunks");
        assertThat(snapshot(repo)).as("a dry run deletes nothing").isEqualTo(filesBefore);

        JsonNode pruned = JSON.readTree(cli.run(concat(new String[] {"prune", "--json"}, policy)).expectSuccess().stdout());
        assertThat(pruned.get("dryRun").asBoolean()).isFalse();
        assertThat(pruned.get("chunksCollected").asBoolean()).isTrue();
        assertThat(pruned.get("removedBackups").asInt()).isEqualTo(2);
        assertThat(pruned.get("unreferencedChunks").asInt()).isEqualTo(garbage.size());
        Map<String, Boolean> decisions = new LinkedHashMap<>();
        pruned.get("decisions").forEach(d -> decisions.put(d.get("id").asText(), d.get("keep").asBoolean()));
        assertThat(decisions).containsExactly(Map.entry(b4, true), Map.entry(b3, false), Map.entry(b2, true),
                Map.entry(b1, false));

        Set<String> expected = new HashSet<>(chunksBefore);
        expected.removeAll(garbage);
        assertThat(chunkIds(repo)).as("chunk files after prune").isEqualTo(expected).isEqualTo(kept);
        assertThat(chunksBefore.size() - chunkIds(repo).size()).isEqualTo(garbage.size());
        assertThat(listIds(cli)).containsExactlyInAnyOrder(b2, b4);
        assertThat(filesUnder(repo.resolve("backups").resolve(b1))).isEmpty();
        assertThat(filesUnder(repo.resolve("backups").resolve(b3))).isEmpty();
        assertThat(filesUnder(repo.resolve("locks"))).isEmpty();

        // Unpinned, b2 would go at the next prune.
        assertThat(cli.run("unpin", b2).expectSuccess().stdout()).contains("Unpinned " + b2);
        LifeboatCli.Result dryAfterUnpin = cli.run(concat(new String[] {"prune", "--dry-run"}, policy)).expectSuccess();
        assertThat(dryAfterUnpin.stdout()).containsPattern(row(b2, "remove", "matched no rule"))
                .containsPattern(row(b4, "keep", "last 1; minimum 1"));
        assertThat(listIds(cli)).containsExactlyInAnyOrder(b2, b4);

        LifeboatCli.Result verified = cli.run("verify", "--all", "--read-data").expectSuccess();
        assertThat(verified.stdout()).contains(b2 + ": verified (read-data)").contains(b4 + ": verified (read-data)");

        restoreAndCompare(cli, b2, "prune_ret_b2", rows2);
        restoreAndCompare(cli, b4, "prune_ret_b4", rows4);
    }

    // ---- leftovers of a killed backup ----------------------------------------------------------------------

    @Test
    void leftoversOfAKilledBackupAreRemovedByTheNextPrune() throws Exception {
        Path repo = work.resolve("repo");
        LifeboatCli cli = localCli(repo);
        cli.run("init", "--avg-chunk-size", "1").expectSuccess();
        String b1 = backup(cli);
        byte[] manifest = Files.readAllBytes(manifestFile(repo, b1));
        Set<String> b1Chunks = Set.copyOf(manifestChunks(repo, b1));
        assertThat(chunkIds(repo)).isEqualTo(b1Chunks);

        changeAll(1); // every chunk of the next backup is new
        // One thread at the slowest level: the backup takes long enough to be caught in the middle.
        LifeboatCli slow = localCli(repo).env("LIFEBOAT_THREADS", "1").env("LIFEBOAT_COMPRESSION_LEVEL", "19");
        Process backup = slow.command("backup").redirectOutput(ProcessBuilder.Redirect.DISCARD)
                .redirectError(ProcessBuilder.Redirect.DISCARD).start();
        killWhen(backup, () -> chunkIds(repo).size() >= b1Chunks.size() + 2, Duration.ofSeconds(60));

        assertThat(listIds(cli)).containsExactly(b1);
        Set<String> leftovers = new HashSet<>(chunkIds(repo));
        leftovers.removeAll(b1Chunks);
        assertThat(leftovers).hasSizeGreaterThanOrEqualTo(2);
        assertThat(filesUnder(repo.resolve("locks"))).as("the killed backup's lock").hasSize(1);

        // Not a chunk: something an operator left there. Prune neither deletes nor trips over it.
        Path stray = repo.resolve("chunks").resolve("notes.txt");
        Files.writeString(stray, "copied from the old server");

        long start = System.nanoTime();
        LifeboatCli.Result prune = cli.run("prune").expectSuccess(); // the default policy keeps b1
        long seconds = TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - start);
        assertThat(prune.stdout()).containsPattern(row(b1, "keep", "within 30d; minimum 3"))
                .contains("Removed 0 backups and " + leftovers.size() + " unreferenced chunks");
        assertThat(prune.stderr()).as("the dead backup's lock is broken at once")
                .contains("breaking stale shared lock").contains("its process is no longer running")
                .doesNotContain("waiting up to");
        assertThat(seconds).isLessThan(20);
        assertThat(stray).hasContent("copied from the old server");
        Files.delete(stray);

        assertThat(chunkIds(repo)).as("chunk files after prune").isEqualTo(b1Chunks);
        assertThat(Files.readAllBytes(manifestFile(repo, b1))).as("b1's manifest is untouched").isEqualTo(manifest);
        assertThat(listIds(cli)).containsExactly(b1);
        assertThat(filesUnder(repo.resolve("locks"))).isEmpty();
        cli.run("verify", b1, "--read-data").expectSuccess();
    }

    // ---- concurrency ---------------------------------------------------------------------------------------

    @Test
    void backupsAndPrunesRunningTogetherWaitForEachOtherAndLoseNothing() throws Exception {
        Path repo = work.resolve("repo");
        LifeboatCli cli = localCli(repo);
        cli.run("init", "--avg-chunk-size", "1").expectSuccess();
        backup(cli);
        changeSome(20);
        backup(cli);

        // Backups at the slowest compression level hold their shared lock for seconds, and each prune starts
        // while a backup holds its lock, so that prunes and backups run into each other's locks.
        LifeboatCli slow = localCli(repo).env("LIFEBOAT_COMPRESSION_LEVEL", "19");
        ExecutorService threads = Executors.newFixedThreadPool(2);
        List<LifeboatCli.Result> backups = new ArrayList<>();
        List<String> newIds = new ArrayList<>();
        List<LifeboatCli.Result> prunes = new ArrayList<>();
        java.util.concurrent.atomic.AtomicBoolean backupsDone = new java.util.concurrent.atomic.AtomicBoolean();
        try {
            Future<?> backupThread = threads.submit(() -> {
                try {
                    for (int i = 1; i <= 3; i++) {
                        changeSome(20 + i);
                        LifeboatCli.Result r = slow.run("backup", "--json");
                        backups.add(r);
                        if (r.exitCode() == 0) {
                            newIds.add(JSON.readTree(r.stdout()).get("id").asText());
                        }
                    }
                } finally {
                    backupsDone.set(true);
                }
                return null;
            });
            Future<?> pruneThread = threads.submit(() -> {
                while ((prunes.size() < 3 || !backupsDone.get()) && prunes.size() < 20) {
                    awaitTrue(() -> backupsDone.get() || hasSharedLock(repo), Duration.ofMinutes(2));
                    // As aggressive as a policy gets: only the newest complete backup survives.
                    prunes.add(cli.run("prune", "--keep-last", "1", "--keep-within", "0", "--minimum-keep", "1"));
                }
                return null;
            });
            backupThread.get(5, TimeUnit.MINUTES);
            pruneThread.get(5, TimeUnit.MINUTES);
        } finally {
            threads.shutdownNow();
        }
        assertThat(backups).hasSize(3).allSatisfy(r -> assertThat(r.exitCode()).as(describe(r)).isZero());
        assertThat(prunes).hasSizeGreaterThanOrEqualTo(3)
                .allSatisfy(r -> assertThat(r.exitCode()).as(describe(r)).isZero());
        assertThat(prunes).anySatisfy(r -> assertThat(r.stdout()).containsPattern("Removed [1-9]\\d* backups"));
        List<LifeboatCli.Result> all = new ArrayList<>(backups);
        all.addAll(prunes);
        assertThat(all).as("commands that found the other's lock and waited for it")
                .anySatisfy(r -> assertThat(r.stderr()).contains("waiting up to 300 s"));
        SortedMap<String, String> latestRows = pg.tableRows(SRC);

        List<String> ids = listIds(cli);
        assertThat(ids).isNotEmpty();
        LifeboatCli.Result verified = cli.run("verify", "--all", "--read-data").expectSuccess();
        for (String id : ids) {
            assertThat(verified.stdout()).contains(id + ": verified (read-data)");
        }
        Set<String> referenced = new HashSet<>();
        for (String id : ids) {
            referenced.addAll(manifestChunks(repo, id));
        }
        assertThat(chunkIds(repo)).as("every chunk file is referenced, every reference has its file")
                .isEqualTo(referenced);
        assertThat(filesUnder(repo.resolve("locks"))).isEmpty();
        // The newest backup by its id: 'latest' resolves to the greatest id, and two ids of the same second do not
        // sort by start time.
        String newest = newIds.get(newIds.size() - 1);
        assertThat(ids).contains(newest);
        restoreAndCompare(cli, newest, "prune_conc_newest", latestRows);
    }

    @Test
    void aLiveConflictingLockIsWaitedForThenRefusedWithExit8() throws Exception {
        Path repo = work.resolve("repo");
        LifeboatCli cli = localCli(repo);
        cli.run("init").expectSuccess();
        Instant now = Instant.now();
        // A prune running on another host: alive as long as its heartbeat is fresh.
        Path foreign = writeLock(repo, "EXCLUSIVE", "prune", "other-host.example", now);

        LifeboatCli.Result refused = cli.env("LIFEBOAT_LOCK_WAIT", "2").run("verify", "--all");
        assertThat(refused.exitCode()).as(describe(refused)).isEqualTo(8);
        assertThat(refused.stderr()).contains("waiting up to 2 s")
                .contains("locked by prune on host other-host.example (pid 4242")
                .contains("Try: ");
        LifeboatCli.Result pruneRefused = cli.env("LIFEBOAT_LOCK_WAIT", "0").run("prune");
        assertThat(pruneRefused.exitCode()).as(describe(pruneRefused)).isEqualTo(8);
        assertThat(Files.exists(foreign)).as("a live lock is not broken").isTrue();

        // A waiting command proceeds as soon as the lock goes away.
        Path err = work.resolve("waiting.err");
        Process waiting = cli.env("LIFEBOAT_LOCK_WAIT", "60").command("verify", "--all")
                .redirectOutput(ProcessBuilder.Redirect.DISCARD).redirectError(err.toFile()).start();
        try {
            awaitTrue(() -> Files.exists(err) && read(err).contains("waiting up to 60 s"), Duration.ofSeconds(30));
            Files.delete(foreign);
            assertThat(waiting.waitFor(30, TimeUnit.SECONDS)).as("verify finished after the lock went away").isTrue();
            assertThat(waiting.exitValue()).as(read(err)).isZero();
        } finally {
            kill(waiting);
        }

        // A shared lock of another host lets verify (shared) through but stops prune (exclusive).
        Path shared = writeLock(repo, "SHARED", "backup 20990101T000000Z-abcdef", "other-host.example", now);
        cli.env("LIFEBOAT_LOCK_WAIT", "0");
        cli.run("verify", "--all").expectSuccess();
        assertThat(cli.run("prune").exitCode()).isEqualTo(8);
        // Its heartbeat 6 minutes old, the same lock is stale: broken, and prune runs.
        Files.delete(shared);
        writeLock(repo, "SHARED", "backup 20990101T000000Z-abcdef", "other-host.example", now.minusSeconds(360));
        LifeboatCli.Result pruned = cli.run("prune").expectSuccess();
        assertThat(pruned.stderr()).contains("breaking stale shared lock").contains("no heartbeat for");
        assertThat(filesUnder(repo.resolve("locks"))).isEmpty();
    }

    // ---- SIGKILL during prune ------------------------------------------------------------------------------

    /**
     * On S3 (s3proxy), where each delete is a request: prune's deletions take long enough to be interrupted at
     * chosen points. A local repository deletes them faster than a test can react.
     */
    @Test
    void pruneKilledWhileDeletingLeavesEveryListedBackupWholeAndTheNextPruneFinishes() throws Exception {
        S3ProxyServer s3 = S3ProxyServer.shared();
        String prefix = "prune-kill-" + UUID.randomUUID();
        Path root = s3.dataDir().resolve(S3ProxyServer.BUCKET).resolve(prefix); // the blobs, as s3proxy stores them
        LifeboatCli cli = new LifeboatCli(work).env("PGPASSWORD", pg.password()).env("DATABASE_URL", srcUrl())
                .env("AWS_ACCESS_KEY_ID", s3.accessKey()).env("AWS_SECRET_ACCESS_KEY", s3.secretKey())
                .env("LIFEBOAT_REPOSITORY", "s3://" + S3ProxyServer.BUCKET + "/" + prefix + "?endpoint=" + s3.endpoint());
        cli.run("init", "--avg-chunk-size", "1").expectSuccess();
        List<String> ids = new ArrayList<>();
        Map<String, SortedMap<String, String>> rows = new LinkedHashMap<>();
        for (int i = 1; i <= 4; i++) {
            changeAll(100 + i); // distinct data: every backup has chunks of its own
            String id = backup(cli);
            ids.add(id);
            if (i >= 3) {
                rows.put(id, pg.tableRows(SRC));
            }
        }
        String[] prune = {"prune", "--keep-within", "0", "--keep-last", "2", "--minimum-keep", "1"};
        JsonNode dry = JSON.readTree(cli.run(concat(prune, new String[] {"--dry-run", "--json"})).expectSuccess().stdout());
        Set<String> keep = new LinkedHashSet<>();
        dry.get("decisions").forEach(d -> {
            if (d.get("keep").asBoolean()) {
                keep.add(d.get("id").asText());
            }
        });
        assertThat(keep).containsExactlyInAnyOrder(ids.get(2), ids.get(3));
        Set<String> keptChunks = new HashSet<>();
        for (String id : keep) {
            keptChunks.addAll(manifestChunks(root, id));
        }
        int chunksAtStart = chunkIds(root).size();
        assertThat(chunksAtStart - keptChunks.size()).as("chunks to delete").isGreaterThanOrEqualTo(12);

        // 1. Killed while deleting manifests: right after the first one went.
        Process first = cli.command(prune).redirectOutput(ProcessBuilder.Redirect.DISCARD)
                .redirectError(ProcessBuilder.Redirect.DISCARD).start();
        killWhen(first, () -> manifestIds(root).size() < ids.size(), Duration.ofSeconds(60));
        assertThat(manifestIds(root)).containsAll(keep);
        everyListedBackupVerifies(cli, keep, true);

        // 2. Killed while deleting chunks: after a few went, with more to go.
        int before = chunkIds(root).size();
        Process second = cli.command(prune).redirectOutput(ProcessBuilder.Redirect.DISCARD)
                .redirectError(ProcessBuilder.Redirect.DISCARD).start();
        killWhen(second, () -> chunkIds(root).size() <= before - 3, Duration.ofSeconds(60));
        Set<String> left = chunkIds(root);
        assertThat(left).as("kept backups' chunks").containsAll(keptChunks);
        assertThat(left.size()).as("unreferenced chunks still there after the second kill").isGreaterThan(keptChunks.size());
        assertThat(manifestIds(root)).containsExactlyInAnyOrderElementsOf(keep);
        everyListedBackupVerifies(cli, keep, false);

        // 3. The next prune finishes the job.
        cli.run(prune).expectSuccess();
        assertThat(chunkIds(root)).as("no unreferenced chunk is left").isEqualTo(keptChunks);
        assertThat(listIds(cli)).containsExactlyInAnyOrderElementsOf(keep);
        for (String id : ids) {
            if (!keep.contains(id)) {
                assertThat(filesUnder(root.resolve("backups").resolve(id))).as("blobs of removed " + id).isEmpty();
            }
        }
        assertThat(filesUnder(root.resolve("locks"))).isEmpty();
        int n = 0;
        for (String id : keep) {
            restoreAndCompare(cli, id, "prune_kill_" + n++, rows.get(id));
        }
    }

    /** verify --all --read-data passes for every listed backup, the kept ones among them, at once. */
    private static void everyListedBackupVerifies(LifeboatCli cli, Set<String> keep, boolean expectBrokenLock)
            throws IOException {
        List<String> listed = listIds(cli);
        assertThat(listed).containsAll(keep);
        long start = System.nanoTime();
        LifeboatCli.Result r = cli.run("verify", "--all", "--read-data").expectSuccess();
        long seconds = TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - start);
        for (String id : listed) {
            assertThat(r.stdout()).contains(id + ": verified (read-data)");
        }
        // The killed prune's exclusive lock must not hold anyone up: its process is gone on this host.
        assertThat(r.stderr()).doesNotContain("waiting up to");
        if (expectBrokenLock) {
            assertThat(r.stderr()).contains("breaking stale exclusive lock of prune").contains("no longer running");
        }
        assertThat(seconds).isLessThan(30);
    }

    // ---- SIGKILL during verify -----------------------------------------------------------------------------

    @Test
    void verifyKilledMidwayChangesNothingButStatusBlobs() throws Exception {
        Path repo = work.resolve("repo");
        LifeboatCli cli = localCli(repo);
        cli.run("init", "--avg-chunk-size", "1").expectSuccess();
        List<String> ids = new ArrayList<>();
        for (int i = 1; i <= 3; i++) {
            changeSome(40 + i);
            ids.add(backup(cli));
        }
        Map<String, String> before = snapshot(repo);

        Process verify = cli.command("verify", "--all", "--read-data").redirectOutput(ProcessBuilder.Redirect.DISCARD)
                .redirectError(ProcessBuilder.Redirect.DISCARD).start();
        killWhen(verify, () -> statusFiles(repo, ids) >= 1, Duration.ofSeconds(60));
        assertThat(statusFiles(repo, ids)).as("killed before it checked every backup").isLessThan(ids.size());

        assertOnlyStatusAndLocksDiffer(before, snapshot(repo), true);
        LifeboatCli.Result r = cli.run("verify", "--all", "--read-data").expectSuccess();
        for (String id : ids) {
            assertThat(r.stdout()).contains(id + ": verified (read-data)");
        }
        assertThat(r.stderr()).doesNotContain("waiting up to");
        Map<String, String> after = snapshot(repo);
        assertOnlyStatusAndLocksDiffer(before, after, false);
        assertThat(statusFiles(repo, ids)).isEqualTo(ids.size());
        JsonNode list = JSON.readTree(cli.run("list", "--json").expectSuccess().stdout());
        assertThat(list).extracting(n -> n.get("status").asText()).containsOnly("verified");
        assertThat(filesUnder(repo.resolve("locks"))).isEmpty();
    }

    private static void assertOnlyStatusAndLocksDiffer(Map<String, String> before, Map<String, String> after,
                                                       boolean deadLockExpected) {
        Pattern allowed = Pattern.compile("backups/[^/]+/(status\\.json|\\.tmp-status\\.json-.*)");
        Map<String, String> a = new TreeMap<>(before);
        Map<String, String> b = new TreeMap<>(after);
        a.keySet().removeIf(k -> allowed.matcher(k).matches());
        b.keySet().removeIf(k -> allowed.matcher(k).matches());
        long locks = b.keySet().stream().filter(k -> k.startsWith("locks/")).count();
        b.keySet().removeIf(k -> k.startsWith("locks/"));
        a.keySet().removeIf(k -> k.startsWith("locks/"));
        assertThat(b).as("every blob but status blobs and locks is unchanged").isEqualTo(a);
        assertThat(locks).isEqualTo(deadLockExpected ? 1 : 0);
        after.forEach((name, hash) -> {
            if (name.endsWith("/status.json")) {
                assertThat(hash).as(name + " is whole JSON").isNotEqualTo("unreadable");
            }
        });
    }

    // ---- helpers -------------------------------------------------------------------------------------------

    private static String srcUrl() {
        return "postgres://" + pg.superuser() + "@127.0.0.1:" + pg.port() + "/" + SRC;
    }

    private LifeboatCli localCli(Path repo) {
        return new LifeboatCli(work).env("LIFEBOAT_REPOSITORY", repo.toString()).env("PGPASSWORD", pg.password())
                .env("DATABASE_URL", srcUrl());
    }

    /** Rewrites a block of 3000 rows: the backups before and after share most chunks, not all. */
    private static void changeSome(int seed) {
        int start = 1 + (seed * 37_003) % 110_000;
        pg.psql(SRC, "update t set v = md5(v || '" + seed + "') || md5(v) where g between " + start + " and "
                + (start + 3000));
    }

    /** Rewrites every row: the next backup shares no chunk with the earlier ones. */
    private static void changeAll(int seed) {
        pg.psql(SRC, "update t set v = md5(v || '" + seed + "') || md5(v)");
    }

    private static String backup(LifeboatCli cli) throws IOException {
        return JSON.readTree(cli.run("backup", "--json").expectSuccess().stdout()).get("id").asText();
    }

    private static List<String> listIds(LifeboatCli cli) throws IOException {
        List<String> ids = new ArrayList<>();
        JSON.readTree(cli.run("list", "--json").expectSuccess().stdout()).forEach(n -> ids.add(n.get("id").asText()));
        return ids;
    }

    private void restoreAndCompare(LifeboatCli cli, String id, String target, SortedMap<String, String> expected) {
        pg.dropDatabase(target);
        try {
            cli.run("restore", id, "--to", "postgres://" + pg.superuser() + "@127.0.0.1:" + pg.port() + "/" + target,
                    "--create", "--yes").expectSuccess();
            assertThat(pg.tableRows(target)).as("restored " + id).isEqualTo(expected);
        } finally {
            pg.dropDatabase(target);
        }
    }

    /** A pattern for one row of prune's table: id, decision, reasons. */
    private static String row(String id, String decision, String reasons) {
        return "(?m)^" + Pattern.quote(id) + "\\s+" + decision + "\\s+" + Pattern.quote(reasons) + "\\s*$";
    }

    private static String[] concat(String[] a, String[] b) {
        String[] out = new String[a.length + b.length];
        System.arraycopy(a, 0, out, 0, a.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    private static Set<String> union(List<String> a, List<String> b) {
        Set<String> out = new HashSet<>(a);
        out.addAll(b);
        return out;
    }

    private static Path manifestFile(Path root, String id) {
        return root.resolve("backups").resolve(id).resolve("manifest.json");
    }

    private static List<String> manifestChunks(Path root, String id) throws IOException {
        List<String> chunks = new ArrayList<>();
        for (JsonNode a : JSON.readTree(manifestFile(root, id).toFile()).get("artifacts")) {
            a.get("chunks").forEach(c -> chunks.add(c.get("id").asText()));
        }
        return chunks;
    }

    /**
     * Ids of the chunks stored: the names of chunk blobs (not the storage's hidden temporary files) and the chunks
     * the pack indexes list, read while a process may delete them.
     */
    private static Set<String> chunkIds(Path root) {
        Set<String> out = new HashSet<>();
        for (String name : filesUnder(root.resolve("chunks"))) {
            String file = name.substring(name.lastIndexOf('/') + 1);
            if (!file.startsWith(".")) {
                out.add(file);
            }
        }
        for (String name : filesUnder(root.resolve("index"))) {
            if (name.substring(name.lastIndexOf('/') + 1).startsWith(".")) {
                continue;
            }
            try {
                JSON.readTree(root.resolve("index").resolve(name.substring(name.lastIndexOf('/') + 1)).toFile())
                        .path("chunks").forEach(c -> out.add(c.path("id").asText()));
            } catch (IOException gone) {
                // deleted by a prune since it was listed
            }
        }
        return out;
    }

    private static Set<String> manifestIds(Path root) {
        Set<String> out = new HashSet<>();
        for (String name : filesUnder(root.resolve("backups"))) {
            if (name.endsWith("/manifest.json")) {
                out.add(name.substring(0, name.indexOf('/')));
            }
        }
        return out;
    }

    private static int statusFiles(Path repo, List<String> ids) {
        return (int) ids.stream().filter(id -> Files.exists(repo.resolve("backups").resolve(id).resolve("status.json")))
                .count();
    }

    /** Relative names of the files under a folder; tolerates files and folders vanishing during the walk. */
    private static List<String> filesUnder(Path dir) {
        List<String> out = new ArrayList<>();
        if (!Files.isDirectory(dir)) {
            return out;
        }
        try {
            Files.walkFileTree(dir, new SimpleFileVisitor<>() {
                @Override
                public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) {
                    if (attrs.isRegularFile()) {
                        out.add(dir.relativize(file).toString());
                    }
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult visitFileFailed(Path file, IOException e) {
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult postVisitDirectory(Path d, IOException e) {
                    return FileVisitResult.CONTINUE;
                }
            });
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out;
    }

    /** Every file of the repository with the SHA-256 of its content ("unreadable" for status blobs that are not JSON). */
    private static Map<String, String> snapshot(Path repo) throws IOException {
        Map<String, String> out = new TreeMap<>();
        for (String name : filesUnder(repo)) {
            byte[] content = Files.readAllBytes(repo.resolve(name));
            if (name.endsWith("/status.json")) {
                try {
                    JSON.readTree(content);
                } catch (IOException e) {
                    out.put(name, "unreadable");
                    continue;
                }
            }
            try {
                out.put(name, HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(content)));
            } catch (java.security.NoSuchAlgorithmException e) {
                throw new IllegalStateException(e);
            }
        }
        return out;
    }

    /** Whether a process, a backup, holds a shared lock on the repository now. */
    private static boolean hasSharedLock(Path repo) {
        for (String name : filesUnder(repo.resolve("locks"))) {
            if (read(repo.resolve("locks").resolve(name)).contains("SHARED")) {
                return true;
            }
        }
        return false;
    }

    private static Path writeLock(Path repo, String kind, String purpose, String host, Instant heartbeat)
            throws IOException {
        String id = UUID.randomUUID().toString();
        Map<String, Object> lock = new LinkedHashMap<>();
        lock.put("id", id);
        lock.put("kind", kind);
        lock.put("purpose", purpose);
        lock.put("host", host);
        lock.put("pid", 4242);
        lock.put("created", heartbeat.toString());
        lock.put("heartbeat", heartbeat.toString());
        Path file = repo.resolve("locks").resolve(id + ".json");
        Files.createDirectories(file.getParent());
        Files.write(file, JSON.writeValueAsBytes(lock));
        // A lock blob is rewritten at each heartbeat: its file time is its last heartbeat, by the storage's clock
        Files.setLastModifiedTime(file, java.nio.file.attribute.FileTime.from(heartbeat));
        return file;
    }

    /**
     * Waits until {@code condition} holds while the process runs, then SIGKILLs it (and its children) and checks
     * that it was the kill that ended it, not a normal exit just before.
     */
    private static void killWhen(Process process, BooleanSupplier condition, Duration timeout) throws Exception {
        Instant deadline = Instant.now().plus(timeout);
        try {
            while (!condition.getAsBoolean() && process.isAlive() && Instant.now().isBefore(deadline)) {
                Thread.sleep(2);
            }
            assertThat(process.isAlive()).as("still running when the condition was met").isTrue();
            assertThat(condition.getAsBoolean()).as("condition met in time").isTrue();
        } finally {
            kill(process);
        }
        assertThat(process.exitValue()).as("ended by SIGKILL").isEqualTo(SIGKILLED);
    }

    private static void kill(Process process) throws InterruptedException {
        process.toHandle().descendants().forEach(ProcessHandle::destroyForcibly);
        process.destroyForcibly();
        process.waitFor();
    }

    private static void awaitTrue(BooleanSupplier condition, Duration timeout) throws InterruptedException {
        Instant deadline = Instant.now().plus(timeout);
        while (!condition.getAsBoolean()) {
            assertThat(Instant.now()).as("condition within " + timeout).isBefore(deadline);
            Thread.sleep(50);
        }
    }

    private static String read(Path file) {
        try {
            return Files.readString(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "";
        }
    }

    private static String describe(LifeboatCli.Result r) {
        return "exit code; stdout:\n" + r.stdout() + "\nstderr:\n" + r.stderr();
    }
}
