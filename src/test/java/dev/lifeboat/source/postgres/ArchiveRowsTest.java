package dev.lifeboat.source.postgres;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lifeboat.testing.PgCluster;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The row counts Lifeboat records come from the archive itself: followed in pieces of any size, a real pg_dump
 * archive gives every table the count PostgreSQL gives it, and an archive this cannot follow says so instead of
 * counting wrong.
 */
class ArchiveRowsTest {
    private static final String DB = "archive_rows";
    private static PgCluster pg;
    private static byte[] archive;

    @BeforeAll
    static void dump() throws Exception {
        pg = PgCluster.shared();
        pg.dropDatabase(DB);
        pg.createDatabase(DB);
        pg.loadFixture(DB, "fixtures/rich.sql");
        pg.psql(DB, """
                create table awkward (id int, body text, raw bytea);
                insert into awkward values (1, E'two\\nlines\\r\\nand a tab\\there', '\\x0a0a0d'),
                  (2, E'back\\\\slash \\\\. and \\\\N', null), (3, null, ''), (4, 'Zürich ✓ 東京', '\\x00ff');
                insert into awkward select g, repeat(E'line\\n', g % 7), decode(repeat('0a', g % 5), 'hex')
                  from generate_series(5, 30000) g;
                create table empty_one (x int);
                create unlogged table scratch_pad as select g from generate_series(1, 777) g;
                select lo_from_bytea(0, decode(repeat('0a', 5000), 'hex'));
                """);
        archive = pgDump("-Fc", "-Z0");
    }

