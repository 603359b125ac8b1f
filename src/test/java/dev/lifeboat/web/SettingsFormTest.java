package dev.lifeboat.web;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class SettingsFormTest {
    @Test
    void unchangedFormChangesNothing() {
        assertThat(new SettingsForm("0 3 * * *", "UTC", "30").changesFrom("0 3 * * *", "UTC", 30)).isEmpty();
        assertThat(new SettingsForm(" 0 3 * * * ", " UTC ", " 30 ").changesFrom("0 3 * * *", "UTC", 30)).isEmpty();
    }

    @Test
    void onlyChangedFieldsAreSent() {
        var changes = new SettingsForm("0 */6 * * *", "UTC", "60").changesFrom("0 3 * * *", "UTC", 30);
        assertThat(changes.toString()).isEqualTo("{\"schedule\":\"0 */6 * * *\",\"retentionDays\":60}");
        assertThat(changes.get("retentionDays").isIntegralNumber()).isTrue();
    }

    @Test
    void fieldsNotSentAreLeftAlone() {
        assertThat(new SettingsForm(null, null, null).changesFrom("0 3 * * *", "UTC", 30)).isEmpty();
        assertThat(new SettingsForm(null, "Europe/Zurich", null).changesFrom("0 3 * * *", "UTC", 30).toString())
                .isEqualTo("{\"timeZone\":\"Europe/Zurich\"}");
    }

    @Test
    void whatIsNotANumberGoesAsTypedForTheServiceToRefuse() {
        assertThat(new SettingsForm("0 3 * * *", "UTC", "thirty").changesFrom("0 3 * * *", "UTC", 30).toString())
                .isEqualTo("{\"retentionDays\":\"thirty\"}");
        assertThat(new SettingsForm("0 3 * * *", "UTC", "").changesFrom("0 3 * * *", "UTC", 30).toString())
                .isEqualTo("{\"retentionDays\":\"\"}");
        assertThat(new SettingsForm("", "UTC", "30").changesFrom("0 3 * * *", "UTC", 30).toString())
                .isEqualTo("{\"schedule\":\"\"}");
    }
}
