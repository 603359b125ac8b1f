package dev.lifeboat.source.postgres;

import java.util.ArrayList;
import java.util.List;

/**
 * What an archive says of the database itself: its owner, its settings ({@code ALTER DATABASE ... SET}, also those
 * of single roles in it), comment, privileges, connection limit and security labels. pg_dump writes them into every
 * custom-format archive (the DATABASE, DATABASE PROPERTIES and the database's COMMENT, ACL and SECURITY LABEL
 * entries), and pg_restore applies them only with {@code --create}, which creates the database under the archive's
 * name. Lifeboat creates the database itself, under the name it is given, so it reads those statements from
 * {@code pg_restore --create --use-list=<those entries> --file=-} and names its own database in them instead.
 */
final class DatabaseProperties {
    /** When a statement is applied: before the objects are restored, so that their restore sees it, or after. */
    enum Phase { BEFORE, AFTER }

    /** What a statement restores, to say what could not be. */
    enum Kind {
        SETTING("setting"), ROLE_SETTING("setting of a role"), COMMENT("comment"), PRIVILEGE("privilege"),
        LABEL("security label"), OTHER("property");

        final String label;

        Kind(String label) {
            this.label = label;
        }

        Phase phase() {
            // The restore's own session must see the settings, as pg_restore --create's does; privileges and the
            // connection limit come last, so that they cannot keep the restore itself out.
            return this == SETTING || this == ROLE_SETTING || this == COMMENT ? Phase.BEFORE : Phase.AFTER;
        }
    }

    /** One statement, split where the database's name goes. */
    record Statement(Kind kind, String head, String tail) {
        String sql(String database) {
            return tail == null ? head : head + database + tail;
        }
    }

    private final String name;
    private final String owner;
    private final List<Statement> statements;

    private DatabaseProperties(String name, String owner, List<Statement> statements) {
        this.name = name;
        this.owner = owner;
        this.statements = statements;
    }

    /** The database's name in the archive, as an SQL identifier; null when the script has no CREATE DATABASE. */
    String name() {
        return name;
    }

    /** The database's owner in the archive, as an SQL identifier; null when unknown. */
    String owner() {
        return owner;
    }

    List<Statement> statements() {
        return statements;
    }

    boolean isEmpty() {
        return statements.isEmpty();
    }

    /** The statements of {@code phase}, in the archive's order. */
    List<Statement> of(Phase phase) {
        return statements.stream().filter(s -> s.kind().phase() == phase).toList();
    }

    /**
     * Reads the script pg_restore writes for the database's own entries: CREATE DATABASE gives the name, ALTER
     * DATABASE ... OWNER TO the owner; of the other statements, those that name the database are kept, with the
     * place of its name, and so are the SET/RESET SESSION AUTHORIZATION around grants made by other roles. The
     * session settings pg_restore starts each entry with, and psql's meta-commands, are left out.
     */
    static DatabaseProperties parse(String script) {
        String name = null;
        String owner = null;
        List<String> raw = split(script);
        for (String s : raw) {
            if (s.startsWith("CREATE DATABASE ")) {
                name = identifierAt(s, "CREATE DATABASE ".length());
            }
        }
        List<Statement> out = new ArrayList<>();
        for (String s : raw) {
            if (s.startsWith("CREATE DATABASE ")) {
                continue;
            }
            if (s.startsWith("SET SESSION AUTHORIZATION ") || s.startsWith("RESET SESSION AUTHORIZATION")) {
                out.add(new Statement(Kind.PRIVILEGE, s, null));
                continue;
            }
            int at = name == null ? -1 : nameAt(s, name);
            if (at < 0) {
                continue; // the session settings each entry starts with
            }
            String head = s.substring(0, at);
            String tail = s.substring(at + name.length());
            if (head.equals("ALTER DATABASE ") && tail.startsWith(" OWNER TO ")) {
                owner = tail.substring(" OWNER TO ".length()).strip();
                continue;
            }
            out.add(new Statement(kind(head, tail), head, tail));
        }
        return new DatabaseProperties(name, owner, List.copyOf(out));
    }

    private static Kind kind(String head, String tail) {
        if (head.startsWith("ALTER DATABASE ")) {
            return tail.startsWith(" SET ") || tail.startsWith(" RESET ") ? Kind.SETTING : Kind.OTHER;
        }
        if (head.startsWith("ALTER ROLE ")) {
            return Kind.ROLE_SETTING;
        }
        if (head.startsWith("COMMENT ON ")) {
            return Kind.COMMENT;
        }
        if (head.startsWith("GRANT ") || head.startsWith("REVOKE ")) {
            return Kind.PRIVILEGE;
        }
        if (head.startsWith("SECURITY LABEL ")) {
            return Kind.LABEL;
        }
        return Kind.OTHER;
    }

