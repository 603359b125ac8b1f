package dev.lifeboat.source.postgres;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lifeboat.testing.PgCluster;
import java.io.InputStream;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/**
 * The size guess behind the backup's ETA, against a real server: close enough to the dump it announces, and
 * available to a user who owns nothing but the database (a failing query would abort the dump's session).
 */
class PostgresDumpTest {

    @Test
    void estimateIsNearTheDumpSizeForAnUnprivilegedOwner() throws Exception {
        PgCluster pg = PgCluster.shared();
        String db = "dumptest_estimate";
        String password = "Est1mate-" + System.nanoTime();
        pg.dropDatabase(db);
        pg.psql("postgres", "drop role if exists dumptest_owner");
        pg.psql("postgres", "create role dumptest_owner login password '" + password + "'");
        pg.createDatabase(db);
        pg.psql(db, "alter database " + db + " owner to dumptest_owner");
        pg.psql(db, "set role dumptest_owner; create table notes (id bigint primary key, body text, at timestamptz);"
                + " insert into notes select g, repeat(md5(g::text), 8), now() from generate_series(1, 20000) g;"
                + " select lo_from_bytea(0, convert_to(repeat('x', 100000), 'UTF8'))");

        PgConnection owner = PgConnection.parse("postgres://dumptest_owner:" + URLEncoder.encode(password,
                StandardCharsets.UTF_8) + "@" + pg.host() + ":" + pg.port() + "/" + db);
        PgTools tools = PgTools.search(java.util.List.of(pg.binDir()), LockWait.DEFAULT);
        try (PostgresDump dump = PostgresDump.prepare(tools, owner)) {
            long estimate = dump.estimatedBytes();
            long actual;
            try (InputStream in = dump.start()) {
                actual = in.transferTo(java.io.OutputStream.nullOutputStream());
            }
            dump.finish();
            // 20,000 rows of ~300 bytes and a 100 kB large object: about 6.5 MB of COPY text.
            assertThat(actual).isGreaterThan(6_000_000L);
            assertThat(estimate).isBetween(actual / 2, actual * 2);
        } finally {
            pg.dropDatabase(db);
            pg.psql("postgres", "drop role if exists dumptest_owner");
        }
    }
}
