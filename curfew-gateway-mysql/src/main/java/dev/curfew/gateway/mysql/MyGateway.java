package dev.curfew.gateway.mysql;

import dev.curfew.core.SessionStore;
import dev.curfew.gateway.db.ClientTls;
import dev.curfew.gateway.db.DatabaseTarget;
import dev.curfew.gateway.db.GatewayListener;
import dev.curfew.gateway.db.GatewaySettings;
import dev.curfew.gateway.db.SessionConnections;
import io.vertx.core.Future;
import io.vertx.core.Vertx;

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
  /** The open connections by the id their greeting gave them (what a client's KILL names). */
  final MyConnectionIds<MyConnection> ids = new MyConnectionIds<>();
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
          new MyConnection(g, socket).start();
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

  @Override
  protected void shutdownConnections() {
    for (MyConnection c : ids.all()) c.shutdown();
  }
}
