package dev.curfew.gateway.mysql;

import static dev.curfew.core.testing.PrivateServers.freePort;
import static dev.curfew.core.testing.PrivateServers.run;

import dev.curfew.core.testing.RequiredTool;
import dev.curfew.core.testing.TestTls;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.awaitility.Awaitility;

/**
 * A MariaDB server of the test's own, in a temporary directory on a free loopback port, with TLS
 * (the machine's server has none): made by mariadb-install-db, run by mariadbd, stopped and
 * deleted by {@link #close}. Root logs in without a password from the loopback address.
 */
final class PrivateMariaDb implements AutoCloseable {
  private static final Path INSTALL_DB = Path.of("/usr/bin/mariadb-install-db");
  private static final Path SERVER = Path.of("/usr/sbin/mariadbd");

  private final Path dir;
  private final Process server;
  final int port;

  private PrivateMariaDb(Path dir, Process server, int port) {
    this.dir = dir;
    this.server = server;
    this.port = port;
  }

  /** Starts a server offering TLS with {@code tls}'s certificate and key. */
  static PrivateMariaDb start(TestTls.Files2 tls) throws Exception {
    return start(tls, null);
  }

  /** As {@link #start(TestTls.Files2)}, trusting client certificates signed by {@code clientCa} (for {@code REQUIRE X509}). */
  static PrivateMariaDb start(TestTls.Files2 tls, Path clientCa) throws Exception {
    RequiredTool.require(Files.isExecutable(INSTALL_DB) && Files.isExecutable(SERVER),
        "MariaDB's server programs (" + INSTALL_DB + ", " + SERVER + ")");
    Path dir = Files.createTempDirectory("curfew-private-mariadb");
    Path data = dir.resolve("data");
    String user = System.getProperty("user.name");
    run(List.of(INSTALL_DB.toString(), "--no-defaults", "--datadir=" + data, "--auth-root-authentication-method=normal",
        "--skip-test-db", "--user=" + user));
    int port = freePort();
    List<String> command = new ArrayList<>(List.of(SERVER.toString(), "--no-defaults", "--datadir=" + data,
        "--socket=" + dir.resolve("sock"), "--port=" + port, "--bind-address=127.0.0.1", "--pid-file=" + dir.resolve("pid"),
        "--log-error=" + dir.resolve("error.log"), "--innodb-buffer-pool-size=16M",
        "--ssl-cert=" + tls.cert(), "--ssl-key=" + tls.key(), "--user=" + user));
    if (clientCa != null) command.add("--ssl-ca=" + clientCa);
    Process server = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(dir.resolve("stdout").toFile()).start();
    PrivateMariaDb db = new PrivateMariaDb(dir, server, port);
    try {
      Awaitility.await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200)).ignoreExceptions()
          .until(() -> {
            if (!server.isAlive()) throw new IllegalStateException("mariadbd stopped: " + db.log());
            db.root("SELECT 1");
            return true;
          });
    } catch (RuntimeException e) {
      db.close();
      throw new IllegalStateException("the private MariaDB did not start: " + db.log(), e);
    }
    return db;
  }

  /** Runs statements as root. */
  void root(String... statements) throws SQLException {
    try (Connection c = DriverManager.getConnection("jdbc:mariadb://127.0.0.1:" + port + "/?user=root");
         Statement s = c.createStatement()) {
      for (String sql : statements) s.execute(sql);
    }
  }

  private String log() {
    try {
      Path log = dir.resolve("error.log");
      return Files.exists(log) ? Files.readString(log) : "(no error log)";
    } catch (IOException e) {
      return "(error log unreadable: " + e.getMessage() + ")";
    }
  }

  @Override
  public void close() throws Exception {
    try {
      server.destroy();
      if (!server.waitFor(60, TimeUnit.SECONDS)) server.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
    } finally {
      try (Stream<Path> all = Files.walk(dir)) {
        all.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      }
    }
  }
}
