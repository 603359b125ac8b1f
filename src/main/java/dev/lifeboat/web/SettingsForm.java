package dev.lifeboat.web;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * The settings form as submitted: schedule (cron), time zone and retention days, as typed. The service
 * checks them ({@code Service.updateConfig}); this only turns the form into the same change request the
 * REST API takes, holding the fields that differ from what is in force, so that saving the form unchanged
 * pins nothing over lifeboat.yml or the environment.
 */
public record SettingsForm(String schedule, String timeZone, String retentionDays) {

    /**
     * The change request: {@code {"schedule": ..., "timeZone": ..., "retentionDays": ...}} with only the
     * fields that differ from {@code current}. A retention that is not a whole number goes as the text
     * typed, for the service to refuse with a message naming the field.
     */
    public ObjectNode changesFrom(String currentSchedule, String currentZone, long currentRetentionDays) {
        ObjectNode out = JsonNodeFactory.instance.objectNode();
        String s = clean(schedule);
        if (s != null && !s.equals(currentSchedule)) {
            out.put("schedule", s);
        }
        String z = clean(timeZone);
        if (z != null && !z.equals(currentZone)) {
            out.put("timeZone", z);
        }
        String d = clean(retentionDays);
        if (d != null) {
            Long days = parseLong(d);
            if (days == null) {
                out.put("retentionDays", d);
            } else if (days != currentRetentionDays) {
                out.put("retentionDays", days.longValue());
            }
        }
        return out;
    }

    /** A field that was not sent is null (not changed); one sent empty is the empty string. */
    private static String clean(String v) {
        return v == null ? null : v.strip();
    }

    private static Long parseLong(String s) {
        try {
            return Long.parseLong(s);
        } catch (NumberFormatException e) {
            return null;
        }
    }
}
