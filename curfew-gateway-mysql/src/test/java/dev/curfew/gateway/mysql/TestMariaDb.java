package dev.curfew.gateway.mysql;

import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.HexFormat;

/**
 * A fresh database and a user of its own with a password on the machine's MariaDB (127.0.0.1:3306,
 * root without a password), dropped on close. The user logs in with mysql_native_password, as
 * Curfew's configured upstream login would.
 */
final class TestMariaDb implements AutoCloseable {
  static final String HOST = "127.0.0.1";
  static final int PORT = 3306;

  final String name;
  final String user;
  final String password;

  private TestMariaDb(String name, String user, String password) {
    this.name = name;
    this.user = user;
    this.password = password;
  }

  static TestMariaDb create(String purpose) {
    byte[] r = new byte[6];
    new SecureRandom().nextBytes(r);
    String suffix = HexFormat.of().formatHex(r);
    String name = "curfew_" + purpose.replaceAll("[^a-z0-9]", "") + "_" + suffix;
    TestMariaDb db = new TestMariaDb(name, "cu_" + suffix, "pw-" + suffix);
    db.root("CREATE DATABASE `" + name + "`",
        "CREATE USER '" + db.user + "'@'%' IDENTIFIED VIA mysql_native_password USING PASSWORD('" + db.password + "')",
        "GRANT ALL ON `" + name + "`.* TO '" + db.user + "'@'%'");
    return db;
  }

  static Connection rootConnection() throws SQLException {
    return DriverManager.getConnection("jdbc:mariadb://" + HOST + ":" + PORT + "/?user=root");
  }

  void root(String... statements) {
    try (Connection c = rootConnection(); Statement s = c.createStatement()) {
      for (String sql : statements) s.execute(sql);
    } catch (SQLException e) {
      throw new IllegalStateException("MariaDB on " + HOST + ":" + PORT + " as root: " + e.getMessage(), e);
    }
  }

  /** Whether a statement containing {@code marker} is running upstream (information_schema.processlist). */
  boolean running(String marker) {
    try (Connection c = rootConnection(); Statement s = c.createStatement();
         var rs = s.executeQuery("SELECT COUNT(*) FROM information_schema.processlist WHERE info LIKE '%" + marker
             + "%' AND info NOT LIKE '%processlist%'")) {
      rs.next();
      return rs.getInt(1) > 0;
    } catch (SQLException e) {
      throw new IllegalStateException(e);
    }
  }

  @Override
  public void close() {
    root("DROP DATABASE IF EXISTS `" + name + "`", "DROP USER IF EXISTS '" + user + "'@'%'");
  }
}
