package dev.curfew.gateway.mysql;

import dev.curfew.core.SessionStore;
import dev.curfew.gateway.db.ClientTls;
import dev.curfew.gateway.db.DatabaseTarget;
import dev.curfew.gateway.db.GatewayListener;
import dev.curfew.gateway.db.GatewaySettings;
import dev.curfew.gateway.db.SessionConnections;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The MySQL/MariaDB gateway of one configured database (spec/protocol-gateways.md, "Databases"):
 * clients log in with their subject and a session token (mysql_clear_password), Curfew logs in
 * upstream with its own credentials, and relays the conversation packet by packet while the
 * session lives. Statements are the idle clock's activity; the warning is counted in the next
 * response's warning count and named by SHOW WARNINGS; the end is error 4031 or 1927. Every
 * connection is served by Vert.x event loops (no thread per connection).
 */
public final class MyGateway extends GatewayListener {
  /** The greeting's server version until the upstream's own is known (clients read features from it). */
  static final String DEFAULT_SERVER_VERSION = "8.0.0-curfew";

  final ClientTls tls;
  /** The connections by session. */
  final SessionConnections connections = sessionConnections();
  private final Set<MyConnection> open = ConcurrentHashMap.newKeySet();
  private final AtomicLong connectionIds = new AtomicLong();
  private volatile String serverVersion = DEFAULT_SERVER_VERSION;

  private MyGateway(Vertx vertx, SessionStore store, DatabaseTarget target, GatewaySettings settings) {
    super(vertx, store, target, settings);
    this.tls = ClientTls.of(target.tls());
  }

  /**
   * Starts listening on the target's {@code listen} address. The upstream's greeting is read once
   * first, so that clients see its server version (MariaDB's "5.5.5-10.11..." tells drivers which
   * dialect they speak); an upstream that is down at start does not stop the gateway.
   */
  public static Future<MyGateway> start(Vertx vertx, SessionStore store, DatabaseTarget target, GatewaySettings settings) {
    MyGateway g = new MyGateway(vertx, store, target, settings);
    return g.probeServerVersion()
        .transform(ar -> g.listen(socket -> {
          MyConnection c = new MyConnection(g, socket);
          g.open.add(c);
          c.start();
        }))
        .map(v -> g);
  }

  private Future<Void> probeServerVersion() {
    return upstreamClient().connect(target().upstreamPort(), target().upstreamHost()).compose(s -> {
      MyPacketDecoder decoder = new MyPacketDecoder(1 << 16);
      io.vertx.core.Promise<Void> done = io.vertx.core.Promise.promise();
      s.handler(chunk -> {
        try {
          decoder.decode(chunk, (seq, payload, raw) -> {
            if (payload.length() > 0 && payload.getUnsignedByte(0) == 10) learnServerVersion(MyHandshake.parseGreeting(payload).serverVersion());
            done.tryComplete();
            return false;
          });
        } catch (MyPacketDecoder.FrameException e) {
          done.tryFail(e);
        }
      });
      s.closeHandler(v -> done.tryComplete());
      vertx().setTimer(5_000, id -> done.tryComplete());
      return done.future().eventually(() -> s.close());
    });
  }

  void learnServerVersion(String version) {
    if (version != null && !version.isBlank()) serverVersion = version;
  }

  String serverVersion() {
    return serverVersion;
  }

  /** A connection id for the greeting: the client's own view; KILL goes through the gateway's KILL QUERY. */
  long nextConnectionId() {
    return (connectionIds.incrementAndGet() & 0x7fffffffL) | 1;
  }

  void forget(MyConnection c) {
    open.remove(c);
  }

  @Override
  protected void shutdownConnections() {
    for (MyConnection c : open) c.shutdown();
  }
}
