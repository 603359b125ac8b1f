package dev.lifeboat.engine;

import dev.lifeboat.source.postgres.TableInfo;
import dev.lifeboat.core.ErrorCode;
import dev.lifeboat.core.LifeboatException;
import dev.lifeboat.source.Restorer;
import dev.lifeboat.source.SourceContext;
import dev.lifeboat.source.SourceSpec;
import dev.lifeboat.source.Sources;
import dev.lifeboat.source.postgres.PgConnection;
import dev.lifeboat.source.postgres.PgRecord;
import dev.lifeboat.source.postgres.PgTools;
import dev.lifeboat.source.postgres.PostgresRestore;
import dev.lifeboat.repository.Artifact;
import dev.lifeboat.repository.ArtifactReader;
import dev.lifeboat.repository.BackupEntry;
import dev.lifeboat.repository.BackupStatus;
import dev.lifeboat.repository.ChunkIndex;
import dev.lifeboat.repository.ChunkLists;
import dev.lifeboat.repository.ChunkRef;
import dev.lifeboat.repository.CorruptChunkException;
import dev.lifeboat.repository.Json;
import dev.lifeboat.repository.Keys;
import dev.lifeboat.repository.Manifest;
import dev.lifeboat.repository.Repository;
import dev.lifeboat.repository.RepositoryLock;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.NoSuchFileException;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;

/**
 * Verifies backups, from cheap to thorough: every chunk a manifest names exists with its recorded size;
 * with read-data, every chunk is read and checked against its id, every artifact's SHA-256 recomputed
 * and every dump parsed by {@code pg_restore --list}; a subset reads one deterministic slice of the chunks;
 * a drill restores into a scratch database and compares row counts with those taken at backup time.
 * Each result is recorded beside the backup ({@code status.json}).
 */
public final class VerifyEngine {
    /** One backup's outcome. */
    public record Result(String id, String status, String level, List<String> problems, BackupStatus.Drill drill) {
        public boolean ok() {
            return problems.isEmpty();
        }
    }

    private final Repository repo;
    private final Keys keys;
    private final PgTools tools;
    private final Progress progress;
    private final Clock clock;
    private final Consumer<Result> onResult;

    public VerifyEngine(Repository repo, Keys keys, PgTools tools, Progress progress, Clock clock,
                        Consumer<Result> onResult) {
        this.repo = repo;
        this.keys = keys;
        this.tools = tools;
        this.progress = progress;
        this.clock = clock;
        this.onResult = onResult;
    }

    public List<Result> run(VerifyRequest request) throws IOException, InterruptedException {
        Subset subset = request.subset() == null ? null : Subset.parse(request.subset());
        try (RepositoryLock lock = repo.lock(RepositoryLock.Kind.SHARED, "verify")) {
            List<BackupEntry> entries = select(request);
            ChunkIndex present = new ChunkIndex(); // chunk id -> stored size, compact for millions of chunks
            repo.forEachChunk((id, stored) -> present.put(id, (int) Math.min(Integer.MAX_VALUE, stored)));
            if (subset != null) {
                subset = subset.resolve(repo);
            }
            List<Result> results = new ArrayList<>();
            Map<String, String> sliceChecked = new HashMap<>(); // chunk id -> problem, or "" when whole
            for (BackupEntry e : entries) {
                Result r = verify(e, present, request, subset, sliceChecked);
                if (r.ok() && !r.level().equals("read-data") && !r.level().equals("drill") && e.status() != null) {
                    // A passing cheap check confirms the backup's current status without upgrading it: a corrupt
                    // backup stays corrupt, a read one keeps the level of its read (BackupStatus.statusLevel). One
                    // never checked becomes verified at this level, which list shows as such: verified (exists).
                    r = new Result(r.id(), e.effectiveStatus(), r.level(), r.problems(), r.drill());
                }
                try {
                    repo.recordStatus(e.id(), new BackupStatus(r.status(), clock.instant(), r.level(), r.problems(),
                            r.drill(), null));
                } catch (LifeboatException notRecorded) {
                    // a status blob of a newer format is never overwritten: this backup's result is not kept, the
                    // others still are
                    List<String> problems = new ArrayList<>(r.problems());
                    problems.add(notRecorded.getMessage() + "; this result was not recorded");
                    r = new Result(r.id(), r.status(), r.level(), problems, r.drill());
                }
                results.add(r);
                onResult.accept(r);
            }
            if (subset != null) {
                subset.advance(repo);
            }
            return results;
        }
    }

