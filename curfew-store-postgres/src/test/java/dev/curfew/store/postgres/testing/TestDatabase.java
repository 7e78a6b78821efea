package dev.curfew.store.postgres.testing;

import dev.curfew.store.postgres.PgConfig;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.UUID;

/**
 * A fresh database on the PostgreSQL server the tests run against (127.0.0.1:5432, user postgres,
 * trust authentication: what .ci/run starts), created for one test class or test and dropped by
 * {@link #close}, so that tests can run again and side by side. {@code CURFEW_TEST_PG_HOST},
 * {@code CURFEW_TEST_PG_PORT} and {@code CURFEW_TEST_PG_USER} point them elsewhere.
 */
public final class TestDatabase implements AutoCloseable {
  public static final String HOST = env("CURFEW_TEST_PG_HOST", "127.0.0.1");
  public static final int PORT = Integer.parseInt(env("CURFEW_TEST_PG_PORT", "5432"));
  public static final String USER = env("CURFEW_TEST_PG_USER", "postgres");

  private final String name;

  private TestDatabase(String name) {
    this.name = name;
  }

  /** Creates a database named after {@code purpose} and a random suffix. */
  public static TestDatabase create(String purpose) {
    String name = ("curfew_" + purpose.toLowerCase().replaceAll("[^a-z0-9]", "_") + "_"
        + UUID.randomUUID().toString().replace("-", "").substring(0, 12));
    if (name.length() > 63) name = name.substring(name.length() - 63);
    admin("CREATE DATABASE " + name + " ENCODING 'UTF8' TEMPLATE template0");
    return new TestDatabase(name);
  }

  public String name() {
    return name;
  }

  /** The database, reached directly. */
  public PgConfig config() {
    return new PgConfig(HOST, PORT, name, null, USER, null);
  }

  /** The database, reached through {@code proxy}. */
  public PgConfig configVia(TcpProxy proxy) {
    return new PgConfig("127.0.0.1", proxy.port(), name, null, USER, null);
  }

  /** Runs SQL in this database over JDBC (what a person with psql would do). */
  public void sql(String sql) {
    try (Connection c = DriverManager.getConnection(config().jdbcUrl(), USER, null);
         Statement s = c.createStatement()) {
      s.execute(sql);
    } catch (SQLException e) {
      throw new IllegalStateException(sql + ": " + e.getMessage(), e);
    }
  }

  /** The first column of the first row of a query, as a string (null when there is no row). */
  public String queryString(String sql) {
    try (Connection c = DriverManager.getConnection(config().jdbcUrl(), USER, null);
         Statement s = c.createStatement();
         var rs = s.executeQuery(sql)) {
      return rs.next() ? rs.getString(1) : null;
    } catch (SQLException e) {
      throw new IllegalStateException(sql + ": " + e.getMessage(), e);
    }
  }

  public long queryLong(String sql) {
    return Long.parseLong(queryString(sql));
  }

  /** Ends every other session connected to this database (what an operator's pg_terminate_backend does). */
  public int terminateBackends() {
    return Integer.parseInt(queryString("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
        + " WHERE datname = current_database() AND pid <> pg_backend_pid()"));
  }

  @Override
  public void close() {
    admin("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)");
  }

  private static void admin(String sql) {
    try (Connection c = DriverManager.getConnection("jdbc:postgresql://" + HOST + ":" + PORT + "/postgres", USER, null);
         Statement s = c.createStatement()) {
      s.execute(sql);
    } catch (SQLException e) {
      throw new IllegalStateException("PostgreSQL at " + HOST + ":" + PORT + " (user " + USER + "): " + sql + ": "
          + e.getMessage() + " (tests need a running server: see .ci/run)", e);
    }
  }

  private static String env(String name, String dflt) {
    String v = System.getenv(name);
    return v == null || v.isBlank() ? dflt : v;
  }
}
