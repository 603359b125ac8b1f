package dev.lifeboat.source.postgres;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** The decisions a restore takes from the archive's table of contents, before pg_restore runs. */
class PostgresRestoreTest {
    /** Lines of pg_restore --create --list (pg_restore 15) for a database with a partitioned table. */
    private static final List<String> TOC = List.of(
            ";",
            "; Archive created at 2026-12-02 10:13:14 UTC",
            "3344; 1262 16384 DATABASE - src own1",
            "3345; 0 0 COMMENT - DATABASE src own1",
            "3346; 0 0 ACL - DATABASE src own1",
            "3347; 0 0 DATABASE PROPERTIES - src own1",
            "6; 2615 16390 SCHEMA - s pg_database_owner",
            "249; 1259 21577 TABLE sales regional_totals postgres",
            "250; 1259 21582 TABLE sales regional_totals_eu postgres",
            "251; 1259 21587 TABLE sales regional_totals_eu_h0 postgres",
            "4252; 0 21587 TABLE DATA sales regional_totals_eu_h0 postgres",
            "4022; 2606 21530 CONSTRAINT app customers customers_pkey owner two",
            "4023; 2606 21581 CONSTRAINT sales regional_totals regional_totals_region_bucket_key postgres",
            "4025; 2606 21586 CONSTRAINT sales regional_totals_eu regional_totals_eu_region_bucket_key postgres",
            "4027; 2606 21591 CONSTRAINT sales regional_totals_eu_h0 regional_totals_eu_h0_region_bucket_key postgres",
            "4013; 1259 21565 INDEX sales regional_totals_eu_h0_idx postgres",
            "4056; 0 0 INDEX ATTACH sales regional_totals_eu_region_bucket_key postgres",
            "4057; 0 0 INDEX ATTACH sales regional_totals_eu_h0_region_bucket_key postgres",
            "4058; 0 0 INDEX ATTACH sales regional_totals_eu_h0_idx postgres",
            "838; 2606 16389 CHECK CONSTRAINT public d c postgres");

    @Test
    void theDatabasesOwnEntriesAreTold() {
        assertThat(PostgresRestore.databaseEntries(TOC)).containsExactly(TOC.get(2), TOC.get(3), TOC.get(4), TOC.get(5));
    }

    @Test
    void partitionConstraintsComeBeforeTheirParentsSoThatCleanDropsTheParentsFirst() {
        List<String> ordered = PostgresRestore.dropsInOrder(TOC);
        List<String> expected = new ArrayList<>(TOC);
        expected.removeAll(List.of(TOC.get(13), TOC.get(14)));
        expected.addAll(expected.indexOf(TOC.get(11)), List.of(TOC.get(13), TOC.get(14)));
        assertThat(ordered).isEqualTo(expected).containsExactlyInAnyOrderElementsOf(TOC);
        // the parent's constraint is dropped (the list read backwards) before those attached to it
        assertThat(ordered.indexOf(TOC.get(12))).isGreaterThan(ordered.indexOf(TOC.get(13)))
                .isGreaterThan(ordered.indexOf(TOC.get(14)));
        List<String> flat = List.of(TOC.get(7), TOC.get(11), TOC.get(12));
        assertThat(PostgresRestore.dropsInOrder(flat)).isSameAs(flat);
    }

    @Test
    void ownersAreKeptWhenEveryOwnerExistsAndTheUserMayGiveObjectsToIt() {
        List<String> told = new ArrayList<>();
        List<String> objects = TOC.subList(6, TOC.size());
        Map<String, Boolean> roles = Map.of("postgres", false, "pg_database_owner", true, "owner two", false);
        assertThat(PostgresRestore.ownersKept(objects, new PostgresRestore.Target("admin", true, true, false, roles),
                told::add)).isTrue();
        assertThat(told).isEmpty();

        // a role with a space in its name is found at the end of the line
        assertThat(PostgresRestore.ownersKept(objects, new PostgresRestore.Target("bob", false, true, false, roles),
                told::add)).isFalse();
        assertThat(told).containsExactly("Objects keep their owners only where they can: user bob may not give objects "
                + "to roles owner two, postgres (it is neither a superuser nor a member of them), so the restored "
                + "objects belong to bob instead (--no-owner). To keep the owners, restore as a superuser; pass "
                + "--no-owner to say this is intended.");
        told.clear();

        assertThat(PostgresRestore.ownersKept(objects, new PostgresRestore.Target("admin", true, true, false,
                Map.of("postgres", true)), told::add)).isFalse();
        assertThat(told).containsExactly("Objects keep their owners only where they can: roles pg_database_owner, "
                + "two, which own objects of the backup, do not exist on this server, so the restored objects belong to "
                + "admin instead (--no-owner). To keep the owners, create the roles first (a backup taken with "
                + "--globals holds them in globals.sql); pass --no-owner to say this is intended.");
    }

    @Test
    void anOwnerPostgresqlRefusedIsNamedWithItsReason() {
        assertThat(PostgresRestore.ownerRefused("pg_restore: error: could not execute query: ERROR:  permission denied "
                + "for schema public; Command was: ALTER TABLE public.loose OWNER TO keeper;"))
                .isEqualTo("ALTER TABLE public.loose OWNER TO keeper (permission denied for schema public)");
        // psql --echo-errors, which runs pg_restore's script of tables restored alone
        assertThat(PostgresRestore.ownerRefused("database u@h/app: ERROR:  permission denied for schema public; "
                + "STATEMENT:  ALTER TABLE public.loose OWNER TO keeper;"))
                .isEqualTo("ALTER TABLE public.loose OWNER TO keeper (permission denied for schema public)");
        assertThat(PostgresRestore.ownerRefused("pg_restore: error: could not execute query: ERROR:  relation "
                + "\"t\" already exists; Command was: CREATE TABLE public.t (id integer);")).isNull();
    }
}
