package dev.curfew.gateway.postgres;

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
import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;

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
public final class PgGateway {
  /**
   * Limits and timings.
   *
   * @param startupTimeout a client must be logged in within this (PostgreSQL's authentication_timeout is 1 min)
   * @param maxFrameBytes the largest message a client may send
   * @param stalledReaderTimeout how long a client may leave relayed output unread before it is cut
   * @param writeQueueBytes output held for a slow reader before the upstream is paused
   * @param busyTouchMin the shortest interval of the activity touches while a statement runs
   * @param busyTouchMax the longest such interval (a quarter of the idle timeout, within these bounds)
   * @param nanoTime the monotonic clock of durations ({@code duration_ms})
   */
  public record Settings(Duration startupTimeout, int maxFrameBytes, Duration stalledReaderTimeout,
      int writeQueueBytes, Duration busyTouchMin, Duration busyTouchMax, LongSupplier nanoTime) {
    public Settings {
      Objects.requireNonNull(nanoTime, "nanoTime");
      if (startupTimeout.isNegative() || startupTimeout.isZero()) throw new IllegalArgumentException("startupTimeout <= 0: " + startupTimeout);
      if (stalledReaderTimeout.isNegative() || stalledReaderTimeout.isZero()) {
        throw new IllegalArgumentException("stalledReaderTimeout <= 0: " + stalledReaderTimeout);
      }
      if (maxFrameBytes < 1024) throw new IllegalArgumentException("maxFrameBytes < 1024: " + maxFrameBytes);
      if (writeQueueBytes < 1024) throw new IllegalArgumentException("writeQueueBytes < 1024: " + writeQueueBytes);
      if (busyTouchMin.compareTo(busyTouchMax) > 0) throw new IllegalArgumentException("busyTouchMin > busyTouchMax");
    }

    public static Settings defaults() {
      return new Settings(Duration.ofSeconds(30), 64 << 20, Duration.ofSeconds(60), 1 << 20,
          Duration.ofMillis(100), Duration.ofSeconds(30), System::nanoTime);
    }

    public Settings withStartupTimeout(Duration d) {
      return new Settings(d, maxFrameBytes, stalledReaderTimeout, writeQueueBytes, busyTouchMin, busyTouchMax, nanoTime);
    }

    public Settings withMaxFrameBytes(int n) {
      return new Settings(startupTimeout, n, stalledReaderTimeout, writeQueueBytes, busyTouchMin, busyTouchMax, nanoTime);
    }

    public Settings withStalledReaderTimeout(Duration d) {
      return new Settings(startupTimeout, maxFrameBytes, d, writeQueueBytes, busyTouchMin, busyTouchMax, nanoTime);
    }

    public Settings withWriteQueueBytes(int n) {
      return new Settings(startupTimeout, maxFrameBytes, stalledReaderTimeout, n, busyTouchMin, busyTouchMax, nanoTime);
    }
  }

  final Vertx vertx;
  final DatabaseTarget target;
  final Settings settings;
  final SessionAccess access;
  final SessionConnections connections = new SessionConnections();
  final SecureRandom random = new SecureRandom();
  final NetClient upstreamClient;
  final ServerSSLOptions tls;
  /** Our BackendKeyData (process id and secret as one long) to the connection it names. */
  private final Map<Long, PgConnection> cancelKeys = new ConcurrentHashMap<>();
  private NetServer server;

  private PgGateway(Vertx vertx, SessionStore store, DatabaseTarget target, Settings settings) {
    this.vertx = Objects.requireNonNull(vertx, "vertx");
    this.target = Objects.requireNonNull(target, "target");
    this.settings = Objects.requireNonNull(settings, "settings");
    this.access = new SessionAccess(store, target);
    this.upstreamClient = vertx.createNetClient(new NetClientOptions().setTcpNoDelay(true).setConnectTimeout(10_000));
    this.tls = target.tls() == null ? null : new ServerSSLOptions().setKeyCertOptions(new PemKeyCertOptions()
        .setCertPath(target.tls().cert().toString()).setKeyPath(target.tls().key().toString()));
  }

  /** Starts listening on the target's {@code listen} address; completes with the bound port. */
  public static Future<PgGateway> start(Vertx vertx, SessionStore store, DatabaseTarget target, Settings settings) {
    PgGateway g = new PgGateway(vertx, store, target, settings);
    NetServer server = vertx.createNetServer(new NetServerOptions().setTcpNoDelay(true));
    server.connectHandler(socket -> new PgConnection(g, socket).start());
    return server.listen(target.listenPort(), target.listenHost()).map(s -> {
      g.server = s;
      return g;
    });
  }

  /** The session events this gateway must follow: warnings and endings of its connections' sessions. */
  public SessionEvents events() {
    return connections;
  }

  public int port() {
    return server.actualPort();
  }

  public DatabaseTarget target() {
    return target;
  }

  /** Client connections held in all. */
  public int connections() {
    return connections.count();
  }

  /** Stops listening and closes every connection. */
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
