package dev.lifeboat.source;

import java.util.Map;
import java.util.function.Consumer;

/**
 * What the host gives every source: the environment its programs inherit (where their secrets come from), a way to
 * tell a person something once (a warning that is no failure), and the shared helpers the engine holds, looked up by
 * class (the PostgreSQL tools, so that every command probes them once).
 */
public record SourceContext(Map<String, String> environment, Consumer<String> notice, Map<Class<?>, Object> tools) {
    public SourceContext {
        environment = Map.copyOf(environment);
        tools = Map.copyOf(tools);
    }

    /** A context with the process's environment, notices dropped and no helpers: for tests and tools. */
    public static SourceContext plain() {
        return new SourceContext(System.getenv(), m -> {}, Map.of());
    }

    /** The helper of class {@code kind} the engine holds; an error when it holds none (a bug of the caller). */
    public <T> T tool(Class<T> kind) {
        Object t = tools.get(kind);
        if (t == null) {
            throw new IllegalStateException("no " + kind.getSimpleName() + " was given to the sources");
        }
        return kind.cast(t);
    }
}
