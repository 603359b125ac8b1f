package dev.lifeboat.state;

/** The two databases the state can live in, and the few places where their SQL differs. */
enum Dialect {
    SQLITE("rowid"),
    /** {@code job_history.seq} is an identity column that stands in for SQLite's implicit rowid. */
    POSTGRES("seq");

    private final String insertionOrder;

    Dialect(String insertionOrder) {
        this.insertionOrder = insertionOrder;
    }

    /** A job_history expression that grows with each insert, to order rows started in the same millisecond. */
    String jobInsertionOrder() {
        return insertionOrder;
    }
}
