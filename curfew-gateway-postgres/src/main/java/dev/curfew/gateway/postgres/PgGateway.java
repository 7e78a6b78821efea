package dev.curfew.gateway.postgres;

import dev.curfew.core.SessionStore;
import dev.curfew.gateway.db.ClientTls;
import dev.curfew.gateway.db.DatabaseTarget;
import dev.curfew.gateway.db.GatewayListener;
import dev.curfew.gateway.db.GatewaySettings;
import dev.curfew.gateway.db.SessionConnections;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.util.Map;
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
public final class PgGateway extends GatewayListener {
  final ClientTls tls;
  /** The connections by session. */
  final SessionConnections connections = sessionConnections();
  /** Our BackendKeyData (process id and secret as one long) to the connection it names. */
  private final Map<Long, PgConnection> cancelKeys = new ConcurrentHashMap<>();

  private PgGateway(Vertx vertx, SessionStore store, DatabaseTarget target, GatewaySettings settings) {
    super(vertx, store, target, settings);
    this.tls = ClientTls.of(target.tls());
  }

  /** Starts listening on the target's {@code listen} address; completes with the bound port. */
  public static Future<PgGateway> start(Vertx vertx, SessionStore store, DatabaseTarget target, GatewaySettings settings) {
    PgGateway g = new PgGateway(vertx, store, target, settings);
    return g.listen(socket -> new PgConnection(g, socket).start()).map(v -> g);
  }

  @Override
  protected void shutdownConnections() {
    for (PgConnection c : cancelKeys.values()) c.shutdown();
  }

  long registerCancelKey(PgConnection c) {
    while (true) {
      long key = random().nextLong() & 0x7fffffff_ffffffffL; // a positive process id, any secret
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
