package dev.curfew.server.cli;

import dev.curfew.core.AuditSink;
import dev.curfew.core.Policies;
import dev.curfew.core.PolicyChange;
import dev.curfew.core.WriteOutage;
import dev.curfew.core.SessionStore;
import dev.curfew.gateway.db.DatabaseTarget;
import dev.curfew.gateway.db.DatabaseGateway;
import dev.curfew.gateway.db.GatewaySettings;
import dev.curfew.gateway.mysql.MyGateway;
import dev.curfew.gateway.postgres.PgGateway;
import dev.curfew.store.redis.RedisSessionStore;
import dev.curfew.core.SystemClock;
import dev.curfew.server.config.ConfigException;
import dev.curfew.server.console.Console;
import dev.curfew.server.console.ConsolePolicy;
import dev.curfew.server.console.ConsoleScope;
import dev.curfew.server.config.CurfewConfig;
import dev.curfew.server.config.DatabaseConfig;
import dev.curfew.server.config.NetTransport;
import dev.curfew.server.http.ApiKey;
import dev.curfew.server.http.ApiKeys;
import dev.curfew.server.http.ApiServer;
import dev.curfew.server.http.Scope;
import dev.curfew.gateway.ssh.SshGateway;
import dev.curfew.gateway.ssh.SshGatewaySettings;
import dev.curfew.server.gateway.Gateway;
import dev.curfew.server.gateway.GatewayRoute;
import dev.curfew.server.http.EventHub;
import dev.curfew.server.http.Readiness;
import dev.curfew.server.http.SessionEventFanOut;
import dev.curfew.server.notify.EndNotifier;
import dev.curfew.server.metrics.CurfewMetrics;
import dev.curfew.server.security.RateLimits;
import dev.curfew.server.security.Tls;
import dev.curfew.server.tracing.TracedSessionStore;
import dev.curfew.server.tracing.Tracing;
import dev.curfew.store.embedded.AuditTrail;
import dev.curfew.store.embedded.DataDirLock;
import dev.curfew.store.embedded.FileAuditLog;
import dev.curfew.store.embedded.EmbeddedStore;
import dev.curfew.store.embedded.LogMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.io.IOException;
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

/**
 * {@code curfew serve}: the API, until SIGTERM or SIGINT. The sessions are kept by a {@link
 * SessionBackend} ({@code store: embedded | redis}) and the audit trail by an {@link AuditBackend}
 * ({@code audit: file | postgres}), each chosen from the configuration once and wired through its
 * interface.
 */
@Command(name = "serve", mixinStandardHelpOptions = true,
    description = {"Run the Curfew API, and the gateways the configuration names, on its store (embedded by default).",
        "Stops cleanly on SIGTERM and SIGINT, writing node.stopped, a final snapshot and a checkpoint."})
final class ServeCommand implements Callable<Integer> {
  @Option(names = "--config", paramLabel = "FILE", description = "Configuration file (YAML). Default: built-in defaults.")
  Path config;

  @Option(names = "--port", paramLabel = "N", description = "API port (default 8080, or server.port of the config).")
  Integer port;

  @Option(names = "--data", paramLabel = "DIR", description = "Data directory (default ./curfew-data, or data_dir of the config).")
  Path data;

