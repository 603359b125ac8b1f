package dev.lifeboat.core;

import org.junit.jupiter.api.Test;

import java.util.HashSet;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

class SecretsTest {
    @Test
    void aSecretIs32RandomBytesInBase64urlAfterItsPrefix() {
        Set<String> seen = new HashSet<>();
        for (int i = 0; i < 20; i++) {
            String s = Secrets.newSecret("lbx_");
            assertThat(s).matches("lbx_[A-Za-z0-9_-]{43}");
            assertThat(seen.add(s)).isTrue();
        }
        assertThat(Secrets.newSecret("")).matches("[A-Za-z0-9_-]{43}");
    }
}
