package dev.lifeboat.source.postgres;

import dev.lifeboat.source.StderrTail;
import dev.lifeboat.core.ErrorCode;
import dev.lifeboat.core.LifeboatException;
import dev.lifeboat.core.Units;
import dev.lifeboat.repository.Manifest;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What of a target depends on the tables a one-table restore drops and creates, read from the target's catalog: the
 * objects that a {@code DROP TABLE} (without {@code CASCADE}) would refuse to drop. PostgreSQL's own rule decides:
 * everything tied to a table by an automatic or internal dependency goes with it (its indexes, constraints, triggers,
 * rules, policies, defaults, owned sequences, row type), and an object that depends on one of those in the normal way
 * keeps it from being dropped. Of those, the restore drops and recreates, with the definitions the target has:
 * <ul>
 * <li>foreign keys of other tables that reference a restored table (of any schema; one of a partitioned table once,
 *     on the partitioned table), which are validated again against the restored rows;</li>
 * <li>views and materialized views that read a restored table, and those that read them in turn, in the order they
 *     depend on each other, with their options ({@code security_barrier}, {@code security_invoker}, check option,
 *     a materialized view's storage parameters, access method and tablespace), owner, privileges (of the relation and
 *     of its columns), comments, column defaults, rules, triggers and a materialized view's indexes; a materialized
 *     view that held data is refreshed by its owner, so it holds what its query gives over the restored rows, as
 *     after a {@code REFRESH}; one that held none stays empty;</li>
 * <li>rules and row-level security policies of other tables whose actions or expressions read a restored table, and
 *     column defaults of other tables that call a restored table's own sequence.</li>
 * </ul>
 * Anything else in the way (a function taking a restored table's row type, another table inheriting from one that is
 * not restored with it, an object its user may not recreate) is refused before anything happens; so is a partition,
 * which pg_restore would bring back detached from its parent. Triggers of other tables are not dependents: PostgreSQL
 * does not record what a function's body reads.
 */
public final class TableDependents {
    /** One object to drop before the restore and create after it; {@code relation} is the one it belongs to. */
    record Dependent(Kind kind, String description, String relation, List<String> drop, List<String> create) {}

    enum Kind { VIEW, FOREIGN_KEY, RULE, POLICY, DEFAULT }

    /** Something that keeps a table from being restored alone, and what to do about it. */
    public record Refusal(String what, String fix) {}

    /**
     * What a one-table restore must do around the tables: {@link #dependents} in the order they are created again
     * (each view after those it reads), and what it cannot do.
     */
    record Plan(List<Dependent> dependents, List<Refusal> refusals) {
        /** The dependents as people read them, a few words each. */
        List<String> described() {
            return dependents.stream().map(Dependent::description).toList();
        }

        /** In the order they can be dropped: what is not a view first, then the views, each before those it reads. */
        List<Dependent> dropOrder() {
            List<Dependent> out = new ArrayList<>(dependents.stream().filter(d -> d.kind() != Kind.VIEW).toList());
            List<Dependent> views = new ArrayList<>(dependents.stream().filter(d -> d.kind() == Kind.VIEW).toList());
            Collections.reverse(views);
            out.addAll(views);
            return out;
        }
    }

    private static final String CLASS = "'pg_catalog.pg_class'::pg_catalog.regclass";

