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
 * The backup schedule and retention the service applies. The schedule comes in layers: lifeboat.yml, then the
 * environment ({@code LIFEBOAT_BACKUP_SCHEDULE}, {@code LIFEBOAT_TIMEZONE}), then what an admin set through the
 * API, kept in the state store under the keys below; a value set through the API wins until it is set again.
 * Retention is the repository's own policy ({@code engine.PolicyInForce}), which the CLI's prune applies too: a
 * change through the API is written to the repository, not to the state store.
 *
 * @param schedule           when the scheduled backup runs, in its zone
 * @param retention          what prune keeps after each scheduled backup
 * @param runMissedAtStartup run once at start-up a scheduled backup missed while the service was down
 * @param retentionZone      the zone of retention's calendar rules
 * @param retentionSource    where the retention policy came from, for people
 */
public record ServiceConfig(CronSchedule schedule, RetentionPolicy retention, boolean runMissedAtStartup,
                            ZoneId retentionZone, String retentionSource) {
    /** A configuration whose retention comes from the settings, calendar in the schedule's zone. */
    public ServiceConfig(CronSchedule schedule, RetentionPolicy retention, boolean runMissedAtStartup) {
        this(schedule, retention, runMissedAtStartup, schedule.zone(), "the service's settings");
    }

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

    /**
     * The configuration now in force without a repository: retention from the settings, and the retention days an
     * earlier release kept in the state store ({@link #legacyRetentionDays}).
     */
    public static ServiceConfig load(Settings settings, SettingsStore stored) {
        RetentionPolicy retention = settings.retention;
        Optional<Long> days = legacyRetentionDays(stored);
        if (days.isPresent()) {
            retention = retention.withKeepWithin(Duration.ofDays(days.get()));
        }
        CronSchedule schedule = schedule(settings, stored);
        return new ServiceConfig(schedule, retention, settings.runMissedAtStartup, schedule.zone(),
                "the service's settings");
    }

    /** The configuration now in force, with the repository's retention policy. */
    public static ServiceConfig load(Settings settings, SettingsStore stored, RetentionPolicy retention,
                                     ZoneId retentionZone, String retentionSource) {
        return new ServiceConfig(schedule(settings, stored), retention, settings.runMissedAtStartup, retentionZone,
                retentionSource);
    }

    private static CronSchedule schedule(Settings settings, SettingsStore stored) {
        ZoneId zone = stored.get(TIME_ZONE).map(j -> zoneOf(tree(j).asText())).orElse(settings.timeZone);
        String expression = stored.get(SCHEDULE).map(j -> tree(j).asText()).orElse(settings.schedule);
        Parsed last = LAST_PARSED.get();
        if (last != null && last.expression.equals(expression) && last.zone.equals(zone)) {
            return last.schedule; // the configuration is read every few seconds; it is parsed once per change
        }
        CronSchedule parsed = CronSchedule.parse(expression, zone);
        LAST_PARSED.set(new Parsed(expression, zone, parsed));
        return parsed;
    }

    private record Parsed(String expression, ZoneId zone, CronSchedule schedule) {}

    private static final java.util.concurrent.atomic.AtomicReference<Parsed> LAST_PARSED =
            new java.util.concurrent.atomic.AtomicReference<>();

    /**
     * The retention days an admin set through the API before the policy was kept in the repository (they were kept
     * in the state store); the service moves them into the repository once.
     */
    public static Optional<Long> legacyRetentionDays(SettingsStore stored) {
        return stored.get(RETENTION_DAYS).map(j -> tree(j).asLong());
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
        out.put("retentionTimeZone", retentionZone.getId());
        out.put("retentionSource", retentionSource);
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
            // canConvertToLong too: 2^64 + 30 is an exact integral whose asLong() wraps to 30
            if (!v.canConvertToExactIntegral() || !v.canConvertToLong() || v.asLong() < 1
                    || v.asLong() > MAX_RETENTION_DAYS) {
                throw new InvalidField("retentionDays", "must be a whole number of days from 1 to " + MAX_RETENTION_DAYS
                        + ", not " + v, "for example 30");
            }
            policy = policy.withKeepWithin(Duration.ofDays(v.asLong()));
        }
        // retention (and the zone of its calendar rules) is the caller's to write to the repository
        boolean retentionChanged = !policy.equals(retention) || body.has("timeZone") && !zone.equals(retentionZone);
        ServiceConfig next = new ServiceConfig(CronSchedule.parse(expression, zone), policy, runMissedAtStartup,
                body.has("timeZone") ? zone : retentionZone,
                retentionChanged ? "set through the API by " + by : retentionSource);
        changes.forEach((k, v) -> stored.put(k, v, by));
        return next;
    }

    private static ZoneId zoneOf(String id) {
        return Settings.zone(id, "stored setting " + TIME_ZONE);
    }
}
