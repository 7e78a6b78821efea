package dev.curfew.gateway.mysql;

import dev.curfew.core.Audience;
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
import dev.curfew.gateway.db.DatabaseTarget;
import dev.curfew.gateway.db.GatewaySettings;
import dev.curfew.gateway.db.PassiveStatements;
import dev.curfew.core.testing.TestTls;
import io.vertx.core.Vertx;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;

/**
 * A MySQL gateway in front of a fresh database on the machine's MariaDB, logging in upstream as a
 * user of its own with a password, with the embedded engine on the real clock (its deadline
 * driver fires warnings and expiries) and an in-memory audit sink. Policy {@code short}: idle 2 s,
 * warning 1 s before; {@code long}: idle 1 h.
 */
final class MyGatewayFixture implements AutoCloseable {
  static final Policy SHORT = Policy.of("short", Duration.ofSeconds(2), Duration.ofMinutes(10), Duration.ofSeconds(1), 0);
  /** Extensions allowed; the warning 4 s after the last activity, so 4 s after an extension too. */
  static final Policy EXTENDABLE = Policy.of("extendable", Duration.ofSeconds(8), Duration.ofMinutes(10), Duration.ofSeconds(4), 3);
  static final Policy LONG = Policy.of("long", Duration.ofHours(1), Duration.ofHours(2), Duration.ofMinutes(1), 0);

  final Vertx vertx = Vertx.vertx();
  final MemoryAuditSink sink = new MemoryAuditSink();
  final SessionEngine engine;
  final DeadlineDriver driver;
  final TestMariaDb db;
  final TestTls.Files2 certs;
  final MyGateway gateway;
  private volatile SessionEvents follower = SessionEvents.NONE;

  MyGatewayFixture(String purpose) {
    this(purpose, t -> t, s -> s);
  }

  MyGatewayFixture(String purpose, UnaryOperator<DatabaseTarget> adjust, UnaryOperator<GatewaySettings> settings) {
    engine = new SessionEngine(new SystemClock(), "node-1", new Policies(List.of(SHORT, LONG, EXTENDABLE), "long"), sink,
        (id, event, data) -> follower.publish(id, event, data), EngineMetrics.NONE, SessionEngine.Limits.defaults());
    driver = new DeadlineDriver(engine).start();
    db = TestMariaDb.create(purpose);
    try {
      certs = TestTls.create();
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
    DatabaseTarget target = adjust.apply(new DatabaseTarget("orders", "127.0.0.1", 0, TestMariaDb.HOST, TestMariaDb.PORT,
        db.name, db.user, db.password, null, PassiveStatements.of(List.of("SELECT 1")),
        DatabaseTarget.AuditStatements.FULL, new DatabaseTarget.TlsFiles(certs.cert(), certs.key(), false)));
    try {
      gateway = MyGateway.start(vertx, SessionStore.of(engine), target, settings.apply(GatewaySettings.defaults()))
          .await(30, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
    follower = gateway.events();
  }

  /** Opens a session for this database ({@code db:orders}, as a portal would) and returns its token. */
  String open(String subject, String policy) {
    return open(subject, policy, Audience.of("db:orders"));
  }

  /** Opens a session for {@code audience} and returns its token. */
  String open(String subject, String policy, Audience audience) {
    return engine.open(subject, policy, Map.of(), audience, "portal").token();
  }

  String jdbcUrl(String database) {
    return "jdbc:mariadb://127.0.0.1:" + gateway.port() + "/" + database;
  }

  Connection connect(String user, String token) throws SQLException {
    return connect(user, token, db.name, new Properties());
  }

  /**
   * MariaDB Connector/J answers mysql_clear_password only over TLS (docs/gateway-mysql.md): the
   * fixture's gateway offers TLS with a throwaway certificate, which {@code sslMode=trust} accepts.
   */
  Connection connect(String user, String token, String database, Properties extra) throws SQLException {
    Properties p = new Properties();
    p.setProperty("user", user);
    p.setProperty("password", token);
    p.setProperty("connectTimeout", "10000");
    p.setProperty("sslMode", "trust");
    p.putAll(extra);
    return DriverManager.getConnection(jdbcUrl(database), p);
  }

  List<AuditRecord> records(String type) {
    return sink.records().stream().filter(r -> r.type().equals(type)).toList();
  }

  @Override
  public void close() {
    try {
      gateway.close().await(30, TimeUnit.SECONDS);
    } catch (Exception ignored) {
      // the database and user are dropped below either way
    }
    driver.close();
    vertx.close();
    db.close();
  }
}