    /**
     * What is in the way of a DROP of the relations {@code %2$s} (an oid[] literal; {@code %1$s} is pg_class): the
     * objects that depend in the normal way on what the DROP takes with it (the relations and, recursively, what
     * depends on them automatically or internally), each with its kind, oid (a view's, for its rule), description
     * and the description of what it depends on.
     */
    private static final String BLOCKERS = """
            with recursive gone(classid, objid) as (
                select %1$s::oid, r from unnest('%2$s'::oid[]) r
                union
                select d.classid, d.objid from pg_depend d join gone g on d.refclassid = g.classid and d.refobjid = g.objid
                where d.deptype in ('a', 'i', 'P', 'S')
            )
            select distinct on (d.classid, d.objid)
                   case when d.classid = 'pg_constraint'::regclass and k.contype = 'f' then 'fk'
                        when d.classid = 'pg_rewrite'::regclass and r.rulename = '_RETURN' and v.relkind in ('v', 'm')
                             then 'view'
                        when d.classid = 'pg_rewrite'::regclass then 'rule'
                        when d.classid = 'pg_policy'::regclass then 'policy'
                        when d.classid = 'pg_attrdef'::regclass then 'default'
                        when d.classid = %1$s and exists (select 1 from pg_inherits i where i.inhrelid = d.objid
                             and i.inhparent = d.refobjid) then 'child'
                        else 'other' end,
                   case when v.relkind in ('v', 'm') and r.rulename = '_RETURN' then r.ev_class else d.objid end,
                   encode(convert_to(case when v.relkind in ('v', 'm') and r.rulename = '_RETURN'
                                          then pg_describe_object(%1$s, r.ev_class, 0)
                                          else pg_describe_object(d.classid, d.objid, 0) end, 'UTF8'), 'hex'),
                   encode(convert_to(pg_describe_object(d.refclassid, d.refobjid, 0), 'UTF8'), 'hex')
            from pg_depend d join gone g on d.refclassid = g.classid and d.refobjid = g.objid
                 left join pg_constraint k on d.classid = 'pg_constraint'::regclass and k.oid = d.objid
                 left join pg_rewrite r on d.classid = 'pg_rewrite'::regclass and r.oid = d.objid
                 left join pg_class v on v.oid = r.ev_class
            where d.deptype = 'n'
              and not exists (select 1 from gone x where x.classid = d.classid and x.objid = d.objid)
            order by d.classid, d.objid, d.refobjid""";

    private TableDependents() {}

    /**
     * Reads what depends on {@code tables} in the session's database (its search path is set empty, so that every
     * definition read comes schema-qualified, as pg_dump's).
     *
     * @param tables the tables the restore drops and creates; those the target does not have are left out
     */
    static Plan of(PsqlSession s, List<TableInfo> tables) {
        s.query("select pg_catalog.set_config('search_path', '', false)");
        List<Refusal> refusals = new ArrayList<>();
        Map<Long, String> restored = restored(s, tables, refusals);
        if (restored.isEmpty() || !refusals.isEmpty()) {
            return new Plan(List.of(), refusals);
        }
        InTheWay found = inTheWay(s, restored.keySet());
        refusals.addAll(refusals(s, found, restored.values()));
        List<Dependent> dependents = new ArrayList<>();
        for (long oid : viewsInOrder(s, found.views().keySet())) {
            dependents.add(view(s, oid, found.views().get(oid)));
        }
        for (long oid : foreignKeyRoots(s, found.of("fk"))) {
            dependents.add(foreignKey(s, oid));
        }
        for (long oid : found.of("rule")) {
            dependents.add(rule(s, oid, found.described(oid)));
        }
        for (long oid : found.of("policy")) {
            dependents.add(policy(s, oid, found.described(oid)));
        }
        for (long oid : found.of("default")) {
            dependents.add(columnDefault(s, oid, found.described(oid)));
        }
        refusals.addAll(notMine(s, dependents));
        return new Plan(dependents, refusals);
    }

    /** The tables of {@code tables} that the target has, by oid; a partition among them is refused. */
    private static Map<Long, String> restored(PsqlSession s, List<TableInfo> tables, List<Refusal> refusals) {
        Map<Long, String> restored = new LinkedHashMap<>();
        for (String[] r : s.query("select c.oid, encode(convert_to(c.oid::regclass::text, 'UTF8'), 'hex'), "
                + "coalesce((select encode(convert_to(i.inhparent::regclass::text, 'UTF8'), 'hex') from pg_inherits i "
                + "where i.inhrelid = c.oid and c.relispartition), '') from pg_class c join pg_namespace n on "
                + "n.oid = c.relnamespace join (values " + PostgresRestore.pairs(tables) + ") as w(s, t) "
                + "on w.s = n.nspname and w.t = c.relname where c.relkind in ('r', 'p') order by 2")) {
            String name = PostgresDump.unhex(r[1]);
            restored.put(Long.parseLong(r[0]), name);
            if (!r[2].isEmpty()) {
                refusals.add(new Refusal("table " + name + " is a partition of " + PostgresDump.unhex(r[2])
                        + ", and pg_restore would bring it back detached from it", "restore the backup into a new "
                        + "database (--create), then empty " + name + " here and copy its rows over from there"));
            }
        }
        return restored;
    }

