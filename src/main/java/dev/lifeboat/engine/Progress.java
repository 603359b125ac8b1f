package dev.lifeboat.engine;

/** Progress of a long operation, rendered by the CLI as a bar on a terminal and ignored elsewhere. */
public interface Progress {
    Progress NONE = new Progress() {
        @Override
        public void start(String task, long totalBytes) {}

        @Override
        public void update(long bytesDone) {}

        @Override
        public void finish() {}
    };

    /** @param totalBytes -1 when unknown (a dump in progress) */
    void start(String task, long totalBytes);

    /**
     * Starts a task whose size is not known in advance but can be guessed (a dump): a terminal shows an ETA
     * from {@code estimate}, computed only when wanted, and drops it if the guess is passed. Elsewhere the same
     * as {@code start(task, -1)}.
     */
    default void startEstimated(String task, java.util.function.LongSupplier estimate) {
        start(task, -1);
    }

    void update(long bytesDone);

    /**
     * A step without a byte count that follows a finished task and may take long (pg_restore building indexes
     * after the last byte): shown so that a bar at 100% is not taken for a hang.
     */
    default void step(String description) {}

    void finish();

    /**
     * {@code in}, reporting the bytes read through it as the task {@code task}; closing it finishes the
     * task. The one way every command shows the progress of a stream.
     */
    default java.io.InputStream track(java.io.InputStream in, String task, long totalBytes) {
        start(task, totalBytes);
        return new java.io.FilterInputStream(in) {
            private long done;

            @Override
            public int read(byte[] b, int off, int len) throws java.io.IOException {
                int n = super.read(b, off, len);
                if (n > 0) {
                    done += n;
                    update(done);
                }
                return n;
            }

            @Override
            public void close() throws java.io.IOException {
                finish();
                super.close();
            }
        };
    }
}