    /**
     * Where {@code name} stands as the database's name in {@code s}: right after the keyword DATABASE and white
     * space, outside any literal or quoted identifier, followed by white space or the end; -1 when it does not.
     */
    static int nameAt(String s, String name) {
        boolean[] quoted = quoted(s);
        for (int i = s.indexOf("DATABASE"); i >= 0; i = s.indexOf("DATABASE", i + 1)) {
            if (quoted[i] || (i > 0 && !Character.isWhitespace(s.charAt(i - 1)))) {
                continue;
            }
            int j = i + "DATABASE".length();
            if (j >= s.length() || !Character.isWhitespace(s.charAt(j))) {
                continue;
            }
            while (j < s.length() && Character.isWhitespace(s.charAt(j))) {
                j++;
            }
            int end = j + name.length();
            if (s.startsWith(name, j) && (end == s.length() || Character.isWhitespace(s.charAt(end)))) {
                return j;
            }
        }
        return -1;
    }

    /** The name an SQL identifier stands for: without its quotes, if it has them. */
    static String unquote(String identifier) {
        return identifier.length() >= 2 && identifier.startsWith("\"") && identifier.endsWith("\"")
                ? identifier.substring(1, identifier.length() - 1).replace("\"\"", "\"") : identifier;
    }

    /** The identifier starting at {@code from}: a quoted one with its quotes, or a word. */
    private static String identifierAt(String s, int from) {
        if (from < s.length() && s.charAt(from) == '"') {
            int i = from + 1;
            while (i < s.length()) {
                if (s.charAt(i) == '"') {
                    if (i + 1 < s.length() && s.charAt(i + 1) == '"') {
                        i += 2;
                        continue;
                    }
                    return s.substring(from, i + 1);
                }
                i++;
            }
            return s.substring(from);
        }
        int i = from;
        while (i < s.length() && !Character.isWhitespace(s.charAt(i)) && s.charAt(i) != ';') {
            i++;
        }
        return s.substring(from, i);
    }

    /**
     * The SQL statements of a script, each without its semicolon and outer white space; comments and psql
     * meta-command lines (such as {@code \connect} and {@code \restrict}) between statements are left out.
     * Literals ('', E'', dollar-quoted) and quoted identifiers may hold semicolons and line breaks.
     */
    static List<String> split(String script) {
        List<String> out = new ArrayList<>();
        StringBuilder cur = new StringBuilder();
        int i = 0;
        int n = script.length();
        while (i < n) {
            char c = script.charAt(i);
            boolean atStart = cur.toString().isBlank();
            if (atStart && c == '\\') { // a meta-command: the rest of the line
                int eol = script.indexOf('\n', i);
                i = eol < 0 ? n : eol + 1;
                cur.setLength(0);
                continue;
            }
            if (c == '-' && i + 1 < n && script.charAt(i + 1) == '-') {
                int eol = script.indexOf('\n', i);
                i = eol < 0 ? n : eol + 1;
                cur.append('\n');
                continue;
            }
            int end = quotedEnd(script, i);
            if (end > i) {
                cur.append(script, i, end);
                i = end;
                continue;
            }
            if (c == ';') {
                String s = cur.toString().strip();
                if (!s.isEmpty()) {
                    out.add(s);
                }
                cur.setLength(0);
                i++;
                continue;
            }
            cur.append(c);
            i++;
        }
        String s = cur.toString().strip();
        if (!s.isEmpty()) {
            out.add(s);
        }
        return out;
    }

    /** Which characters of {@code s} are inside a literal or a quoted identifier. */
    private static boolean[] quoted(String s) {
        boolean[] in = new boolean[s.length()];
        int i = 0;
        while (i < s.length()) {
            int end = quotedEnd(s, i);
            if (end > i) {
                for (int k = i; k < end; k++) {
                    in[k] = true;
                }
                i = end;
            } else {
                i++;
            }
        }
        return in;
    }

    /**
     * The end of a quoted text whose content starts at {@code k}: past the {@code quote} that closes it, a doubled
     * quote standing for itself (and, in an E'' literal, a backslash escaping the next character); the end of
     * {@code s} when it is not closed.
     */
    private static int closingQuote(String s, int k, char quote, boolean backslashEscapes) {
        while (k < s.length()) {
            char d = s.charAt(k);
            if (backslashEscapes && d == '\\') {
                k += 2;
            } else if (d == quote) {
                if (k + 1 < s.length() && s.charAt(k + 1) == quote) {
                    k += 2;
                } else {
                    return k + 1;
                }
            } else {
                k++;
            }
        }
        return s.length();
    }

    /** The end of the literal or quoted identifier that starts at {@code i}; {@code i} when none does. */
    private static int quotedEnd(String s, int i) {
        char c = s.charAt(i);
        boolean wordBefore = i > 0 && (Character.isLetterOrDigit(s.charAt(i - 1)) || s.charAt(i - 1) == '_');
        if ((c == 'E' || c == 'e') && !wordBefore && i + 1 < s.length() && s.charAt(i + 1) == '\'') {
            return closingQuote(s, i + 2, '\'', true);
        }
        if (c == '\'' || c == '"') {
            return closingQuote(s, i + 1, c, false);
        }
        if (c == '$' && !wordBefore) {
            int k = i + 1;
            while (k < s.length() && (Character.isLetterOrDigit(s.charAt(k)) || s.charAt(k) == '_')) {
                k++;
            }
            if (k < s.length() && s.charAt(k) == '$' && (k == i + 1 || !Character.isDigit(s.charAt(i + 1)))) {
                String tag = s.substring(i, k + 1);
                int close = s.indexOf(tag, k + 1);
                return close < 0 ? s.length() : close + tag.length();
            }
        }
        return i;
    }
}