    /** The backups asked for; reading only their manifests unless all are. */
    private List<BackupEntry> select(VerifyRequest request) throws IOException {
        if (request.all()) {
            return repo.entries();
        }
        if (request.backupIds().isEmpty()) {
            throw new LifeboatException(ErrorCode.USAGE, "no backup to verify", "give an id, 'latest', or --all");
        }
        List<String> ids = repo.backupIds();
        Set<String> wanted = new LinkedHashSet<>();
        for (String id : request.backupIds()) {
            wanted.add(repo.resolve(id, ids));
        }
        return repo.entries(wanted);
    }

    private Result verify(BackupEntry e, ChunkIndex present, VerifyRequest request, Subset subset,
                          Map<String, String> sliceChecked) throws IOException, InterruptedException {
        List<String> problems = new ArrayList<>();
        if (e.manifest() == null) {
            problems.add(e.manifestError());
            return new Result(e.id(), BackupStatus.CORRUPT, "exists", problems, null);
        }
        Manifest m = e.manifest();
        for (Artifact a : m.artifacts()) {
            try {
                ChunkLists.forEach(repo.storage(), a, c -> {
                    int size = ChunkIndex.isId(c.id()) ? present.get(c.id()) : ChunkIndex.MISSING;
                    if (size == ChunkIndex.MISSING) {
                        problems.add("artifact " + a.name() + ": chunk " + c.id() + " is missing");
                    } else if (size != c.stored()) {
                        problems.add("artifact " + a.name() + ": chunk " + c.id() + " has " + size
                                + " bytes, the manifest says " + c.stored());
                    }
                });
            } catch (LifeboatException ex) { // its chunk list is missing or damaged
                if (ex.code() != ErrorCode.INTEGRITY) {
                    throw ex;
                }
                problems.add(ex.getMessage());
            }
        }
        String level = "exists";
        if (problems.isEmpty() && (request.readData() || request.drill())) {
            requireIdentity();
            level = "read-data";
            java.util.Set<String> readByType = new java.util.HashSet<>();
            for (Manifest.Source s : m.sources()) {
                var type = Sources.recorded(s);
                if (type.isPresent() && type.get().readsItsData()) {
                    readByType.add(s.name());
                }
            }
            for (Artifact a : m.artifacts()) {
                String problem = readByType.contains(a.source()) ? null : readArtifact(m, a);
                if (problem != null) {
                    problems.add(problem);
                }
            }
            for (Manifest.Source s : m.sources()) { // what each type checks beyond the chunks (a tree's files)
                var type = Sources.recorded(s);
                if (type.isEmpty()) {
                    continue;
                }
                try {
                    problems.addAll(type.get().checkData(s, artifactsOf(m, s)));
                } catch (CorruptChunkException | NoSuchFileException ex) {
                    problems.add("source " + s.name() + ": " + ex.getMessage());
                }
            }
        } else if (problems.isEmpty() && subset != null) {
            requireIdentity();
            level = "read-data-subset " + subset;
            ArtifactReader reader = repo.artifactReader(keys);
            for (Artifact a : m.artifacts()) {
                ChunkLists.forEach(repo.storage(), a, c -> {
                    if (!subset.contains(c.id())) {
                        return;
                    }
                    // A chunk shared by several backups is read once per run, and its verdict applies to each.
                    String problem = sliceChecked.get(c.id());
                    if (problem == null) {
                        try {
                            reader.readChunk(c);
                            problem = "";
                        } catch (CorruptChunkException ex) {
                            problem = ex.getMessage();
                        }
                        sliceChecked.put(c.id(), problem);
                    }
                    if (!problem.isEmpty()) {
                        problems.add("artifact " + a.name() + ": " + problem);
                    }
                });
            }
        }
        BackupStatus.Drill drill = null;
        if (problems.isEmpty() && request.drill()) {
            level = "drill";
            drill = drill(m, request);
            problems.addAll(drill.mismatches());
        }
        String status = !problems.isEmpty() ? BackupStatus.CORRUPT : drill != null ? BackupStatus.DRILLED : BackupStatus.VERIFIED;
        return new Result(e.id(), status, level, problems, drill);
    }