    /**
     * What is in the way of dropping some tables, by kind ({@code fk}, {@code view}, {@code rule}, {@code policy},
     * {@code default}, {@code child}, {@code other}): the oids of the objects (a view's own, not its rule's), each
     * with its description and that of what it depends on; {@code views} the views among them, described.
     */
    private record InTheWay(Map<String, Set<Long>> kinds, Map<Long, String[]> described, Map<Long, String> views) {
        Set<Long> of(String kind) {
            return kinds.getOrDefault(kind, Set.of());
        }

        String described(long oid) {
            return described.get(oid)[0];
        }
    }

    /** What depends on the tables {@code restored}, and on the views that read them, and on those, to the last. */
    private static InTheWay inTheWay(PsqlSession s, Set<Long> restored) {
        InTheWay found = new InTheWay(new LinkedHashMap<>(), new HashMap<>(), new LinkedHashMap<>());
        List<Long> roots = new ArrayList<>(restored);
        while (true) {
            int before = found.views().size();
            for (String[] r : s.query(String.format(BLOCKERS, CLASS, oidArray(roots)))) {
                long oid = Long.parseLong(r[1]);
                found.kinds().computeIfAbsent(r[0], k -> new LinkedHashSet<>()).add(oid);
                found.described().putIfAbsent(oid, new String[] {PostgresDump.unhex(r[2]), PostgresDump.unhex(r[3])});
                if (r[0].equals("view")) {
                    found.views().putIfAbsent(oid, found.described(oid));
                }
            }
            if (found.views().size() == before) {
                return found;
            }
            roots = new ArrayList<>(restored);
            roots.addAll(found.views().keySet());
        }
    }

    /** What of {@code found} the restore cannot drop and create again, and what to do about it. */
    private static List<Refusal> refusals(PsqlSession s, InTheWay found, Collection<String> restored) {
        List<Refusal> refusals = new ArrayList<>();
        Set<String> children = new TreeSet<>();
        for (long oid : found.of("child")) {
            children.add(PostgresDump.unhex(s.value("select encode(convert_to(" + oid + "::regclass::text, 'UTF8'), "
                    + "'hex')")));
        }
        if (!children.isEmpty()) {
            List<String> flags = new ArrayList<>(restored);
            flags.addAll(children);
            refusals.add(new Refusal(Units.firstOf(children.stream().map(c -> "table " + c).toList(), 10)
                    + (children.size() == 1 ? " inherits" : " inherit") + " from " + String.join(", ", restored)
                    + ", and a table cannot be dropped under its inheritance children", "restore them together: "
                    + String.join(" ", flags.stream().map(f -> "--table " + f).toList())));
        }
        for (long oid : found.of("other")) {
            String[] b = found.described().get(oid);
            refusals.add(new Refusal(b[0] + " depends on " + b[1] + ", which the restore drops and creates",
                    "drop " + b[0] + " first, and create it again after the restore (around a table, Lifeboat drops and "
                            + "creates again only foreign keys, views, rules, policies and column defaults), or restore "
                            + "into a new database (--create) and copy the table's rows over from there"));
        }
        return refusals;
    }

    /** An {@code oid[]} literal. */
    private static String oidArray(Collection<Long> oids) {
        return "{" + String.join(",", oids.stream().map(String::valueOf).toList()) + "}";
    }

    /** The relations of {@code dependents} that the session's user may not drop and create as their owner. */
    private static List<Refusal> notMine(PsqlSession s, List<Dependent> dependents) {
        List<Refusal> out = new ArrayList<>();
        for (Dependent d : dependents) {
            String[] r = s.query("select pg_has_role(c.relowner, 'USAGE'), encode(convert_to(pg_get_userbyid("
                    + "c.relowner), 'UTF8'), 'hex'), current_user from pg_class c where c.oid = "
                    + PsqlSession.literal(d.relation()) + "::regclass").get(0);
            if (!"t".equals(r[0])) {
                String owner = PostgresDump.unhex(r[1]);
                out.add(new Refusal("user " + r[2] + " may not drop and create " + d.description() + (d.kind()
                        == Kind.VIEW ? ", which belongs to " : " (" + d.relation() + " belongs to ") + owner
                        + (d.kind() == Kind.VIEW ? "" : ")"), "restore as a superuser or as a member of role "
                        + owner));
            }
        }
        return out;
    }

