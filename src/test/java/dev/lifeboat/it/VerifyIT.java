package dev.lifeboat.it;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.lifeboat.testing.LifeboatCli;
import dev.lifeboat.testing.StoredChunk;
import dev.lifeboat.testing.PgCluster;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code lifeboat verify} through the packaged CLI, on a plain and an encrypted repository: a clean repository
 * verifies, every kind of damage (altered, truncated and missing chunk, garbage manifest, wrong identity) is found
 * and named precisely without touching the verdict on the other backups, rotating and fixed read-data subsets
 * cover what they say, and a restore drill restores, checks and drops its scratch database.
 */
class VerifyIT {
    private static final ObjectMapper JSON = new ObjectMapper();
    /** One result line of verify's human output: {@code ID: status (level)[, drill details]}. */
    private static final Pattern RESULT = Pattern.compile("(\\d{8}T\\d{6}Z-[0-9a-f]{6}): (\\w+) \\(([^)]*)\\)(.*)");

    @TempDir
    Path work;

    private PgCluster pg;
    private LifeboatCli cli;
    private Path repo;
    private String db;
    private String artifact;
    private List<String> ids;
    /** Each backup's chunk ids, in stream order, read from its manifest. */
    private Map<String, List<String>> chunksOf;

    @ParameterizedTest(name = "encrypted={0}")
    @ValueSource(booleans = {false, true})
    void verifyFindsAndNamesEveryDamageAndDrills(boolean encrypted) throws Exception {
        setUp(encrypted);
        try {
            cleanRepositoryVerifies();
            missingChunkIsFoundWithoutReadingData();
            alteredChunkIsFoundByReadData();
            truncatedChunkIsFound();
            garbageManifestIsListedAsCorruptAndTheOthersPass();
            // every blob is back: a full read finds nothing and clears the damage the earlier checks recorded
            LifeboatCli.Result clean = cli.run("verify", "--all", "--read-data");
            assertThat(clean.exitCode()).as(describe(clean)).isZero();
            assertThat(statuses().values()).containsOnly("verified");
            if (encrypted) {
                identityIsRequiredForDataAndMustBeTheRightOne();
            }
            subsetsCoverWhatTheySay();
            drillRestoresChecksAndDropsItsScratchDatabase();
        } finally {
            pg.dropDatabase(db);
        }
    }

    // ---- setup ---------------------------------------------------------------------------------------------

    private void setUp(boolean encrypted) throws Exception {
        pg = PgCluster.shared();
        db = encrypted ? "verify_enc" : "verify_plain";
        artifact = db + ".dump";
        pg.dropDatabase(db);
        pg.createDatabase(db);
        // About 9 MB of dump: 8 or so chunks of 1 MiB on average.
        pg.psql(db, "create table t as select g, md5(g::text) || md5((g * 7)::text) as v "
                + "from generate_series(1, 120000) g");
        repo = work.resolve("repo");
        cli = new LifeboatCli(work).env("LIFEBOAT_REPOSITORY", repo.toString()).env("PGPASSWORD", pg.password())
                .env("DATABASE_URL", "postgres://" + pg.superuser() + "@127.0.0.1:" + pg.port() + "/" + db);
        if (encrypted) {
            Path identity = work.resolve("identity.txt");
            String recipient = cli.run("keygen", "-o", identity.toString()).expectSuccess().stdout().trim();
            cli.run("init", "--avg-chunk-size", "1", "--recipient", recipient).expectSuccess();
            cli.env("LIFEBOAT_IDENTITY_FILE", identity.toString());
        } else {
            cli.run("init", "--avg-chunk-size", "1").expectSuccess();
        }
        String b1 = backup();
        // Each change rewrites rows 1-3000 (an update moves them to the end of the table, and of the dump) and
        // changes another region, so that every backup has chunks of its own and shares the others. The dump's
        // header is no help: it holds the time in seconds, and two backups may start within the same second.
        pg.psql(db, "update t set v = 'changed ' || g where g <= 3000;"
                + " insert into t select g, md5(g::text) from generate_series(120001, 130000) g");
        String b2 = backup();
        pg.psql(db, "update t set v = 'changed again ' || g where g <= 3000;"
                + " delete from t where g between 50000 and 52000");
        String b3 = backup();
        ids = List.of(b1, b2, b3);
        chunksOf = new LinkedHashMap<>();
        for (String id : ids) {
            chunksOf.put(id, manifestChunks(id));
        }
        for (String id : ids) {
            assertThat(chunksOf.get(id)).as("chunks of " + id).hasSizeGreaterThanOrEqualTo(5);
            assertThat(uniqueChunks(id)).as("chunks only " + id + " references").isNotEmpty();
        }
    }

