package dev.lifeboat.cli;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.PatternLayoutEncoder;
import ch.qos.logback.classic.spi.Configurator;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.ConsoleAppender;
import ch.qos.logback.core.spi.ContextAwareBase;
import dev.lifeboat.config.Settings;
import dev.lifeboat.core.LifeboatException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Logging set up in code rather than from a {@code logback.xml}: parsing the XML cost every command about a
 * tenth of a second of start-up before it could do anything. Logback finds this class through
 * {@code META-INF/services/ch.qos.logback.classic.spi.Configurator}.
 *
 * <p>The CLI logs warnings and errors only, on stderr, as {@code LEVEL: message} (stdout carries results:
 * JSON, {@code cat} output); {@code LIFEBOAT_LOG_LEVEL} lowers the threshold of Lifeboat's own loggers. A
 * service switches to one timestamped line per event on stdout ({@link #serviceFormat}).
 */
public final class Logging extends ContextAwareBase implements Configurator {
    private static final String CLI_PATTERN = "%level: %msg%n";
    private static final String SERVICE_PATTERN = "%d{yyyy-MM-dd'T'HH:mm:ss.SSS'Z',UTC} %-5level %msg%n";

    @Override
    public ExecutionStatus configure(LoggerContext context) {
        attach(context, "STDERR", CLI_PATTERN, "System.err");
        context.getLogger(Logger.ROOT_LOGGER_NAME).setLevel(Level.WARN);
        context.getLogger("dev.lifeboat").setLevel(Level.toLevel(level(), Level.WARN));
        return ExecutionStatus.DO_NOT_INVOKE_NEXT_IF_ANY;
    }

    /**
     * LIFEBOAT_LOG_LEVEL through {@link Settings#logLevel}: logging starts with the first logger, before the
     * command reads its settings. An invalid value leaves the default here; {@link Settings#load} reports it.
     */
    private static String level() {
        try {
            return Settings.logLevel(System.getenv());
        } catch (LifeboatException e) {
            return null;
        }
    }

    /**
     * The service's format: a UTC timestamp, the level and the message, on stdout (journald keeps it), at
     * {@code level} ({@code Settings.logLevel}; INFO when null) for Lifeboat's loggers.
     */
    static void serviceFormat(String level) {
        LoggerContext context = (LoggerContext) LoggerFactory.getILoggerFactory();
        attach(context, "SERVICE", SERVICE_PATTERN, "System.out");
        Level lvl = Level.toLevel(level, Level.INFO);
        context.getLogger("dev.lifeboat").setLevel(lvl);
        context.getLogger("lifeboat").setLevel(lvl);
    }

    /** Replaces the root logger's appenders with one console appender. */
    private static void attach(LoggerContext context, String name, String pattern, String target) {
        PatternLayoutEncoder encoder = new PatternLayoutEncoder();
        encoder.setContext(context);
        encoder.setPattern(pattern);
        encoder.start();
        ConsoleAppender<ILoggingEvent> out = new ConsoleAppender<>();
        out.setContext(context);
        out.setName(name);
        out.setTarget(target);
        out.setEncoder(encoder);
        out.start();
        ch.qos.logback.classic.Logger root = context.getLogger(Logger.ROOT_LOGGER_NAME);
        root.detachAndStopAllAppenders();
        root.addAppender(out);
    }
}
