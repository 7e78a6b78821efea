package dev.curfew.server.cli;

import dev.curfew.core.ClockWatch;
import dev.curfew.core.DeadlineDriver;
import dev.curfew.core.Policies;
import dev.curfew.core.SessionEngine;
import dev.curfew.core.SystemClock;
import dev.curfew.server.config.ConfigException;
import dev.curfew.server.config.CurfewConfig;
import dev.curfew.server.http.ApiKey;
import dev.curfew.server.http.ApiKeys;
import dev.curfew.server.http.ApiServer;
import dev.curfew.server.gateway.Gateway;
import dev.curfew.server.gateway.GatewayRoute;
import dev.curfew.server.http.EventHub;
import dev.curfew.server.http.SessionEventFanOut;
import dev.curfew.server.notify.EndNotifier;
import dev.curfew.server.metrics.CurfewMetrics;
import dev.curfew.store.embedded.AuditTrail;
import dev.curfew.store.embedded.EmbeddedStore;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Vertx;
import java.io.PrintStream;
import java.net.InetAddress;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code curfew serve}: the API with the embedded store, until SIGTERM or SIGINT. */
@Command(name = "serve", mixinStandardHelpOptions = true,
    description = {"Run the Curfew API (and the gateway when routes are configured) with the embedded store.",
        "Stops cleanly on SIGTERM/SIGINT: a final snapshot and checkpoint, and a node.stopped record."})
final class ServeCommand implements Callable<Integer> {
  @Option(names = "--config", paramLabel = "FILE", description = "Configuration file (YAML). Default: built-in defaults.")
  Path config;

  @Option(names = "--port", paramLabel = "N", description = "API port (default 8080, or server.port of the config).")
  Integer port;

  @Option(names = "--data", paramLabel = "DIR", description = "Data directory (default ./curfew-data, or data_dir of the config).")
  Path data;

