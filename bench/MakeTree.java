import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;

/**
 * The file trees of bench/file-tree.sh and bench/million-files.sh, the same bytes for the same arguments.
 *
 * <pre>
 *   java bench/MakeTree.java mixed ROOT TOTAL_MIB FILES SEED   # source code, text, JSON, images, a few large files
 *   java bench/MakeTree.java change ROOT FILES SEED            # rewrites 1% of a mixed tree's files, adds 1% more
 *   java bench/MakeTree.java tiny ROOT FILES                   # FILES files of 0 to 64 bytes, 1,000 per folder
 * </pre>
 *
 * A mixed tree: four large files hold 40% of the bytes (two that do not compress, two logs), the rest is spread
 * over the other files by kind: 45% source code, 20% JSON, 10% prose, 25% images (random bytes, which do not
 * compress), in folders of at most 500 files, three levels deep. File i's kind and content come from a generator
 * seeded with SEED and i, so that {@code change} rewrites the same files every time.
 */
public final class MakeTree {
    private static final String[] WORDS = ("the of and to in is that for it as with was on be by at this are from or "
            + "backup restore chunk repository source file tree server database table index value return public "
            + "private static final class void string int long byte buffer stream reader writer config path name "
            + "error message hint retry timeout lock manifest artifact snapshot verify prune retention schedule "
            + "user group mode time size offset length count total result status job queue token session").split(" ");
    private static final String[] CODE = {"if (", ") {\n", "}\n", "return ", ";\n", " = ", "for (int i = 0; i < ",
            "; i++) {\n", "    ", "        ", "// ", "\n", "(", ")", ", ", ".", " + ", "new ", "import ", "throw "};

    public static void main(String[] args) throws IOException {
        switch (args[0]) {
            case "mixed" -> mixed(Path.of(args[1]), Long.parseLong(args[2]) << 20, Integer.parseInt(args[3]),
                    Long.parseLong(args[4]));
            case "change" -> change(Path.of(args[1]), Integer.parseInt(args[2]), Long.parseLong(args[3]));
            case "tiny" -> tiny(Path.of(args[1]), Integer.parseInt(args[2]));
            default -> throw new IllegalArgumentException("mixed, change or tiny, not " + args[0]);
        }
    }

    enum Kind { CODE, JSON, PROSE, IMAGE }

    static Kind kind(Random r) {
        int k = r.nextInt(100);
        return k < 45 ? Kind.CODE : k < 65 ? Kind.JSON : k < 75 ? Kind.PROSE : Kind.IMAGE;
    }

    static Path place(Path root, int i, Kind k) {
        return root.resolve("d" + (i / 50_000)).resolve("e" + (i / 500 % 100)).resolve(String.format("f%07d", i)
                + suffix(k));
    }

    static String suffix(Kind k) {
        return switch (k) {
            case CODE -> ".java";
            case JSON -> ".json";
            case PROSE -> ".txt";
            case IMAGE -> ".jpg";
        };
    }

    static void mixed(Path root, long total, int files, long seed) throws IOException {
        long large = total * 4 / 10;
        int small = files - 4;
        // sizes first: text files 1-16 KiB; images take what is left of the budget, so the total is as asked
        long[] sizes = new long[small];
        Kind[] kinds = new Kind[small];
        long text = 0;
        int images = 0;
        for (int i = 0; i < small; i++) {
            Random r = new Random(seed * 1_000_003L + i);
            kinds[i] = kind(r);
            if (kinds[i] == Kind.IMAGE) {
                images++;
            } else {
                sizes[i] = 1024 + r.nextInt(15 * 1024);
                text += sizes[i];
            }
        }
        long perImage = Math.max(1024, (total - large - text) / Math.max(1, images));
        for (int i = 0; i < small; i++) {
            if (kinds[i] == Kind.IMAGE) {
                Random r = new Random(seed * 7_919L + i);
                sizes[i] = perImage / 2 + (long) (r.nextDouble() * perImage); // mean perImage
            }
            write(place(root, i, kinds[i]), kinds[i], sizes[i], new Random(seed * 31L + i));
        }
        Path big = root.resolve("large");
        write(big.resolve("video-1.mp4"), Kind.IMAGE, large / 4, new Random(seed + 1));
        write(big.resolve("video-2.mp4"), Kind.IMAGE, large / 4, new Random(seed + 2));
        write(big.resolve("app-1.log"), Kind.PROSE, large / 4, new Random(seed + 3));
        write(big.resolve("db-export.json"), Kind.JSON, large / 4, new Random(seed + 4));
    }

    /** Rewrites every 100th small file in place (new bytes in its middle, same size) and adds 1% new files. */
    static void change(Path root, int files, long seed) throws IOException {
        int small = files - 4;
        int changed = 0;
        for (int i = 0; i < small; i += 100) {
            Path f = place(root, i, kind(new Random(seed * 1_000_003L + i)));
            byte[] b = Files.readAllBytes(f);
            Random r = new Random(seed * 977L + i);
            int at = b.length / 2;
            for (int j = at; j < Math.min(b.length, at + 64); j++) {
                b[j] = (byte) ('a' + r.nextInt(26));
            }
            Files.write(f, b);
            changed++;
        }
        Path added = root.resolve("added");
        for (int i = 0; i < small / 100; i++) {
            Random r = new Random(seed * 104_729L + i);
            Kind k = kind(r);
            write(added.resolve("e" + (i / 500)).resolve("n" + i + suffix(k)), k, 1024 + r.nextInt(15 * 1024), r);
        }
        System.out.println(changed + " files changed, " + small / 100 + " added");
    }

    static void tiny(Path root, int files) throws IOException {
        for (int i = 0; i < files; i++) {
            Path f = root.resolve("d" + (i / 1_000_000)).resolve("e" + (i / 1000 % 1000)).resolve("t" + i);
            if (i % 1000 == 0) {
                Files.createDirectories(f.getParent());
            }
            Files.write(f, ("file " + i + "\n").repeat(i % 4).getBytes(StandardCharsets.UTF_8));
        }
    }

    static void write(Path f, Kind kind, long size, Random r) throws IOException {
        Files.createDirectories(f.getParent());
        try (OutputStream out = new java.io.BufferedOutputStream(Files.newOutputStream(f), 1 << 16)) {
            byte[] buf = new byte[1 << 16];
            long left = size;
            while (left > 0) {
                int n = (int) Math.min(buf.length, left);
                if (kind == Kind.IMAGE) {
                    r.nextBytes(buf);
                    out.write(buf, 0, n);
                } else {
                    byte[] t = text(kind, r, n);
                    out.write(t, 0, n);
                }
                left -= n;
            }
        }
    }

    /** {@code n} bytes of text of the kind: code, JSON or prose from a small vocabulary. */
    static byte[] text(Kind kind, Random r, int n) {
        StringBuilder b = new StringBuilder(n + 64);
        while (b.length() < n) {
            switch (kind) {
                case CODE -> b.append(CODE[r.nextInt(CODE.length)]).append(WORDS[r.nextInt(WORDS.length)]);
                case JSON -> b.append("{\"").append(WORDS[r.nextInt(WORDS.length)]).append("\": ")
                        .append(r.nextInt(100_000)).append(", \"").append(WORDS[r.nextInt(WORDS.length)])
                        .append("\": \"").append(WORDS[r.nextInt(WORDS.length)]).append("\"}\n");
                default -> b.append(WORDS[r.nextInt(WORDS.length)]).append(r.nextInt(12) == 0 ? ".\n" : " ");
            }
        }
        return b.toString().getBytes(StandardCharsets.UTF_8);
    }
}
