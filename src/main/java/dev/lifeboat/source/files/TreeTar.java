package dev.lifeboat.source.files;

import dev.lifeboat.core.ErrorCode;
import dev.lifeboat.core.LifeboatException;
import dev.lifeboat.repository.Artifact;
import dev.lifeboat.repository.Json;
import dev.lifeboat.source.Restorer;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.apache.commons.compress.archivers.tar.TarConstants;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.attribute.FileTime;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A file tree's backup as a POSIX (pax) tar stream, for {@code lifeboat cat ID NAME.tar}: names of any length,
 * modes with setuid bits, owners by id and name, times (to 100 ns: commons-compress writes pax times so), symbolic and
 * hard links, empty folders, and
 * {@code user.} extended attributes as {@code SCHILY.xattr} records, which GNU tar restores with {@code --xattrs}.
 * {@code tar -x} (as root: {@code --same-owner}) rebuilds the tree. Paths are written as the listing has them,
 * relative; each file's bytes are checked against its SHA-256 on the way.
 */
public final class TreeTar {
    private TreeTar() {}

    /** Whether {@code artifactName} names the tar of a files source of {@code sources}: {@code uploads.tar}. */
    public static String sourceOf(String artifactName, List<Artifact> artifacts) {
        if (!artifactName.endsWith(".tar")) {
            return null;
        }
        String source = artifactName.substring(0, artifactName.length() - 4);
        return artifacts.stream().anyMatch(a -> source.equals(a.source()) && FilesType.TREE.equals(a.format()))
                ? source : null;
    }

    /** Writes the tree of {@code artifacts} (one files source's) to {@code out} as a tar stream, and ends it. */
    public static void write(Restorer.Artifacts artifacts, OutputStream out) throws IOException {
        Artifact tree = artifacts.list().stream().filter(a -> FilesType.TREE.equals(a.format())).findFirst()
                .orElseThrow(() -> integrity("no file list"));
        Artifact data = artifacts.list().stream().filter(a -> FilesType.DATA.equals(a.format())).findFirst()
                .orElseThrow(() -> integrity("no file data"));
        TarArchiveOutputStream tar = new TarArchiveOutputStream(out, StandardCharsets.UTF_8.name());
        tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
        tar.setBigNumberMode(TarArchiveOutputStream.BIGNUMBER_POSIX);
        tar.setAddPaxHeadersForNonAsciiNames(true);
        long position = 0;
        try (BufferedReader lines = new BufferedReader(new InputStreamReader(artifacts.open(tree), StandardCharsets.UTF_8));
             InputStream bytes = artifacts.open(data)) {
            String line;
            while ((line = lines.readLine()) != null) {
                Entry e = Json.MAPPER.readValue(line, Entry.class);
                if (e.path().equals(".")) {
                    continue; // the root: tar -x writes into the folder it is run in
                }
                TarArchiveEntry t;
                switch (e.type()) {
                    case Entry.DIR -> t = new TarArchiveEntry(e.path() + "/", TarConstants.LF_DIR);
                    case Entry.SYMLINK -> {
                        t = new TarArchiveEntry(e.path(), TarConstants.LF_SYMLINK);
                        t.setLinkName(e.target());
                    }
                    case Entry.HARDLINK -> {
                        t = new TarArchiveEntry(e.path(), TarConstants.LF_LINK);
                        t.setLinkName(e.target());
                    }
                    case Entry.FILE -> {
                        t = new TarArchiveEntry(e.path(), TarConstants.LF_NORMAL);
                        t.setSize(e.size());
                    }
                    default -> throw integrity("an entry of unknown type " + e.type());
                }
                t.setMode(e.mode());
                t.setUserId(e.uid());
                t.setGroupId(e.gid());
                if (e.user() != null) {
                    t.setUserName(e.user());
                }
                if (e.group() != null) {
                    t.setGroupName(e.group());
                }
                t.setLastModifiedTime(FileTime.from(e.mtimeNs(), TimeUnit.NANOSECONDS));
                if (e.xattrs() != null) {
                    for (var x : e.xattrs().entrySet()) {
                        // pax records are UTF-8 text: binary values would not survive, so they are left out
                        String v = new String(Base64.getDecoder().decode(x.getValue()), StandardCharsets.UTF_8);
                        t.addPaxHeader("SCHILY.xattr." + x.getKey(), v);
                    }
                }
                tar.putArchiveEntry(t);
                if (Entry.FILE.equals(e.type())) {
                    if (e.offset() != position) {
                        throw integrity("the file " + FilesSource.escape(e.path()) + " starts at byte " + e.offset()
                                + " of its data, not " + position);
                    }
                    TreeRestorer.copyChecked(bytes, tar, e, TreeTar::integrity);
                    position += e.size();
                }
                tar.closeArchiveEntry();
            }
        }
        tar.finish();
        tar.flush();
    }

    private static LifeboatException integrity(String what) {
        return new LifeboatException(ErrorCode.INTEGRITY, "the tree's backup has " + what, "use another backup");
    }
}
