package dev.curfew.gateway.postgres;

import dev.curfew.gateway.db.DatabaseGateway;
import dev.curfew.gateway.db.DatabaseTarget;
import dev.curfew.gateway.db.SessionAccess;
import dev.curfew.gateway.db.SessionConnections;
import dev.curfew.gateway.db.GatewaySettings;
import dev.curfew.core.SessionEvents;
import dev.curfew.core.SessionStore;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.net.NetClient;
import io.vertx.core.net.NetClientOptions;
import io.vertx.core.net.NetServer;
import io.vertx.core.net.NetServerOptions;
import io.vertx.core.net.PemKeyCertOptions;
import io.vertx.core.net.ServerSSLOptions;
import java.security.SecureRandom;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The PostgreSQL wire-protocol gateway of one configured database (spec/protocol-gateways.md,
 * "Databases"): clients log in with their subject and a session token, Curfew logs in upstream
 * with its own credentials, and relays the conversation frame by frame while the session lives.
 * Statements are the idle clock's activity; the session's warning and end reach the client in the
 * protocol itself. Every connection is served by Vert.x event loops (no thread per connection).
 *
 * <p>The server wires it: {@link #start}, then hands {@link #events()} the session events (a
 * follower of every session event, this node's and the other nodes').
 */
public final class PgGateway implements DatabaseGateway {
  final Vertx vertx;
  final DatabaseTarget target;
  final GatewaySettings settings;
  final SessionAccess access;
  final SessionConnections connections = new SessionConnections();
  final SecureRandom random = new SecureRandom();
  final NetClient upstreamClient;
  final ServerSSLOptions tls;
  /** Our BackendKeyData (process id and secret as one long) to the connection it names. */
  private final Map<Long, PgConnection> cancelKeys = new ConcurrentHashMap<>();
  private NetServer server;

  private PgGateway(Vertx vertx, SessionStore store, DatabaseTarget target, GatewaySettings settings) {
    this.vertx = Objects.requireNonNull(vertx, "vertx");
    this.target = Objects.requireNonNull(target, "target");
    this.settings = Objects.requireNonNull(settings, "settings");
    this.access = new SessionAccess(store, target);
    this.upstreamClient = vertx.createNetClient(new NetClientOptions().setTcpNoDelay(true).setConnectTimeout(10_000));
    this.tls = target.tls() == null ? null : new ServerSSLOptions().setKeyCertOptions(new PemKeyCertOptions()
        .setCertPath(target.tls().cert().toString()).setKeyPath(target.tls().key().toString()));
  }

  /** Starts listening on the target's {@code listen} address; completes with the bound port. */
  public static Future<PgGateway> start(Vertx vertx, SessionStore store, DatabaseTarget target, GatewaySettings settings) {
    PgGateway g = new PgGateway(vertx, store, target, settings);
    NetServer server = vertx.createNetServer(new NetServerOptions().setTcpNoDelay(true));
    server.connectHandler(socket -> new PgConnection(g, socket).start());
    return server.listen(target.listenPort(), target.listenHost()).map(s -> {
      g.server = s;
      return g;
    });
  }

  /** The session events this gateway must follow: warnings and endings of its connections' sessions. */
  @Override
  public SessionEvents events() {
    return connections;
  }

  @Override
  public int port() {
    return server.actualPort();
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
    for (PgConnection c : cancelKeys.values()) c.shutdown();
    return server.close().eventually(() -> upstreamClient.close());
  }

  long registerCancelKey(PgConnection c) {
    while (true) {
      long key = random.nextLong() & 0x7fffffff_ffffffffL; // a positive process id, any secret
      if (((int) (key >>> 32)) != 0 && cancelKeys.putIfAbsent(key, c) == null) return key;
    }
  }

  void unregisterCancelKey(long key) {
    cancelKeys.remove(key);
  }

  PgConnection byCancelKey(int processId, int secretKey) {
    return cancelKeys.get(((long) processId << 32) | (secretKey & 0xffffffffL));
  }
}
