package dev.lifeboat.source.exec;

import dev.lifeboat.repository.Manifest;
import dev.lifeboat.source.Shell;
import dev.lifeboat.source.Source;
import dev.lifeboat.source.SourceContext;
import dev.lifeboat.source.SourceSpec;
import dev.lifeboat.source.SourceType;

import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Type {@code exec}: any service with a dump and a load command. {@code backup}'s standard output is the artifact
 * and {@code restore} receives it on standard input; with {@code output: PATH}, the backup command writes that file
 * instead, which Lifeboat reads once the command has ended and then removes (and a restore writes it there before
 * its command runs). An optional {@code drill} command receives the artifact on standard input during
 * {@code verify --drill} and must exit 0. Commands run through {@code sh -c} with {@code env} added to Lifeboat's
 * environment (where secrets belong: the command line is shown in logs), in {@code cwd}, stopped after
 * {@code timeout} seconds (default 6 hours).
 *
 * <pre>
 * graph: { type: exec, backup: "neo4j-admin database dump neo4j --to-stdout",
 *          restore: "neo4j-admin database load neo4j --from-stdin --overwrite-destination=true" }
 * </pre>
 */
public final class ExecType implements SourceType {
    static final Duration DEFAULT_TIMEOUT = Duration.ofHours(6);
    /** An artifact that is a command's standard output, or the file it wrote. */
    public static final String FORMAT = "exec-output";

    @Override
    public String name() {
        return "exec";
    }

    @Override
    public Source configure(SourceSpec spec, SourceContext context) {
        spec.only(Set.of("backup", "restore", "drill", "output", "env", "cwd", "timeout"));
        String backup = spec.required("backup", "\"pg_dumpall\" (a command whose standard output is the backup)");
        String restore = spec.text("restore");
        String drill = spec.text("drill");
        String output = spec.text("output");
        Path out = null;
        if (output != null) {
            out = Path.of(output);
            if (!out.isAbsolute()) {
                throw spec.error("output must be an absolute path, not '" + output + "'", "for example output: "
                        + "/var/backups/graph.dump");
            }
        }
        String cwd = spec.text("cwd");
        Path dir = cwd == null ? null : Path.of(cwd);
        Map<String, String> env = spec.map("env");
        Duration timeout = spec.seconds("timeout", 1, 30L * 24 * 3600, DEFAULT_TIMEOUT);
        String label = "source " + spec.name() + " (exec): the ";
        return new ExecSource(spec.name(), new Shell(label + "backup command", backup, env, dir, timeout),
                restore == null ? null : new Shell(label + "restore command", restore, env, dir, timeout),
                drill == null ? null : new Shell(label + "drill command", drill, env, dir, timeout), out,
                spec.flag("stop", true), context);
    }

    /** Runs the configured {@code drill} command with the backup on its standard input; none configured, no drill. */
    @Override
    public Drilled drill(Manifest.Source recorded, dev.lifeboat.source.Restorer.Artifacts artifacts,
                              Path scratch, SourceSpec configured, SourceContext context)
            throws java.io.IOException, InterruptedException {
        if (configured == null || !name().equals(configured.type()) || configured.text("drill") == null) {
            return null;
        }
        ExecSource source = (ExecSource) configure(configured, context);
        try {
            source.drill(recorded, artifacts);
            return new Drilled(java.util.Map.of("commands", 1L), List.of());
        } catch (dev.lifeboat.core.LifeboatException e) {
            return new Drilled(java.util.Map.of(), List.of("drill: " + e.getMessage()));
        }
    }

    @Override
    public void problems(Manifest.Source recorded, String name, List<String> problems) {
        var bytes = recorded.fields().get("bytes");
        if (bytes != null && (!bytes.canConvertToLong() || bytes.asLong() < 0)) {
            problems.add(name + " has bytes " + bytes + ", not a size");
        }
    }

    @Override
    public Map<String, String> describe(Manifest.Source recorded) {
        Map<String, String> out = new LinkedHashMap<>();
        String via = recorded.text("output");
        out.put("read from", via == null ? "the backup command's standard output" : "the file the command wrote");
        var bytes = recorded.fields().get("bytes");
        if (bytes != null && bytes.canConvertToLong()) {
            out.put("bytes", Long.toString(bytes.asLong()));
        }
        return out;
    }
}