  @Override
  public Integer call() throws Exception {
    CurfewConfig cfg = (config == null ? CurfewConfig.defaults() : CurfewConfig.load(config)).withOverrides(port, data);
    requireSupported(cfg);
    Running running = start(cfg, System.out);
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      running.stop(System.out);
      stopped.countDown();
    }, "curfew-shutdown"));
    stopped.await();
    return 0;
  }

  /** What this build cannot do yet is refused at start, never silently ignored. */
  static void requireSupported(CurfewConfig cfg) {
    if (!cfg.store().equals("embedded")) {
      throw new ConfigException("store", "\"" + cfg.store() + "\" is not available in this version; use embedded");
    }
    if (!cfg.audit().equals("file")) {
      throw new ConfigException("audit", "\"" + cfg.audit() + "\" is not available in this version; use file");
    }
  }

  /** A started server: what {@link #stop} closes, in reverse order of start. */
  static final class Running {
    final Vertx vertx;
    final EmbeddedStore store;
    final DeadlineDriver driver;
    final ApiServer api;
    final SessionEngine engine;
    final int port;
    Gateway gateway; // null: no routes
    int gatewayPort; // 0: no gateway
    EndNotifier notifier; // null: nobody to notify

    Running(Vertx vertx, EmbeddedStore store, DeadlineDriver driver, ApiServer api, SessionEngine engine, int port) {
      this.vertx = vertx;
      this.store = store;
      this.driver = driver;
      this.api = api;
      this.engine = engine;
      this.port = port;
    }

    void stop(PrintStream log) {
      try {
        if (gateway != null) gateway.close().await(10, TimeUnit.SECONDS);
      } catch (Exception e) {
        log.println("curfew: gateway did not close cleanly: " + e.getMessage());
      }
      try {
        api.close().await(10, TimeUnit.SECONDS);
      } catch (Exception e) {
        log.println("curfew: API did not close cleanly: " + e.getMessage());
      }
      driver.close();
      if (notifier != null) notifier.close(); // retries are held in memory: any still waiting are dropped
      try {
        store.close();
        log.println("curfew: stopped (final snapshot written, node.stopped recorded)");
      } catch (Exception e) {
        log.println("curfew: store did not close cleanly: " + e.getMessage());
      }
      vertx.close();
    }
  }

  static Running start(CurfewConfig cfg, PrintStream log) throws Exception {
    String node = cfg.node() != null ? cfg.node() : defaultNode();
    Path dataDir = cfg.dataDir();
    List<ApiKey> keys = new ArrayList<>();
    for (KeyBootstrap.NamedKeyHash k : KeyBootstrap.resolve(cfg, System.getenv(), dataDir, log)) {
      keys.add(new ApiKey(k.name(), k.sha256Hex()));
    }
    SystemClock clock = new SystemClock();
    CurfewMetrics metrics = new CurfewMetrics(new PrometheusMeterRegistry(PrometheusConfig.DEFAULT));
    EmbeddedStore store = EmbeddedStore.open(dataDir, EmbeddedStore.Options.defaults()
        .withClock(clock)
        .withVersion(Main.version())
        .withSnapshotInterval(cfg.snapshotInterval())
        .withLogMetrics((nanos, records) -> metrics.auditFsync(nanos))
        .withAuditTrail(AuditTrail.Settings.defaults().withSigningKeyFile(cfg.auditSigningKey())
            .withRetention(cfg.auditRetention())), node);
    Vertx vertx = Vertx.vertx(new io.vertx.core.VertxOptions().setPreferNativeTransport(true));
    EventHub hub = new EventHub(vertx);
    SessionEventFanOut events = new SessionEventFanOut(hub);
    Policies policies = new Policies(new ArrayList<>(cfg.policies().values()), cfg.defaultPolicy());
    SessionEngine engine = new SessionEngine(clock, node, policies, store.log(), events, metrics,
        new SessionEngine.Limits(cfg.maxLiveSessions(), cfg.endedRetention().toMillis()));
    EmbeddedStore.Recovery r = store.recover(engine);
    log.println("curfew: node " + node + ", data in " + dataDir.toAbsolutePath() + "; recovered "
        + r.recoveredSessions() + " live sessions, " + r.expiredDuringDowntime() + " expired while down"
        + (store.log().recordsAtOpen() == 0 ? " (first start)"
            : r.cleanShutdown() ? "" : " (previous run did not stop cleanly)"));
    adoptConfiguredPolicies(cfg, engine, log);
    DeadlineDriver driver = new DeadlineDriver(engine, new ClockWatch(clock, engine)).start();
    ApiServer api = new ApiServer(vertx, engine, hub, ApiKeys.of(keys), store.log(), metrics,
        ApiServer.Settings.defaults().withMetricsRequireApiKey(cfg.metricsAuth()), store.auditTrail());
    EndNotifier notifier = EndNotifier.fromConfig(cfg.notifications(), engine, dataDir, System.getenv());
    if (notifier != null) {
      events.addEndingListener(notifier);
      api.publishJwks(notifier.jwks());
    }
    int actual = api.listen(cfg.host(), cfg.port()).await(30, TimeUnit.SECONDS);
    log.println("curfew: API listening on http://" + (cfg.host().equals("0.0.0.0") ? "localhost" : cfg.host()) + ":" + actual
        + (vertx.isNativeTransportEnabled() ? " (epoll transport)" : " (NIO transport)"));
    Running running = new Running(vertx, store, driver, api, engine, actual);
    running.notifier = notifier;
    if (cfg.gateway() != null && !cfg.gateway().routes().isEmpty()) {
      List<GatewayRoute> routes = cfg.gateway().routes().stream().map(GatewayRoute::fromConfig).toList();
      running.gateway = new Gateway(vertx, engine, hub, routes, Gateway.Settings.defaults());
      events.addEndingListener(running.gateway.endings());
      int gw = running.gateway.listen(cfg.host(), cfg.gateway().port()).await(30, TimeUnit.SECONDS);
      running.gatewayPort = gw;
      log.println("curfew: gateway listening on http://" + (cfg.host().equals("0.0.0.0") ? "localhost" : cfg.host())
          + ":" + gw + " (" + routes.size() + " route" + (routes.size() == 1 ? "" : "s") + ")");
    }
    return running;
  }

  /**
   * The log may know later versions of a policy than the file (PUT /v1/policies), and the file may
   * have changed since the last run: a configured policy whose values differ from the current
   * version becomes a new version, recorded as policy.changed by the actor "config".
   */
  static void adoptConfiguredPolicies(CurfewConfig cfg, SessionEngine engine, PrintStream log) throws Exception {
    for (dev.curfew.core.Policy configured : cfg.policies().values()) {
      dev.curfew.core.Policy current = engine.policies().current(configured.name()).orElse(null);
      if (current != null && current.sameValues(configured)) continue;
      SessionEngine.PolicyChange c = engine.changePolicy(configured, false, "config");
      c.durable().get(30, TimeUnit.SECONDS);
      log.println("curfew: policy " + configured.name() + " v" + c.policy().version() + " from the configuration file");
    }
  }

  static String defaultNode() {
    try {
      String h = InetAddress.getLocalHost().getHostName().replaceAll("[^A-Za-z0-9._-]", "-");
      return h.isEmpty() ? "node-1" : h.length() > 64 ? h.substring(0, 64) : h;
    } catch (Exception e) {
      return "node-1";
    }
  }
}