    /** The views, each after the views of the set it reads (ties by name, so the order is the same every time). */
    private static List<Long> viewsInOrder(PsqlSession s, Set<Long> views) {
        if (views.isEmpty()) {
            return List.of();
        }
        String oids = oidArray(views);
        Map<Long, Set<Long>> reads = new HashMap<>();
        Map<Long, String> names = new HashMap<>();
        for (String[] r : s.query("select c.oid, encode(convert_to(c.oid::regclass::text, 'UTF8'), 'hex'), "
                + "coalesce(array_to_string(array(select distinct d.refobjid from pg_rewrite w join pg_depend d "
                + "on d.classid = 'pg_rewrite'::regclass and d.objid = w.oid and d.refclassid = 'pg_class'::regclass "
                + "where w.ev_class = c.oid and w.rulename = '_RETURN' and d.refobjid <> c.oid "
                + "and d.refobjid = any('" + oids + "'::oid[])), ','), '') from pg_class c where c.oid = any('" + oids
                + "'::oid[])")) {
            long oid = Long.parseLong(r[0]);
            names.put(oid, PostgresDump.unhex(r[1]));
            Set<Long> in = new LinkedHashSet<>();
            for (String x : r[2].isEmpty() ? new String[0] : r[2].split(",")) {
                in.add(Long.parseLong(x));
            }
            reads.put(oid, in);
        }
        List<Long> out = new ArrayList<>();
        Set<Long> left = new TreeSet<>(Comparator.comparing(names::get));
        left.addAll(views);
        while (!left.isEmpty()) {
            Long next = left.stream().filter(v -> out.containsAll(reads.get(v))).findFirst()
                    .orElseThrow(() -> new IllegalStateException("views that read each other: " + left));
            out.add(next);
            left.remove(next);
        }
        return out;
    }

    /**
     * The statements {@code query} makes of the catalog, as rows of (order, statement), in order; a statement that
     * came out null, and a comment that is not there ({@code format}'s {@code %L} of null is {@code NULL}), are none.
     */
    private static List<String> statements(PsqlSession s, String query) {
        List<String> out = new ArrayList<>();
        for (String[] r : s.query("select encode(convert_to(x, 'UTF8'), 'hex') from (" + query + ") as q(o, x) "
                + "where x is not null and x not like 'COMMENT ON % IS NULL' order by o")) {
            out.add(PostgresDump.unhex(r[0]));
        }
        return out;
    }

    /**
     * What gives relation {@code %1$s} (an oid) the privileges it had, {@code %2$s} (an aclitem[] literal or null),
     * once created anew. A new relation starts with its owner's privileges and what default privileges add: those of
     * every role are taken away first (a REVOKE from a role without any is a no-op), then each GRANT is made as its
     * grantor made it, in the order they were made (one made by another role than the owner, under that role).
     * Nothing is done when it had none of its own and no default privileges can have given any.
     */
    private static final String PRIVILEGES = """
            with acl(grantor, grantee, privilege_type, is_grantable, n) as (
                select * from aclexplode(%2$s::aclitem[]) with ordinality
            ), defaults as (
                select a.grantee from pg_default_acl d, aclexplode(d.defaclacl) a where d.defaclobjtype = 'r'
            )
            select 0, format('REVOKE ALL ON %%s FROM %%s', c.oid::regclass, (select string_agg(distinct g, ', ') from (
                       select quote_ident(pg_get_userbyid(c.relowner)) union all select 'PUBLIC'
                       union all select quote_ident(pg_get_userbyid(grantee)) from defaults where grantee <> 0) x(g)))
            from pg_class c where c.oid = %1$s and (%2$s is not null or exists (select 1 from defaults))
            union all
            select 1, format('GRANT ALL ON %%s TO %%I', c.oid::regclass, pg_get_userbyid(c.relowner))
            from pg_class c where c.oid = %1$s and %2$s is null and exists (select 1 from defaults)
            union all
            select 2 + min(n) * 0.0001, case when grantor <> c.relowner then format('SET ROLE %%I; ', pg_get_userbyid(grantor)) else '' end
                   || format('GRANT %%s ON %%s TO %%s%%s', string_agg(privilege_type, ', ' order by n), c.oid::regclass,
                             case when grantee = 0 then 'PUBLIC' else quote_ident(pg_get_userbyid(grantee)) end,
                             case when is_grantable then ' WITH GRANT OPTION' else '' end)
                   || case when grantor <> c.relowner then '; RESET ROLE' else '' end
            from pg_class c, acl where c.oid = %1$s group by c.oid, c.relowner, grantor, grantee, is_grantable
            union all
            select 3 + t.attnum * 0.0001 + min(a.n) * 0.00000001,
                   case when a.grantor <> c.relowner then format('SET ROLE %%I; ', pg_get_userbyid(a.grantor)) else '' end
                   || format('GRANT %%s (%%I) ON %%s TO %%s%%s', string_agg(a.privilege_type, ', ' order by a.n), t.attname,
                             c.oid::regclass, case when a.grantee = 0 then 'PUBLIC' else quote_ident(pg_get_userbyid(a.grantee)) end,
                             case when a.is_grantable then ' WITH GRANT OPTION' else '' end)
                   || case when a.grantor <> c.relowner then '; RESET ROLE' else '' end
            from pg_class c join pg_attribute t on t.attrelid = c.oid and t.attnum > 0 and not t.attisdropped,
                 aclexplode(t.attacl) with ordinality a(grantor, grantee, privilege_type, is_grantable, n)
            where c.oid = %1$s group by c.oid, c.relowner, t.attnum, t.attname, a.grantor, a.grantee, a.is_grantable""";

