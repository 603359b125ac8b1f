package dev.lifeboat.state;

import dev.lifeboat.core.ErrorCode;
import dev.lifeboat.core.LifeboatException;

import java.util.Locale;

/** What an API token may do. Each role includes the ones below it: admin ⊇ operator ⊇ viewer. */
public enum Role {
    /** Reads: backups, jobs, settings, the audit log. */
    VIEWER,
    /** Viewer, plus running backups, verifies, prunes and restores. */
    OPERATOR,
    /** Operator, plus managing tokens and settings. */
    ADMIN;

    /** Whether a holder of this role may do what needs {@code required}. */
    public boolean allows(Role required) {
        return compareTo(required) >= 0;
    }

    /** The lower-case spelling used on the command line, in JSON and in the database. */
    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** Parses {@code admin}, {@code operator} or {@code viewer} (any case); a user error otherwise. */
    public static Role parse(String text) {
        if (text != null) {
            for (Role r : values()) {
                if (r.name().equalsIgnoreCase(text.strip())) {
                    return r;
                }
            }
        }
        throw new LifeboatException(ErrorCode.USAGE, "unknown role '" + text + "'",
                "use admin, operator or viewer");
    }
}
