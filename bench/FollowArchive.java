import dev.lifeboat.source.postgres.ArchiveRows;

import java.io.FileInputStream;
import java.io.InputStream;
import java.lang.management.ManagementFactory;

/**
 * What following a pg_dump archive for its row counts (ArchiveRows) costs a backup's reading thread: the CPU time
 * of reading the archive file in 1 MiB reads through ArchiveRows, against reading it plainly, alternately, after a
 * warm-up round of each. Run by bench/archive-rows.sh: java -cp lifeboat.jar bench/FollowArchive.java ARCHIVE ROUNDS
 */
public final class FollowArchive {
    public static void main(String[] args) throws Exception {
        String archive = args[0];
        int rounds = Integer.parseInt(args[1]);
        var bean = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        byte[] buf = new byte[1 << 20];
        double plain = 0;
        double follow = 0;
        long rows = -1;
        for (int round = -1; round < rounds; round++) {
            for (boolean following : new boolean[] {false, true}) {
                ArchiveRows counter = new ArchiveRows();
                long start = bean.getCurrentThreadCpuTime();
                try (InputStream file = new FileInputStream(archive);
                     InputStream in = following ? counter.follow(file) : file) {
                    while (in.read(buf, 0, buf.length) > 0) {
                        // read
                    }
                }
                double seconds = (bean.getCurrentThreadCpuTime() - start) / 1e9;
                if (round < 0) {
                    continue; // warm-up
                }
                if (following) {
                    follow += seconds;
                    rows = counter.rowsByTable().orElseThrow(() -> new IllegalStateException(
                            "could not follow the archive: " + counter.failure()))
                            .values().stream().mapToLong(Long::longValue).sum();
                } else {
                    plain += seconds;
                }
            }
        }
        System.out.printf("plain read                 %.3f CPU s (mean of %d)%n", plain / rounds, rounds);
        System.out.printf("read through ArchiveRows %.3f CPU s, %d rows counted%n", follow / rounds, rows);
        System.out.printf("ArchiveRows' own cost      %.3f CPU s%n", (follow - plain) / rounds);
    }
}
