package dev.lifeboat.it;

import dev.lifeboat.testing.LifeboatCli;
import dev.lifeboat.testing.PgCluster;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SortedMap;
import java.util.TreeMap;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A database rich in object types (fixtures/rich.sql: every kind pg_dump handles that this server can make, objects
 * of other owners, the database's own settings, comment and privileges) is backed up and restored: into a new
 * database, where it must come back as a plain {@code pg_restore --create} of the same archive brings it back, and
 * as the source is; into an empty database made by createdb; and over the live source, after its data changed.
 * Security labels are not covered: they need a label provider, and none is installed.
 */
class FidelityIT {
    /** A child whose columns were in another order than its parent's: pg_dump gives it the parent's order. */
    private static final String REORDERED_CHILD = "app.circles";

    @TempDir
    Path work;

    @Test
    void richDatabaseRestoresAsPgRestoreCreateDoesAndAsTheSourceIs() throws Exception {
        PgCluster pg = PgCluster.shared();
        for (String db : List.of("rich", "rich_source", "rich_copy", "rich_empty")) {
            pg.dropDatabase(db);
        }
        pg.createDatabase("rich");
        pg.loadFixture("rich", "fixtures/rich.sql");

        LifeboatCli cli = new LifeboatCli(work).env("LIFEBOAT_REPOSITORY", work.resolve("repo").toString())
                .env("PGPASSWORD", pg.password());
        String base = "postgres://" + pg.superuser() + "@127.0.0.1:" + pg.port() + "/";
        cli.run("init").expectSuccess();
        cli.run("backup", "--db", base + "rich", "--globals").expectSuccess();
        // A drill restores it too, and drops its scratch database, which a subscription would keep.
        cli.run("verify", "latest", "--drill", "--scratch", base + "postgres").expectSuccess();
        assertThat(pg.psql("postgres", "select count(*) from pg_database where datname like 'lifeboat_drill_%'"))
                .isEqualTo("0");

        // pg_restore --create makes the archive's own name: the source steps aside
        pg.psql("postgres", "alter database rich rename to rich_source");
        LifeboatCli.Result restored = cli.run("restore", "latest", "--database", "rich", "--to", base + "rich_copy",
                "--create", "--yes").expectSuccess();
        assertThat(restored.stderr()).doesNotContain("keep their owners only").doesNotContain("Could not restore");
        Path archive = work.resolve("rich.dump");
        Files.write(archive, cliBytes(cli, "cat", "latest", "rich.dump"));
        pg.runTool("pg_restore", "--create", "--exit-on-error", "--dbname=postgres", archive.toString());

        // as pg_restore --create brings it back: every object, owner and privilege, every row, the database itself
        assertThat(pg.schemaDump("rich_copy")).isEqualTo(pg.schemaDump("rich"));
        assertThat(pg.tableRows("rich_copy")).isEqualTo(pg.tableRows("rich"));
        assertThat(pg.largeObjects("rich_copy")).isEqualTo(pg.largeObjects("rich")).isNotEmpty();
        assertThat(database(pg, "rich_copy")).isEqualTo(database(pg, "rich"));

        // and as the source is, but for the one thing pg_dump does not keep
        assertThat(PgCluster.columnsInAnyOrder(pg.schemaDump("rich_copy"), REORDERED_CHILD))
                .isEqualTo(PgCluster.columnsInAnyOrder(pg.schemaDump("rich_source"), REORDERED_CHILD));
        assertThat(PgCluster.without(REORDERED_CHILD, pg.tableRows("rich_copy")))
                .isEqualTo(PgCluster.without(REORDERED_CHILD, pg.tableRows("rich_source")));
        String circles = "select id, kind, area, label, radius from " + REORDERED_CHILD + " order by id";
        assertThat(pg.psql("rich_copy", circles)).isEqualTo(pg.psql("rich_source", circles)).isNotEmpty();
        assertThat(pg.largeObjects("rich_copy")).isEqualTo(pg.largeObjects("rich_source"));
        assertThat(database(pg, "rich_copy")).isEqualTo(database(pg, "rich_source"))
                .contains("owner lifeboat_fixture_owner", "timezone_abbreviations=India", "bytea_output=escape",
                        "lifeboat_fixture_reader statement_timeout=5s", "DATABASE rich in a comment",
                        "lifeboat.tenant=fixture 'quoted' DATABASE rich", "connection limit 100");

        // into an empty database that createdb made (as a user without CREATEDB is told to): no --clean, whose
        // DROPs fail there (a NOT VALID constraint of a domain that does not exist yet), and its owner stays
        pg.createDatabase("rich_empty");
        cli.run("restore", "latest", "--database", "rich", "--to", base + "rich_empty", "--yes").expectSuccess();
        assertThat(pg.schemaDump("rich_empty")).isEqualTo(pg.schemaDump("rich_copy"));
        assertThat(pg.tableRows("rich_empty")).isEqualTo(pg.tableRows("rich_copy"));
        assertThat(database(pg, "rich_empty")).isEqualTo(database(pg, "rich_copy")
                .replace("lifeboat_fixture_owner", pg.superuser())); // the owner, and the grantor of its privileges

        // The globals artifact holds the roles the grants refer to.
        String globals = new String(cliBytes(cli, "cat", "latest", "globals.sql"));
        assertThat(globals).contains("CREATE ROLE");
        for (String db : List.of("rich", "rich_source", "rich_copy", "rich_empty")) {
            pg.dropDatabase(db);
        }
    }

    @Test
    void richDatabaseRestoredOverItselfComesBackAsItWas() {
        PgCluster pg = PgCluster.shared();
        pg.dropDatabase("rich_live");
        pg.createDatabase("rich_live");
        pg.loadFixture("rich_live", "fixtures/rich.sql");
        // Objects re-created over an existing database get the default privileges the target holds for the user who
        // creates them (the fixture's loader has some), as with pg_restore --clean: restore as another superuser.
        pg.psql("postgres", "drop role if exists lifeboat_fixture_restorer; create role lifeboat_fixture_restorer "
                + "superuser login password '" + pg.password().replace("'", "''") + "'");
        String schema = PgCluster.columnsInAnyOrder(pg.schemaDump("rich_live"), REORDERED_CHILD);
        var rows = pg.tableRows("rich_live");
        String circles = "select id, kind, area, label, radius from " + REORDERED_CHILD + " order by id";
        String circlesRows = pg.psql("rich_live", circles);
        String database = database(pg, "rich_live");

        LifeboatCli cli = new LifeboatCli(work).env("LIFEBOAT_REPOSITORY", work.resolve("repo").toString())
                .env("PGPASSWORD", pg.password());
        String url = "postgres://lifeboat_fixture_restorer@127.0.0.1:" + pg.port() + "/rich_live";
        cli.run("init").expectSuccess();
        cli.run("backup", "--db", url).expectSuccess();
        pg.psql("rich_live", """
                delete from app.bookings where id % 3 = 0;
                update app.customers set display_name = 'changed ' || id where id % 7 = 0;
                insert into sales.orders (id, ordered_at, customer_id, amount) values (99999, '2024-05-05', 1005, 1);
                delete from sales.orders where id % 5 = 0;
                insert into app.discounts values (6, 20);
                update app.shapes set label = 'changed';
                select lo_unlink(424202);
                drop table app.words;
                alter database rich_live set bytea_output = 'hex';
                alter database rich_live reset lc_monetary;
                alter database rich_live set work_mem = '1MB';
                alter role lifeboat_fixture_writer in database rich_live set work_mem = '2MB';
                comment on database rich_live is 'changed';
                grant create on database rich_live to lifeboat_fixture_reader;
                """);
        assertThat(pg.tableRows("rich_live")).isNotEqualTo(rows);

        LifeboatCli.Result r = cli.run("restore", "latest", "--to", url, "--yes").expectSuccess();
        assertThat(r.stdout()).contains("safety backup taken first");
        assertThat(r.stderr()).doesNotContain("keep their owners only").doesNotContain("Could not restore");
        assertThat(PgCluster.columnsInAnyOrder(pg.schemaDump("rich_live"), REORDERED_CHILD)).isEqualTo(schema);
        assertThat(PgCluster.without(REORDERED_CHILD, pg.tableRows("rich_live"))).isEqualTo(PgCluster.without(REORDERED_CHILD, rows));
        assertThat(pg.psql("rich_live", circles)).isEqualTo(circlesRows);
        assertThat(database(pg, "rich_live")).isEqualTo(database);
        pg.dropDatabase("rich_live");
        pg.psql("postgres", "drop role lifeboat_fixture_restorer");
    }

    @Test
    void ownersAreKeptWhereTheRestoringUserMayAndTheFallbackIsSaid() {
        PgCluster pg = PgCluster.shared();
        for (String db : List.of("owners_src", "owners_new")) {
            pg.dropDatabase(db);
        }
        pg.psql("postgres", """
                drop role if exists lifeboat_it_creator;
                drop role if exists lifeboat_it_keeper;
                create role lifeboat_it_keeper nologin;
                """);
        pg.psql("postgres", "create role lifeboat_it_creator login createdb password '"
                + pg.password().replace("'", "''") + "'");
        pg.createDatabase("owners_src");
        pg.psql("owners_src", """
                create schema keep authorization lifeboat_it_keeper;
                create table keep.kept (id int primary key);
                insert into keep.kept select generate_series(1, 10);
                alter table keep.kept owner to lifeboat_it_keeper;
                revoke truncate on keep.kept from lifeboat_it_keeper;
                """);
        LifeboatCli cli = new LifeboatCli(work).env("LIFEBOAT_REPOSITORY", work.resolve("repo").toString())
                .env("PGPASSWORD", pg.password());
        String admin = "postgres://" + pg.superuser() + "@127.0.0.1:" + pg.port() + "/";
        String creator = "postgres://lifeboat_it_creator@127.0.0.1:" + pg.port() + "/";
        cli.run("init").expectSuccess();
        String id = cli.run("backup", "--db", admin + "owners_src").expectSuccess().stdout().split(" ")[1];
        String owner = "select tableowner from pg_tables where tablename = 'kept'";
        String acl = "select relacl::text from pg_class where relname = 'kept'";
        try {
            // a user who may not give objects to their owner: the restore goes ahead, and says what it changed
            LifeboatCli.Result r = cli.run("restore", id, "--to", creator + "owners_new", "--create", "--yes")
                    .expectSuccess();
            assertThat(r.stderr()).contains("Objects keep their owners only where they can: user lifeboat_it_creator "
                    + "may not give objects to role lifeboat_it_keeper (it is neither a superuser nor a member of it), "
                    + "so the restored objects belong to lifeboat_it_creator instead (--no-owner)")
                    .contains("Database owners_new belongs to lifeboat_it_creator, not to " + pg.superuser()
                            + " as in the backup: user lifeboat_it_creator is not a member of role " + pg.superuser());
            assertThat(pg.psql("owners_new", owner)).isEqualTo("lifeboat_it_creator");
            assertThat(pg.tableRows("owners_new")).isEqualTo(pg.tableRows("owners_src"));
            pg.dropDatabase("owners_new");

            // a member of the owner's role keeps it, and the owner's REVOKE from itself
            pg.psql("postgres", "grant lifeboat_it_keeper to lifeboat_it_creator");
            r = cli.run("restore", id, "--to", creator + "owners_new", "--create", "--yes").expectSuccess();
            assertThat(r.stderr()).doesNotContain("keep their owners only");
            assertThat(pg.psql("owners_new", owner)).isEqualTo("lifeboat_it_keeper");
            assertThat(pg.psql("owners_new", acl)).isEqualTo(pg.psql("owners_src", acl)).contains("lifeboat_it_keeper=");
            pg.dropDatabase("owners_new");

            // ... unless PostgreSQL refuses the owner (it must be allowed to create in the schema): then it is
            // restored again without owners, and the user is told why
            pg.psql("owners_src", "create table public.loose (id int); alter table public.loose owner to lifeboat_it_keeper");
            String second = cli.run("backup", "--db", admin + "owners_src").expectSuccess().stdout().split(" ")[1];
            r = cli.run("restore", second, "--to", creator + "owners_new", "--create", "--yes").expectSuccess();
            assertThat(r.stderr()).contains("Objects keep their owners only where they can: PostgreSQL refused ALTER "
                    + "TABLE public.loose OWNER TO lifeboat_it_keeper (permission denied for schema public), so the "
                    + "restored objects belong to lifeboat_it_creator instead (--no-owner)");
            assertThat(pg.psql("owners_new", owner)).isEqualTo("lifeboat_it_creator");
            assertThat(pg.tableRows("owners_new")).isEqualTo(pg.tableRows("owners_src"));
            pg.dropDatabase("owners_new");

            // --no-owner when asked, without a word
            r = cli.run("restore", id, "--to", admin + "owners_new", "--create", "--no-owner", "--yes")
                    .expectSuccess();
            assertThat(r.stderr()).doesNotContain("keep their owners only");
            assertThat(pg.psql("owners_new", owner)).isEqualTo(pg.superuser());
        } finally {
            for (String db : List.of("owners_src", "owners_new")) {
                pg.dropDatabase(db);
            }
            pg.psql("postgres", "drop role lifeboat_it_creator; drop role lifeboat_it_keeper");
        }
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

    /**
     * The database itself, without its name: owner, connection limit, comment, privileges (sorted: their order is
     * the history of the GRANTs) and settings, its own and those of each role in it.
     */
    private static String database(PgCluster pg, String db) {
        return pg.psql(db, """
                select 'owner ' || pg_get_userbyid(d.datdba) || E'\\nconnection limit ' || d.datconnlimit
                       || E'\\ncomment ' || coalesce(shobj_description(d.oid, 'pg_database'), '-')
                       || E'\\nprivileges ' || coalesce(array_to_string(array(select x::text
                                                        from unnest(d.datacl) x order by 1), ' '), 'default')
                       || coalesce((select string_agg(E'\\nsettings ' || coalesce(r.rolname, '(all)') || ' '
                                                      || array_to_string(s.setconfig, ' '), '' order by r.rolname nulls first)
                                    from pg_db_role_setting s left join pg_roles r on r.oid = s.setrole
                                    where s.setdatabase = d.oid), '')
                from pg_database d where d.datname = current_database()""");
    }

    /** The dump with the column lines of {@code table}'s CREATE TABLE sorted and without their commas. */
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
