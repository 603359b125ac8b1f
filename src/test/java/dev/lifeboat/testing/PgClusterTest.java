package dev.lifeboat.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Proves the test cluster and the fixture: rich.sql loads, and the comparison helpers see a standard
 * pg_dump / pg_restore round trip as exact while noticing a single changed value.
 */
class PgClusterTest {

    private static final String RICH = "pgclustertest_rich";

    private static PgCluster cluster;

    @BeforeAll
    static void loadRichFixture() {
        cluster = PgCluster.shared();
        cluster.dropDatabase(RICH);
        cluster.createDatabase(RICH);
        cluster.loadFixture(RICH, "fixtures/rich.sql");
    }

    @AfterAll
    static void dropRichDatabase() {
        cluster.dropDatabase(RICH);
    }

    @Test
    void sharedClusterIsOneLoopbackServerWithScramPasswords() {
        assertThat(PgCluster.shared()).isSameAs(cluster);
        assertThat(cluster.majorVersion()).isGreaterThanOrEqualTo(14);
        assertThat(cluster.binDir().resolve("pg_dump")).isExecutable();
        assertThat(cluster.psql("postgres", "SELECT current_user, rolsuper FROM pg_roles WHERE rolname = current_user"))
                .isEqualTo(PgCluster.SUPERUSER + "|t");
        assertThat(cluster.psql("postgres", "SHOW listen_addresses")).isEqualTo("127.0.0.1");
        assertThat(cluster.psql("postgres", "SHOW fsync")).isEqualTo("off");
        assertThat(cluster.psql("postgres", "SHOW server_encoding")).isEqualTo("UTF8");
        assertThat(cluster.psql("postgres", "SELECT DISTINCT auth_method FROM pg_hba_file_rules"))
                .isEqualTo("scram-sha-256");
        assertThat(cluster.psql("postgres", "SELECT 1; SELECT 'two'")).isEqualTo("1\ntwo");
    }