    /** A view or materialized view, as the target has it, with all that goes with it. */
    private static Dependent view(PsqlSession s, long oid, String description) {
        String[] facts = s.query("select c.relkind, encode(convert_to(c.oid::regclass::text, 'UTF8'), 'hex'), "
                + "c.relispopulated, coalesce(quote_literal(c.relacl), 'null') from pg_class c where c.oid = " + oid)
                .get(0);
        boolean matview = facts[0].equals("m");
        String name = PostgresDump.unhex(facts[1]);
        String kind = matview ? "MATERIALIZED VIEW" : "VIEW";
        String rel = oid + "::regclass";
        String query = "select 1, format('CREATE " + kind + " %s%s%s%s AS %s%s', c.oid::regclass, "
                + "case when c.relkind = 'm' and m.amname <> 'heap' then ' USING ' || quote_ident(m.amname) end, "
                + "' WITH (' || (select string_agg(format('%s=%L', split_part(o, '=', 1), substr(o, strpos(o, '=') + 1)),"
                + " ', ') from unnest(c.reloptions) o) || ')', "
                + "case when c.relkind = 'm' and c.reltablespace <> 0 then ' TABLESPACE ' || quote_ident(t.spcname) end, "
                + "rtrim(pg_get_viewdef(c.oid), ';'), case when c.relkind = 'm' then ' WITH NO DATA' end) "
                + "from pg_class c left join pg_am m on m.oid = c.relam left join pg_tablespace t on t.oid = c.reltablespace "
                + "where c.oid = " + oid
                + " union all select 2, format('ALTER " + kind + " %s OWNER TO %I', c.oid::regclass, "
                + "pg_get_userbyid(c.relowner)) from pg_class c where c.oid = " + oid
                + " union all select 3, format('COMMENT ON " + kind + " %s IS %L', " + rel + ", obj_description(" + oid
                + ", 'pg_class'))"
                + " union all select 4 + t.attnum * 0.0001, format('COMMENT ON COLUMN %s.%I IS %L', " + rel
                + ", t.attname, col_description(" + oid + ", t.attnum)) from pg_attribute t where t.attrelid = " + oid
                + " and t.attnum > 0"
                + " union all select 5 + d.adnum * 0.0001, format('ALTER " + kind + " %s ALTER COLUMN %I SET DEFAULT %s', "
                + rel + ", t.attname, pg_get_expr(d.adbin, d.adrelid)) from pg_attrdef d join pg_attribute t on "
                + "t.attrelid = d.adrelid and t.attnum = d.adnum where d.adrelid = " + oid
                + " union all select 10, pg_get_indexdef(i.indexrelid) || coalesce(' TABLESPACE ' || quote_ident("
                + "(select spcname from pg_tablespace where oid = x.reltablespace)), '') from pg_index i join pg_class x "
                + "on x.oid = i.indexrelid where i.indrelid = " + oid
                + " union all select 11, format('COMMENT ON INDEX %s IS %L', i.indexrelid::regclass, obj_description("
                + "i.indexrelid, 'pg_class')) from pg_index i where i.indrelid = " + oid
                + " union all select 12, format('ALTER " + kind + " %s CLUSTER ON %I', " + rel + ", x.relname) from "
                + "pg_index i join pg_class x on x.oid = i.indexrelid where i.indrelid = " + oid + " and i.indisclustered"
                + " union all select 20, rtrim(pg_get_ruledef(w.oid), ';') from pg_rewrite w where w.ev_class = " + oid
                + " and w.rulename <> '_RETURN'"
                + " union all select 21, format('COMMENT ON RULE %I ON %s IS %L', w.rulename, " + rel
                + ", obj_description(w.oid, 'pg_rewrite')) from pg_rewrite w where w.ev_class = " + oid
                + " and w.rulename <> '_RETURN'"
                + " union all select 30, pg_get_triggerdef(g.oid) from pg_trigger g where g.tgrelid = " + oid
                + " and not g.tgisinternal"
                + " union all select 31, format('COMMENT ON TRIGGER %I ON %s IS %L', g.tgname, " + rel
                + ", obj_description(g.oid, 'pg_trigger')) from pg_trigger g where g.tgrelid = " + oid
                + " and not g.tgisinternal"
                + (matview && facts[2].equals("t") ? " union all select 90, format('REFRESH MATERIALIZED VIEW %s', "
                        + rel + ")" : "");
        List<String> create = statements(s, query);
        // after the rules and triggers, before the refresh (which runs as the owner, with the privileges it had)
        create.addAll(create.size() - (matview && facts[2].equals("t") ? 1 : 0),
                statements(s, String.format(PRIVILEGES, oid, facts[3])));
        return new Dependent(Kind.VIEW, description + (matview ? facts[2].equals("t")
                ? " (refreshed from the restored rows)" : " (left unpopulated, as it was)" : ""),
                name, List.of("DROP " + kind + " " + name), create);
    }

