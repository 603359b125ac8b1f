package dev.lifeboat.source.files;

import dev.lifeboat.repository.Manifest;
import dev.lifeboat.source.Restorer;
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
    public SourceSpec forTarget(String name, String to) {
        return new SourceSpec(name, name(), Map.of("type", name(), "path", to));
    }

    @Override
    public List<String> checkData(Manifest.Source recorded, Restorer.Artifacts artifacts) throws java.io.IOException {
        try {
            TreeTar.write(artifacts, java.io.OutputStream.nullOutputStream()); // every file against its SHA-256
            return List.of();
        } catch (dev.lifeboat.core.LifeboatException e) {
            return List.of("source " + recorded.name() + ": " + e.getMessage());
        }
    }

    @Override
    public boolean readsItsData() {
        return true;
    }

    @Override
    public Drilled drill(Manifest.Source recorded, Restorer.Artifacts artifacts, Path scratch,
                              SourceSpec configured, SourceContext context)
            throws java.io.IOException, InterruptedException {
        Restorer r = new TreeRestorer("source " + recorded.name() + " (files)", recorded.name(), scratch, true,
                dev.lifeboat.source.RestoreOptions.DEFAULT, new SourceContext(context.environment(),
                m -> {}, context.tools()), Excludes.none(), true);
        r.restore(artifacts);
        // count as the backup counted: a file's further names (hard links) are links, not files
        java.util.Set<Object> inodes = new java.util.HashSet<>();
        long files = 0;
        long bytes = 0;
        try (var walk = java.nio.file.Files.walk(scratch)) {
            for (Path p : (Iterable<Path>) walk::iterator) {
                var a = java.nio.file.Files.readAttributes(p, "unix:ino,size", java.nio.file.LinkOption.NOFOLLOW_LINKS);
                if (java.nio.file.Files.isRegularFile(p, java.nio.file.LinkOption.NOFOLLOW_LINKS)
                        && inodes.add(a.get("ino"))) {
                    files++;
                    bytes += (Long) a.get("size");
                }
            }
        }
        List<String> mismatches = new java.util.ArrayList<>();
        long wantFiles = recorded.fields().path("files").asLong(-1);
        long wantBytes = recorded.fields().path("bytes").asLong(-1);
        java.util.Map<String, Long> compared = new java.util.LinkedHashMap<>();
        if (files != wantFiles) {
            mismatches.add("drill: source " + recorded.name() + ": expected " + wantFiles + " files, restored " + files);
        } else {
            compared.put("files", files);
        }
        if (bytes != wantBytes) {
            mismatches.add("drill: source " + recorded.name() + ": expected " + wantBytes + " bytes, restored " + bytes);
        } else {
            compared.put("bytes", bytes);
        }
        return new Drilled(compared, mismatches);
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