    @Test
    void urlCarriesTheEscapedPasswordAlone() throws Exception {
        URI url = URI.create(cluster.url("postgres"));
        assertThat(url.getScheme()).isEqualTo("postgres");
        assertThat(url.getHost()).isEqualTo("127.0.0.1");
        assertThat(url.getPort()).isEqualTo(cluster.port());
        String[] userInfo = url.getRawUserInfo().split(":", 2);
        assertThat(URLDecoder.decode(userInfo[0], StandardCharsets.UTF_8)).isEqualTo(cluster.superuser());
        assertThat(userInfo[1]).doesNotContain("@", "/", ":", "?", "#");

        // libpq must log in with nothing but the URL: no PG* variables, no password file.
        ProcessBuilder psql = new ProcessBuilder(cluster.binDir().resolve("psql").toString(), "-X", "-At",
                "--no-password", "-c", "SELECT 40 + 2", cluster.url("postgres"));
        psql.environment().keySet().removeIf(key -> key.startsWith("PG"));
        psql.environment().put("PGPASSFILE", "/dev/null");
        psql.redirectErrorStream(true);
        Process process = psql.start();
        String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(process.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(out.strip()).isEqualTo("42");
        assertThat(process.exitValue()).isZero();
    }

    @Test
    void psqlFailureCarriesStderr() {
        assertThatThrownBy(() -> cluster.psql("postgres", "SELECT * FROM no_such_table"))
                .isInstanceOf(PgCluster.CommandException.class)
                .hasMessageContaining("no_such_table")
                .satisfies(e -> assertThat(((PgCluster.CommandException) e).exitCode()).isNotZero());
    }

    @Test
    void schemaDumpIsStableAndWithoutRandomKeys() {
        String dump = cluster.schemaDump(RICH);
        assertThat(dump).doesNotContain("\\restrict", "\\unrestrict", "-- Started on");
        assertThat(dump).contains(
                "CREATE TABLE sales.orders_2024",
                "CREATE TABLE sales.orders_other",
                "CREATE MATERIALIZED VIEW sales.monthly_revenue",
                "CREATE POLICY documents_owner ON app.documents",
                "CREATE TRIGGER customers_audit",
                "EXCLUDE USING gist",
                "CREATE EXTENSION IF NOT EXISTS pgcrypto WITH SCHEMA crypto",
                "GRANT SELECT ON TABLE app.documents TO lifeboat_fixture_reader",
                "CREATE TYPE app.order_status AS ENUM (\n    'new',\n    'paid',\n    'packed',\n    'shipped'",
                "CHECK ((length(txt) < 80)) NOT VALID",
                "app.\"Größe Tabelle ✓\"");
        assertThat(cluster.schemaDump(RICH)).isEqualTo(dump);
    }

    @Test
    void tableRowsCoversEveryTableOfTheFixture() {
        SortedMap<String, String> rows = cluster.tableRows(RICH);

        List<String> expectedTables = List.of(cluster.psql(RICH, "SELECT n.nspname || '.' || c.relname"
                + " FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
                + " WHERE c.relkind IN ('r', 'm', 'S') AND n.nspname IN ('public', 'app', 'sales', 'audit', 'crypto', 'dbo', 'owned')"
                + " ORDER BY 1").split("\n"));
        assertThat(expectedTables).hasSizeGreaterThanOrEqualTo(25);
        assertThat(rows).containsOnlyKeys(concat(expectedTables, PgCluster.LARGE_OBJECTS_KEY));

        assertThat(rows).containsKeys("app.rooms", "audit.events", "sales.orders_2023").doesNotContainKey("sales.orders");
        assertThat(rows.get("app.customers")).startsWith("rows=500 sha256=");
        assertThat(rows.get("app.type_zoo")).startsWith("rows=305 sha256=");
        assertThat(rows.get("app.Größe Tabelle ✓")).startsWith("rows=40 ");
        assertThat(rows.get("app.vehicles")).startsWith("rows=2 ");
        assertThat(rows.get("app.boats")).startsWith("rows=2 ");
        assertThat(rows.get("app.session_cache")).startsWith("rows=25 ");
        assertThat(rows.get("sales.regional_totals_eu_h0")).startsWith("rows=");
        assertThat(rows.get("sales.monthly_revenue")).startsWith("rows=");
        assertThat(rows.get("sales.never_refreshed")).isEqualTo(PgCluster.NOT_POPULATED);
        assertThat(rows.get("app.ticket_seq"))
                .isEqualTo("last_value=" + cluster.psql(RICH, "SELECT last_value FROM app.ticket_seq") + " is_called=true");
        assertThat(rows.get("app.countdown_seq")).isEqualTo("last_value=-17 is_called=false");
        assertThat(rows.get(PgCluster.LARGE_OBJECTS_KEY)).startsWith("objects=4 ");
        long orderRows = rows.entrySet().stream()
                .filter(e -> e.getKey().matches("sales\\.orders_(2023|2024|other)"))
                .mapToLong(e -> Long.parseLong(e.getValue().replaceAll("^rows=(\\d+) .*", "$1")))
                .sum();
        assertThat(orderRows).isEqualTo(1500);

        SortedMap<Long, String> largeObjects = cluster.largeObjects(RICH);
        assertThat(largeObjects).containsOnlyKeys(424201L, 424202L, 424203L, 424204L);
        assertThat(largeObjects.get(424202L)).startsWith("size=70001 ");
        assertThat(largeObjects.get(424201L)).contains("lifeboat_fixture_reader=r/", "comment=A small text blob");
    }

    @Test
    void fixtureIsDeterministicAndTableRowsSeesOneChangedValue() {
        String copy = "pgclustertest_reloaded";
        cluster.dropDatabase(copy);
        cluster.createDatabase(copy);
        try {
            cluster.loadFixture(copy, "fixtures/rich.sql");
            SortedMap<String, String> original = cluster.tableRows(RICH);
            assertThat(cluster.tableRows(copy)).isEqualTo(original);
            assertThat(cluster.schemaDump(copy)).isEqualTo(cluster.schemaDump(RICH));

            cluster.psql(copy, "UPDATE app.type_zoo SET bin = set_byte(bin, 200, 0) WHERE txt = 'all 256 byte values'");
            cluster.psql(copy, "SELECT lo_put(424202, 69999, '\\x00'::bytea)");
            cluster.psql(copy, "SELECT nextval('app.never_used_seq')");
            SortedMap<String, String> changed = cluster.tableRows(copy);
            assertThat(differingKeys(original, changed))
                    .containsExactlyInAnyOrder(PgCluster.LARGE_OBJECTS_KEY, "app.never_used_seq", "app.type_zoo");
        } finally {
            cluster.dropDatabase(copy);
        }
    }

    @Test
    void pgDumpAndPgRestoreRoundTripIsExact(@TempDir Path dir) throws IOException {
        String restored = "pgclustertest_restored";
        Path dump = dir.resolve("rich.dump");
        cluster.dropDatabase(restored);
        cluster.createDatabase(restored);
        try {
            // The fixture's materialized view depends on its database's text search setting, which only
            // pg_restore --create brings along; this database is made by hand, so it gets it by hand.
            cluster.psql(restored, "ALTER DATABASE " + restored + " SET default_text_search_config = '"
                    + cluster.psql(RICH, "SHOW default_text_search_config") + "'");
            long started = System.nanoTime();
            cluster.runTool("pg_dump", "-Fc", "-f", dump.toString(), "--dbname=" + cluster.url(RICH));
            // Owners kept (the fixture has objects of other roles and of pg_database_owner, with REVOKEs of their own)
            cluster.runTool("pg_restore", "--single-transaction", "--exit-on-error",
                    "--dbname=" + cluster.url(restored), dump.toString());
            System.out.printf("pg_dump -Fc + pg_restore of the rich fixture (%d bytes): %d ms%n", Files.size(dump),
                    TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started));

            // pg_dump keeps everything of the fixture but the column order of an inheritance child (app.circles)
            String child = "app.circles";
            assertThat(PgCluster.columnsInAnyOrder(cluster.schemaDump(restored), child))
                    .isEqualTo(PgCluster.columnsInAnyOrder(cluster.schemaDump(RICH), child));
            String circles = "SELECT id, kind, area, label, radius FROM " + child + " ORDER BY id";
            assertThat(cluster.psql(restored, circles)).isEqualTo(cluster.psql(RICH, circles)).isNotEmpty();
            SortedMap<String, String> expected = PgCluster.without(child, cluster.tableRows(RICH));
            SortedMap<String, String> actual = PgCluster.without(child, cluster.tableRows(restored));
            assertThat(differingKeys(expected, actual)).isEmpty();
            assertThat(actual).isEqualTo(expected);
            assertThat(cluster.largeObjects(restored)).isEqualTo(cluster.largeObjects(RICH));
        } finally {
            cluster.dropDatabase(restored);
        }
    }

