package dev.lifeboat.cli;

import dev.lifeboat.api.HttpServer;
import dev.lifeboat.core.ErrorCode;
import dev.lifeboat.core.LifeboatException;
import dev.lifeboat.core.Version;
import dev.lifeboat.repository.Repository;
import dev.lifeboat.service.AdvisoryLockGate;
import dev.lifeboat.service.ClusteredScheduler;
import dev.lifeboat.service.JobGate;
import dev.lifeboat.service.Service;
import dev.lifeboat.state.Role;
import dev.lifeboat.state.StateStore;
import dev.lifeboat.storage.Storage;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.net.InetAddress;
import java.nio.file.NoSuchFileException;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;

@Command(name = "serve", mixinStandardHelpOptions = true,
        description = "Run the service: scheduled backups with retention, the REST API and the web UI.")
final class ServeCommand implements Callable<Integer> {
    private static final Logger LOG = LoggerFactory.getLogger("lifeboat");

    @Mixin
    Common common;

    @Option(names = "--port", paramLabel = "PORT", description = "HTTP port (default: LIFEBOAT_PORT, else 8080).")
    Integer port;

    @Option(names = "--bind", paramLabel = "ADDRESS",
            description = "Address to listen on (default: LIFEBOAT_BIND, else 127.0.0.1; 0.0.0.0 for every interface).")
    String bind;

    @Mixin
    StateOptions stateOptions;

    @Override
    public Integer call() throws Exception {
        var settings = common.settings();
        Logging.serviceFormat(settings.logLevel);
        var serve = settings.service;
        int httpPort = port != null ? port : serve.port;
        String host = bind != null ? bind : serve.bind;
        var stateAt = stateOptions.location(settings.state);
        String instance = serve.instance != null ? serve.instance : hostInstanceName(httpPort);
        Clock clock = Clock.systemUTC();

        StateStore state = stateOptions.open(settings.state, clock);
        Storage storage = common.openStorage();
        Repository repo;
        try {
            repo = common.openRepository(storage);
        } catch (NoSuchFileException e) {
            throw new LifeboatException(ErrorCode.REPOSITORY, "no repository at " + storage.location(),
                    "create it first with: lifeboat init --repo " + storage.location());
        }
        javax.sql.DataSource shared = state.postgresDataSource().orElse(null);
        JobGate gate = shared == null ? JobGate.LOCAL : new AdvisoryLockGate(shared, storage.location());
        Service service = new Service(settings, state, repo, gate, instance, serve.confirmationTtl, clock);
        service.start(shared == null ? null : new ClusteredScheduler(shared, instance, serve.clusterPoll,
                service::config, service::runScheduledBackup));
        List<java.util.function.Consumer<io.javalin.config.JavalinConfig>> ui = new ArrayList<>();
        ui.add(dev.lifeboat.web.WebUi.routes(service));
        HttpServer http;
        try {
            http = new HttpServer(service, host, httpPort, serve.readTimeout, ui).start();
        } catch (io.javalin.util.JavalinBindException e) {
            service.shutdown(java.time.Duration.ZERO);
            state.close();
            throw new LifeboatException(ErrorCode.USAGE, "cannot listen on " + host + ":" + httpPort
                    + ": the port is in use or the address is not this host's",
                    "stop the other process, or choose another port with --port / LIFEBOAT_PORT (or --bind)");
        }

        LOG.info("lifeboat {} serving http://{}:{} (repository {}, state {}, instance {})", Version.get(), host,
                http.port(), storage.location(), state.describe(), instance);
        if (state.tokens().list().stream().noneMatch(t -> !t.isRevoked() && t.role() == Role.ADMIN)) {
            LOG.warn("no admin token exists yet; create the first one with: lifeboat token create --role admin --name "
                    + "<you>{}", stateAt.url() != null ? " --state <the same URL>"
                    : !stateAt.dataDir().equals(StateStore.DEFAULT_DATA_DIR) ? " --data-dir " + stateAt.dataDir() : "");
        }

        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            LOG.info("stopping: no new jobs; waiting for the running one");
            try {
                http.close();
            } catch (RuntimeException e) {
                LOG.warn("stopping the HTTP server: {}", e.toString());
            }
            service.shutdown(serve.shutdownGrace);
            state.close();
            try {
                storage.close();
            } catch (Exception e) {
                LOG.warn("closing the storage: {}", e.toString());
            }
            LOG.info("stopped");
            stopped.countDown();
        }, "lifeboat-shutdown"));
        stopped.await();
        return 0;
    }

    /** The instance's name when none is configured: this host's name and the port. */
    private static String hostInstanceName(int port) {
        try {
            return InetAddress.getLocalHost().getHostName() + ":" + port;
        } catch (java.net.UnknownHostException e) {
            throw new LifeboatException(ErrorCode.USAGE, "cannot find this host's name (" + e.getMessage() + ")",
                    "set LIFEBOAT_INSTANCE (or service.instance in lifeboat.yml) to a name for this instance, e.g. backup-1");
        }
    }
}
