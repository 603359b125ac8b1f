package dev.lifeboat.service;

import com.fasterxml.jackson.databind.JsonNode;
import dev.lifeboat.config.Settings;
import dev.lifeboat.core.ErrorCode;
import dev.lifeboat.core.LifeboatException;
import dev.lifeboat.repository.Json;
import dev.lifeboat.retention.RetentionPolicy;
import dev.lifeboat.schedule.CronSchedule;
import dev.lifeboat.state.SettingsStore;

import java.time.Duration;
import java.time.ZoneId;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * The backup schedule and retention the service applies, in layers: lifeboat.yml, then the environment
 * ({@code LIFEBOAT_BACKUP_SCHEDULE}, {@code LIFEBOAT_BACKUP_RETENTION_DAYS}, {@code LIFEBOAT_TIMEZONE}),
 * then what an admin set through the API, kept in the state store under the keys below. A value set
 * through the API wins until it is set again.
 *
 * @param schedule           when the scheduled backup runs, in its zone
 * @param retention          what prune keeps after each scheduled backup
 * @param runMissedAtStartup run once at start-up a scheduled backup missed while the service was down
 */
public record ServiceConfig(CronSchedule schedule, RetentionPolicy retention, boolean runMissedAtStartup) {
    static final String SCHEDULE = "backup.schedule";
    static final String TIME_ZONE = "backup.timeZone";
    static final String RETENTION_DAYS = "backup.retentionDays";
    static final int MAX_RETENTION_DAYS = 36_500;

    /** A request to change the configuration that names a field and says what is wrong with it. */
    public static final class InvalidField extends LifeboatException {
        private final String field;

        InvalidField(String field, String message, String hint) {
            super(ErrorCode.USAGE, field + ": " + message, hint);
            this.field = field;
        }

        public String field() {
            return field;
        }
    }

    /** The configuration now in force. */
    public static ServiceConfig load(Settings settings, SettingsStore stored) {
        ZoneId zone = stored.get(TIME_ZONE).map(j -> zoneOf(tree(j).asText())).orElse(settings.timeZone);
        String expression = stored.get(SCHEDULE).map(j -> tree(j).asText()).orElse(settings.schedule);
        RetentionPolicy retention = settings.retention;
        Optional<String> days = stored.get(RETENTION_DAYS);
        if (days.isPresent()) {
            retention = retention.withKeepWithin(Duration.ofDays(tree(days.get()).asLong()));
        }
        return new ServiceConfig(CronSchedule.parse(expression, zone), retention, settings.runMissedAtStartup);
    }

    private static JsonNode tree(String json) {
        try {
            return Json.MAPPER.readTree(json);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new LifeboatException(ErrorCode.STORAGE, "a stored setting is not valid JSON: " + json,
                    "set it again through PUT /api/v1/platform/backups/config", e);
        }
    }

    /** Days {@link #retention} keeps every backup for; 0 when that rule is off. */
    public long retentionDays() {
        return retention.keepWithin() == null ? 0 : retention.keepWithin().toDays();
    }

    /** The API's view: {@code schedule}, {@code timeZone}, {@code retentionDays}, and read-only details. */
    public Map<String, Object> toJson() {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("schedule", schedule.expression());
        out.put("timeZone", schedule.zone().getId());
        out.put("retentionDays", retentionDays());
        out.put("retention", retention.summary());
        out.put("minimumKeep", retention.minimumKeep());
        out.put("runMissedAtStartup", runMissedAtStartup);
        out.put("description", schedule.describe());
        return out;
    }

    /**
     * Checks a change ({@code {"schedule": "0 *&#47;6 * * *", "retentionDays": 60, "timeZone": "Europe/Zurich"}},
     * every field optional), and on success stores it and returns the new configuration. Nothing is stored
     * when any field is wrong.
     *
     * @throws InvalidField naming the first field at fault
     */
    public ServiceConfig update(JsonNode body, SettingsStore stored, String by) {
        if (body == null || !body.isObject()) {
            throw new InvalidField("body", "expected a JSON object such as {\"schedule\": \"0 3 * * *\", "
                    + "\"retentionDays\": 30}", null);
        }
        Map<String, String> changes = new LinkedHashMap<>();
        ZoneId zone = schedule.zone();
        String expression = schedule.expression();
        RetentionPolicy policy = retention;
        for (Iterator<String> it = body.fieldNames(); it.hasNext(); ) {
            String field = it.next();
            if (!field.equals("schedule") && !field.equals("retentionDays") && !field.equals("timeZone")) {
                throw new InvalidField(field, "unknown setting", "the settings are schedule, timeZone and retentionDays");
            }
        }
        if (body.has("timeZone")) {
            JsonNode v = body.get("timeZone");
            if (!v.isTextual()) {
                throw new InvalidField("timeZone", "must be a string such as \"UTC\" or \"Europe/Zurich\"", null);
            }
            try {
                zone = ZoneId.of(v.asText().strip());
            } catch (java.time.DateTimeException e) {
                throw new InvalidField("timeZone", "'" + v.asText() + "' is not a time zone",
                        "use a region id such as UTC or Europe/Zurich");
            }
            changes.put(TIME_ZONE, Json.MAPPER.valueToTree(zone.getId()).toString());
        }
        if (body.has("schedule")) {
            JsonNode v = body.get("schedule");
            if (!v.isTextual()) {
                throw new InvalidField("schedule", "must be a string: a 5-field cron expression such as \"0 3 * * *\"", null);
            }
            try {
                expression = CronSchedule.parse(v.asText(), zone).expression();
            } catch (IllegalArgumentException e) {
                throw new InvalidField("schedule", e.getMessage(), "for example \"0 */6 * * *\" (every 6 hours)");
            }
            changes.put(SCHEDULE, Json.MAPPER.valueToTree(expression).toString());
        }
        if (body.has("retentionDays")) {
            JsonNode v = body.get("retentionDays");
            if (!v.canConvertToExactIntegral() || v.asLong() < 1 || v.asLong() > MAX_RETENTION_DAYS) {
                throw new InvalidField("retentionDays", "must be a whole number of days from 1 to " + MAX_RETENTION_DAYS
                        + ", not " + v, "for example 30");
            }
            policy = policy.withKeepWithin(Duration.ofDays(v.asLong()));
            changes.put(RETENTION_DAYS, Long.toString(v.asLong()));
        }
        ServiceConfig next = new ServiceConfig(CronSchedule.parse(expression, zone), policy, runMissedAtStartup);
        changes.forEach((k, v) -> stored.put(k, v, by));
        return next;
    }

    private static ZoneId zoneOf(String id) {
        return Settings.zone(id, "stored setting " + TIME_ZONE);
    }
}