    @Test
    void ownClusterCanBeKilledRestartedAndClosed() {
        long started = System.nanoTime();
        Path dataFolder;
        try (PgCluster own = PgCluster.start()) {
            long startMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);
            System.out.printf("PgCluster.start(): %d ms%n", startMillis);
            assertThat(own.port()).isNotEqualTo(cluster.port());
            assertThat(own.psql("postgres", "SELECT 1")).isEqualTo("1");
            dataFolder = Path.of(own.psql("postgres", "SHOW data_directory"));
            assertThat(dataFolder).isDirectory();

            own.kill();
            assertThat(own.isRunning()).isFalse();
            assertThatThrownBy(() -> own.psql("postgres", "SELECT 1"))
                    .isInstanceOf(PgCluster.CommandException.class)
                    .hasMessageContaining("127.0.0.1");

            own.restart();
            assertThat(own.psql("postgres", "SELECT 2")).isEqualTo("2");
            assertThat(own.logFile()).isRegularFile();
        }
        assertThat(dataFolder).doesNotExist();
        assertThatThrownBy(cluster::kill).isInstanceOf(UnsupportedOperationException.class);
    }

    private static List<String> differingKeys(Map<String, String> a, Map<String, String> b) {
        TreeMap<String, String> all = new TreeMap<>(a);
        b.forEach(all::putIfAbsent);
        return all.keySet().stream().filter(key -> !String.valueOf(a.get(key)).equals(String.valueOf(b.get(key))))
                .toList();
    }

    private static List<String> concat(List<String> list, String extra) {
        return java.util.stream.Stream.concat(list.stream(), java.util.stream.Stream.of(extra)).toList();
    }
}
