package dev.lifeboat.source.postgres;

import dev.lifeboat.source.SourceContractTest;
import dev.lifeboat.source.SourceSpec;
import dev.lifeboat.testing.PgCluster;
import org.junit.jupiter.api.AfterEach;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The {@code postgres} type against a real PostgreSQL cluster, its password in a pgpass file named by the URL's
 * {@code passfile} (lifeboat.yml refuses a password in the URL).
 */
class PostgresSourceTest extends SourceContractTest {
    private static final String DB = "contract_src";
    PgCluster pg;
    Path passfile;

    @Override
    protected void fill() throws Exception {
        pg = PgCluster.shared();
        pg.dropDatabase(DB);
        pg.createDatabase(DB);
        pg.psql(DB, """
                create table items(id bigint primary key, name text not null, payload jsonb, at timestamptz);
                insert into items select g, 'item ' || g, jsonb_build_object('n', g, 'h', md5(g::text)),
                  timestamptz '2026-01-01' + g * interval '1 minute' from generate_series(1, 30000) g;
                create index on items(at);
                create view recent as select * from items where id > 29000;
                """);
        passfile = work.resolve("pgpass");
        // pgpass escapes its separator and backslash
        String escaped = pg.password().replace("\\", "\\\\").replace(":", "\\:");
        Files.writeString(passfile, "127.0.0.1:" + pg.port() + ":*:" + pg.superuser() + ":" + escaped + "\n");
        Files.setPosixFilePermissions(passfile, PosixFilePermissions.fromString("rw-------"));
    }

    @AfterEach
    void drop() {
        pg.dropDatabase(DB);
    }

    private String url(String db) {
        return "postgres://" + pg.superuser() + "@127.0.0.1:" + pg.port() + "/" + db + "?passfile=" + passfile;
    }

    @Override
    protected SourceSpec spec(String name) {
        return new SourceSpec(name, "postgres", Map.of("url", url(DB)));
    }

    @Override
    protected String state() {
        return pg.schemaDump(DB) + pg.tableRows(DB);
    }

    @Override
    protected void damage() {
        pg.psql(DB, "delete from items where id % 3 = 0; update items set name = 'changed' where id < 100");
    }

    @Override
    protected Map<SourceSpec, String> badSpecs() {
        Map<SourceSpec, String> bad = new LinkedHashMap<>();
        bad.put(new SourceSpec("app", "postgres", Map.of()), "no url");
        bad.put(new SourceSpec("app", "postgres", Map.of("url", "postgres://u:secret@127.0.0.1:1/app")),
                "the url holds a password");
        bad.put(new SourceSpec("app", "postgres", Map.of("url", "postgres://u@127.0.0.1:1/")), "names no database");
        bad.put(new SourceSpec("app", "postgres", Map.of("url", url(DB), "tables", "x")), "unknown field 'tables'");
        bad.put(new SourceSpec("app", "postgres", Map.of("url", url(DB), "globals", "yes")), "globals must be true");
        bad.put(new SourceSpec("app", "postgres", Map.of("url", url("no_such_db_here"))), "no_such_db_here");
        return bad;
    }
}