    /** The constraints of partitions that a foreign key of a partitioned table made: the partitioned table's. */
    private static Set<Long> foreignKeyRoots(PsqlSession s, Set<Long> keys) {
        Set<Long> out = new LinkedHashSet<>();
        if (keys.isEmpty()) {
            return out;
        }
        String oids = oidArray(keys);
        for (String[] r : s.query("with recursive up(oid, parent) as (select oid, conparentid from pg_constraint "
                + "where oid = any('" + oids + "'::oid[]) union select k.oid, k.conparentid from pg_constraint k join up "
                + "on k.oid = up.parent) select oid from up where parent = 0 order by oid")) {
            out.add(Long.parseLong(r[0]));
        }
        return out;
    }

    private static Dependent foreignKey(PsqlSession s, long oid) {
        String[] r = s.query("select encode(convert_to(k.conrelid::regclass::text, 'UTF8'), 'hex'), "
                + "encode(convert_to(format('%s %I', case when c.relkind = 'p' then '' else 'ONLY' end, k.conname), "
                + "'UTF8'), 'hex'), encode(convert_to(pg_get_constraintdef(k.oid), 'UTF8'), 'hex'), "
                + "encode(convert_to(coalesce(format('%L', obj_description(k.oid, 'pg_constraint')), ''), 'UTF8'), 'hex'), "
                + "encode(convert_to(pg_describe_object('pg_constraint'::regclass, k.oid, 0), 'UTF8'), 'hex') "
                + "from pg_constraint k join pg_class c on c.oid = k.conrelid where k.oid = " + oid).get(0);
        String table = PostgresDump.unhex(r[0]);
        String[] onlyAndName = PostgresDump.unhex(r[1]).strip().split(" ", 2);
        String only = onlyAndName.length == 2 ? "ONLY " : "";
        String name = onlyAndName[onlyAndName.length - 1];
        String comment = PostgresDump.unhex(r[3]);
        List<String> create = new ArrayList<>(List.of("ALTER TABLE " + only + table + " ADD CONSTRAINT " + name + " "
                + PostgresDump.unhex(r[2])));
        if (!comment.isEmpty()) {
            create.add("COMMENT ON CONSTRAINT " + name + " ON " + table + " IS " + comment);
        }
        return new Dependent(Kind.FOREIGN_KEY, PostgresDump.unhex(r[4]).replaceFirst("^constraint", "foreign key"),
                table, List.of("ALTER TABLE " + only + table + " DROP CONSTRAINT " + name), create);
    }

