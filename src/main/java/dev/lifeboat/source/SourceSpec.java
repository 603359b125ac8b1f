package dev.lifeboat.source;

import dev.lifeboat.core.ErrorCode;
import dev.lifeboat.core.LifeboatException;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * One entry of lifeboat.yml's {@code sources:} (or of the command line's {@code --db} / {@code --files}): a name, a
 * type and the type's fields as YAML gave them. The accessors check the values' kinds; each type checks which fields
 * it takes ({@link #only}).
 */
public record SourceSpec(String name, String type, Map<String, Object> fields) {
    public SourceSpec {
        fields = fields == null ? Map.of() : new LinkedHashMap<>(fields);
    }

    /** A usage error about this source: {@code source NAME (TYPE): what}, with a hint. */
    public LifeboatException error(String what, String hint) {
        return new LifeboatException(ErrorCode.USAGE, "source " + name + " (" + type + "): " + what, hint);
    }

    /** Refuses a field this type does not take (a typo would otherwise be ignored), naming the ones it does. */
    public void only(Set<String> known) {
        for (String k : fields.keySet()) {
            if (!known.contains(k) && !COMMON.contains(k)) {
                Set<String> all = new TreeSet<>(known);
                all.addAll(COMMON);
                throw error("unknown field '" + k + "'", "the fields of a " + type + " source are: "
                        + String.join(", ", all));
            }
        }
    }

    /** Fields every type takes, read by the engine: {@code type}, {@code stop}, and the source's own hooks. */
    public static final Set<String> COMMON = Set.of("type", "stop", "before-backup", "after-backup");

    /** The text field {@code key}; null when absent; an error when it is not text. */
    public String text(String key) {
        Object v = fields.get(key);
        if (v == null) {
            return null;
        }
        if (v instanceof String s) {
            return s;
        }
        if (v instanceof Number || v instanceof Boolean) {
            return v.toString();
        }
        throw error(key + " must be text, not " + describe(v), null);
    }

    /** The text field {@code key}, which must be there and not blank. */
    public String required(String key, String example) {
        String v = text(key);
        if (v == null || v.isBlank()) {
            throw error("no " + key + " is given", "add " + key + ": " + example);
        }
        return v;
    }

    /** A list of text ({@code exclude: ["*.tmp"]}), or one text as a list of one; empty when absent. */
    public List<String> list(String key) {
        Object v = fields.get(key);
        if (v == null) {
            return List.of();
        }
        if (v instanceof String s) {
            return List.of(s);
        }
        if (v instanceof List<?> l) {
            List<String> out = new ArrayList<>();
            for (Object x : l) {
                if (!(x instanceof String s)) {
                    throw error(key + " must be a list of text, but holds " + describe(x), null);
                }
                out.add(s);
            }
            return out;
        }
        throw error(key + " must be a list of text, not " + describe(v), null);
    }

    /** A map of text to text ({@code env: {KEY: value}}); empty when absent. */
    public Map<String, String> map(String key) {
        Object v = fields.get(key);
        if (v == null) {
            return Map.of();
        }
        if (!(v instanceof Map<?, ?> m)) {
            throw error(key + " must be a map of names to text, not " + describe(v), null);
        }
        Map<String, String> out = new LinkedHashMap<>();
        for (var e : m.entrySet()) {
            if (!(e.getKey() instanceof String k) || e.getValue() instanceof Map || e.getValue() instanceof List) {
                throw error(key + " must be a map of names to text", null);
            }
            out.put(k, e.getValue() == null ? "" : e.getValue().toString());
        }
        return out;
    }

    /** A yes/no field; {@code otherwise} when absent. */
    public boolean flag(String key, boolean otherwise) {
        Object v = fields.get(key);
        if (v == null) {
            return otherwise;
        }
        if (v instanceof Boolean b) {
            return b;
        }
        throw error(key + " must be true or false, not " + describe(v), null);
    }

    /** A whole number of seconds from {@code min} to {@code max}; {@code otherwise} when absent. */
    public java.time.Duration seconds(String key, long min, long max, java.time.Duration otherwise) {
        Object v = fields.get(key);
        if (v == null) {
            return otherwise;
        }
        if (v instanceof Number n && n.doubleValue() == n.longValue() && n.longValue() >= min && n.longValue() <= max) {
            return java.time.Duration.ofSeconds(n.longValue());
        }
        throw error(key + " must be a whole number of seconds from " + min + " to " + max + ", not " + describe(v),
                null);
    }

    private static String describe(Object v) {
        if (v instanceof Map) {
            return "a map";
        }
        if (v instanceof List) {
            return "a list";
        }
        return "'" + v + "'";
    }
}
