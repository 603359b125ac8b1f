package dev.lifeboat.state;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.lifeboat.core.ErrorCode;
import dev.lifeboat.core.LifeboatException;

import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * Settings changed through the API, by their {@code lifeboat.yml} name ({@code retention.keepDaily}); each value
 * is JSON text, kept as given. Who changed a setting and when is kept with it.
 */
public final class SettingsStore {
    private static final ObjectMapper STRICT_JSON = new ObjectMapper()
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

    private final StateStore store;

    SettingsStore(StateStore store) {
        this.store = store;
    }

    /** The JSON text of a setting, or empty when it was never set (or was removed). */
    public Optional<String> get(String key) {
        return store.call("read setting", c -> {
            try (PreparedStatement ps = c.prepareStatement("SELECT value FROM settings WHERE key = ?")) {
                ps.setString(1, key);
                try (ResultSet rs = ps.executeQuery()) {
                    return rs.next() ? Optional.of(rs.getString(1)) : Optional.<String>empty();
                }
            }
        });
    }

    /** Every setting, key to JSON text, in key order. */
    public Map<String, String> all() {
        return store.call("read settings", c -> {
            try (PreparedStatement ps = c.prepareStatement("SELECT key, value FROM settings ORDER BY key");
                 ResultSet rs = ps.executeQuery()) {
                Map<String, String> out = new LinkedHashMap<>();
                while (rs.next()) {
                    out.put(rs.getString(1), rs.getString(2));
                }
                return Collections.unmodifiableMap(out);
            }
        });
    }

    /**
     * Sets a setting, replacing its value if it has one.
     *
     * @param jsonValue one JSON value: {@code 7}, {@code "03:00"}, {@code {"a":1}}, {@code null}
     * @throws LifeboatException {@link ErrorCode#USAGE} when the key is blank or the value is not JSON
     */
    public void put(String key, String jsonValue, String updatedBy) {
        Objects.requireNonNull(updatedBy, "updatedBy");
        if (key == null || key.isBlank()) {
            throw new LifeboatException(ErrorCode.USAGE, "a setting needs a name", "give the lifeboat.yml name, "
                    + "e.g. retention.keepDaily");
        }
        if (jsonValue == null || jsonValue.isBlank()) {
            throw new LifeboatException(ErrorCode.USAGE, "setting '" + key + "' has no value",
                    "give one JSON value, e.g. 7, \"03:00\" or null");
        }
        try {
            STRICT_JSON.readTree(jsonValue);
        } catch (JsonProcessingException e) {
            throw new LifeboatException(ErrorCode.USAGE, "setting '" + key + "' is not one JSON value: "
                    + e.getOriginalMessage(), "give one JSON value, e.g. 7, \"03:00\" or null", e);
        }
        String now = Sql.time(store.clock().instant());
        store.call("write setting", c -> {
            try (PreparedStatement ps = c.prepareStatement("INSERT INTO settings (key, value, updated, updated_by) "
                    + "VALUES (?, ?, ?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value, "
                    + "updated = excluded.updated, updated_by = excluded.updated_by")) {
                ps.setString(1, key);
                ps.setString(2, jsonValue);
                ps.setString(3, now);
                ps.setString(4, updatedBy);
                return ps.executeUpdate();
            }
        });
    }

    /** Removes a setting, so that the configuration file's value applies again. Nothing happens for an unknown key. */
    public void remove(String key) {
        store.call("remove setting", c -> {
            try (PreparedStatement ps = c.prepareStatement("DELETE FROM settings WHERE key = ?")) {
                ps.setString(1, key);
                return ps.executeUpdate();
            }
        });
    }
}
