package dev.lifeboat.source.files;

import dev.lifeboat.repository.Manifest;
import dev.lifeboat.source.Source;
import dev.lifeboat.source.SourceContext;
import dev.lifeboat.source.SourceSpec;
import dev.lifeboat.source.SourceType;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Type {@code files}: a file tree (uploads, a secrets folder). Regular files, folders (empty ones too), symbolic links
 * as links, hard links as links, mode bits, owner and group, modification times to the nanosecond and the
 * {@code user.} extended attributes; sockets, FIFOs and devices are skipped and counted, as are names that are not
 * valid UTF-8 (reported escaped). Two artifacts: {@code NAME.tree} ({@link #TREE}, one JSON line per entry, see
 * {@link Entry}) and {@code NAME.data} ({@link #DATA}, the files' bytes one after the other, each file chunked on its
 * own). A file whose size, times and inode are those of the last backup of the source is not read again: its chunks
 * are reused.
 *
 * <pre>
 * uploads: { type: files, path: /srv/app/data/files, exclude: ["*.tmp", "cache/"] }
 * </pre>
 */
public final class FilesType implements SourceType {
    /** The listing of a tree: JSON lines of {@link Entry}. */
    public static final String TREE = "files-tree";
    /** The bytes of a tree's files, in the listing's order. */
    public static final String DATA = "files-data";

    @Override
    public String name() {
        return "files";
    }

    @Override
    public Source configure(SourceSpec spec, SourceContext context) {
        spec.only(Set.of("path", "exclude"));
        String path = spec.required("path", "/srv/app/data/files");
        Path root = Path.of(path);
        if (!root.isAbsolute()) {
            throw spec.error("path must be absolute, not '" + path + "'", "for example path: /srv/app/data/files");
        }
        Excludes excludes = Excludes.of(spec, spec.list("exclude"));
        return new FilesSource(spec.name(), root.normalize(), excludes, spec.flag("stop", true), context);
    }

    @Override
    public void problems(Manifest.Source recorded, String name, List<String> problems) {
        for (String k : List.of("files", "dirs", "links", "bytes", "skipped")) {
            var v = recorded.fields().get(k);
            if (v != null && (!v.canConvertToLong() || v.asLong() < 0)) {
                problems.add(name + " has " + k + " " + v + ", not a count");
            }
        }
    }

    @Override
    public Map<String, String> describe(Manifest.Source recorded) {
        Map<String, String> out = new LinkedHashMap<>();
        String path = recorded.text("path");
        if (path != null) {
            out.put("From", path);
        }
        for (String k : List.of("files", "dirs", "links", "bytes", "skipped", "read", "readBytes", "changedWhileRead")) {
            var v = recorded.fields().get(k);
            if (v != null && v.canConvertToLong()) {
                out.put(k, Long.toString(v.asLong()));
            }
        }
        return out;
    }
}
