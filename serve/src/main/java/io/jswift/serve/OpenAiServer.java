package io.jswift.serve;

import io.jswift.serve.api.ApiHandler;
import io.jswift.serve.api.ServeConfig;
import io.jswift.serve.engine.Engine;
import io.jswift.models.generate.GenerationSession;
import io.jswift.nn.lora.MultiLora;
import io.jswift.serve.metrics.ServerMetrics;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.server.handler.GracefulHandler;
import org.eclipse.jetty.util.thread.QueuedThreadPool;

import java.time.Duration;
import java.util.concurrent.Executors;

/**
 * `jswift deploy`: the engine behind the OpenAI-compatible API on Jetty 12 (core handlers, HTTP/1.1, request
 * handlers on virtual threads so that each open stream costs no platform thread).
 */
public final class OpenAiServer implements AutoCloseable {
    /** How long stopping waits for answers in flight (their sequences have finished by then when drained). */
    private static final Duration STOP_TIMEOUT = Duration.ofSeconds(10);

    private final Engine engine;
    private final Server server;
    private final ServerConnector connector;

    public OpenAiServer(GenerationSession session, ServeConfig config) {
        this(session, config, null);
    }

    /**
     * A server for the base model and, when {@code adapters} is not null, each of its LoRA adapters under its name
     * (requests for different adapters share decode steps: multi-LoRA batches).
     */
    public OpenAiServer(GenerationSession session, ServeConfig config, MultiLora adapters) {
        if (adapters != null) {
            for (String name : adapters.names()) {
                if (config.modelIds().contains(name)) {
                    throw new IllegalArgumentException("the adapter name '" + name + "' is also the base model's name: give the adapter another one (NAME=DIR)");
                }
            }
        }
        ServerMetrics metrics = new ServerMetrics();
        this.engine = new Engine(session, config.engine(), metrics, adapters);
        QueuedThreadPool threads = new QueuedThreadPool();
        threads.setName("jswift-http");
        threads.setDaemon(true); // the command's main thread joins the server; tests may leave one running
        threads.setVirtualThreadsExecutor(Executors.newVirtualThreadPerTaskExecutor());
        this.server = new Server(threads);
        HttpConfiguration http = new HttpConfiguration();
        http.setSendServerVersion(false);
        this.connector = new ServerConnector(server, new HttpConnectionFactory(http));
        connector.setHost(config.host());
        connector.setPort(config.port());
        connector.setIdleTimeout(600_000); // a long generation may pause between tokens only briefly, but a queued one waits
        server.addConnector(connector);
        // on stop, requests still being answered (the last events of a drained stream) finish before connections close
        server.setHandler(new GracefulHandler(new ApiHandler(engine, config, metrics)));
        server.setStopTimeout(STOP_TIMEOUT.toMillis());
    }

    /** Starts the scheduler, then listens (so /health answers once the model can serve). */
    public OpenAiServer start() throws Exception {
        engine.start();
        server.start();
        return this;
    }

    /** The port listened on (the bound one when 0 was asked). */
    public int port() { return connector.getLocalPort(); }

    public Engine engine() { return engine; }

    public void join() throws InterruptedException { server.join(); }

    /**
     * Graceful stop (what SIGTERM does to `jswift deploy`): new requests get 503 and /health turns 503, running and
     * queued sequences finish (up to {@code grace}), then the listener closes. Returns whether all finished in time.
     */
    public boolean shutdown(Duration grace) throws Exception {
        boolean drained = engine.drain(grace);
        close();
        return drained;
    }

    @Override
    public void close() throws Exception {
        server.stop();
        engine.close();
    }
}