  @Override
  public Integer call() throws Exception {
    if (port != null && (port < 0 || port > 65535)) {
      throw new IllegalArgumentException("--port: must be 0-65535 (0: any free port), not " + port);
    }
    CurfewConfig cfg = (config == null ? CurfewConfig.defaults() : CurfewConfig.load(config)).withOverrides(port, data);
    Running running = start(cfg, System.out);
    // Last line of a start: every listener is up; scripts can wait for it or poll /readyz.
    System.out.println("curfew: ready (" + url(cfg.host(), running.port, cfg.serverTls()) + "/readyz answers 200 while the node can serve)");
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      running.stop(System.out);
      stopped.countDown();
    }, "curfew-shutdown"));
    stopped.await();
    return 0;
  }

  /** A started server: what {@link #stop} closes, in reverse order of start. */
  static final class Running {
    final Vertx vertx;
    final EmbeddedStore store; // the embedded store, or only the audit log beside Redis
    final SessionBackend backend;
    final ApiServer api;
    final SessionStore sessions;
    final RedisSessionStore redis; // null: embedded
    int port;
    DataDirLock lock; // released last: no other process may write the directory before this one has stopped
    Gateway gateway; // null: no routes
    SshGateway ssh; // null: no ssh section
    final List<DatabaseGateway> databases = new ArrayList<>(); // one listener per databases: entry
    int gatewayPort; // 0: no gateway
    EndNotifier notifier; // null: nobody to notify
    String nodeName;
    Console console;
    AuditBackend audit;
    Tracing tracing = Tracing.OFF;

    Running(Vertx vertx, EmbeddedStore store, SessionBackend backend, SessionStore sessions, ApiServer api, int port) {
      this.vertx = vertx;
      this.store = store;
      this.api = api;
      this.backend = backend;
      this.sessions = sessions;
      this.redis = backend instanceof SessionBackend.RedisBackend r ? r.store() : null;
      this.port = port;
    }

    private boolean stopped;

    /** Stops what was started, once (a start that fails partway stops it too). */
    void stop(PrintStream log) {
      synchronized (this) {
        if (stopped) return;
        stopped = true;
      }
      for (DatabaseGateway db : databases) {
        try {
          db.close().await(10, TimeUnit.SECONDS);
        } catch (Exception e) {
          log.println("curfew: database gateway " + db.target().name() + " did not close cleanly: " + e.getMessage());
        }
      }
      try {
        if (ssh != null) ssh.close();
      } catch (Exception e) {
        log.println("curfew: SSH gateway did not close cleanly: " + e.getMessage());
      }
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
      tracing.close(); // the last requests' spans are sent
      backend.stopDeadlines();
      if (console != null) console.close();
      if (notifier != null) notifier.close(); // retries are held in memory: any still waiting are dropped
      backend.close(log);
      try {
        store.close();
        log.println("curfew: stopped (final snapshot written, node.stopped recorded)");
      } catch (Exception e) {
        log.println("curfew: store did not close cleanly: " + e.getMessage());
      }
      if (audit != null) audit.close(); // after the store: node.stopped goes to PostgreSQL too
      vertx.close();
      try {
        if (lock != null) lock.close();
      } catch (java.io.IOException e) {
        log.println("curfew: the data directory lock was not released cleanly: " + e.getMessage());
      }
    }
  }

  /** The configured witnesses, each checkpoint submitted to them (none: checkpoints as they are). */
  static dev.curfew.core.audit.Witnesses witnesses(CurfewConfig cfg) {
    if (cfg.witnesses().isEmpty()) return dev.curfew.core.audit.Witnesses.NONE;
    List<dev.curfew.server.witness.WitnessClient.Endpoint> endpoints = new ArrayList<>();
    for (CurfewConfig.WitnessConfig w : cfg.witnesses()) {
      endpoints.add(new dev.curfew.server.witness.WitnessClient.Endpoint(java.net.URI.create(w.url()),
          dev.curfew.core.audit.WitnessKey.parse(w.key())));
    }
    return dev.curfew.server.witness.WitnessClient.of(endpoints);
  }

  /**
   * The witnesses the data directory's journal submits its checkpoints to: none with audit:
   * postgres, where the node's log in PostgreSQL (the trail of record, same key and origin) is the
   * one they follow; a witness keeps one size per origin, so one submitter per origin.
   */
  static dev.curfew.core.audit.Witnesses journalWitnesses(CurfewConfig cfg) {
    return AuditBackend.of(cfg).journalWitnesses(cfg);
  }

  static Running start(CurfewConfig cfg, PrintStream log) throws Exception {
    return start(cfg, log, Tracing.fromConfig(cfg.tracing()));
  }

  /** As {@link #start(CurfewConfig, PrintStream)}, with spans going to {@code tracing} whatever the configuration says. */
  static Running start(CurfewConfig cfg, PrintStream log, Tracing tracing) throws Exception {
    checkTls("server.tls", cfg.serverTls(), log);
    if (cfg.gateway() != null) checkTls("gateway.tls", cfg.gateway().tls(), log);
    cfg.transport().resolve(); // a transport this machine cannot run stops the start before anything is written
    String node = cfg.node() != null ? cfg.node() : defaultNode();
    Path dataDir = cfg.dataDir();
    // Before anything is written to the directory: one process per data directory.
    DataDirLock lock;
    try {
      lock = DataDirLock.acquire(dataDir, "serve");
    } catch (DataDirLock.HeldException e) {
      tracing.close();
      throw new StartRefused(e.getMessage(), e);
    }
    try {
      return start(cfg, log, node, dataDir, lock, tracing);
    } catch (Throwable e) { // whatever failed, also a library's own Throwable: release what was taken
      tracing.close();
      lock.close();
      throw e;
    }
  }

  private static Running start(CurfewConfig cfg, PrintStream log, String node, Path dataDir, DataDirLock lock,
      Tracing tracing) throws Exception {
    List<ApiKey> keys = new ArrayList<>();
    for (KeyBootstrap.NamedKeyHash k : KeyBootstrap.resolve(cfg, System.getenv(), dataDir, log)) {
      dev.curfew.core.Audience audience = cfg.apiKeys().stream().filter(c -> c.name().equals(k.name()))
          .map(CurfewConfig.ApiKeyConfig::audience).filter(java.util.Objects::nonNull).findFirst()
          .map(dev.curfew.core.Audience::of).orElse(null);
      keys.add(new ApiKey(k.name(), k.sha256Hex(), k.scopes().stream()
          .map(s -> Scope.parse(s).orElseThrow(() -> new ConfigException("api_keys", "unknown scope " + s)))
          .collect(java.util.stream.Collectors.toSet()), audience));
    }
    StartChecks.check(cfg, keys, System.getenv()); // before the store opens or anything listens
    // io_uring where the kernel allows it (fewer system calls and wake-ups per relayed message than
    // epoll: docs/benchmarks.md), else epoll, else NIO; server.transport names one.
    io.vertx.core.transport.Transport transport = cfg.transport().resolve();
    SystemClock clock = new SystemClock();
    CurfewMetrics metrics = new CurfewMetrics(new PrometheusMeterRegistry(PrometheusConfig.DEFAULT)).bindJvmAndProcess();
    AuditBackend audit = AuditBackend.of(cfg);
    EmbeddedStore store = openStore(cfg, dataDir, node, clock, metrics, audit);
    Vertx vertx = Vertx.builder().withTransport(transport).build();
    try {
      audit.open(cfg, node, store, vertx, clock, log);
    } catch (Exception e) {
      audit.close();
      store.close();
      vertx.close();
      throw e;
    }
    SessionBackend backend = SessionBackend.of(cfg);
    Running[] started = new Running[1];
    try {
      return serve(cfg, log, node, dataDir, lock, keys, clock, metrics, audit, backend, store, vertx, tracing, started);
    } catch (Throwable e) { // whatever failed, also a library's own Throwable: release what was taken
      // A start that fails partway stops cleanly (node.stopped, the final snapshot), so the next
      // start is not taken for one after a crash.
      if (started[0] != null) {
        started[0].stop(log);
      } else {
        backend.stopDeadlines();
        backend.close(log);
        try {
          store.close();
        } catch (Exception closing) {
          e.addSuppressed(closing);
        }
        audit.close();
        vertx.close();
      }
      throw e;
    }
  }

  /** The embedded store (or the audit log beside Redis); a damaged log is a refusal naming the damage and the repair. */
  private static EmbeddedStore openStore(CurfewConfig cfg, Path dataDir, String node, SystemClock clock,
      CurfewMetrics metrics, AuditBackend audit) throws IOException {
    try {
      return EmbeddedStore.open(dataDir, EmbeddedStore.Options.defaults()
        .withClock(clock)
        .withVersion(Main.version())
        .withSnapshotInterval(cfg.snapshotInterval())
        .withLogMetrics(new LogMetrics() {
          @Override
          public void fsynced(long nanos, int records) {
            metrics.auditFsync(nanos);
            metrics.auditRecords(records);
          }

          @Override
          public void outage(WriteOutage outage) {
            metrics.auditOutage();
          }
        })
        .withLeafListener(audit.listener())
        .withAuditTrail(AuditTrail.Settings.defaults().withSigningKeyFile(cfg.auditSigningKey())
            .withRetention(cfg.auditRetention()).withWitnesses(audit.journalWitnesses(cfg))), node);
    } catch (FileAuditLog.DamagedLogException e) {
      throw new StartRefused("the audit log in " + dataDir.toAbsolutePath() + " is damaged: " + e.getMessage()
          + ". Nothing was changed. See what a repair would do with: curfew audit repair --data " + dataDir
          + " (docs/reliability.md, \"A damaged audit log\")", e);
    }
  }

  private static Running serve(CurfewConfig cfg, PrintStream log, String node, Path dataDir, DataDirLock lock,
      List<ApiKey> keys, SystemClock clock, CurfewMetrics metrics, AuditBackend audit, SessionBackend backend,
      EmbeddedStore store, Vertx vertx, Tracing tracing, Running[] started) throws Exception {
    EventHub hub = new EventHub(vertx);
    SessionEventFanOut events = new SessionEventFanOut(hub);
    // The admin console's sessions have a policy of their own, built in unless the configuration defines one.
    Policies policies = new Policies(ConsolePolicy.withConsole(cfg.policies().values()), cfg.defaultPolicy());
    AuditSink auditSink = audit.sink(); // acknowledged once durable in the trail of record
    SessionStore sessions = backend.start(new SessionBackend.Start(cfg, node, dataDir, vertx, clock, policies,
        auditSink, dataDir.toAbsolutePath() + audit.alsoIn(), store, events, metrics, log));
    // Off by default: then the store is the store itself and every request span a no-op.
    sessions = TracedSessionStore.of(sessions, tracing, backend.name());
    if (cfg.tracing().enabled()) log.println("curfew: traces exported over OTLP/HTTP to " + cfg.tracing().endpoint());
    // With Redis, every limit counts for the whole deployment, in Redis, on Redis's clock (docs/security.md).
    RateLimits rateLimits = new RateLimits(cfg.rateLimits(), clock, backend.sharedRateBuckets());
    ApiKeys apiKeys = ApiKeys.of(keys);
    ApiServer api = new ApiServer(vertx, sessions, hub, apiKeys, audit.reader(),
        metrics, ApiServer.Settings.defaults().withMetricsRequireApiKey(cfg.metricsAuth()).withRateLimits(rateLimits)
            .withTls(cfg.serverTls()),
        audit.proofs());
    if (audit.cluster() != null) api.auditCluster(audit.cluster());
    // With Redis, a node that Redis does not answer serves nothing (every operation answers 503).
    Readiness readiness = backend instanceof SessionBackend.RedisBackend r
        ? new Readiness(auditSink, store::outages, r::unreachable)
        : new Readiness(auditSink, store::outages);
    metrics.bindUnwritable(readiness::unwritable);
    api.readiness(readiness);
    api.tracing(tracing);
    // With store: redis too: the console reads and changes sessions through the store, like the API.
    Console console = new Console(vertx, sessions, clock, hub, apiKeys, ConsoleScope.fromKeys(keys), audit.view(), metrics);
    api.extend(console::mount);
    EndNotifier notifier = EndNotifier.fromConfig(cfg.notifications(), sessions, dataDir, System.getenv());
    if (notifier != null) {
      events.addOriginEndingListener(notifier);
      api.publishJwks(backend.jwks(vertx, notifier::jwks, clock));
      String issuer = cfg.notifications().discoveryIssuer();
      if (issuer != null) {
        api.publishDiscovery(dev.curfew.server.oidc.DiscoveryDocument.of(issuer, notifier.signingKeys().algorithms()));
      }
    }
    if (!cfg.identityProviders().isEmpty()) {
      api.backchannelLogout(IdentityProviders.routes(cfg.identityProviders(), sessions, clock,
          backend.seenLogoutTokens(dataDir, clock)));
      log.println("curfew: back-channel logout from " + cfg.identityProviders().size() + " identity provider"
          + (cfg.identityProviders().size() == 1 ? "" : "s") + " at /v1/backchannel-logout/{provider}");
    }
    Running running = new Running(vertx, store, backend, sessions, api, cfg.port());
    started[0] = running;
    running.nodeName = node;
    running.notifier = notifier;
    running.console = console;
    running.audit = audit;
    running.tracing = tracing;
    running.lock = lock;
    int actual = listen(running, "API", cfg.host(), cfg.port(), () -> api.listen(cfg.host(), cfg.port()), log);
    running.port = actual;
    lock.note("api_port", Integer.toString(actual));
    String base = url(cfg.host(), actual, cfg.serverTls());
    log.println("curfew: API listening on " + base
        + " (" + NetTransport.describe(cfg.transport().resolve()) + " transport)");
    log.println("curfew: admin console at " + base + "/console (sign in with an API key)");
    if (cfg.gateway() != null && !cfg.gateway().routes().isEmpty()) {
      List<GatewayRoute> routes = cfg.gateway().routes();
      running.gateway = new Gateway(vertx, sessions, hub, routes, Gateway.Settings.defaults().withRateLimits(rateLimits)
          .withTls(cfg.gateway().tls()).withSecurityHeaders(cfg.gateway().securityHeaders())
          .withTrustedProxies(cfg.gateway().trustedProxies()));
      running.gateway.tracing(tracing);
      events.addEndingListener(running.gateway.endings());
      events.addFollower(running.gateway.mcpEvents()); // kind: mcp routes: warnings and endings in the protocol
      Gateway gateway = running.gateway;
      int gw = listen(running, "gateway", cfg.host(), cfg.gateway().port(),
          () -> gateway.listen(cfg.host(), cfg.gateway().port()), log);
      running.gatewayPort = gw;
      lock.note("gateway_port", Integer.toString(gw));
      log.println("curfew: gateway listening on " + url(cfg.host(), gw, cfg.gateway().tls())
          + " (" + routes.size() + " route" + (routes.size() == 1 ? "" : "s") + ")");
    }
    // The protocol gateways count unknown tokens in the same failed_checks_per_address buckets as HTTP.
    dev.curfew.gateway.db.LoginGuard loginGuard = new dev.curfew.server.security.AddressLoginGuard(rateLimits);
    startDatabases(cfg, vertx, sessions, events, running, log, loginGuard);
    if (cfg.ssh() != null) {
      running.ssh = startSsh(cfg, sessions, events, running, log, loginGuard);
    }
    // Logging out of or revoking a session ends the sessions minted from it (POST /_curfew/connect).
    events.addOriginEndingListener(new dev.curfew.server.http.ChildEndings(vertx, sessions));
    if (running.gateway != null) running.gateway.connectTargets(connectTargets(cfg, running));
    return running;
  }

  /**
   * What a person signed in on the gateway can get a session for at {@code POST /_curfew/connect}:
   * every database, every SSH target and every {@code kind: mcp} route, at the ports they listen on.
   */
  private static List<dev.curfew.server.http.ConnectRoutes.Target> connectTargets(CurfewConfig cfg, Running running) {
    List<dev.curfew.server.http.ConnectRoutes.Target> out = new ArrayList<>();
    for (int i = 0; i < running.databases.size(); i++) { // started in the order of databases:
      DatabaseGateway db = running.databases.get(i);
      DatabaseTarget t = db.target();
      out.add(new dev.curfew.server.http.ConnectRoutes.Target(t.audience(), t.policy(),
          cfg.databases().get(i).protocol().toString(), t.listenHost(), db.port(), t.database(), t.tls() != null));
    }
    if (running.ssh != null) {
      for (var t : cfg.ssh().targets()) {
        out.add(new dev.curfew.server.http.ConnectRoutes.Target(t.audience().entries().get(0), t.policy(), "ssh",
            cfg.ssh().host(), running.ssh.port(), t.name(), false));
      }
    }
    for (GatewayRoute r : running.gateway.routes()) {
      if (r instanceof GatewayRoute.Mcp m) {
        out.add(new dev.curfew.server.http.ConnectRoutes.Target(m.route().audience().entries().get(0), m.policy(), "mcp",
            null, 0, null, false));
      }
    }
    return out;
  }

  /**
   * The SSH gateway of the {@code ssh:} section, following every session event like the database
   * gateways; a key or file it cannot use stops what was started and is a start-up error naming the section.
   */
  private static SshGateway startSsh(CurfewConfig cfg, SessionStore sessions, SessionEventFanOut events,
      Running running, PrintStream log, dev.curfew.gateway.db.LoginGuard guard) {
    SshGatewaySettings settings = cfg.ssh().settings(cfg.dataDir());
    SshGateway ssh;
    try {
      ssh = SshGateway.start(settings, sessions, guard);
    } catch (java.io.IOException | RuntimeException e) {
      running.stop(log);
      throw new ConfigException("ssh", "the SSH gateway cannot start: " + e.getMessage());
    }
    events.addFollower(ssh.events());
    log.println("curfew: SSH gateway listening on " + settings.host() + ":" + ssh.port() + " ("
        + settings.targets().size() + " target" + (settings.targets().size() == 1 ? "" : "s")
        + (settings.record() ? ", recording to " + settings.recordingsDir().toAbsolutePath() : "") + ")");
    return ssh;
  }

  /** Starts one database gateway; chosen by the entry's {@code protocol}. */
  private interface DatabaseStarter {
    Future<? extends DatabaseGateway> start(Vertx vertx, SessionStore store, DatabaseTarget target, GatewaySettings settings);
  }

  /** The gateway of each {@code protocol:} value (spec/protocol-gateways.md: postgres | mysql). */
  private static DatabaseStarter databaseGateway(DatabaseConfig.Protocol protocol) {
    return switch (protocol) {
      case POSTGRES -> PgGateway::start;
      case MYSQL -> MyGateway::start;
    };
  }

  /** One listener per {@code databases:} entry; each follows every session event for its connections. */
  private static void startDatabases(CurfewConfig cfg, Vertx vertx, SessionStore sessions, SessionEventFanOut events,
      Running running, PrintStream log, dev.curfew.gateway.db.LoginGuard guard) throws Exception {
    for (int i = 0; i < cfg.databases().size(); i++) {
      DatabaseConfig.Protocol protocol = cfg.databases().get(i).protocol();
      DatabaseTarget target = cfg.databases().get(i).target(System.getenv(), i);
      DatabaseGateway db;
      try {
        db = databaseGateway(protocol).start(vertx, sessions, target, GatewaySettings.defaults().withLoginGuard(guard))
            .await(30, TimeUnit.SECONDS);
      } catch (IllegalArgumentException e) {
        throw new ConfigException("databases[" + i + "].tls", e.getMessage());
      }
      events.addFollower(db.events());
      running.databases.add(db);
      log.println("curfew: database " + target.name() + " (" + protocol + ") listening on " + target.listenHost() + ":" + db.port()
          + ", upstream " + target.upstreamHost() + ":" + target.upstreamPort()
          + (target.tls() == null ? "" : target.tls().require() ? " (TLS required)" : " (TLS offered)"));
    }
  }

  /**
   * Listens, or stops what was started (a clean stop: final snapshot, node.stopped) and refuses the
   * start with a sentence naming the listener and the port, instead of a stack trace.
   */
  private static int listen(Running running, String listener, String host, int port,
      java.util.function.Supplier<io.vertx.core.Future<Integer>> bind, PrintStream log) throws Exception {
    try {
      return bind.get().await(30, TimeUnit.SECONDS);
    } catch (Exception e) {
      running.stop(log);
      String why = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
      throw new StartRefused("cannot listen for the " + listener + " on " + host + ":" + port + ": " + why
          + (listener.equals("API") ? " (choose another with --port or server.port)" : " (choose another with gateway.port)"),
          e);
    }
  }

  /** A TLS certificate or key that cannot serve is a start-up error naming the key; oddities are warnings. */
  private static void checkTls(String key, Tls tls, PrintStream log) {
    if (tls == null) return;
    Tls.Findings f;
    try {
      f = tls.check(java.time.Instant.now());
    } catch (IllegalArgumentException e) {
      throw new ConfigException(key, e.getMessage());
    }
    for (String w : f.warnings()) log.println("curfew: warning: " + key + ": " + w);
  }

  private static String url(String host, int port, Tls tls) {
    return (tls == null ? "http" : "https") + "://" + (host.equals("0.0.0.0") ? "localhost" : host) + ":" + port;
  }

  /**
   * The log may know later versions of a policy than the file (PUT /v1/policies), and the file may
   * have changed since the last run: a configured policy whose values differ from the current
   * version becomes a new version, recorded as policy.changed by the actor "config".
   */
  static void adoptConfiguredPolicies(CurfewConfig cfg, SessionStore sessions, PrintStream log) throws Exception {
    for (dev.curfew.core.Policy configured : cfg.policies().values()) {
      dev.curfew.core.Policy current = sessions.policies().current(configured.name()).orElse(null);
      if (current != null && current.sameValues(configured)) continue;
      PolicyChange c = sessions.changePolicy(configured, false, "config").get(30, TimeUnit.SECONDS);
      if (c.policy() == null) throw new IllegalStateException("the audit log cannot record policy " + configured.name());
      c.durable().get(30, TimeUnit.SECONDS);
      log.println("curfew: policy " + configured.name() + " v" + c.policy().version() + " from the configuration file");
    }
  }

  /** A Redis URI without its password, for the log. */
  static String redactedUri(String uri) {
    return uri.replaceAll("//([^:@/]*):[^@/]*@", "//$1:***@");
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
