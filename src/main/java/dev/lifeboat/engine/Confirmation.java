package dev.lifeboat.engine;

/** Asks a person to confirm a destructive step; the CLI asks on the terminal, the API uses tokens. */
@FunctionalInterface
public interface Confirmation {
    /**
     * @param question what will happen, naming the target
     * @param expected what the person must type to agree (the target database's name)
     * @return true to go on
     */
    boolean confirm(String question, String expected);
}
