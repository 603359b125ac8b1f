package dev.lifeboat.repository;

import com.fasterxml.jackson.databind.JsonNode;
import dev.lifeboat.core.ErrorCode;
import dev.lifeboat.core.LifeboatException;
import dev.lifeboat.core.Version;

import java.util.ArrayList;
import java.util.List;

/**
 * What every reader checks of a blob before it uses it: its format version (a blob newer than this Lifeboat knows
 * is refused, never half-understood: an old prune must never collect chunks a newer format references), and
 * the values a manifest must have to be restored or pruned by (ids, chunk ids, sizes). A blob that fails is a
 * {@link LifeboatException} naming the blob, never a NullPointerException later.
 */
public final class FormatCheck {
    private FormatCheck() {}

    /**
     * The blob's {@code formatVersion} (absent: 1, the version before the field was written everywhere), refused
     * when newer than {@code known}.
     *
     * @param writtenBy the field naming the Lifeboat release that wrote the blob, or null
     */
    public static int version(JsonNode blob, String blobName, int known, String writtenBy) {
        if (blob == null || !blob.isObject()) {
            throw new LifeboatException(ErrorCode.INTEGRITY, blobName + " is not a JSON object",
                    "restore that blob from a replica or another copy of the repository");
        }
        JsonNode v = blob.get("formatVersion");
        if (v == null || v.isNull()) {
            return 1;
        }
        if (!v.canConvertToInt() || !v.isIntegralNumber() || v.asInt() < 1) {
            throw new LifeboatException(ErrorCode.INTEGRITY, blobName + " has an invalid formatVersion " + v,
                    "restore that blob from a replica or another copy of the repository");
        }
        int found = v.asInt();
        if (found > known) {
            JsonNode by = writtenBy == null ? null : blob.get(writtenBy);
            throw newer(blobName, found, known, by == null || !by.isTextual() ? null : by.asText());
        }
        return found;
    }

    /** The refusal of a blob of a newer format: one line naming the blob and both versions. */
    public static LifeboatException newer(String blobName, int found, int known, String writtenBy) {
        return new LifeboatException(ErrorCode.REPOSITORY, blobName + " has format version " + found
                + (writtenBy == null ? "" : " (written by Lifeboat " + writtenBy + ")") + "; this Lifeboat ("
                + Version.get() + ") reads format version " + known + " at most",
                "upgrade Lifeboat to the release that wrote it or a newer one; nothing was changed");
    }

    /** What is wrong with a manifest's values, empty when nothing is; {@code id} is the backup it was read for. */
    public static List<String> problems(Manifest m, String id) {
        List<String> p = new ArrayList<>();
        if (m.id() == null || !m.id().equals(id)) {
            p.add("its id is " + (m.id() == null ? "missing" : "'" + m.id() + "'") + " (expected " + id + ")");
        }
        if (m.started() == null) {
            p.add("its start time is missing");
        }
        if (m.sources() == null) {
            p.add("its sources are missing");
        }
        if (m.artifacts() == null) {
            p.add("its artifacts are missing");
            return p;
        }
        for (Artifact a : m.artifacts()) {
            if (a == null || a.name() == null) {
                p.add("an artifact has no name");
                continue;
            }
            if (a.chunks() == null) {
                p.add("artifact " + a.name() + " has no chunk list");
                continue;
            }
            if (a.size() < 0 || a.storedSize() < 0) {
                p.add("artifact " + a.name() + " has a negative size");
            }
            long sum = 0;
            for (ChunkRef c : a.chunks()) {
                if (c == null || c.id() == null || !ChunkIndex.isId(c.id())) {
                    p.add("artifact " + a.name() + " names an invalid chunk id "
                            + (c == null || c.id() == null ? "null" : "'" + shorten(c.id()) + "'"));
                    break;
                }
                if (c.size() < 0 || c.stored() < 0) {
                    p.add("artifact " + a.name() + " has a chunk of negative size (" + c.id() + ")");
                    break;
                }
                sum += c.size();
            }
            if (p.isEmpty() && sum != a.size()) {
                p.add("artifact " + a.name() + " declares " + a.size() + " bytes but its chunks hold " + sum);
            }
        }
        return p;
    }

    private static String shorten(String s) {
        return s.length() <= 80 ? s : s.substring(0, 80) + "...";
    }
}
