package dev.lifeboat.source;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;

/** Feeding a stream to a program (pg_restore, psql, an exec source's restore command) on its standard input. */
public final class Pipes {
    private Pipes() {}

    /** Starts {@code cmd}; when it cannot start, closes {@code in}, the stream it was to be fed. */
    public static Process start(ProcessBuilder cmd, InputStream in) throws IOException {
        try {
            return cmd.start();
        } catch (IOException e) {
            in.close();
            throw e;
        }
    }

    /**
     * Copies {@code src} to {@code dst}, the standard input of {@code program}, until either ends: true at the end of
     * {@code src}; false when the program stopped reading (a write failed, and its exit says why), or when {@code src}
     * could not be read. That failure goes into {@code readError} once the program was killed: it must never take a
     * broken stream for its end, and run or commit what it got.
     */
    public static boolean copy(InputStream src, OutputStream dst, Process program, Exception[] readError, int bufferSize) {
        byte[] buf = new byte[bufferSize];
        while (true) {
            int n;
            try {
                n = src.read(buf);
            } catch (IOException | RuntimeException e) {
                readError[0] = e;
                program.destroyForcibly();
                return false;
            }
            if (n < 0) {
                return true;
            }
            try {
                dst.write(buf, 0, n);
            } catch (IOException stopped) {
                return false;
            }
        }
    }

    /** Throws what {@link #copy} could not read, if anything. */
    public static void rethrow(Exception[] readError) throws IOException {
        if (readError[0] instanceof IOException e) {
            throw e;
        }
        if (readError[0] instanceof RuntimeException e) {
            throw e;
        }
    }
}