    private void requireIdentity() {
        if (repo.config().encrypted() && !keys.canDecrypt()) {
            throw new LifeboatException(ErrorCode.ENCRYPTION, "reading data of encrypted repository "
                    + repo.storage().location() + " needs its identity",
                    "pass --identity FILE or set LIFEBOAT_IDENTITY_FILE; without it, verify checks only that chunks exist");
        }
    }

    /** Streams one artifact through its checks; returns a problem, or null when it is whole. */
    private String readArtifact(Manifest m, Artifact a) throws IOException, InterruptedException {
        PostgresRestore.ArchiveCheck check = null;
        if (a.databaseDump()) {
            String dumpTool = m.sources().stream().filter(s -> s.name().equals(a.source()))
                    .map(s -> PgRecord.of(s).dumpTool()).filter(java.util.Objects::nonNull).findFirst()
                    .orElse("pg_dump 0");
            check = new PostgresRestore(tools).checkArchive(RestoreEngine.majorOf(dumpTool));
        }
        try (InputStream in = progress.track(repo.artifactReader(keys).open(a), "verify " + m.id() + " " + a.name(),
                a.size())) {
            byte[] buf = new byte[1 << 16];
            int n;
            while ((n = in.read(buf)) >= 0) {
                if (check != null) {
                    check.write(buf, 0, n);
                }
            }
            if (check != null && check.finish() == 0) {
                return "artifact " + a.name() + ": pg_restore --list found no entries";
            }
            return null;
        } catch (CorruptChunkException ex) {
            return "artifact " + a.name() + ": " + ex.getMessage();
        } catch (NoSuchFileException ex) {
            return "artifact " + a.name() + ": " + ex.getMessage();
        } catch (IOException ex) {
            if (ex.getMessage() != null && ex.getMessage().contains("SHA-256")) {
                return ex.getMessage();
            }
            throw ex;
        } catch (LifeboatException ex) {
            if (ex.code() == ErrorCode.INTEGRITY) {
                return "artifact " + a.name() + ": " + ex.getMessage();
            }
            throw ex;
        } finally {
            if (check != null) {
                check.close();
            }
        }
    }

    private Restorer.Artifacts artifactsOf(Manifest full, Manifest.Source s) {
        ArtifactReader reader = repo.artifactReader(keys);
        return Restorer.Artifacts.of(full.artifacts().stream().filter(a -> s.name().equals(a.source())).toList(),
                a -> progress.track(reader.open(a), "verify " + full.id() + " " + a.name(), a.size()));
    }

    /** The drills of sources that need no server (a tree into a scratch folder), by source name. */
    private Map<String, BackupStatus.SourceDrill> ownDrills(Manifest full, List<SourceSpec> configured)
            throws IOException, InterruptedException {
        Map<String, BackupStatus.SourceDrill> out = new java.util.LinkedHashMap<>();
        SourceContext context = new SourceContext(System.getenv(), x -> {}, Map.of(PgTools.class, tools));
        for (Manifest.Source s : full.sources()) {
            var type = Sources.recorded(s);
            if (type.isEmpty()) {
                continue;
            }
            java.nio.file.Path scratch = java.nio.file.Files.createTempDirectory("lifeboat-drill-",
                    java.nio.file.attribute.PosixFilePermissions.asFileAttribute(
                            java.nio.file.attribute.PosixFilePermissions.fromString("rwx------")));
            long began = System.nanoTime();
            dev.lifeboat.source.SourceType.Drilled found;
            try {
                SourceSpec spec = configured.stream().filter(c -> c.name().equals(s.name())).findFirst().orElse(null);
                found = type.get().drill(s, artifactsOf(full, s), scratch.resolve(s.name()), spec, context);
            } catch (LifeboatException ex) {
                found = new dev.lifeboat.source.SourceType.Drilled(Map.of(),
                        List.of("drill: source " + s.name() + ": " + ex.getMessage()));
            } finally {
                deleteTree(scratch);
            }
            if (found != null) {
                out.put(s.name(), new BackupStatus.SourceDrill(s.name(), s.type(), (System.nanoTime() - began) / 1e9,
                        found.compared(), found.mismatches()));
            }
        }
        return out;
    }