    private static Dependent rule(PsqlSession s, long oid, String description) {
        String[] r = s.query("select encode(convert_to(w.ev_class::regclass::text, 'UTF8'), 'hex'), "
                + "encode(convert_to(quote_ident(w.rulename), 'UTF8'), 'hex') from pg_rewrite w where w.oid = " + oid)
                .get(0);
        String table = PostgresDump.unhex(r[0]);
        String where = "w.oid = " + oid;
        List<String> create = statements(s, "select 1, rtrim(pg_get_ruledef(w.oid), ';') from pg_rewrite w where "
                + where + " union all select 2, format('COMMENT ON RULE %I ON %s IS %L', w.rulename, w.ev_class::regclass,"
                + " obj_description(w.oid, 'pg_rewrite')) from pg_rewrite w where " + where
                + " union all select 3, format('ALTER TABLE %s %s RULE %I', w.ev_class::regclass, case w.ev_enabled "
                + "when 'D' then 'DISABLE' when 'R' then 'ENABLE REPLICA' when 'A' then 'ENABLE ALWAYS' end, w.rulename)"
                + " from pg_rewrite w where " + where + " and w.ev_enabled <> 'O'");
        return new Dependent(Kind.RULE, description, table,
                List.of("DROP RULE " + PostgresDump.unhex(r[1]) + " ON " + table), create);
    }

    private static Dependent policy(PsqlSession s, long oid, String description) {
        String[] r = s.query("select encode(convert_to(p.polrelid::regclass::text, 'UTF8'), 'hex'), "
                + "encode(convert_to(quote_ident(p.polname), 'UTF8'), 'hex') from pg_policy p where p.oid = " + oid).get(0);
        String table = PostgresDump.unhex(r[0]);
        String name = PostgresDump.unhex(r[1]);
        List<String> create = statements(s, "select 1, format('CREATE POLICY %I ON %s AS %s FOR %s TO %s%s%s', p.polname, "
                + "p.polrelid::regclass, case when p.polpermissive then 'PERMISSIVE' else 'RESTRICTIVE' end, "
                + "case p.polcmd when 'r' then 'SELECT' when 'a' then 'INSERT' when 'w' then 'UPDATE' when 'd' then "
                + "'DELETE' else 'ALL' end, (select string_agg(case when x = 0 then 'PUBLIC' else quote_ident("
                + "pg_get_userbyid(x)) end, ', ') from unnest(p.polroles) x), ' USING (' || pg_get_expr(p.polqual, "
                + "p.polrelid) || ')', ' WITH CHECK (' || pg_get_expr(p.polwithcheck, p.polrelid) || ')') from pg_policy p "
                + "where p.oid = " + oid + " union all select 2, format('COMMENT ON POLICY %I ON %s IS %L', p.polname, "
                + "p.polrelid::regclass, obj_description(p.oid, 'pg_policy')) from pg_policy p where p.oid = " + oid);
        return new Dependent(Kind.POLICY, description, table, List.of("DROP POLICY " + name + " ON " + table),
                create);
    }

    private static Dependent columnDefault(PsqlSession s, long oid, String description) {
        String[] r = s.query("select encode(convert_to(d.adrelid::regclass::text, 'UTF8'), 'hex'), "
                + "encode(convert_to(quote_ident(t.attname), 'UTF8'), 'hex'), "
                + "encode(convert_to(pg_get_expr(d.adbin, d.adrelid), 'UTF8'), 'hex') from pg_attrdef d "
                + "join pg_attribute t on t.attrelid = d.adrelid and t.attnum = d.adnum where d.oid = " + oid).get(0);
        String table = PostgresDump.unhex(r[0]);
        String column = "ALTER TABLE ONLY " + table + " ALTER COLUMN " + PostgresDump.unhex(r[1]);
        return new Dependent(Kind.DEFAULT, description, table, List.of(column + " DROP DEFAULT"),
                List.of(column + " SET DEFAULT " + PostgresDump.unhex(r[2])));
    }

    /**
     * The error for tables that cannot be restored alone into {@code target}: every reason, and what to do.
     *
     * @param outcome what became of the target ("nothing was changed")
     */
    public static LifeboatException refusal(String tables, String target, List<Refusal> refusals, String outcome) {
        return new LifeboatException(ErrorCode.DATABASE, "cannot restore " + tables + " alone into " + target + ": "
                + String.join("; ", refusals.stream().map(Refusal::what).toList()) + "; " + outcome,
                String.join("; ", refusals.stream().map(Refusal::fix).distinct().toList()));
    }

