package dev.lifeboat.web;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class CsrfTest {
    @Test
    void onlyTheSameNonEmptyTokenMatches() {
        String t = Csrf.newToken();
        assertThat(Csrf.matches(t, t)).isTrue();
        assertThat(Csrf.matches(t, new String(t.toCharArray()))).isTrue();
        assertThat(Csrf.matches(t, t + "x")).isFalse();
        assertThat(Csrf.matches(t, t.substring(1))).isFalse();
        assertThat(Csrf.matches(t, null)).isFalse();
        assertThat(Csrf.matches(null, t)).isFalse();
        assertThat(Csrf.matches(null, null)).isFalse();
        assertThat(Csrf.matches("", "")).isFalse();
    }

    @Test
    void headerWinsOverTheFormField() {
        assertThat(Csrf.presented("from-header", "from-form")).isEqualTo("from-header");
        assertThat(Csrf.presented(null, "from-form")).isEqualTo("from-form");
        assertThat(Csrf.presented("  ", " from-form ")).isEqualTo("from-form");
        assertThat(Csrf.presented(null, null)).isNull();
    }

    @Test
    void tokensAreRandomAndUrlSafe() {
        String a = Csrf.newToken();
        String b = Csrf.newToken();
        assertThat(a).isNotEqualTo(b).hasSize(43).matches("[A-Za-z0-9_-]+");
    }
}
