package dev.lifeboat.source.postgres;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** The database's own statements, read from what pg_restore --create writes for its entries, named anew. */
class DatabasePropertiesTest {
    /** As pg_restore 15 writes it for the DATABASE, COMMENT, DATABASE PROPERTIES and ACL entries of database src. */
    private static final String SCRIPT = """
            --
            -- PostgreSQL database dump
            --

            \\restrict LyvV4GTJsytIfxtHWmwtfnfNiFyOwSTpzSSnk1nqKD4s8U2kxm2yXOp8S5ypfAH

            SET statement_timeout = 0;
            SELECT pg_catalog.set_config('search_path', '', false);
            SET client_min_messages = warning;

            --
            -- Name: src; Type: DATABASE; Schema: -; Owner: own1
            --

            CREATE DATABASE src WITH TEMPLATE = template0 ENCODING = 'UTF8' LOCALE_PROVIDER = libc LOCALE = 'C.UTF-8';


            ALTER DATABASE src OWNER TO own1;

            \\unrestrict LyvV4GTJsytIfxtHWmwtfnfNiFyOwSTpzSSnk1nqKD4s8U2kxm2yXOp8S5ypfAH
            \\connect src
            \\restrict LyvV4GTJsytIfxtHWmwtfnfNiFyOwSTpzSSnk1nqKD4s8U2kxm2yXOp8S5ypfAH

            SET statement_timeout = 0;

            --
            -- Name: DATABASE src; Type: COMMENT; Schema: -; Owner: own1
            --

            COMMENT ON DATABASE src IS 'the source;
            ALTER DATABASE src in a comment; and DATABASE src again';


            --
            -- Name: src; Type: DATABASE PROPERTIES; Schema: -; Owner: own1
            --

            ALTER DATABASE src CONNECTION LIMIT = 40;
            ALTER DATABASE src SET timezone_abbreviations TO 'India';
            ALTER DATABASE src SET "lifeboat.tenant" TO 'it''s DATABASE src';
            ALTER ROLE r2 IN DATABASE src SET work_mem TO '8MB';


            --
            -- Name: DATABASE src; Type: ACL; Schema: -; Owner: own1
            --

            REVOKE CONNECT,TEMPORARY ON DATABASE src FROM PUBLIC;
            SET SESSION AUTHORIZATION r2;
            GRANT CONNECT ON DATABASE src TO r3;
            RESET SESSION AUTHORIZATION;

            \\unrestrict LyvV4GTJsytIfxtHWmwtfnfNiFyOwSTpzSSnk1nqKD4s8U2kxm2yXOp8S5ypfAH
            """;

    @Test
    void theStatementsNameTheNewDatabaseAndKeepTheTextThatMerelyMentionsTheOldOne() {
        DatabaseProperties p = DatabaseProperties.parse(SCRIPT);
        assertThat(p.name()).isEqualTo("src");
        assertThat(p.owner()).isEqualTo("own1");
        String copy = "\"src copy\"";
        assertThat(p.of(DatabaseProperties.Phase.BEFORE).stream().map(s -> s.sql(copy)).toList()).containsExactly(
                "COMMENT ON DATABASE \"src copy\" IS 'the source;\nALTER DATABASE src in a comment; and DATABASE src again'",
                "ALTER DATABASE \"src copy\" SET timezone_abbreviations TO 'India'",
                "ALTER DATABASE \"src copy\" SET \"lifeboat.tenant\" TO 'it''s DATABASE src'",
                "ALTER ROLE r2 IN DATABASE \"src copy\" SET work_mem TO '8MB'");
        assertThat(p.of(DatabaseProperties.Phase.AFTER).stream().map(s -> s.sql(copy)).toList()).containsExactly(
                "ALTER DATABASE \"src copy\" CONNECTION LIMIT = 40",
                "REVOKE CONNECT,TEMPORARY ON DATABASE \"src copy\" FROM PUBLIC",
                "SET SESSION AUTHORIZATION r2",
                "GRANT CONNECT ON DATABASE \"src copy\" TO r3",
                "RESET SESSION AUTHORIZATION");
        assertThat(p.statements()).extracting(DatabaseProperties.Statement::kind).containsExactly(
                DatabaseProperties.Kind.COMMENT, DatabaseProperties.Kind.OTHER, DatabaseProperties.Kind.SETTING,
                DatabaseProperties.Kind.SETTING, DatabaseProperties.Kind.ROLE_SETTING, DatabaseProperties.Kind.PRIVILEGE,
                DatabaseProperties.Kind.PRIVILEGE, DatabaseProperties.Kind.PRIVILEGE, DatabaseProperties.Kind.PRIVILEGE);
    }

    @Test
    void aQuotedNameIsFoundAsPgDumpQuotesItAndNotInsideLiteralsOrOtherNames() {
        String script = String.join("\n",
                "CREATE DATABASE \"Odd \"\"DB\"\"\" WITH TEMPLATE = template0;",
                "ALTER DATABASE \"Odd \"\"DB\"\"\" OWNER TO \"Some Owner\";",
                "COMMENT ON DATABASE \"Odd \"\"DB\"\"\" IS E'DATABASE \"Odd \"\"DB\"\"\" \\' quoted';",
                "ALTER DATABASE \"Odd \"\"DB\"\"\"x SET a TO 'b';");
        DatabaseProperties p = DatabaseProperties.parse(script);
        assertThat(p.name()).isEqualTo("\"Odd \"\"DB\"\"\"");
        assertThat(p.owner()).isEqualTo("\"Some Owner\"");
        assertThat(DatabaseProperties.unquote(p.owner())).isEqualTo("Some Owner");
        assertThat(DatabaseProperties.unquote("plain")).isEqualTo("plain");
        assertThat(p.statements()).extracting(s -> s.sql("n")).containsExactly(
                "COMMENT ON DATABASE n IS E'DATABASE \"Odd \"\"DB\"\"\" \\' quoted'");
    }

    @Test
    void statementsSplitOutsideLiteralsCommentsAndMetaCommands() {
        assertThat(DatabaseProperties.split("""
                \\connect x
                -- a comment; with a semicolon
                SELECT 'a;b', "c;d", $$e;f$$, $t$g;h$t$, E'i\\';j';
                SELECT 2 -- trailing; comment
                ;
                """)).containsExactly("SELECT 'a;b', \"c;d\", $$e;f$$, $t$g;h$t$, E'i\\';j'", "SELECT 2");
        assertThat(DatabaseProperties.nameAt("ALTER DATABASE  src SET", "src")).isEqualTo(16);
        assertThat(DatabaseProperties.nameAt("ALTER DATABASE srcx SET", "src")).isEqualTo(-1);
        assertThat(DatabaseProperties.nameAt("COMMENT ON SCHEMA s IS 'DATABASE src'", "src")).isEqualTo(-1);
        assertThat(DatabaseProperties.parse("SET x = 1;").statements()).isEqualTo(List.of());
    }
}