    private String backup() throws IOException {
        return JSON.readTree(cli.run("backup", "--json").expectSuccess().stdout()).get("id").asText();
    }

    // ---- the scenarios -------------------------------------------------------------------------------------

    private void cleanRepositoryVerifies() throws IOException {
        LifeboatCli.Result r = cli.run("verify", "--all", "--read-data").expectSuccess();
        Map<String, Line> lines = parse(r.stdout());
        assertThat(lines.keySet()).containsExactlyInAnyOrderElementsOf(ids);
        lines.values().forEach(line -> {
            assertThat(line.status()).isEqualTo("verified");
            assertThat(line.level()).isEqualTo("read-data");
            assertThat(line.problems()).isEmpty();
        });
        assertThat(statuses()).containsOnlyKeys(ids).allSatisfy((id, status) -> assertThat(status).isEqualTo("verified"));
        JsonNode shown = JSON.readTree(cli.run("show", ids.get(1), "--json").expectSuccess().stdout());
        JsonNode verification = shown.get("verification");
        assertThat(verification.isObject()).as("show --json has a verification object: " + shown).isTrue();
        assertThat(verification.get("status").asText()).isEqualTo("verified");
        assertThat(verification.get("level").asText()).isEqualTo("read-data");
        assertThat(verification.get("problems")).isEmpty();
        assertThat(verification.get("checked").asText()).isNotBlank();
    }

    private void missingChunkIsFoundWithoutReadingData() throws IOException {
        String victim = ids.get(0);
        String chunk = uniqueChunks(victim).get(0);
        StoredChunk blob = chunkFile(chunk);
        byte[] original = blob.read();
        blob.delete();

        LifeboatCli.Result r = cli.run("verify", "--all"); // existence only: no data is read
        assertOnlyVictimCorrupt(r, victim, chunk, "is missing", "exists");

        blob.write(original);
    }

    private void alteredChunkIsFoundByReadData() throws IOException {
        String victim = ids.get(1);
        String chunk = uniqueChunks(victim).get(0);
        StoredChunk blob = chunkFile(chunk);
        byte[] original = blob.read();
        byte[] flipped = original.clone();
        flipped[flipped.length / 2] ^= 0x01; // same size: only reading the data can tell
        blob.write(flipped);

        // an existence check cannot see a flipped byte; the backup the last check found corrupt (its chunk is back
        // now) stays recorded so, and the run fails for it: a cheap check never makes a damaged backup look good
        List<String> earlier = statuses().entrySet().stream().filter(e -> e.getValue().equals("corrupt"))
                .map(Map.Entry::getKey).toList();
        assertThat(earlier).hasSize(1).doesNotContain(victim);
        LifeboatCli.Result cheap = cli.run("verify", "--all");
        assertThat(cheap.exitCode()).as(describe(cheap)).isEqualTo(10);
        assertThat(cheap.stderr()).contains("1 of 3 backups are still recorded as corrupt").contains(earlier.get(0))
                .contains("verify --read-data " + earlier.get(0));
        assertThat(cheap.stdout()).contains(earlier.get(0) + ": corrupt (").contains("an earlier check found damage");
        assertThat(parse(cheap.stdout()).get(victim).status()).as("the flip is not seen").isEqualTo("verified");
        LifeboatCli.Result r = cli.run("verify", "--all", "--read-data");
        assertOnlyVictimCorrupt(r, victim, chunk, null, "read-data");

        blob.write(original);
    }

    private void truncatedChunkIsFound() throws IOException {
        String victim = ids.get(2);
        List<String> own = uniqueChunks(victim);
        String chunk = own.get(own.size() - 1);
        StoredChunk blob = chunkFile(chunk);
        byte[] original = blob.read();
        blob.write(java.util.Arrays.copyOf(original, original.length / 2));

        LifeboatCli.Result r = cli.run("verify", "--all", "--read-data");
        assertOnlyVictimCorrupt(r, victim, chunk, null, null);
        assertThat(parse(r.stdout()).get(victim).problems().get(0)).contains(Integer.toString(original.length / 2));

        blob.write(original);
    }

