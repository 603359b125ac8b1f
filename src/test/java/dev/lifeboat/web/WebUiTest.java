package dev.lifeboat.web;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import static org.assertj.core.api.Assertions.assertThat;

class WebUiTest {
    @ParameterizedTest
    @CsvSource(nullValues = "null", value = {
            "/ui/backups/20260501T090000Z-abcdef, /ui/backups/20260501T090000Z-abcdef",
            "/ui/backups?page=3, /ui/backups?page=3",
            "null, /ui/backups",
            "https://evil.example/, /ui/backups",
            "//evil.example/ui/, /ui/backups",
            "/ui//evil.example, /ui/backups",
            "/ui/\\evil.example, /ui/backups",
            "/ui/login, /ui/backups",
            "/ui/logout, /ui/backups",
            "/api/v1/platform/backups, /ui/backups",
            "'/ui/x\r\nSet-Cookie: a=b', /ui/backups"})
    void afterSignInOnlyPagesOfTheUi(String next, String expected) {
        assertThat(WebUi.safeNext(next)).isEqualTo(expected);
    }

    @ParameterizedTest
    @CsvSource(nullValues = "null", value = {
            "null, http, false",
            "null, https, true",
            "https, http, true",
            "HTTPS, http, true",
            "'https, http', http, true",
            "'http, https', http, false",
            "http, http, false"})
    void sessionCookiesAreSecureOverHttpsDirectOrProxied(String forwardedProto, String scheme, boolean secure) {
        assertThat(WebUi.https(forwardedProto, scheme)).isEqualTo(secure);
    }
}
