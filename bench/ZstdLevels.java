import com.github.luben.zstd.ZstdCompressCtx;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * Compresses a file in 2 MiB pieces (Lifeboat's average chunk) with zstd-jni, the library Lifeboat uses, at
 * several settings, and prints for each the compressed size and the CPU time of the compressing thread (mean
 * of ROUNDS rounds after one warm-up round; settings take turns, so a busy moment of the machine does not fall
 * on one only). Run by bench/zstd-levels.sh: java -cp target/lifeboat.jar bench/ZstdLevels.java FILE REFERENCE ROUNDS
 */
public final class ZstdLevels {
    private record Setting(String name, int level, int minMatch) {}

    private static final Setting[] SETTINGS = {
        new Setting("level 1", 1, 0),
        new Setting("level 2", 2, 0),
        new Setting("level 3 (Lifeboat's default)", 3, 0),
        new Setting("level 3, minimum match 6", 3, 6),
        new Setting("level 4", 4, 0),
    };

    public static void main(String[] args) throws Exception {
        byte[] all = Files.readAllBytes(Path.of(args[0]));
        long reference = Long.parseLong(args[1]);
        int rounds = Integer.parseInt(args[2]);
        int piece = 2 << 20;
        ThreadMXBean cpu = ManagementFactory.getThreadMXBean();
        long[] size = new long[SETTINGS.length];
        long[] nanos = new long[SETTINGS.length];
        for (int round = 0; round <= rounds; round++) {
            for (int k = 0; k < SETTINGS.length; k++) {
                long t0 = cpu.getCurrentThreadCpuTime();
                long total = 0;
                for (int off = 0; off < all.length; off += piece) {
                    byte[] plain = Arrays.copyOfRange(all, off, Math.min(all.length, off + piece));
                    try (ZstdCompressCtx ctx = new ZstdCompressCtx()) {
                        ctx.setLevel(SETTINGS[k].level());
                        ctx.setChecksum(true);
                        ctx.setContentSize(true);
                        if (SETTINGS[k].minMatch() > 0) {
                            ctx.setMinMatch(SETTINGS[k].minMatch());
                        }
                        total += ctx.compress(plain).length;
                    }
                }
                if (round > 0) { // round 0 warms up the JIT and the caches
                    nanos[k] += cpu.getCurrentThreadCpuTime() - t0;
                    size[k] = total;
                }
            }
        }
        double base = nanos[2];
        System.out.printf("%-32s %12s %8s %8s %8s%n", "setting", "bytes", "/ -Fc", "CPU s", "CPU/L3");
        for (int k = 0; k < SETTINGS.length; k++) {
            System.out.printf("%-32s %12d %8.3f %8.2f %8.2f%n", SETTINGS[k].name(), size[k], size[k] / (double) reference,
                    nanos[k] / 1e9 / rounds, nanos[k] / base);
        }
    }
}