    private static byte[] pgDump(String... options) throws IOException, InterruptedException {
        List<String> command = new java.util.ArrayList<>(List.of(pg.binDir().resolve("pg_dump").toString()));
        command.addAll(Arrays.asList(options));
        command.add(DB);
        ProcessBuilder pb = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.INHERIT);
        pb.environment().clear();
        pb.environment().putAll(pg.clientEnvironment());
        Process p = pb.start();
        byte[] out = p.getInputStream().readAllBytes();
        assertThat(p.waitFor()).isZero();
        return out;
    }

    /** count(*) of every user table, by OID, as PostgreSQL counts it. */
    private static Map<Long, Long> countsOnTheServer() {
        String tables = pg.psql(DB, "select c.oid || ' ' || quote_ident(n.nspname) || '.' || quote_ident(c.relname) "
                + "from pg_class c join pg_namespace n on n.oid = c.relnamespace where c.relkind = 'r' "
                + "and n.nspname not in ('pg_catalog', 'information_schema') and n.nspname not like 'pg\\_toast%'");
        Map<Long, Long> counts = new HashMap<>();
        for (String line : tables.split("\n")) {
            String[] parts = line.split(" ", 2);
            counts.put(Long.parseLong(parts[0]), Long.parseLong(pg.psql(DB, "select count(*) from only " + parts[1])));
        }
        return counts;
    }

    private static Optional<Map<Long, Long>> follow(byte[] bytes, Random pieces) throws IOException {
        ArchiveRows rows = new ArchiveRows();
        try (InputStream in = rows.follow(new ByteArrayInputStream(bytes))) {
            byte[] buf = new byte[200_000];
            int off = 0;
            while (true) {
                int want = pieces == null ? buf.length : 1 + pieces.nextInt(pieces.nextBoolean() ? 16 : 100_000);
                int n = in.read(buf, 0, Math.min(want, buf.length));
                if (n < 0) {
                    break;
                }
                // the bytes pass through unchanged
                assertThat(Arrays.equals(buf, 0, n, bytes, off, off + n)).isTrue();
                off += n;
            }
            assertThat(off).isEqualTo(bytes.length);
        }
        assertThat(rows.failure() == null).as("failure: " + rows.failure()).isEqualTo(rows.rowsByTable().isPresent());
        return rows.rowsByTable();
    }

    @Test
    void everyTableHasTheCountPostgresqlGivesItWhateverThePiecesTheArchiveArrivesIn() throws IOException {
        Map<Long, Long> expected = countsOnTheServer();
        assertThat(expected).as(expected.toString()).hasSizeGreaterThan(5).containsValue(0L).containsValue(30000L).containsValue(777L);
        assertThat(follow(archive, null)).contains(expected);
        for (int seed = 0; seed < 5; seed++) {
            assertThat(follow(archive, new Random(seed))).as("seed " + seed).contains(expected);
        }
    }

    @Test
    void theDataOffsetIsWhereTwoDumpsOfAnUnchangedDatabaseStartToBeTheSame() throws Exception {
        Thread.sleep(1100); // the header holds the dump's time, to the second
        byte[] again = pgDump("-Fc", "-Z0");
        long[] offsets = new long[2];
        byte[][] dumps = {archive, again};
        for (int i = 0; i < 2; i++) {
            ArchiveRows rows = new ArchiveRows();
            try (InputStream in = rows.follow(new ByteArrayInputStream(dumps[i]))) {
                in.readAllBytes();
            }
            offsets[i] = rows.dataOffset();
            assertThat(offsets[i]).isPositive().isLessThan(dumps[i].length);
            assertThat(dumps[i][(int) offsets[i]]).as("a data block starts there").isIn((byte) 1, (byte) 3);
        }
        assertThat(Arrays.copyOf(archive, (int) offsets[0])).as("the header and table of contents differ")
                .isNotEqualTo(Arrays.copyOf(again, (int) offsets[1]));
        assertThat(Arrays.copyOfRange(archive, (int) offsets[0], archive.length))
                .as("everything after the data offset is the same")
                .isEqualTo(Arrays.copyOfRange(again, (int) offsets[1], again.length));
    }

    @Test
    void aLargeSchemaIsFollowedEntryByEntryNotHeldWhole() throws Exception {
        String db = "archive_rows_schema";
        pg.dropDatabase(db);
        pg.createDatabase(db);
        // 400 tables with a 5 kB comment each: a table of contents of about 2 MB before the first data
        pg.psql(db, "do $$ begin for i in 1..400 loop execute format('create table t%s (id int); "
                + "insert into t%s select generate_series(1, %s); comment on table t%s is %L', i, i, i, i, "
                + "repeat('x', 5000)); end loop; end $$");
        byte[] bytes;
        try {
            List<String> command = List.of(pg.binDir().resolve("pg_dump").toString(), "-Fc", "-Z0", db);
            ProcessBuilder pb = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.INHERIT);
            pb.environment().clear();
            pb.environment().putAll(pg.clientEnvironment());
            Process p = pb.start();
            bytes = p.getInputStream().readAllBytes();
            assertThat(p.waitFor()).isZero();
        } finally {
            pg.dropDatabase(db);
        }
        ArchiveRows rows = new ArchiveRows();
        InputStream in = rows.follow(new ByteArrayInputStream(bytes));
        byte[] buf = new byte[64 * 1024];
        while (in.read(buf, 0, buf.length) > 0) {
            // follow
        }
        assertThat(rows.rowsByTable()).isPresent();
        assertThat(rows.rowsByTable().get().values()).hasSize(400).contains(1L, 200L, 400L);
        assertThat(rows.rowsByTable().get().values().stream().mapToLong(Long::longValue).sum()).isEqualTo(400 * 401 / 2);
        assertThat(bytes.length).isGreaterThan(2_000_000);
        assertThat(rows.largestHeadBuffer()).isLessThanOrEqualTo(256 * 1024);
    }

    @Test
    void anArchiveItCannotFollowGivesNoCountsAndSaysWhy() throws Exception {
        ArchiveRows truncated = new ArchiveRows();
        truncated.follow(new ByteArrayInputStream(archive, 0, archive.length - 100)).readAllBytes();
        assertThat(truncated.rowsByTable()).isEmpty();
        assertThat(truncated.failure()).contains("ended in the middle of a block");

        ArchiveRows compressed = new ArchiveRows();
        compressed.follow(new ByteArrayInputStream(pgDump("-Fc", "-Z1"))).readAllBytes();
        assertThat(compressed.rowsByTable()).isEmpty();
        assertThat(compressed.failure()).contains("compressed");

        ArchiveRows plain = new ArchiveRows();
        plain.follow(new ByteArrayInputStream(pgDump("-Fp"))).readAllBytes();
        assertThat(plain.rowsByTable()).isEmpty();
        assertThat(plain.failure()).isEqualTo("not a pg_dump custom-format archive");

        byte[] corrupt = archive.clone();
        int firstData = indexOf(corrupt, "Zürich".getBytes(java.nio.charset.StandardCharsets.UTF_8));
        assertThat(firstData).isPositive();
        ArchiveRows lost = new ArchiveRows();
        // a length field overwritten: the follower goes astray and must not report counts as if all were well
        int lengthField = lastLengthBefore(corrupt, firstData);
        corrupt[lengthField] = 0x7f;
        lost.follow(new ByteArrayInputStream(corrupt)).readAllBytes();
        assertThat(lost.rowsByTable()).isEmpty();
    }

    /** Where the sign byte of the length prefix of the piece holding {@code at} starts (pg_dump's 4-byte ints). */
    private static int lastLengthBefore(byte[] b, int at) {
        for (int i = at; i >= 5; i--) {
            int len = (b[i - 4] & 0xff) | (b[i - 3] & 0xff) << 8 | (b[i - 2] & 0xff) << 16 | (b[i - 1] & 0xff) << 24;
            if (b[i - 5] == 0 && len > at - i && len < 1 << 20) {
                return i - 5;
            }
        }
        throw new AssertionError("no length prefix found");
    }

    private static int indexOf(byte[] b, byte[] what) {
        outer:
        for (int i = 0; i + what.length <= b.length; i++) {
            for (int j = 0; j < what.length; j++) {
                if (b[i + j] != what[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }

    @Test
    void newlinesAreCountedExactlyAtAnyOffset() {
        Random random = new Random(42);
        byte[] b = new byte[4099];
        for (int round = 0; round < 200; round++) {
            for (int i = 0; i < b.length; i++) {
                // newlines, their neighbours in value, and bytes with the high bit set
                b[i] = (byte) switch (random.nextInt(5)) {
                    case 0 -> '\n';
                    case 1 -> 0x0b;
                    case 2 -> 0x8a;
                    case 3 -> 0x00;
                    default -> random.nextInt(256);
                };
            }
            int off = random.nextInt(64);
            int len = random.nextInt(b.length - off);
            long naive = 0;
            for (int i = off; i < off + len; i++) {
                naive += b[i] == '\n' ? 1 : 0;
            }
            assertThat(ArchiveRows.newlines(b, off, len)).isEqualTo(naive);
        }
    }
}
