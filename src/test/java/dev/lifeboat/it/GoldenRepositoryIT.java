package dev.lifeboat.it;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.lifeboat.testing.LifeboatCli;
import dev.lifeboat.testing.PgCluster;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The golden repositories of each format (src/test/resources/golden/v1, v2 and v4, each written once by the release of
 * that format and never rewritten) are read by this build as a user would read an old repository: listed, shown, verified with
 * --read-data, every database of every backup restored and compared with a database built from the SQL they were
 * made from, the roles restored from the backup's globals, and pruned, after which what is kept still verifies
 * and restores. Each future format version adds a fixture folder, and this test reads every one of them. Format 2's
 * are signed: they are read with the identity that names their signing key, and a manifest altered in the copy is
 * refused.
 */
class GoldenRepositoryIT {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String SQL = "golden/v1/sql/";

    @TempDir
    static Path work;

    private static PgCluster pg;
    /** The reference databases, built from sql/: shop state 0, 1, 2 and the notes. */
    private static final String SHOP_0 = "ref_shop_0";
    private static final String SHOP_1 = "ref_shop_1";
    private static final String SHOP_2 = "ref_shop_2";
    private static final String NOTES = "ref_notes";
    private static String globalsPlain;

    @BeforeAll
    static void referencesFromTheSql() throws Exception {
        pg = PgCluster.start();
        // The roles come from the plain repository's globals.sql, applied as the runbook says: cat | psql.
        LifeboatCli cli = cli("v1/plain");
        String multi = idOf(list(cli), "golden-multi");
        globalsPlain = cli.run("cat", multi, "globals.sql").expectSuccess().stdout();
        pg.psql("postgres", globalsPlain);
        assertThat(pg.psql("postgres", """
                select rolname, rolcanlogin, rolcreatedb, rolconnlimit,
                       coalesce(shobj_description(oid, 'pg_authid'), '')
                from pg_roles where rolname in ('golden_owner', 'golden_reader', 'golden_clerk') order by 1"""))
                .isEqualTo("""
                        golden_clerk|f|f|3|
                        golden_owner|f|t|-1|owns the golden shop
                        golden_reader|f|f|-1|""");
        assertThat(pg.psql("postgres", "select pg_has_role('golden_clerk', 'golden_reader', 'member')"))
                .isEqualTo("t");

        build(SHOP_0, "shop.sql");
        build(SHOP_1, "shop.sql", "shop-1.sql");
        build(SHOP_2, "shop.sql", "shop-1.sql", "shop-2.sql");
        build(NOTES, "notes.sql");
    }

