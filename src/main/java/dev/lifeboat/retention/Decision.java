package dev.lifeboat.retention;

import java.util.List;
import java.util.Objects;

/**
 * What {@link Retention#decide} says about one backup.
 *
 * @param reasons when kept, every rule that keeps it ({@code last 3}, {@code within 30d},
 *                {@code daily 2026-11-20}, {@code minimum 3}, {@code pinned}, ...); when removed, one
 *                sentence saying why ({@code older than 30d and matched no rule}). Never empty.
 */
public record Decision(String id, boolean keep, List<String> reasons) {
    public Decision {
        Objects.requireNonNull(id, "id");
        reasons = List.copyOf(reasons);
    }
}