    /** The drill record: each source's in the manifest's order, and all their mismatches. */
    private static BackupStatus.Drill record(Manifest m, String scratchDatabase, double seconds, int tablesChecked,
                                             String queryResult, Map<String, BackupStatus.SourceDrill> bySource) {
        List<BackupStatus.SourceDrill> sources = new ArrayList<>();
        List<String> mismatches = new ArrayList<>();
        for (Manifest.Source s : m.sources()) {
            BackupStatus.SourceDrill d = bySource.get(s.name());
            if (d != null) {
                sources.add(d);
                mismatches.addAll(d.mismatches());
            }
        }
        return new BackupStatus.Drill(scratchDatabase, seconds, tablesChecked, mismatches, queryResult, sources);
    }

    private static void deleteTree(java.nio.file.Path p) throws IOException {
        try (var walk = java.nio.file.Files.walk(p)) {
            for (java.nio.file.Path x : walk.sorted(java.util.Comparator.reverseOrder()).toList()) {
                java.nio.file.Files.deleteIfExists(x);
            }
        }
    }

    private BackupStatus.Drill drill(Manifest m, VerifyRequest request) throws IOException, InterruptedException {
        long began = System.nanoTime();
        Map<String, BackupStatus.SourceDrill> bySource = ownDrills(m, request.configured());
        if (m.databaseDumps().isEmpty()) { // no database: no scratch server needed
            return record(m, null, (System.nanoTime() - began) / 1e9, 0, null, bySource);
        }
        String serverSpec = request.scratch();
        if (serverSpec == null) {
            // Never the server the manifest names: the repository is not trusted, and a forged address would
            // receive the caller's password (PGPASSWORD, ~/.pgpass). The manifest's address is for people only.
            String recorded = m.sources().stream().map(s -> s.text("conninfo"))
                    .filter(c -> c != null && !c.isBlank()).findFirst().orElse(null);
            throw new LifeboatException(ErrorCode.USAGE, "a drill of backup " + m.id() + " needs a server to restore "
                    + "into, given here: Lifeboat never connects to an address read from the repository"
                    + (recorded == null ? "" : " (the backup was taken at " + PgConnection.parse(recorded) + ")"),
                    "pass --scratch postgres://user@host:5432/postgres, or set --db / DATABASE_URL");
        }
        PgConnection server = PgConnection.parse(serverSpec);
        PostgresRestore restore = new PostgresRestore(tools);
        int checked = 0;
        String queryResult = null;
        String scratchName = null;
        long start = System.nanoTime();
        for (Artifact a : m.databaseDumps()) {
            long began1 = System.nanoTime();
            List<String> mine = new ArrayList<>();
            int matched = 0;
            long rows = 0;
            Manifest.Source recordedSource = m.sources().stream().filter(s -> s.name().equals(a.source())).findFirst()
                    .orElseThrow(() -> new LifeboatException(ErrorCode.INTEGRITY, "backup " + m.id() + ": its dump "
                            + a.name() + " names source '" + a.source() + "', which its manifest does not list",
                            "restore " + Manifest.blobName(m.id()) + " from a replica; other backups are unaffected"));
            PgRecord source = PgRecord.of(recordedSource);
            scratchName = "lifeboat_drill_" + m.id().substring(0, 15).toLowerCase() + "_"
                    + Integer.toHexString(new SecureRandom().nextInt(1 << 20));
            PgConnection scratch = server.withDatabase(scratchName);
            PostgresRestore.TargetState state = restore.inspect(scratch, List.of());
            restore.createDatabase(scratch, source);
            try {
                ArtifactReader reader = repo.artifactReader(keys);
                try {
                    restore.restore(scratch, () -> reader.open(a), List.of(), state.serverMajor(),
                            RestoreEngine.majorOf(source.dumpTool()), request.privileges());
                } catch (LifeboatException e) {
                    // the scratch server's own shortcomings (a missing role, an extension) are named with the fix
                    throw RestoreEngine.explain(new LifeboatException(e.code(), "drill of backup " + m.id()
                            + " on " + server + ": " + e.getMessage(), e.hint(), e), m, true);
                }
                Map<String, Long> counts = restore.countRows(scratch, source.tables());
                for (TableInfo t : source.tables()) {
                    long found = counts.get(t.qualifiedName());
                    if (found != t.rows()) {
                        mine.add("drill: table " + t.qualifiedName() + " of " + recordedSource.name() + ": expected "
                                + t.rows() + " rows, found " + (found < 0 ? "no table" : found));
                    } else {
                        matched++;
                        rows += found;
                    }
                }
                if (request.drillQuery() != null && !request.drillQuery().isBlank()) {
                    try {
                        queryResult = restore.checkQuery(scratch, request.drillQuery());
                    } catch (LifeboatException ex) {
                        mine.add("drill: check query failed on " + recordedSource.name() + ": " + ex.getMessage());
                    }
                }
            } finally {
                restore.dropDatabase(scratch);
            }
            checked += matched;
            Map<String, Long> compared = new java.util.LinkedHashMap<>();
            compared.put("tables", (long) matched);
            compared.put("rows", rows);
            bySource.put(recordedSource.name(), new BackupStatus.SourceDrill(recordedSource.name(),
                    recordedSource.type(), (System.nanoTime() - began1) / 1e9, compared, mine));
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        return record(m, scratchName, seconds, checked, queryResult, bySource);
    }

    /** A deterministic slice of the chunks: those whose id, as a number, is {@code k-1} modulo {@code n}. */
    record Subset(int k, int n, boolean rotating) {
        static Subset parse(String spec) {
            String s = spec.trim();
            try {
                if (s.endsWith("%")) {
                    double p = Double.parseDouble(s.substring(0, s.length() - 1));
                    if (p <= 0 || p > 100) {
                        throw new NumberFormatException();
                    }
                    return new Subset(0, (int) Math.max(1, Math.round(100 / p)), true);
                }
                String[] kn = s.split("/");
                int k = Integer.parseInt(kn[0]);
                int n = Integer.parseInt(kn[1]);
                if (kn.length != 2 || n < 1 || k < 1 || k > n) {
                    throw new NumberFormatException();
                }
                return new Subset(k, n, false);
            } catch (RuntimeException e) {
                throw new LifeboatException(ErrorCode.USAGE, "--read-data-subset must be k/n (1 <= k <= n) or a "
                        + "percentage such as 10%, not '" + spec + "'", "e.g. --read-data-subset 10% reads a tenth "
                        + "of the chunks, another tenth on each run");
            }
        }

        /** A rotating subset takes the next slice recorded in the repository. */
        Subset resolve(Repository repo) throws IOException {
            if (!rotating) {
                return this;
            }
            int next = 1;
            try {
                next = Json.MAPPER.readTree(repo.storage().readAllBytes(cursorBlob())).path("next").asInt(1);
            } catch (NoSuchFileException ignored) {
                // first run
            } catch (IOException garbage) {
                next = 1;
            }
            return new Subset(Math.min(Math.max(next, 1), n), n, true);
        }

        void advance(Repository repo) throws IOException {
            if (rotating) {
                repo.storage().write(cursorBlob(), Json.MAPPER.writeValueAsBytes(
                        Map.of("n", n, "next", k % n + 1, "updated", Instant.now().toString())));
            }
        }

        private String cursorBlob() {
            return "verify/subset-" + n + ".json";
        }

        boolean contains(String chunkId) {
            return Long.remainderUnsigned(Long.parseUnsignedLong(chunkId.substring(0, 16), 16), n) == k - 1;
        }

        @Override
        public String toString() {
            return k + "/" + n;
        }
    }
}
