package dev.lifeboat.config;

import dev.lifeboat.core.ErrorCode;
import dev.lifeboat.core.LifeboatException;

import java.time.Duration;
import java.util.Map;
import java.util.Set;

/**
 * A command lifeboat.yml runs around a backup or a restore ({@code hooks:}, or a source's own {@code before-backup}
 * and {@code after-backup}): through {@code sh -c}, stopped after its timeout. Written as the command alone, or as
 * {@code {run: "...", timeout: SECONDS}}.
 *
 * @param name    {@code before-backup}, {@code after-backup}, {@code before-restore} or {@code after-restore}
 * @param command what {@code sh -c} runs
 * @param timeout how long it may run (default {@link #DEFAULT_TIMEOUT})
 */
public record Hook(String name, String command, Duration timeout) {
    public static final Duration DEFAULT_TIMEOUT = Duration.ofMinutes(15);
    public static final Set<String> STACK = Set.of("before-backup", "after-backup", "before-restore", "after-restore");
    public static final Set<String> SOURCE = Set.of("before-backup", "after-backup");

    /** The hook {@code name} of {@code where} (e.g. {@code hooks}, {@code source kv}) from YAML's {@code value}. */
    public static Hook parse(String where, String name, Object value) {
        if (value instanceof String s) {
            return new Hook(name, nonBlank(where, name, s), DEFAULT_TIMEOUT);
        }
        if (value instanceof Map<?, ?> m) {
            for (Object k : m.keySet()) {
                if (!"run".equals(k) && !"timeout".equals(k)) {
                    throw new LifeboatException(ErrorCode.USAGE, where + ": hook " + name + " has an unknown field '"
                            + k + "'", "write the hook as a command, or as {run: \"...\", timeout: SECONDS}");
                }
            }
            String run = m.get("run") instanceof String s ? nonBlank(where, name, s) : null;
            if (run == null) {
                throw new LifeboatException(ErrorCode.USAGE, where + ": hook " + name + " has no run: command",
                        "for example " + name + ": {run: \"docker compose stop api\", timeout: 120}");
            }
            Duration timeout = DEFAULT_TIMEOUT;
            Object t = m.get("timeout");
            if (t != null) {
                if (!(t instanceof Number n) || n.doubleValue() != n.longValue() || n.longValue() < 1
                        || n.longValue() > 86_400) {
                    throw new LifeboatException(ErrorCode.USAGE, where + ": hook " + name + "'s timeout must be a "
                            + "whole number of seconds from 1 to 86400, not '" + t + "'", null);
                }
                timeout = Duration.ofSeconds(n.longValue());
            }
            return new Hook(name, run, timeout);
        }
        throw new LifeboatException(ErrorCode.USAGE, where + ": hook " + name + " must be a command or "
                + "{run: ..., timeout: ...}", "for example " + name + ": \"docker compose stop api\"");
    }

    private static String nonBlank(String where, String name, String s) {
        if (s.isBlank()) {
            throw new LifeboatException(ErrorCode.USAGE, where + ": hook " + name + " is empty",
                    "give it a command, or leave it out");
        }
        return s;
    }
}
