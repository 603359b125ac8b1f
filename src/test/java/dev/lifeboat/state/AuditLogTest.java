package dev.lifeboat.state;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.LinkedHashMap;
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
    @Test
    void aLongTargetAndLongDetailsAreCutShortAndMarked() {
        String path = "x".repeat(7000);
        AuditEntry e = store.audit().record("viewer", "backup.verify", path, "denied",
                Map.of("error", "e".repeat(5000), "nested", Map.of("k", "n".repeat(2000))));
        String expected = "x".repeat(AuditLog.MAX_TARGET) + "…(+6744 chars)";
        assertThat(e.target()).isEqualTo(expected);
        AuditEntry stored = store.audit().recent(1).get(0);
        assertThat(stored.target()).isEqualTo(expected);
        assertThat((String) stored.details().get("error")).hasSize(AuditLog.MAX_DETAIL + "…(+3976 chars)".length())
                .endsWith("…(+3976 chars)");
        @SuppressWarnings("unchecked")
        Map<String, Object> nested = (Map<String, Object>) stored.details().get("nested");
        assertThat((String) nested.get("k")).endsWith("…(+976 chars)");
        assertThat(stored).isEqualTo(e);
    }

    @Test
    void actorActionAndTheWholeDetailsAreBoundedToo() {
        Map<String, Object> many = new LinkedHashMap<>();
        for (int i = 0; i < 40; i++) {
            many.put("field" + i, "v".repeat(1000));
        }
        AuditEntry e = store.audit().record("a".repeat(500), "b".repeat(500), null, "ok", many);
        assertThat(e.actor()).startsWith("a".repeat(AuditLog.MAX_NAME)).endsWith("…(+372 chars)");
        assertThat(e.action()).endsWith("…(+372 chars)");
        String json = dev.lifeboat.repository.Json.COMPACT.valueToTree(e.details()).toString();
        assertThat(json.length()).isLessThanOrEqualTo(AuditLog.MAX_DETAILS);
        assertThat(e.details()).containsKey("field0").containsKey("truncated");
        assertThat((String) e.details().get("truncated")).startsWith("left out ").contains("field39");
        assertThat(store.audit().recent(1).get(0)).isEqualTo(e);
    }

    @Test
    void controlCharactersAreKeptAndNulIsWrittenEscaped() {
        AuditEntry e = store.audit().record("v", "backup.verify", "a\u0000b\u001b[2Jc\nd", "denied", null);
        assertThat(store.audit().recent(1).get(0).target()).isEqualTo("a\\x00b\u001b[2Jc\nd").isEqualTo(e.target());
    }

    @Test
    void truncationDoesNotSplitASurrogatePair() {
        String s = "a".repeat(AuditLog.MAX_TARGET - 1) + "\uD83D\uDE00" + "z";
        assertThat(AuditLog.truncate(s, AuditLog.MAX_TARGET)).isEqualTo("a".repeat(AuditLog.MAX_TARGET - 1)
                + "…(+3 chars)");
    }

    @Test
    void pruneDeletesOldEntriesKeepsNewOnesAndSaysSoOnce() {
        store.audit().record("ci", "backup.create", "old", "ok", null);
        clock.advance(Duration.ofDays(10));
        store.audit().record("ci", "backup.create", "new", "ok", null);
        clock.advance(Duration.ofDays(395)); // "old" is 405 days old, "new" 395

        assertThat(store.audit().prune(AuditLog.DEFAULT_RETENTION, AuditLog.DEFAULT_MAX_ENTRIES)).isEqualTo(1);
        List<AuditEntry> left = store.audit().recent(10);
        assertThat(left).extracting(AuditEntry::action).containsExactly("audit.prune", "backup.create");
        assertThat(left.get(1).target()).isEqualTo("new");
        assertThat(left.get(0).actor()).isEqualTo(AuditLog.SELF);
        assertThat(left.get(0).details()).containsEntry("count", 1).containsEntry("maxEntries", 1_000_000);

        // nothing more to delete: no new entry
        assertThat(store.audit().prune(AuditLog.DEFAULT_RETENTION, AuditLog.DEFAULT_MAX_ENTRIES)).isZero();
        assertThat(store.audit().count()).isEqualTo(2);
    }

    @Test
    void pruneKeepsAtMostTheNewestEntries() {
        for (int i = 0; i < 12; i++) {
            store.audit().record("ci", "backup.create", "b" + i, "ok", null);
        }
        assertThat(store.audit().prune(AuditLog.DEFAULT_RETENTION, 5)).isEqualTo(7);
        // the five newest, then the note of the prune (which the next prune may count)
        assertThat(store.audit().recent(10)).extracting(AuditEntry::target)
                .containsExactly(null, "b11", "b10", "b9", "b8", "b7");
        assertThat(store.audit().prune(AuditLog.DEFAULT_RETENTION, 6)).isZero();
        assertThat(store.audit().count()).isEqualTo(6);
    }
}
