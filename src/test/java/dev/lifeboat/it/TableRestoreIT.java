package dev.lifeboat.it;

import dev.lifeboat.testing.LifeboatCli;
import dev.lifeboat.testing.PgCluster;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.SortedMap;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code restore --table} over the live database, one table at a time, on an ordinary schema: a table that other
 * tables reference by foreign keys (of its own schema and of another one, and itself), that views read (a chain of
 * them, with options, owners, grants and comments) and a materialized view reads. The restored table comes back as
 * the backup has it, row for row; the other tables keep their rows; the keys and views are there afterwards, with
 * the definitions they had. A key whose rows no longer match rolls everything back and is named; what cannot be done
 * is refused before the question and the safety backup.
 */
class TableRestoreIT {
    private static final String DB = "table_restore";
    private static final String SCHEMA = """
            create schema shop;
            create schema audit;
            create table shop.users(id serial primary key, name text not null, manager int references shop.users);
            comment on table shop.users is 'people who order';
            grant select on shop.users to lifeboat_it_tr_reader;
            create table shop.orders(id int primary key, user_id int not null references shop.users(id), total numeric);
            create table audit.reviews(id int primary key, user_id int,
                constraint reviews_user_fkey foreign key (user_id) references shop.users(id) on delete cascade deferrable);
            comment on constraint reviews_user_fkey on audit.reviews is 'who wrote it';
            create view shop.big_orders with (security_barrier) as
                select u.name, count(*) as n, sum(o.total) as total
                from shop.orders o join shop.users u on u.id = o.user_id group by u.name;
            create view shop.top_buyers as select name, n from shop.big_orders where n > 5;
            grant usage on schema shop to lifeboat_it_tr_owner;
            grant select on shop.big_orders to lifeboat_it_tr_owner;
            alter view shop.top_buyers owner to lifeboat_it_tr_owner;
            grant select on shop.top_buyers to lifeboat_it_tr_reader;
            comment on view shop.top_buyers is 'the best customers';
            comment on column shop.top_buyers.n is 'how many orders';
            create view audit.named_users as select id, name from shop.users where id > 0 with local check option;
            create materialized view audit.user_counts as select count(*) as users, max(name) as last from shop.users;
            create unique index user_counts_users on audit.user_counts(users);
            insert into shop.users(name, manager) select 'user ' || g, case when g > 1 then 1 end
                from generate_series(1, 300) g;
            insert into shop.orders select g, 1 + g % 300, g / 7.0 from generate_series(1, 3000) g;
            insert into audit.reviews select g, 1 + g % 300 from generate_series(1, 500) g;
            refresh materialized view audit.user_counts;
            """;

    /** The definitions of what depends on shop.users and shop.orders, one line each, as the catalog gives them. */
    private static final String DEPENDENTS = """
            select string_agg(x, E'\\n' order by x) from (
              select format('%s %s: %s options=%s acl=%s owner=%s comment=%s populated=%s', c.relkind, c.oid::regclass,
                            pg_get_viewdef(c.oid), c.reloptions, c.relacl, pg_get_userbyid(c.relowner),
                            obj_description(c.oid, 'pg_class'), c.relispopulated)
              from pg_class c where c.relkind in ('v', 'm') and c.relnamespace::regnamespace::text in ('shop', 'audit')
              union all
              select format('fk %s %s: %s comment=%s', k.conrelid::regclass, k.conname, pg_get_constraintdef(k.oid),
                            obj_description(k.oid, 'pg_constraint'))
              from pg_constraint k where k.contype = 'f'
              union all
              select format('column comment %s.%s: %s', a.attrelid::regclass, a.attname, col_description(a.attrelid, a.attnum))
              from pg_attribute a where a.attrelid = 'shop.top_buyers'::regclass and a.attnum > 0
              union all
              select format('index %s', pg_get_indexdef(i.indexrelid)) from pg_index i
              where i.indrelid = 'audit.user_counts'::regclass) q(x)""";

    @TempDir
    Path work;
    PgCluster pg;
    LifeboatCli cli;
    String url;
    Path repo;

    @BeforeEach
    void setUp() {
        pg = PgCluster.shared();
        pg.dropDatabase(DB);
        pg.psql("postgres", "drop role if exists lifeboat_it_tr_owner; drop role if exists lifeboat_it_tr_reader; "
                + "create role lifeboat_it_tr_owner; create role lifeboat_it_tr_reader");
        pg.createDatabase(DB);
        pg.psql(DB, SCHEMA);
        repo = work.resolve("repo");
        cli = new LifeboatCli(work).env("LIFEBOAT_REPOSITORY", repo.toString()).env("PGPASSWORD", pg.password());
        url = "postgres://" + pg.superuser() + "@127.0.0.1:" + pg.port() + "/" + DB;
        cli.run("init").expectSuccess();
    }

