package dev.curfew.gateway.postgres;

import dev.curfew.gateway.db.DatabaseTarget;
import dev.curfew.gateway.db.PassiveStatements;
import dev.curfew.gateway.db.GatewaySettings;
import dev.curfew.core.DeadlineDriver;
import dev.curfew.core.EngineMetrics;
import dev.curfew.core.MemoryAuditSink;
import dev.curfew.core.Policies;
import dev.curfew.core.Policy;
import dev.curfew.core.SessionEngine;
import dev.curfew.core.SessionEvents;
import dev.curfew.core.SessionStore;
import dev.curfew.core.SystemClock;
import dev.curfew.core.audit.AuditRecord;
import dev.curfew.store.postgres.testing.TestDatabase;
import io.vertx.core.Vertx;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;

/**
 * A gateway in front of a fresh database on the machine's PostgreSQL, with the embedded engine on
 * the real clock (its deadline driver fires warnings and expiries) and an in-memory audit sink.
 * Policy {@code short}: idle 2 s, warning 1 s before; {@code long}: idle 1 h.
 */
final class PgGatewayFixture implements AutoCloseable {
  static final Policy SHORT = Policy.of("short", Duration.ofSeconds(2), Duration.ofMinutes(10), Duration.ofSeconds(1), 0);
  static final Policy LONG = Policy.of("long", Duration.ofHours(1), Duration.ofHours(2), Duration.ofMinutes(1), 0);

  final Vertx vertx = Vertx.vertx();
  final MemoryAuditSink sink = new MemoryAuditSink();
  final SessionEngine engine;
  final DeadlineDriver driver;
  final TestDatabase db;
  final PgGateway gateway;
  private volatile SessionEvents follower = SessionEvents.NONE;

  PgGatewayFixture(String purpose) {
    this(purpose, t -> t, s -> s);
  }

  PgGatewayFixture(String purpose, java.util.function.UnaryOperator<DatabaseTarget> adjust,
      java.util.function.UnaryOperator<GatewaySettings> settings) {
    engine = new SessionEngine(new SystemClock(), "node-1", new Policies(List.of(SHORT, LONG), "long"), sink,
        (id, event, data) -> follower.publish(id, event, data), EngineMetrics.NONE, SessionEngine.Limits.defaults());
    driver = new DeadlineDriver(engine).start();
    db = TestDatabase.create(purpose);
    DatabaseTarget target = adjust.apply(new DatabaseTarget("orders", "127.0.0.1", 0, TestDatabase.HOST, TestDatabase.PORT,
        db.name(), TestDatabase.USER, null, null, PassiveStatements.of(List.of("SELECT 1")),
        DatabaseTarget.AuditStatements.FULL, null));
    try {
      gateway = PgGateway.start(vertx, SessionStore.of(engine), target, settings.apply(GatewaySettings.defaults()))
          .await(30, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
    follower = gateway.events();
  }

  /** Opens a session for the database "orders" (audience db:orders), as a portal would, and returns its token. */
  String open(String subject, String policy) {
    return engine.open(subject, policy, Map.of(), dev.curfew.core.Audience.of("db:orders"), "portal").token();
  }

  String jdbcUrl(String database) {
    return "jdbc:postgresql://127.0.0.1:" + gateway.port() + "/" + database + "?sslmode=disable";
  }

  Connection connect(String user, String token) throws SQLException {
    return connect(user, token, db.name());
  }

  Connection connect(String user, String token, String database) throws SQLException {
    Properties p = new Properties();
    p.setProperty("user", user);
    p.setProperty("password", token);
    p.setProperty("connectTimeout", "10");
    return DriverManager.getConnection(jdbcUrl(database), p);
  }

  /** Logs in by hand: startup, cleartext password, up to ReadyForQuery. */
  Socket loggedIn(String user, String token) throws Exception {
    Socket s = new Socket("127.0.0.1", gateway.port());
    s.setSoTimeout(10_000);
    OutputStream out = s.getOutputStream();
    ByteArrayOutputStream body = new ByteArrayOutputStream();
    body.write(ByteBuffer.allocate(4).putInt(196608).array());
    for (String kv : new String[] {"user", user, "database", db.name()}) {
      body.write(kv.getBytes(StandardCharsets.UTF_8));
      body.write(0);
    }
    body.write(0);
    out.write(ByteBuffer.allocate(4).putInt(body.size() + 4).array());
    out.write(body.toByteArray());
    InputStream in = s.getInputStream();
    if (in.read() != 'R') throw new IllegalStateException("no authentication request");
    in.readNBytes(8);
    byte[] pw = (token + "\0").getBytes(StandardCharsets.UTF_8);
    out.write(ByteBuffer.allocate(5 + pw.length).put((byte) 'p').putInt(4 + pw.length).put(pw).array());
    while (true) {
      int type = in.read();
      int len = ByteBuffer.wrap(in.readNBytes(4)).getInt();
      byte[] answer = in.readNBytes(len - 4);
      if (type == 'Z') return s;
      if (type == 'E') throw new IllegalStateException("login refused: " + new String(answer, StandardCharsets.UTF_8));
    }
  }

  List<AuditRecord> records(String type) {
    return sink.records().stream().filter(r -> r.type().equals(type)).toList();
  }

  @Override
  public void close() {
    try {
      gateway.close().await(30, TimeUnit.SECONDS);
    } catch (Exception ignored) {
      // the database is dropped with FORCE below either way
    }
    driver.close();
    vertx.close();
    db.close();
  }
}