    private void garbageManifestIsListedAsCorruptAndTheOthersPass() throws IOException {
        String victim = ids.get(1);
        Path manifest = repo.resolve("backups").resolve(victim).resolve("manifest.json");
        byte[] original = Files.readAllBytes(manifest);
        Files.writeString(manifest, "{ this is not a manifest \u0000\u0001");

        JsonNode list = JSON.readTree(cli.run("list", "--json").expectSuccess().stdout());
        assertThat(list).hasSize(3);
        for (JsonNode row : list) {
            if (row.get("id").asText().equals(victim)) {
                assertThat(row.get("status").asText()).isEqualTo("corrupt");
                assertThat(row.get("error").asText()).contains(victim).contains("manifest.json");
            } else {
                assertThat(row.get("started")).as("the others are listed in full").isNotNull();
            }
        }

        LifeboatCli.Result r = cli.run("verify", "--all", "--read-data");
        assertThat(r.exitCode()).as(describe(r)).isEqualTo(10);
        Map<String, Line> lines = parse(r.stdout());
        assertThat(lines.keySet()).containsExactlyInAnyOrderElementsOf(ids);
        assertThat(lines.get(victim).status()).isEqualTo("corrupt");
        assertThat(lines.get(victim).problems()).singleElement().asString().contains("not valid JSON").contains("manifest.json");
        for (String other : others(victim)) {
            assertThat(lines.get(other).status()).as(other).isEqualTo("verified");
            assertThat(lines.get(other).level()).as(other).isEqualTo("read-data");
        }
        assertThat(r.stderr()).startsWith("Error: ").contains("1 of 3 backups").contains(victim).contains("manifest.json");
        assertThat(statuses()).containsEntry(victim, "corrupt").containsEntry(ids.get(0), "verified")
                .containsEntry(ids.get(2), "verified");

        Files.write(manifest, original);
    }

    private void identityIsRequiredForDataAndMustBeTheRightOne() throws IOException {
        Path right = work.resolve("identity.txt");
        Path wrong = work.resolve("wrong-identity.txt");
        cli.run("keygen", "-o", wrong.toString()).expectSuccess();
        Map<String, String> before = statuses();

        cli.env("LIFEBOAT_IDENTITY_FILE", wrong.toString());
        LifeboatCli.Result r = cli.run("verify", "--all", "--read-data");
        assertThat(r.exitCode()).as(describe(r)).isEqualTo(7);
        assertThat(r.stderr()).startsWith("Error: ").contains("does not open").contains("Try: ");

        cli.env("LIFEBOAT_IDENTITY_FILE", null);
        r = cli.run("verify", "--all", "--read-data");
        assertThat(r.exitCode()).as(describe(r)).isEqualTo(7);
        assertThat(r.stderr()).contains("needs its identity").contains("LIFEBOAT_IDENTITY_FILE");
        // Without an identity, the existence check still works.
        assertThat(cli.run("verify", "--all").exitCode()).isZero();

        cli.env("LIFEBOAT_IDENTITY_FILE", right.toString());
        assertThat(statuses()).as("a refused identity marks nothing corrupt").isEqualTo(before);
    }