    @AfterEach
    void tearDown() {
        pg.dropDatabase(DB);
        pg.psql("postgres", "drop role if exists lifeboat_it_tr_owner; drop role if exists lifeboat_it_tr_reader");
    }

    @Test
    void aReferencedAndViewedTableIsRestoredAloneWithItsKeysAndViewsKept() throws IOException {
        String id = backup();
        SortedMap<String, String> inBackup = pg.tableRows(DB);
        String usersInBackup = rows("shop.users");
        String ordersInBackup = rows("shop.orders");
        String definitions = pg.psql(DB, DEPENDENTS);
        String schema = pg.schemaDump(DB);
        assertThat(definitions).contains("fk audit.reviews reviews_user_fkey", "v shop.top_buyers",
                "m audit.user_counts");

        // the day's damage: users renamed, an order and a review added (for users the backup has)
        pg.psql(DB, "update shop.users set name = 'zz damaged' where id <= 50; insert into shop.orders values (3001, 7, 1);"
                + " insert into audit.reviews values (501, 8); refresh materialized view audit.user_counts");
        assertThat(pg.psql(DB, "select users, last from audit.user_counts")).isEqualTo("300|zz damaged");
        SortedMap<String, String> before = pg.tableRows(DB);
        LifeboatCli.Result r = cli.run("restore", id, "--to", url, "--table", "shop.users", "--yes").expectSuccess();
        assertThat(r.stdout()).contains("safety backup taken first");
        assertThat(r.stderr()).contains("Dropped and created again around shop.users, as the target had them: ",
                "view shop.big_orders", "view shop.top_buyers", "view audit.named_users",
                "materialized view audit.user_counts (refreshed from the restored rows)",
                "foreign key orders_user_id_fkey on table shop.orders",
                "foreign key reviews_user_fkey on table audit.reviews");
        // users as the backup has them, row for row (its own sequence too); the other tables untouched
        assertThat(rows("shop.users")).isEqualTo(usersInBackup);
        SortedMap<String, String> after = pg.tableRows(DB);
        assertThat(after.get("shop.orders")).isEqualTo(before.get("shop.orders"));
        assertThat(after.get("audit.reviews")).isEqualTo(before.get("audit.reviews"));
        assertThat(after.get("shop.users")).isEqualTo(inBackup.get("shop.users"));
        assertThat(after.get("shop.users_id_seq")).isEqualTo(inBackup.get("shop.users_id_seq")).isNotNull();
        // every key and view as it was; the materialized view refreshed over the restored rows
        assertThat(pg.psql(DB, DEPENDENTS)).isEqualTo(definitions);
        assertThat(pg.schemaDump(DB)).isEqualTo(schema);
        assertThat(pg.psql(DB, "select users, last from audit.user_counts")).isEqualTo("300|user 99");
        assertThat(pg.psql(DB, "select count(*) from shop.top_buyers")).isEqualTo("300");
        assertThat(pg.psql(DB, "select has_table_privilege('lifeboat_it_tr_reader', 'shop.top_buyers', 'select'), "
                + "has_table_privilege('lifeboat_it_tr_reader', 'shop.users', 'select')")).isEqualTo("t|t");

        // then the orders, which only views read and whose key references users
        r = cli.run("restore", id, "--to", url, "--table", "shop.orders", "--yes").expectSuccess();
        assertThat(r.stderr()).contains("view shop.big_orders; view shop.top_buyers.");
        assertThat(rows("shop.orders")).isEqualTo(ordersInBackup);
        assertThat(rows("shop.users")).isEqualTo(usersInBackup);
        assertThat(pg.psql(DB, DEPENDENTS)).isEqualTo(definitions);
        assertThat(pg.schemaDump(DB)).isEqualTo(schema);
    }

