package dev.lifeboat.it;

import dev.lifeboat.testing.LifeboatCli;
import dev.lifeboat.testing.PgCluster;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A database rich in object types (fixtures/rich.sql) is backed up and restored into a new database:
 * the schema dumps are identical and so is every table, sequence and large object.
 */
class FidelityIT {
    @TempDir
    Path work;

    @Test
    void richDatabaseRestoresIdentically() {
        PgCluster pg = PgCluster.shared();
        pg.dropDatabase("rich");
        pg.dropDatabase("rich_copy");
        pg.createDatabase("rich");
        pg.loadFixture("rich", "fixtures/rich.sql");

        LifeboatCli cli = new LifeboatCli(work).env("LIFEBOAT_REPOSITORY", work.resolve("repo").toString())
                .env("PGPASSWORD", pg.password());
        String base = "postgres://" + pg.superuser() + "@127.0.0.1:" + pg.port() + "/";
        cli.run("init").expectSuccess();
        cli.run("backup", "--db", base + "rich", "--globals").expectSuccess();
        cli.run("restore", "latest", "--database", "rich", "--to", base + "rich_copy", "--create", "--yes").expectSuccess();

        assertThat(pg.schemaDump("rich_copy")).isEqualTo(pg.schemaDump("rich"));
        assertThat(pg.tableRows("rich_copy")).isEqualTo(pg.tableRows("rich"));
        assertThat(pg.largeObjects("rich_copy")).isEqualTo(pg.largeObjects("rich")).isNotEmpty();

        // The globals artifact holds the roles the grants refer to.
        String globals = new String(cliBytes(cli, "cat", "latest", "globals.sql"));
        assertThat(globals).contains("CREATE ROLE");
    }

    @Test
    void restoringOneTableBringsBackItsRowsIndexesAndConstraintsAndLeavesTheRestAlone() {
        PgCluster pg = PgCluster.shared();
        pg.dropDatabase("shop");
        pg.createDatabase("shop");
        pg.psql("shop", """
                create table customers(id int primary key, email text unique not null);
                create table orders(id serial primary key, customer int references customers, total numeric(10,2) check (total >= 0));
                create index orders_total_idx on orders(total);
                insert into customers select g, 'c' || g || '@example.com' from generate_series(1, 500) g;
                insert into orders(customer, total) select 1 + g % 500, g / 7.0 from generate_series(1, 5000) g;
                """);
        LifeboatCli cli = new LifeboatCli(work).env("LIFEBOAT_REPOSITORY", work.resolve("repo2").toString())
                .env("PGPASSWORD", pg.password());
        String url = "postgres://" + pg.superuser() + "@127.0.0.1:" + pg.port() + "/shop";
        cli.run("init").expectSuccess();
        String id = cli.run("backup", "--db", url).expectSuccess().stdout().split(" ")[1];
        String before = pg.schemaDump("shop");
        var rowsBefore = pg.tableRows("shop");

        pg.psql("shop", "delete from orders where id % 3 = 0; insert into customers values (9999, 'new@example.com')");
        LifeboatCli.Result r = cli.run("restore", id, "--to", url, "--table", "public.orders", "--yes");
        r.expectSuccess();
        assertThat(r.stdout()).contains("safety backup taken first");

        var rowsAfter = pg.tableRows("shop");
        assertThat(rowsAfter.get("public.orders")).isEqualTo(rowsBefore.get("public.orders"));
        assertThat(rowsAfter.get("public.customers")).isNotEqualTo(rowsBefore.get("public.customers"));
        assertThat(pg.schemaDump("shop")).isEqualTo(before);
        pg.dropDatabase("shop");
    }

    private static byte[] cliBytes(LifeboatCli cli, String... args) {
        try {
            Process p = cli.command(args).start();
            byte[] out = p.getInputStream().readAllBytes();
            assertThat(p.waitFor()).isZero();
            return out;
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }
}
