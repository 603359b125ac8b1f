package dev.lifeboat.storage.s3;

import software.amazon.awssdk.core.ResponseInputStream;

import java.io.IOException;
import java.io.InputStream;

/**
 * The body of a GetObject. Closing it before its end aborts the HTTP request rather than reading the rest of a
 * possibly large object, and read errors name the object.
 */
final class S3BlobInputStream extends InputStream {
    private final ResponseInputStream<?> in;
    private final String what;
    private final long length;
    private long position;
    private boolean ended;
    private boolean closed;

    /** {@code length} is the body's length when known, else negative. */
    S3BlobInputStream(ResponseInputStream<?> in, String what, long length) {
        this.in = in;
        this.what = what;
        this.length = length;
    }

    @Override
    public int read() throws IOException {
        try {
            int b = in.read();
            advance(b < 0 ? -1 : 1);
            return b;
        } catch (IOException e) {
            throw failed(e);
        }
    }

    @Override
    public int read(byte[] buffer, int offset, int count) throws IOException {
        try {
            int n = in.read(buffer, offset, count);
            advance(n);
            return n;
        } catch (IOException e) {
            throw failed(e);
        }
    }

    private void advance(int n) {
        if (n < 0) {
            ended = true;
        } else {
            position += n;
            ended |= length >= 0 && position >= length;
        }
    }

    @Override
    public int available() throws IOException {
        return in.available();
    }

    private IOException failed(IOException e) {
        if (closed) {
            return e;
        }
        return new IOException("could not read " + what + ": " + e.getMessage(), e);
    }

    @Override
    public void close() throws IOException {
        if (closed) {
            return;
        }
        closed = true;
        if (!ended) {
            in.abort(); // drop the connection instead of downloading the rest
            try {
                in.close();
            } catch (IOException | RuntimeException ignored) {
                // The request was aborted on purpose; there is nothing left to release.
            }
            return;
        }
        in.close();
    }
}