    private void subsetsCoverWhatTheySay() throws IOException {
        // One chunk in each half of the 50% split: slice k of n holds the ids whose first 64 bits are k-1 mod n.
        Set<String> all = new LinkedHashSet<>();
        chunksOf.values().forEach(all::addAll);
        String first = all.stream().filter(c -> slice(c, 2) == 1).findFirst().orElseThrow();
        String second = all.stream().filter(c -> slice(c, 2) == 2).findFirst().orElseThrow();
        Map<StoredChunk, byte[]> originals = new LinkedHashMap<>();
        for (String chunk : List.of(first, second)) {
            StoredChunk blob = chunkFile(chunk);
            byte[] bytes = blob.read();
            originals.put(blob, bytes);
            byte[] flipped = bytes.clone();
            flipped[flipped.length / 2] ^= 0x40;
            blob.write(flipped);
        }

        LifeboatCli.Result run1 = cli.run("verify", "--all", "--read-data-subset", "50%");
        assertThat(run1.exitCode()).as(describe(run1)).isEqualTo(10);
        assertThat(parse(run1.stdout()).values()).extracting(Line::level).containsOnly("read-data-subset 1/2");
        assertThat(run1.stdout()).contains(first).doesNotContain(second);
        assertThat(run1.stderr()).contains(first);

        LifeboatCli.Result run2 = cli.run("verify", "--all", "--read-data-subset", "50%");
        assertThat(run2.exitCode()).as(describe(run2)).isEqualTo(10);
        assertThat(parse(run2.stdout()).values()).extracting(Line::level).containsOnly("read-data-subset 2/2");
        assertThat(run2.stdout()).contains(second).doesNotContain(first);

        originals.forEach((blob, bytes) -> {
            try {
                blob.write(bytes);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
        // a slice that reads no damage does not clear what an earlier slice found: only a full read does
        LifeboatCli.Result slice = cli.run("verify", "--all", "--read-data-subset", "1/3");
        assertThat(slice.exitCode()).as(describe(slice)).isEqualTo(10);
        assertThat(slice.stderr()).contains("still recorded as corrupt");
        cli.run("verify", "--all", "--read-data").expectSuccess();
        LifeboatCli.Result third = cli.run("verify", "--all", "--read-data-subset", "1/3").expectSuccess();
        assertThat(parse(third.stdout()).keySet()).containsExactlyInAnyOrderElementsOf(ids);
        assertThat(parse(third.stdout()).values()).extracting(Line::level).containsOnly("read-data-subset 1/3");

        LifeboatCli.Result bad = cli.run("verify", "--all", "--read-data-subset", "5/3");
        assertThat(bad.exitCode()).as(describe(bad)).isEqualTo(2);
        assertThat(bad.stderr()).startsWith("Error: ").contains("5/3").contains("Try: ");
    }

    private void drillRestoresChecksAndDropsItsScratchDatabase() throws IOException {
        String rows = pg.psql(db, "select count(*) from t");
        cli.env("LIFEBOAT_DRILL_QUERY", "select count(*) from t");
        String latest = ids.get(2);
        LifeboatCli.Result r = cli.run("verify", latest, "--drill", "--scratch", pg.url("postgres")).expectSuccess();
        cli.env("LIFEBOAT_DRILL_QUERY", null);
        Line line = parse(r.stdout()).get(latest);
        assertThat(line).as(r.stdout()).isNotNull();
        assertThat(line.status()).isEqualTo("drilled");
        assertThat(line.level()).isEqualTo("drill");
        assertThat(line.rest()).containsPattern("recovery time \\d+\\.\\d s").contains("1 tables' row counts match")
                .contains("check query: " + rows);
        assertThat(r.stdout() + r.stderr()).doesNotContain(pg.password());
        assertThat(pg.psql("postgres", "select count(*) from pg_database where datname like 'lifeboat_drill%'"))
                .as("scratch databases left behind").isEqualTo("0");

        assertThat(statuses()).containsEntry(latest, "drilled");
        JsonNode verification = JSON.readTree(cli.run("show", latest, "--json").expectSuccess().stdout()).get("verification");
        assertThat(verification.get("status").asText()).isEqualTo("drilled");
        JsonNode drill = verification.get("drill");
        assertThat(drill.get("seconds").asDouble()).isPositive();
        assertThat(drill.get("tablesChecked").asInt()).isEqualTo(1);
        assertThat(drill.get("queryResult").asText()).isEqualTo(rows);
        assertThat(drill.get("scratchDatabase").asText()).startsWith("lifeboat_drill_");
        // each source's own record (status format 2): what its drill compared
        assertThat(drill.get("sources")).hasSize(1);
        JsonNode ofSource = drill.get("sources").get(0);
        assertThat(ofSource.get("type").asText()).isEqualTo("postgresql");
        assertThat(ofSource.get("compared").get("tables").asLong()).isEqualTo(1);
        assertThat(ofSource.get("compared").get("rows").asLong()).isEqualTo(Long.parseLong(rows));
        assertThat(ofSource.get("mismatches")).isEmpty();
        assertThat(r.stdout()).contains("drill of " + ofSource.get("name").asText() + " (postgresql): 1 tables, "
                + String.format(java.util.Locale.ROOT, "%,d", Long.parseLong(rows)) + " rows match in ");
        assertThat(JSON.readTree(repo.resolve("backups").resolve(latest).resolve("status.json").toFile())
                .get("formatVersion").asInt()).isEqualTo(2);
        assertThat(Files.readString(repo.resolve("backups").resolve(latest).resolve("status.json")))
                .doesNotContain(pg.password());

        // Without --scratch or DATABASE_URL, a drill is refused: it never connects to the address the manifest
        // records, since a forged manifest would send the caller's password (PGPASSWORD) to a server of its choice.
        String databaseUrl = "postgres://" + pg.superuser() + "@127.0.0.1:" + pg.port() + "/" + db;
        Map<String, String> before = statuses();
        cli.env("DATABASE_URL", null);
        LifeboatCli.Result own = cli.run("verify", ids.get(0), "--drill");
        cli.env("DATABASE_URL", databaseUrl);
        assertThat(own.exitCode()).as(describe(own)).isEqualTo(2);
        assertThat(own.stderr()).contains("never connects to an address read from the repository")
                .contains("--scratch").doesNotContain(pg.password());
        assertThat(statuses()).as("nothing recorded").isEqualTo(before);
        assertThat(pg.psql("postgres", "select count(*) from pg_database where datname like 'lifeboat_drill%'"))
                .isEqualTo("0");
    }

    /** With --read-data-subset, a chunk shared by several backups is read once, and its damage counts for each. */
    @Test
    void aDrillOnAScratchServerWithoutTheRolesNamesTheRoleAndCanLeaveGrantsOut() throws Exception {
        pg = PgCluster.shared();
        pg.dropDatabase("drill_src");
        pg.psql("postgres", "drop role if exists drill_reader; create role drill_reader nologin");
        pg.createDatabase("drill_src");
        pg.psql("drill_src", "create table t as select g from generate_series(1, 500) g; grant select on t to drill_reader");
        LifeboatCli cli = new LifeboatCli(work).env("LIFEBOAT_REPOSITORY", work.resolve("roles-repo").toString())
                .env("PGPASSWORD", pg.password());
        cli.run("init").expectSuccess();
        cli.run("backup", "--db", pg.url("drill_src")).expectSuccess();
        // the scratch server is one without the application's role
        pg.dropDatabase("drill_src");
        pg.psql("postgres", "drop role drill_reader");

        LifeboatCli.Result r = cli.run("verify", "latest", "--drill", "--scratch", pg.url("postgres"));
        assertThat(r.exitCode()).as(r.stderr()).isEqualTo(6);
        assertThat(r.stderr()).contains("drill of backup").contains("role \"drill_reader\" does not exist")
                .contains("Try: create role drill_reader on this server first")
                .contains("or restore without GRANTs (--no-privileges)");
        assertThat(cli.run("verify", "latest", "--no-privileges").exitCode()).isEqualTo(2);

        LifeboatCli.Result ok = cli.run("verify", "latest", "--drill", "--no-privileges", "--scratch",
                pg.url("postgres")).expectSuccess();
        assertThat(ok.stdout()).contains(": drilled (drill)");
        assertThat(pg.psql("postgres", "select count(*) from pg_database where datname like 'lifeboat_drill%'"))
                .isEqualTo("0");
    }

    @Test
    void subsetReportsASharedCorruptChunkForEveryBackupReferencingIt() throws Exception {
        setUp(false);
        try {
            cli.run("verify", "--all", "--read-data").expectSuccess();
            String shared = chunksOf.get(ids.get(0)).stream()
                    .filter(c -> chunksOf.get(ids.get(1)).contains(c) && chunksOf.get(ids.get(2)).contains(c))
                    .findFirst().orElseThrow();
            StoredChunk blob = chunkFile(shared);
            byte[] bytes = blob.read();
            bytes[bytes.length / 2] ^= 0x01;
            blob.write(bytes);
            LifeboatCli.Result r = cli.run("verify", "--all", "--read-data-subset", "1/1");
            assertThat(r.exitCode()).isEqualTo(10);
            // Today: the first backup is corrupt, the other two "verified", and stderr says "1 of 3 backups".
            assertThat(parse(r.stdout()).values()).extracting(Line::status).containsOnly("corrupt");
        } finally {
            pg.dropDatabase(db);
        }
    }

    // ---- checks --------------------------------------------------------------------------------------------

    /**
     * verify exited 10; stdout has one line per backup, the victim's naming artifact and chunk; stderr names
     * backup, artifact and chunk; every other backup passed; list --json agrees.
     */
    private void assertOnlyVictimCorrupt(LifeboatCli.Result r, String victim, String chunk, String problemText,
                                         String level) throws IOException {
        assertThat(r.exitCode()).as(describe(r)).isEqualTo(10);
        Map<String, Line> lines = parse(r.stdout());
        assertThat(lines.keySet()).as(r.stdout()).containsExactlyInAnyOrderElementsOf(ids);
        Line bad = lines.get(victim);
        assertThat(bad.status()).isEqualTo("corrupt");
        if (level != null) {
            assertThat(bad.level()).isEqualTo(level);
        }
        assertThat(bad.problems()).singleElement().asString().contains("artifact " + artifact).contains("chunk " + chunk);
        if (problemText != null) {
            assertThat(bad.problems().get(0)).contains(problemText);
        }
        for (String other : others(victim)) {
            assertThat(lines.get(other).status()).as(other + " is unaffected").isEqualTo("verified");
            assertThat(lines.get(other).problems()).isEmpty();
        }
        assertThat(r.stderr()).startsWith("Error: ").contains("1 of 3 backups").contains("backup " + victim)
                .contains(artifact).contains(chunk).contains("Try: ");
        Map<String, String> statuses = statuses();
        assertThat(statuses).containsEntry(victim, "corrupt");
        for (String other : others(victim)) {
            assertThat(statuses).containsEntry(other, "verified");
        }
    }

    private record Line(String id, String status, String level, String rest, List<String> problems) {}

    /** verify's human output: a line per backup, then its problems indented by two spaces. */
    private static Map<String, Line> parse(String stdout) {
        Map<String, Line> out = new LinkedHashMap<>();
        Line current = null;
        for (String text : stdout.split("\n")) {
            if (text.isBlank()) {
                continue;
            }
            Matcher m = RESULT.matcher(text);
            if (m.matches()) {
                current = new Line(m.group(1), m.group(2), m.group(3), m.group(4), new ArrayList<>());
                out.put(current.id(), current);
            } else {
                assertThat(text).as("a problem line in:\n" + stdout).startsWith("  ");
                assertThat(current).as("a problem before any backup line in:\n" + stdout).isNotNull();
                current.problems().add(text.strip());
            }
        }
        return out;
    }

    private Map<String, String> statuses() throws IOException {
        Map<String, String> out = new LinkedHashMap<>();
        for (JsonNode row : JSON.readTree(cli.run("list", "--json").expectSuccess().stdout())) {
            out.put(row.get("id").asText(), row.get("status").asText());
        }
        return out;
    }

    private List<String> manifestChunks(String id) throws IOException {
        JsonNode manifest = JSON.readTree(repo.resolve("backups").resolve(id).resolve("manifest.json").toFile());
        List<String> chunks = new ArrayList<>();
        for (JsonNode a : manifest.get("artifacts")) {
            assertThat(a.get("name").asText()).isEqualTo(artifact);
            a.get("chunks").forEach(c -> chunks.add(c.get("id").asText()));
        }
        return chunks;
    }

    /** Chunks that this backup references and no other does. */
    private List<String> uniqueChunks(String id) {
        return chunksOf.get(id).stream()
                .filter(c -> others(id).stream().noneMatch(o -> chunksOf.get(o).contains(c)))
                .distinct().toList();
    }

    private List<String> others(String id) {
        return ids.stream().filter(i -> !i.equals(id)).toList();
    }

    private StoredChunk chunkFile(String chunk) throws IOException {
        return StoredChunk.of(repo, chunk);
    }

    /** The 1-based slice of {@code n} that verify --read-data-subset puts a chunk in. */
    private static int slice(String chunk, int n) {
        return (int) Long.remainderUnsigned(Long.parseUnsignedLong(chunk.substring(0, 16), 16), n) + 1;
    }

    private static String describe(LifeboatCli.Result r) {
        return "exit code; stdout:\n" + r.stdout() + "\nstderr:\n" + r.stderr();
    }
}