    @Test
    void aKeyThatNoLongerHoldsRollsBackNamedAndTheHintsRecipeWorks() throws IOException {
        String id = backup();
        String definitions = pg.psql(DB, DEPENDENTS);
        // a user the backup does not have, with an order
        pg.psql(DB, "insert into shop.users values (1000, 'new'); insert into shop.orders values (3001, 1000, 1);"
                + " update shop.users set name = 'damaged' where id <= 50");
        SortedMap<String, String> before = pg.tableRows(DB);
        LifeboatCli.Result r = cli.run("restore", id, "--to", url, "--table", "shop.users", "--yes",
                "--no-safety-backup");
        assertThat(r.exitCode()).as(r.stderr()).isEqualTo(6);
        assertThat(r.stderr()).contains("Error: restoring shop.users into ", "foreign key orders_user_id_fkey on "
                + "table shop.orders does not hold over the restored rows: Key (user_id)=(1000) is not present in table",
                "Try: restore shop.orders with shop.users (--table shop.users --table shop.orders)",
                "the transaction was rolled back and the target is as it was");
        assertThat(pg.tableRows(DB)).isEqualTo(before);
        assertThat(pg.psql(DB, DEPENDENTS)).isEqualTo(definitions);

        // both together: the key holds between them
        cli.run("restore", id, "--to", url, "--table", "shop.users", "--table", "shop.orders", "--yes",
                "--no-safety-backup").expectSuccess();
        assertThat(pg.psql(DB, "select count(*) from shop.users where id = 1000 or name = 'damaged'")).isEqualTo("0");
        assertThat(pg.psql(DB, "select count(*) from shop.orders")).isEqualTo("3000");
        assertThat(pg.psql(DB, DEPENDENTS)).isEqualTo(definitions);

        // one of the restored table's own keys: orders reference a user the target no longer has
        pg.psql(DB, "delete from shop.orders where user_id = 5; delete from audit.reviews where user_id = 5; "
                + "delete from shop.users where id = 5");
        before = pg.tableRows(DB);
        r = cli.run("restore", id, "--to", url, "--table", "shop.orders", "--yes", "--no-safety-backup");
        assertThat(r.exitCode()).as(r.stderr()).isEqualTo(6);
        assertThat(r.stderr()).contains("foreign key orders_user_id_fkey of shop.orders to shop.users does not hold "
                + "over the restored rows: Key (user_id)=(5) is not present in table",
                "Try: restore shop.users with shop.orders (--table shop.orders --table shop.users)");
        assertThat(pg.tableRows(DB)).isEqualTo(before);
    }

    @Test
    void whatCannotBeDoneIsRefusedBeforeTheQuestionAndTheSafetyBackup() throws IOException {
        pg.psql(DB, "create function shop.greeting(u shop.users) returns text language sql as $$select 'hi ' || u.name$$;"
                + " create table shop.vip(since date) inherits (shop.orders); insert into shop.vip values (5001, 3, 9, now())");
        String id = backup();
        SortedMap<String, String> before = pg.tableRows(DB);
        long backups = backups();
        // no --yes and no terminal: a refusal that came after the question would be "needs confirmation" (exit 9)
        LifeboatCli.Result r = cli.run("restore", id, "--to", url, "--table", "shop.users");
        assertThat(r.exitCode()).as(r.stderr()).isEqualTo(6);
        assertThat(r.stderr()).startsWith("Error: cannot restore shop.users alone into database '" + DB + "' on ")
                .contains("function shop.greeting(shop.users) depends on type shop.users", "nothing was changed",
                        "Try: drop function shop.greeting(shop.users) first, and create it again after the restore");
        r = cli.run("restore", id, "--to", url, "--table", "shop.orders");
        assertThat(r.exitCode()).as(r.stderr()).isEqualTo(6);
        assertThat(r.stderr()).contains("table shop.vip inherits from shop.orders",
                "Try: restore them together: --table shop.orders --table shop.vip");
        assertThat(backups()).isEqualTo(backups);
        assertThat(pg.tableRows(DB)).isEqualTo(before);

        // as the refusal says: the parent with its child
        pg.psql(DB, "delete from shop.orders where id > 2000");
        cli.run("restore", id, "--to", url, "--table", "shop.orders", "--table", "shop.vip", "--yes")
                .expectSuccess();
        assertThat(pg.tableRows(DB)).isEqualTo(before);
        assertThat(backups()).isEqualTo(backups + 1); // the safety backup, this time
    }

    private String backup() {
        return cli.run("backup", "--db", url).expectSuccess().stdout().split(" ")[1];
    }

    /** Every row of the table, in the order of its key, as psql prints them. */
    private String rows(String table) {
        return pg.psql(DB, "select * from " + table + " order by 1");
    }

    private long backups() throws IOException {
        try (Stream<Path> ids = Files.list(repo.resolve("backups"))) {
            return ids.count();
        }
    }
}
