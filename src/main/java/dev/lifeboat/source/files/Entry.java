package dev.lifeboat.source.files;

import com.fasterxml.jackson.annotation.JsonInclude;

import java.util.Map;

/**
 * One line of a file tree's listing (artifact format {@link FilesType#TREE}, JSON lines in the tree's order): what a
 * restore needs to rebuild the entry, and what the next backup compares to know a file unchanged.
 *
 * @param path    relative to the tree's root, {@code /}-separated; {@code .} for the root itself
 * @param type    {@code dir}, {@code file}, {@code symlink} or {@code hardlink} (a further name of an earlier file)
 * @param mode    permission bits with setuid, setgid and sticky ({@code 04750})
 * @param uid     owner's id; {@code user} its name when the system has one
 * @param gid     group's id; {@code group} its name
 * @param mtimeNs modification time, nanoseconds since the epoch
 * @param ctimeNs change time, for the next backup's comparison only
 * @param ino     inode number, for the next backup's comparison only
 * @param size    a file's bytes
 * @param sha256  a file's SHA-256
 * @param offset  where a file's bytes start in the tree's data artifact ({@link FilesType#DATA})
 * @param first   the index of a file's first chunk in the data artifact's chunk list
 * @param count   how many chunks the file has
 * @param target  a symbolic link's target, as it was (never followed); a hard link's first path
 * @param xattrs  extended attributes by their full names ({@code user.origin}; only the {@code user.} namespace is
 *                read and written), values in base64
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record Entry(String path, String type, int mode, int uid, int gid, String user, String group, long mtimeNs,
                    long ctimeNs, long ino, long size, String sha256, long offset, long first, int count,
                    String target, Map<String, String> xattrs) {
    public static final String DIR = "dir";
    public static final String FILE = "file";
    public static final String SYMLINK = "symlink";
    public static final String HARDLINK = "hardlink";

    /** Whether {@code now} is this file as it was: same size, times and inode (restic's rule). */
    boolean sameFile(Entry now) {
        return FILE.equals(type) && FILE.equals(now.type) && size == now.size && mtimeNs == now.mtimeNs
                && ctimeNs == now.ctimeNs && ino == now.ino;
    }
}
