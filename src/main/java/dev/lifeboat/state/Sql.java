package dev.lifeboat.state;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.lifeboat.core.Hex;

import java.security.SecureRandom;
import java.sql.SQLException;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Map;

/** Column encodings shared by the state tables. */
final class Sql {
    /** Fixed width, so that text order is time order ({@code Instant.toString()} varies its fraction). */
    private static final DateTimeFormatter TIME =
            DateTimeFormatter.ofPattern("uuuu-MM-dd'T'HH:mm:ss.SSS'Z'").withZone(ZoneOffset.UTC);
    private static final ObjectMapper JSON = dev.lifeboat.repository.Json.COMPACT;
    private static final SecureRandom RANDOM = new SecureRandom();

    private Sql() {}

    static String time(Instant t) {
        return t == null ? null : TIME.format(t);
    }

    static Instant instant(String text) {
        return text == null ? null : Instant.parse(text);
    }

    static String json(Map<String, ?> details) {
        if (details == null || details.isEmpty()) {
            return null;
        }
        try {
            return JSON.writeValueAsString(details);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("details are not serializable as JSON: " + e.getOriginalMessage(), e);
        }
    }

    static Map<String, Object> details(String json) {
        if (json == null) {
            return Map.of();
        }
        try {
            return JSON.readValue(json, new TypeReference<Map<String, Object>>() {});
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("details column is not a JSON object: " + e.getOriginalMessage(), e);
        }
    }

    /** A short random id: 12 lower-case hex digits. */
    static String newId() {
        byte[] b = new byte[6];
        RANDOM.nextBytes(b);
        return Hex.of(b);
    }

    /** Whether the error is a violated UNIQUE or PRIMARY KEY constraint (SQLite or PostgreSQL). */
    static boolean isUniqueViolation(SQLException e) {
        String m = String.valueOf(e.getMessage());
        return "23505".equals(e.getSQLState())
                || m.contains("SQLITE_CONSTRAINT_UNIQUE") || m.contains("SQLITE_CONSTRAINT_PRIMARYKEY");
    }

    /** The SHA-256 of a secret, lower-case hex: what the tables keep instead of it. */
    static String hash(String secret) {
        return Hex.of(TokenStore.sha256(secret));
    }
}
