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

    void update(long bytesDone);

    void finish();
}
