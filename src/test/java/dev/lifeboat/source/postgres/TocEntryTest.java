package dev.lifeboat.source.postgres;

import dev.lifeboat.repository.Manifest;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class TocEntryTest {
    private static final List<String> TOC = List.of(
            ";",
            "; Archive created at 2026-11-21 07:39:47 UTC",
            "215; 1259 16390 TABLE public users postgres",
            "216; 1259 16399 TABLE public user_roles postgres",
            "214; 1259 16389 SEQUENCE public users_id_seq postgres",
            "3356; 0 0 SEQUENCE OWNED BY public users_id_seq postgres",
            "3201; 2604 16393 DEFAULT public users id postgres",
            "3348; 0 16390 TABLE DATA public users postgres",
            "3349; 0 16399 TABLE DATA public user_roles postgres",
            "3357; 0 0 SEQUENCE SET public users_id_seq postgres",
            "3204; 2606 16397 CONSTRAINT public users users_pkey postgres",
            "3205; 2606 16398 FK CONSTRAINT public user_roles user_roles_user_fkey postgres",
            "3202; 1259 16398 INDEX public users_name_idx postgres",
            "3203; 1259 16399 INDEX public user_roles_idx postgres",
            "3300; 2620 16500 TRIGGER public users users_audit postgres",
            "3301; 0 0 COMMENT public TABLE users postgres",
            "3302; 0 0 ACL public TABLE users postgres",
            "3303; 3256 16501 POLICY public users own_rows postgres",
            "3304; 0 0 ROW SECURITY public users postgres",
            "216; 1259 16600 TABLE other users postgres");

    @Test
    void selectsATableWithEverythingThatHangsOnIt() {
        TableInfo users = new TableInfo("public", "users", 10, List.of("users_pkey", "users_name_idx"),
                List.of("users_id_seq"));
        List<String> selected = PostgresRestore.select(TOC, List.of(users));
        assertThat(selected).extracting(l -> l.substring(0, l.indexOf(';')))
                .containsExactly("215", "214", "3356", "3201", "3348", "3357", "3204", "3202", "3300", "3301", "3302",
                        "3303", "3304");
    }

    @Test
    void aTableMissingFromTheArchiveIsAnError() {
        TableInfo ghost = new TableInfo("public", "ghost", 0, List.of(), List.of());
        assertThatThrownBy(() -> PostgresRestore.select(TOC, List.of(ghost))).hasMessageContaining("public.ghost");
    }
}