    @AfterAll
    static void stop() {
        if (pg != null) {
            pg.close();
        }
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"v1/plain", "v1/encrypted", "v2/plain", "v2/encrypted", "v4/plain", "v4/encrypted"})
    void everyFormatsRepositoryListsShowsVerifiesRestoresAndPrunes(String fixture) throws Exception {
        LifeboatCli cli = cli(fixture);
        String variant = fixture.substring(fixture.indexOf('/') + 1);
        String base = "postgres://" + pg.superuser() + "@127.0.0.1:" + pg.port() + "/";

        // list: the four backups, oldest first, with their kinds, pin and verification status
        JsonNode list = list(cli);
        assertThat(list).hasSize(4);
        List<String> labels = new ArrayList<>();
        list.forEach(b -> labels.add(b.path("label").asText()));
        assertThat(labels.subList(0, 3)).containsExactly("golden-multi", "golden-pinned", "golden-verified");
        assertThat(labels.get(3)).startsWith("pre-restore of golden_shop");
        String multi = list.get(0).path("id").asText();
        String pinned = list.get(1).path("id").asText();
        String verified = list.get(2).path("id").asText();
        String safety = list.get(3).path("id").asText();
        assertThat(list.get(1).path("pinned").asBoolean()).isTrue();
        assertThat(list.get(2).path("status").asText()).isEqualTo("verified");
        assertThat(list.get(2).path("checked").isTextual()).isTrue();
        assertThat(list.get(3).path("kind").asText()).isEqualTo("pre-restore");
        assertThat(labels.get(3)).endsWith(multi);
        for (int i : new int[] {0, 1, 3}) {
            assertThat(list.get(i).path("status").asText()).isEqualTo("completed");
        }

        // show: the multi-database backup's sources and artifacts, the pin's note
        JsonNode shown = JSON.readTree(cli.run("show", multi, "--json").expectSuccess().stdout());
        List<String> sources = new ArrayList<>();
        shown.path("sources").forEach(s -> sources.add(s.path("name").asText()));
        assertThat(sources).containsExactly("golden_shop", "golden_notes");
        List<String> artifacts = new ArrayList<>();
        shown.path("artifacts").forEach(a -> artifacts.add(a.path("name").asText()));
        assertThat(artifacts).containsExactlyInAnyOrder("golden_shop.dump", "golden_notes.dump", "globals.sql");
        JsonNode pin = JSON.readTree(cli.run("show", pinned, "--json").expectSuccess().stdout()).path("pin");
        assertThat(pin.path("note").asText()).isEqualTo("kept for ever");
        String pinDay = fixture.startsWith("v4/") ? "2026-12-04" : "2026-12-02"; // when make.sh ran
        assertThat(pin.path("pinnedAt").asText()).startsWith(pinDay + "T");
        assertThat(cli.run("show", pinned).expectSuccess().stdout()).contains("pinned " + pinDay).contains(": kept for ever");
        // the same roles in both repositories' globals
        assertThat(roleStatements(cli.run("cat", multi, "globals.sql").expectSuccess().stdout()))
                .isEqualTo(roleStatements(globalsPlain)).isNotEmpty();

        // verify --read-data: every chunk, every artifact's checksum, every dump's table of contents
        LifeboatCli.Result verify = cli.run("verify", "--read-data", "--all");
        assertThat(verify.exitCode()).as(verify.stderr()).isZero();
        for (String id : List.of(multi, pinned, verified, safety)) {
            assertThat(verify.stdout()).contains(id + ": verified (read-data)");
        }

        // restore: each database of the multi-database backup, and the verified backup, into new databases
        String p = fixture.substring(0, 2) + variant.substring(0, 3) + "_";
        restoreAndCompare(cli, base, multi, "golden_shop", p + "multi_shop", SHOP_0);
        restoreAndCompare(cli, base, multi, "golden_notes", p + "multi_notes", NOTES);
        assertThat(pg.psql(p + "multi_notes", """
                select array_to_string(s.setconfig, ','), shobj_description(d.oid, 'pg_database')
                from pg_database d join pg_db_role_setting s on s.setdatabase = d.oid and s.setrole = 0
                where d.datname = current_database()""")).isEqualTo("work_mem=8MB|scratch notes");
        restoreAndCompare(cli, base, safety, "golden_shop", p + "safety", SHOP_2);

        // prune: only the newest ordinary backup and the pinned one stay; nothing they need is deleted
        int chunksBefore = countChunks(fixture);
        cli.run("prune", "--keep-within=0", "--keep-last=1", "--minimum-keep=1", "--keep-safety-within=0")
                .expectSuccess();
        List<String> kept = new ArrayList<>();
        list(cli).forEach(b -> kept.add(b.path("id").asText()));
        assertThat(kept).containsExactly(pinned, verified);
        assertThat(countChunks(fixture)).as("chunks only the removed backups held are deleted")
                .isLessThan(chunksBefore);
        LifeboatCli.Result after = cli.run("verify", "--read-data", "--all");
        assertThat(after.exitCode()).as(after.stderr()).isZero();
        restoreAndCompare(cli, base, pinned, "golden_shop", p + "pinned", SHOP_1);
        restoreAndCompare(cli, base, verified, "golden_shop", p + "verified", SHOP_2);

        if (variant.equals("encrypted")) {
            // the repository holds the only key: without the identity its data cannot be read
            LifeboatCli.Result denied = cli.env("LIFEBOAT_IDENTITY_FILE", null).run("cat", pinned, "golden_shop.dump");
            assertThat(denied.exitCode()).as(denied.stderr()).isEqualTo(7);
            assertThat(denied.stdout()).isEmpty();
        }
        if (!fixture.startsWith("v1/")) {
            // a signed repository: a manifest altered in storage is refused by name, the others still restore
            Path manifest = work.resolve(fixture).resolve("backups").resolve(pinned).resolve("manifest.json");
            Files.writeString(manifest, Files.readString(manifest).replace("golden-pinned", "golden-pwned"));
            LifeboatCli.Result forged = cli(fixture).run("restore", pinned, "--to", base + p + "forged", "--create", "--yes");
            assertThat(forged.exitCode()).as(forged.stderr()).isEqualTo(10);
            assertThat(forged.stderr()).contains("signature of backup " + pinned).contains("forged or altered");
            assertThat(exists(p + "forged")).isFalse();
        }
    }

    /**
     * Manifest format 2 (golden/v3, written once by the release that introduced the source plug-ins): a stack of a
     * PostgreSQL database, a file tree and an exec source with hooks. Listed, shown, verified, and each source restored
     * elsewhere: the database as the SQL builds it, the tree as MakeTree.java makes it again, the exec output as it was.
     */
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"v3/plain", "v4/stack"})
    void theStackFormatRestoresEverySource(String fixture) throws Exception {
        String version = fixture.substring(0, 2);
        LifeboatCli cli = cli(fixture).env("LIFEBOAT_IDENTITY_FILE",
                golden().resolve(version + "/identity.txt").toString());
        String base = "postgres://" + pg.superuser() + "@127.0.0.1:" + pg.port() + "/";
        JsonNode list = list(cli);
        assertThat(list).hasSize(1);
        String id = idOf(list, "golden-stack");
        JsonNode shown = JSON.readTree(cli.run("show", id, "--json").expectSuccess().stdout());
        assertThat(shown.path("formatVersion").asInt()).isEqualTo(2);
        List<String> sources = new ArrayList<>();
        shown.path("sources").forEach(x -> sources.add(x.path("name").asText() + ":" + x.path("type").asText()));
        if (version.equals("v3")) {
            assertThat(sources).containsExactly("notes:postgresql", "uploads:files", "kv:exec");
        } else { // format 3: the same stack with "big", whose first chunk is a blob of its own beside the packs
            assertThat(sources).containsExactly("notes:postgresql", "uploads:files", "kv:exec", "big:exec");
            assertThat(work.resolve(fixture).resolve("packs")).isDirectoryRecursivelyContaining(p -> true);
            assertThat(work.resolve(fixture).resolve("chunks")).isDirectoryRecursivelyContaining(p -> true);
            String big = cli.run("cat", id, "big.out").expectSuccess().stdout();
            assertThat(big).hasSize(700_000).isEqualTo("lifeboat-golden-format-3\n".repeat(30_000).substring(0, 700_000));
        }
        assertThat(shown.path("stack").path("hooks")).hasSize(2);
        LifeboatCli.Result verify = cli.run("verify", "--read-data", "--all");
        assertThat(verify.exitCode()).as(verify.stderr()).isZero();
        assertThat(verify.stdout()).contains(id + ": verified (read-data)");

        Path home = cli.workDir();
        Path tree = home.resolve("uploads-restored");
        Path kv = home.resolve("kv.restored");
        Path config = home.resolve("lifeboat.yml");
        Files.writeString(config, """
                repository: %s
                sources:
                  notes:   { type: postgres, url: "%s" }
                  uploads: { type: files, path: "%s" }
                  kv:      { type: exec, backup: "cat %s", restore: "cat > %s" }
                """.formatted(work.resolve(fixture), base + version + "_notes_original", home.resolve("uploads-original"),
                kv, kv));
        cli.run("restore", id, "--config", config.toString(), "--source", "notes", "--to", base + version + "_notes",
                "--create", "--yes").expectSuccess();
        assertThat(pg.schemaDump(version + "_notes")).isEqualTo(pg.schemaDump(NOTES));
        assertThat(pg.tableRows(version + "_notes")).isEqualTo(pg.tableRows(NOTES));
        cli.run("restore", id, "--config", config.toString(), "--source", "uploads", "--to", tree.toString(), "--yes")
                .expectSuccess();
        Path expected = home.resolve("uploads-expected");
        Process make = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                golden().resolve("v3/MakeTree.java").toString(), expected.toString()).inheritIO().start();
        assertThat(make.waitFor()).isZero();
        assertThat(dev.lifeboat.source.files.TreeSignature.of(tree))
                .isEqualTo(dev.lifeboat.source.files.TreeSignature.of(expected));
        // its files, from the listing alone
        String ls = cli.run("ls", id).expectSuccess().stdout();
        assertThat(ls).contains("uploads/a.json").contains("bin/readme -> ../README.txt")
                .contains("uploads/hard.json => uploads/a.json").contains("weird/with space and\\x0anewline.txt")
                .contains("4750");
        assertThat(cli.run("ls", id, "uploads", "--json").expectSuccess().stdout().lines())
                .hasSize(5).allSatisfy(l -> assertThat(JSON.readTree(l).path("path").asText()).startsWith("uploads"));
        // the same tree as a tar stream, for standard tools
        Path tarFile = home.resolve("uploads.tar");
        cli.run("cat", id, "uploads.tar", "-o", tarFile.toString()).expectSuccess();
        Path untarred = Files.createDirectories(home.resolve("untarred"));
        Process tar = new ProcessBuilder("tar", "-x", "--xattrs", "--xattrs-include=user.*", "--same-owner",
                "--numeric-owner", "-C", untarred.toString(), "-f", tarFile.toString()).inheritIO().start();
        assertThat(tar.waitFor()).isZero();
        assertThat(dev.lifeboat.source.files.TreeSignature.of(untarred, 100))
                .isEqualTo(dev.lifeboat.source.files.TreeSignature.of(expected, 100));
        // the exec source holds data for all Lifeboat knows: a safety backup is due, and this host cannot sign one
        LifeboatCli.Result unsigned = cli.run("restore", id, "--config", config.toString(), "--source", "kv", "--yes");
        assertThat(unsigned.exitCode()).as(unsigned.stderr()).isEqualTo(7);
        assertThat(unsigned.stderr()).contains("cannot take the safety backup of kv").contains("nothing was changed");
        cli.run("restore", id, "--config", config.toString(), "--source", "kv", "--yes", "--no-safety-backup")
                .expectSuccess();
        assertThat(Files.readString(kv)).isEqualTo("kv-golden-state\n");
    }

    /**
     * Manifest format 3 (golden/v5, written once by the release that introduced it): a tree of 1,200 files whose data
     * artifact lists its chunks in chunk-lists.bin, backed up twice (the second reusing every file through the first's
     * list). Both backups verify by reading every file and restore the tree as MakeTree.java makes it; prune removes
     * the first with its list, and the second, whose chunks only lists reference, still verifies and restores.
     */
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"v5/plain", "v5/encrypted"})
    void theChunkListFormatRestoresAndPrunes(String fixture) throws Exception {
        LifeboatCli cli = cli(fixture);
        JsonNode list = list(cli);
        String first = idOf(list, "golden-first");
        String second = idOf(list, "golden-second");
        JsonNode shown = JSON.readTree(cli.run("show", second, "--json").expectSuccess().stdout());
        assertThat(shown.path("formatVersion").asInt()).isEqualTo(3);
        JsonNode data = null;
        for (JsonNode a : shown.path("artifacts")) {
            if (a.path("name").asText().equals("uploads.data")) {
                data = a;
            }
        }
        assertThat(data).as("uploads.data").isNotNull();
        assertThat(data.path("chunkList").path("count").asLong()).isEqualTo(1_200);
        // its status.json, of status format 2, records the tree's own drill
        JsonNode drill = shown.path("verification").path("drill");
        assertThat(shown.path("verification").path("status").asText()).isEqualTo("drilled");
        assertThat(drill.path("sources")).hasSize(1);
        assertThat(drill.path("sources").get(0).path("type").asText()).isEqualTo("files");
        assertThat(drill.path("sources").get(0).path("compared").path("files").asLong()).isEqualTo(1_200);
        assertThat(work.resolve(fixture).resolve("backups").resolve(first).resolve("chunk-lists.bin")).exists();
        LifeboatCli.Result verify = cli.run("verify", "--read-data", "--all");
        assertThat(verify.exitCode()).as(verify.stderr()).isZero();
        assertThat(verify.stdout()).contains(first + ": verified (read-data)").contains(second + ": verified (read-data)");

        Path home = cli.workDir();
        Path expected = home.resolve("expected");
        Process make = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                golden().resolve("v5/MakeTree.java").toString(), expected.toString()).inheritIO().start();
        assertThat(make.waitFor()).isZero();
        Path config = home.resolve("lifeboat.yml");
        Files.writeString(config, """
                repository: %s
                sources:
                  uploads: { type: files, path: "%s" }
                """.formatted(work.resolve(fixture), home.resolve("uploads-original")));
        for (String id : List.of(first, second)) {
            Path tree = home.resolve("restored-" + id);
            cli.run("restore", id, "--config", config.toString(), "--source", "uploads", "--to", tree.toString(),
                    "--yes").expectSuccess();
            assertThat(dev.lifeboat.source.files.TreeSignature.of(tree)).as(id)
                    .isEqualTo(dev.lifeboat.source.files.TreeSignature.of(expected));
        }

        cli.run("prune", "--keep-within=0", "--keep-last=1", "--minimum-keep=1", "--keep-safety-within=0")
                .expectSuccess();
        assertThat(list(cli)).hasSize(1);
        assertThat(work.resolve(fixture).resolve("backups").resolve(first).resolve("chunk-lists.bin")).doesNotExist();
        verify = cli.run("verify", "--read-data", "--all");
        assertThat(verify.exitCode()).as(verify.stderr()).isZero();
        Path again = home.resolve("restored-after-prune");
        cli.run("restore", second, "--config", config.toString(), "--source", "uploads", "--to", again.toString(),
                "--yes").expectSuccess();
        assertThat(dev.lifeboat.source.files.TreeSignature.of(again))
                .isEqualTo(dev.lifeboat.source.files.TreeSignature.of(expected));
    }

    // ---- helpers -------------------------------------------------------------------------------------------

    /**
     * A CLI on a fresh copy of the fixture's repository ({@code v1/plain}: the tree's copy is never written to), with
     * the fixture's identity where it has one for it: format 1's for its encrypted repository, format 2's (which names
     * the signing key) for both.
     */
    private static LifeboatCli cli(String fixture) throws IOException {
        Path copy = work.resolve(fixture);
        if (!Files.exists(copy)) {
            copyTree(golden().resolve(fixture), copy);
        }
        Path home = Files.createDirectories(work.resolve(fixture.replace('/', '-') + "-home"));
        LifeboatCli cli = new LifeboatCli(home).env("LIFEBOAT_REPOSITORY", copy.toString())
                .env("PGPASSWORD", pg.password()).env("LIFEBOAT_PG_BIN", pg.binDir().toString());
        if (fixture.endsWith("encrypted") || !fixture.startsWith("v1/")) {
            cli.env("LIFEBOAT_IDENTITY_FILE", golden().resolve(fixture).resolveSibling("identity.txt").toString());
        }
        return cli;
    }

    private static Path golden() {
        try {
            return Path.of(Objects.requireNonNull(GoldenRepositoryIT.class.getClassLoader().getResource("golden"),
                    "golden/ is missing from the test class path").toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Copies files only: a repository must work without the empty folders that git and some copies drop. */
    private static void copyTree(Path from, Path to) throws IOException {
        try (Stream<Path> files = Files.walk(from)) {
            for (Path f : (Iterable<Path>) files.filter(Files::isRegularFile)::iterator) {
                Path target = to.resolve(from.relativize(f).toString());
                Files.createDirectories(target.getParent());
                Files.copy(f, target);
            }
        }
    }

    private static boolean exists(String db) {
        return pg.psql("postgres", "select count(*) from pg_database where datname = '" + db + "'").strip().equals("1");
    }

    /** Chunk blobs, and from format 3 pack files and their indexes. */
    private static int countChunks(String variant) throws IOException {
        int n = 0;
        for (String folder : List.of("chunks", "packs", "index")) {
            Path dir = work.resolve(variant).resolve(folder);
            if (Files.isDirectory(dir)) {
                try (Stream<Path> files = Files.walk(dir)) {
                    n += (int) files.filter(Files::isRegularFile).count();
                }
            }
        }
        return n;
    }

    private static JsonNode list(LifeboatCli cli) throws IOException {
        return JSON.readTree(cli.run("list", "--json").expectSuccess().stdout());
    }

    private static String idOf(JsonNode list, String label) {
        for (JsonNode b : list) {
            if (b.path("label").asText().equals(label)) {
                return b.path("id").asText();
            }
        }
        throw new AssertionError("no backup labelled " + label + " in " + list);
    }

    private static void build(String db, String... scripts) {
        pg.createDatabase(db);
        for (String script : scripts) {
            pg.loadFixture(db, SQL + script);
        }
    }

    private static void restoreAndCompare(LifeboatCli cli, String base, String id, String database, String target,
                                          String reference) {
        LifeboatCli.Result r = cli.run("restore", id, "--database", database, "--to", base + target, "--create",
                "--yes");
        assertThat(r.exitCode()).as("restore %s of %s: %s", database, id, r.stderr()).isZero();
        assertThat(r.stderr()).as("owners and privileges came back").doesNotContain("keep their owners only")
                .doesNotContain("Could not restore");
        assertThat(pg.schemaDump(target)).as("schema of %s restored from %s", database, id)
                .isEqualTo(pg.schemaDump(reference));
        assertThat(pg.tableRows(target)).as("rows of %s restored from %s", database, id)
                .isEqualTo(pg.tableRows(reference));
    }

    /** The statements of a globals dump that make roles, their memberships and comments, in order. */
    private static List<String> roleStatements(String globals) {
        List<String> out = new ArrayList<>();
        for (String line : globals.split("\n")) {
            if (line.matches("^(CREATE|ALTER|GRANT|COMMENT ON) .*(ROLE|golden_).*")) {
                out.add(line);
            }
        }
        return out;
    }
}
