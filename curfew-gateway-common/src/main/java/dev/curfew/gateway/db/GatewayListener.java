package dev.curfew.gateway.db;

import dev.curfew.core.SessionEvents;
import dev.curfew.core.SessionStore;
import dev.curfew.gateway.net.ServerInstances;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.VerticleBase;
import io.vertx.core.Vertx;
import io.vertx.core.net.NetClient;
import io.vertx.core.net.NetClientOptions;
import io.vertx.core.net.NetServerOptions;
import io.vertx.core.net.NetSocket;
import java.security.SecureRandom;
import java.util.Objects;

/**
 * What every database gateway holds whatever its protocol: the target, its settings, the one way
 * to the store ({@link SessionAccess}), the connections by session that follow the session events,
 * the client of the upstream, and the listening servers. A protocol's gateway extends it with its
 * own start and its connections.
 *
 * <p>The port is served from {@link GatewaySettings#eventLoops()} event loops ({@link
 * ServerInstances}): each connection, and its upstream connection with it, lives on the event loop
 * that accepted it, so connections relay in parallel rather than queue on one thread.
 */
public abstract class GatewayListener implements DatabaseGateway {
  private final Vertx vertx;
  private final DatabaseTarget target;
  private final GatewaySettings settings;
  private final SessionAccess access;
  private final SessionConnections connections = new SessionConnections();
  private final SecureRandom random = new SecureRandom();
  private final RefusalLimit refusalLimit;
  private final NetClient upstreamClient;
  private final UpstreamTlsClient upstreamTls;
  private final ServerInstances servers;
  private volatile int port = -1;

  protected GatewayListener(Vertx vertx, SessionStore store, DatabaseTarget target, GatewaySettings settings) {
    this.vertx = Objects.requireNonNull(vertx, "vertx");
    this.target = Objects.requireNonNull(target, "target");
    this.settings = Objects.requireNonNull(settings, "settings");
    this.access = new SessionAccess(store, target, settings.loginGuard());
    this.refusalLimit = new RefusalLimit(settings.nanoTime());
    this.upstreamTls = UpstreamTlsClient.of(target);
    this.upstreamClient = vertx.createNetClient(new NetClientOptions().setTcpNoDelay(true).setConnectTimeout(10_000));
    this.servers = new ServerInstances(vertx);
  }

  /**
   * Starts listening on the target's {@code listen} address, each client connection handed to
   * {@code onConnect} on the event loop that accepted it.
   */
  protected Future<Void> listen(Handler<NetSocket> onConnect) {
    return servers.deploy(target.listenPort(), settings.eventLoops(), p -> new VerticleBase() {
      @Override
      public Future<?> start() {
        return vertx.createNetServer(new NetServerOptions().setTcpNoDelay(true))
            .connectHandler(onConnect)
            .listen(p, target.listenHost());
      }
    }).map(bound -> {
      port = bound;
      return null;
    });
  }

  /** Ends every connection (the gateway shuts down); called first by {@link #close()}. */
  protected abstract void shutdownConnections();

  public Vertx vertx() {
    return vertx;
  }

  public GatewaySettings settings() {
    return settings;
  }

  public SessionAccess access() {
    return access;
  }

  /** The connections by session. */
  public SessionConnections sessionConnections() {
    return connections;
  }

  /** The bound on this gateway's {@code connection.refused} records. */
  public RefusalLimit refusalLimit() {
    return refusalLimit;
  }

  public SecureRandom random() {
    return random;
  }

  /** TLS toward the upstream; null: none ({@code upstream_tls} not set). */
  public UpstreamTlsClient upstreamTls() {
    return upstreamTls;
  }

  /** The client of the upstream database. */
  public NetClient upstreamClient() {
    return upstreamClient;
  }

  /** The session events this gateway follows: warnings and endings of its connections' sessions. */
  @Override
  public SessionEvents events() {
    return connections;
  }

  @Override
  public int port() {
    return port;
  }

  @Override
  public DatabaseTarget target() {
    return target;
  }

  /** Client connections held in all. */
  @Override
  public int connections() {
    return connections.count();
  }

  /** Stops listening and closes every connection. */
  @Override
  public Future<Void> close() {
    shutdownConnections();
    return servers.undeploy().eventually(() -> upstreamClient.close());
  }
}
