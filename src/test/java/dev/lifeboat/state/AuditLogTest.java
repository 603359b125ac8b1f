package dev.lifeboat.state;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;

import java.time.Instant;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

@ParameterizedClass(name = "{0}")
@EnumSource(Backend.class)
class AuditLogTest extends StateTestBase {
    @Test
    void auditLogAppendsAndListsNewestFirst() {
        clock.now = Instant.parse("2026-11-21T03:00:00.123456Z");
        AuditEntry first = store.audit().record("ci", "token.create", "ab12", "ok", Map.of("role", "viewer"));
        clock.now = clock.now.plusSeconds(1);
        store.audit().record("anonymous", "backup.start", null, "denied", null);

        List<AuditEntry> entries = store.audit().recent(10);
        assertThat(entries).hasSize(2);
        assertThat(entries.get(0).action()).isEqualTo("backup.start");
        assertThat(entries.get(0).target()).isNull();
        assertThat(entries.get(0).details()).isEmpty();
        assertThat(entries.get(1)).isEqualTo(first);
        assertThat(entries.get(1).at()).isEqualTo(Instant.parse("2026-11-21T03:00:00.123Z"));
        assertThat(entries.get(1).details()).containsEntry("role", "viewer");
        assertThat(store.audit().recent(1)).hasSize(1);
    }

    @Test
    void idsGrowSoEntriesOfOneMillisecondKeepTheirOrder() {
        long previous = 0;
        for (int i = 0; i < 5; i++) {
            AuditEntry e = store.audit().record("ci", "backup.start", "b" + i, "ok", null);
            assertThat(e.id()).isGreaterThan(previous);
            previous = e.id();
        }
        assertThat(store.audit().recent(5)).extracting(AuditEntry::target).containsExactly("b4", "b3", "b2", "b1", "b0");
    }
}
