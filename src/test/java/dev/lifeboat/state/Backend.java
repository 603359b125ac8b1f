package dev.lifeboat.state;

/** The databases the state tests run on: every {@code @ParameterizedClass} test runs once on each. */
enum Backend {
    SQLITE, POSTGRES
}