    private static final String ROLLED_BACK = "; the transaction was rolled back and the target is as it was";
    private static final Pattern FOREIGN_KEY = Pattern.compile("violates foreign key constraint \"([^\"]+)\"");
    private static final Pattern DETAIL = Pattern.compile("DETAIL: +(.*?)(?:; (?:HINT|STATEMENT|CONTEXT):.*)?$");
    /** pg_dump's statement of a foreign key, its lines joined by "; " (as {@link StderrTail} joins them). */
    private static final Pattern OWN_KEY = Pattern.compile("STATEMENT: +ALTER TABLE (?:ONLY )?([^\\s;]+);? +ADD "
            + "CONSTRAINT ([^\\s;]+) FOREIGN KEY .*? REFERENCES ([^\\s(;]+)\\(");

    /** PostgreSQL's words in a psql session's error, without the session's name. */
    private static String server(LifeboatException e) {
        return String.valueOf(e.getMessage()).replaceFirst("^database [^:]*: ", "");
    }

    /**
     * A dependent that could not be created again over the restored tables {@code tables}: a foreign key whose rows
     * no longer match them (named, with the rows' key), or an object that reads what the backup's tables lack.
     */
    static LifeboatException notCreated(Dependent d, String tables, PgConnection target, LifeboatException e) {
        String why = server(e);
        if (d.kind() == Kind.FOREIGN_KEY && FOREIGN_KEY.matcher(why).find()) {
            Matcher detail = DETAIL.matcher(why);
            return new LifeboatException(ErrorCode.DATABASE, "restoring " + tables + " into " + target + ": "
                    + d.description() + " does not hold over the restored rows" + (detail.find() ? ": "
                    + detail.group(1) : ""), "restore " + d.relation() + " with " + tables + " (" + flags(tables + ", "
                    + d.relation()) + "), or change or delete the rows of " + d.relation() + " that refer to rows the "
                    + "backup does not have, then run again" + ROLLED_BACK, e);
        }
        return new LifeboatException(ErrorCode.DATABASE, "restoring " + tables + " into " + target + ": " + d.description()
                + " could not be created again over the restored tables: " + why, "it uses what the backup's " + tables
                + " lack: drop it before the restore and create it anew after, or restore into a new database "
                + "(--create) and compare" + ROLLED_BACK, e);
    }

    /**
     * A one-table restore that failed otherwise: one of the restored tables' own foreign keys that does not hold
     * (the rows it references are gone from the target), or whatever PostgreSQL said.
     */
    static LifeboatException failed(String tables, PgConnection target, LifeboatException e) {
        String why = server(e);
        Matcher own = OWN_KEY.matcher(why);
        if (FOREIGN_KEY.matcher(why).find() && own.find()) {
            Matcher detail = DETAIL.matcher(why);
            return new LifeboatException(ErrorCode.DATABASE, "restoring " + tables + " into " + target + ": foreign key "
                    + own.group(2) + " of " + own.group(1) + " to " + own.group(3) + " does not hold over the restored "
                    + "rows" + (detail.find() ? ": " + detail.group(1) : ""), "restore " + own.group(3) + " with "
                    + own.group(1) + " (" + flags(tables + ", " + own.group(3)) + "), or add the rows the key names to "
                    + own.group(3) + " first, then run again" + ROLLED_BACK, e);
        }
        return new LifeboatException(e.code(), "restoring " + tables + " into " + target + " failed: " + why,
                "the transaction was rolled back; the target is as it was", e);
    }

    /** {@code --table} flags for the tables of a comma-separated list, each once. */
    private static String flags(String tables) {
        return String.join(" ", new LinkedHashSet<>(List.of(tables.split(", "))).stream().map(t -> "--table " + t)
                .toList());
    }

    /** Tells {@code notice} what a restore of {@code tables} dropped and created around them. */
    static void tell(Consumer<String> notice, Plan plan, List<TableInfo> tables) {
        if (!plan.dependents().isEmpty()) {
            notice.accept("Dropped and created again around " + String.join(", ", tables.stream()
                    .map(TableInfo::qualifiedName).toList()) + ", as the target had them: "
                    + String.join("; ", plan.described()) + ".");
        }
    }
}
