package dev.lifeboat.source.postgres;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.lifeboat.repository.Json;
import dev.lifeboat.repository.Manifest;

import java.util.ArrayList;
import java.util.List;

/**
 * What a manifest records of a PostgreSQL database (type {@code postgresql}, the same fields in manifest formats 1
 * and 2), read from and written to {@link Manifest.Source#fields()}.
 *
 * @param connection    where it was read from, without credentials (e.g. {@code 10.0.0.5:5432/app}); shown to
 *                      people, never connected to
 * @param serverVersion the server's version string
 * @param dumpTool      the dump program and its version (e.g. {@code pg_dump 15.18})
 * @param tables        per-table row counts taken in the dump's snapshot (for restore drills)
 * @param encoding      the database's encoding, so that a restore can create it alike
 * @param collate       its LC_COLLATE
 * @param ctype         its LC_CTYPE
 * @param conninfo      a libpq connection string to the source without password; shown to people, never used
 */
public record PgRecord(String connection, String serverVersion, String dumpTool, List<TableInfo> tables,
                       String encoding, String collate, String ctype, String conninfo) {
    /** The type a manifest records for a PostgreSQL database. */
    public static final String TYPE = "postgresql";

    /** The record of {@code s}; its table list is empty when the manifest has none (see {@link #problems}). */
    public static PgRecord of(Manifest.Source s) {
        ObjectNode f = s.fields();
        List<TableInfo> tables = new ArrayList<>();
        if (f.path("tables").isArray()) {
            for (var t : f.get("tables")) {
                tables.add(Json.MAPPER.convertValue(t, TableInfo.class));
            }
        }
        return new PgRecord(s.text("connection"), s.text("serverVersion"), s.text("dumpTool"), List.copyOf(tables),
                s.text("encoding"), s.text("collate"), s.text("ctype"), s.text("conninfo"));
    }

    /** The major version of the pg_dump that wrote the dump ({@code pg_dump 15.18}: 15); 0 when unknown. */
    public int dumpMajor() {
        if (dumpTool == null) {
            return 0;
        }
        try {
            return Integer.parseInt(dumpTool.replaceAll("^\\D*(\\d+).*$", "$1"));
        } catch (NumberFormatException e) {
            return 0;
        }
    }

    public Manifest.Source toSource(String name) {
        ObjectNode f = Json.MAPPER.createObjectNode();
        f.put("connection", connection);
        f.put("serverVersion", serverVersion);
        f.put("dumpTool", dumpTool);
        f.set("tables", Json.MAPPER.valueToTree(tables));
        f.put("encoding", encoding);
        f.put("collate", collate);
        f.put("ctype", ctype);
        f.put("conninfo", conninfo);
        return new Manifest.Source(TYPE, name, f);
    }

    /** What is wrong with the fields of {@code s}, a PostgreSQL source named {@code name} in messages. */
    public static void problems(Manifest.Source s, String name, List<String> p) {
        var tables = s.fields().get("tables");
        if (tables == null || !tables.isArray()) {
            p.add(name + " has no table list");
            return;
        }
        for (int i = 0; i < tables.size(); i++) {
            var t = tables.get(i);
            String schema = t.path("schema").isTextual() ? t.get("schema").asText() : null;
            String table = t.path("name").isTextual() ? t.get("name").asText() : null;
            if (!t.isObject() || schema == null || table == null) {
                p.add("table " + (i + 1) + " of " + name + " has no " + (!t.isObject() ? "entry" : "schema or name"));
                continue;
            }
            String q = shorten(schema + "." + table);
            if (!t.path("rows").canConvertToLong() || t.path("rows").asLong() < 0) {
                p.add("table " + q + " of " + name + " has " + (t.path("rows").isNumber() ? t.get("rows").asText()
                        : "no valid") + " rows");
            } else if (nullIn(t.get("indexes")) || nullIn(t.get("sequences"))) {
                p.add("table " + q + " of " + name + " names a null index or sequence");
            }
        }
    }

    private static boolean nullIn(com.fasterxml.jackson.databind.JsonNode list) {
        if (list == null || list.isNull()) {
            return false;
        }
        if (!list.isArray()) {
            return true;
        }
        for (var x : list) {
            if (!x.isTextual()) {
                return true;
            }
        }
        return false;
    }

    private static String shorten(String s) {
        return s.length() <= 80 ? s : s.substring(0, 77) + "...";
    }
}
