package dev.curfew.store.postgres.testing;

import static dev.curfew.core.testing.PrivateServers.freePort;
import static dev.curfew.core.testing.PrivateServers.run;

import dev.curfew.core.testing.RequiredTool;
import dev.curfew.core.testing.TestTls;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/**
 * A PostgreSQL 15 server of the test's own, in a temporary directory on a free loopback port, with
 * its own pg_hba.conf: the machine's server trusts 127.0.0.1 and has no TLS, so password logins
 * (MD5, SCRAM-SHA-256) and TLS can only be tried against one like this. Roles made by {@link
 * #createRole} log in with the method their password is stored for (members of {@code scram_users}
 * or {@code md5_users}); the superuser {@code postgres} is trusted. Started with initdb and pg_ctl (as the {@code postgres} account when the test runs as
 * root, since PostgreSQL refuses to run as root), stopped and deleted by {@link #close}.
 */
public final class PrivatePostgres implements AutoCloseable {
  private static final Path BIN = Path.of("/usr/lib/postgresql/15/bin");

  private final Path dir;
  public final int port;

  private PrivatePostgres(Path dir, int port) {
    this.dir = dir;
    this.port = port;
  }

  public static PrivatePostgres start() throws Exception {
    return start(null);
  }

  /**
   * With {@code tls} (a certificate and key, PEM), the server has {@code ssl = on} and the members
   * of {@code tls_users} may log in (scram-sha-256) only over TLS: {@code hostssl} accepts them,
   * {@code hostnossl} rejects them.
   */
  public static PrivatePostgres start(TestTls.Files2 tls) throws Exception {
    return start(tls, null);
  }

  /**
   * As {@link #start(TestTls.Files2)}, and with {@code clientCa} (a PEM CA) the members of {@code
   * cert_users} log in over TLS by client certificate alone ({@code cert}: signed by that CA, its CN
   * the role's name).
   */
  public static PrivatePostgres start(TestTls.Files2 tls, Path clientCa) throws Exception {
    RequiredTool.require(Files.isExecutable(BIN.resolve("initdb")) && Files.isExecutable(BIN.resolve("pg_ctl")),
        "PostgreSQL 15's server programs (initdb, pg_ctl in " + BIN + ")");
    Path dir = Files.createTempDirectory("curfew-private-pg");
    if (asRoot()) run(List.of("chown", "postgres:postgres", dir.toString()));
    Path data = dir.resolve("data");
    run(command("initdb", "-D", data.toString(), "-U", "postgres", "--auth=trust", "--no-sync", "-E", "UTF8"));
    String options = "-p %d -k " + dir + " -c listen_addresses=127.0.0.1 -c fsync=off -c shared_buffers=16MB";
    if (tls != null) {
      Files.copy(tls.cert(), data.resolve("server.crt"));
      Files.copy(tls.key(), data.resolve("server.key"));
      if (asRoot()) run(List.of("chown", "postgres:postgres", data.resolve("server.crt").toString(), data.resolve("server.key").toString()));
      run(List.of("chmod", "600", data.resolve("server.key").toString()));
      options += " -c ssl=on";
      if (clientCa != null) {
        Files.copy(clientCa, data.resolve("client-ca.crt"));
        if (asRoot()) run(List.of("chown", "postgres:postgres", data.resolve("client-ca.crt").toString()));
        options += " -c ssl_ca_file=client-ca.crt";
      }
    }
    Files.writeString(data.resolve("pg_hba.conf"), """
        local all all trust
        hostssl all +cert_users 127.0.0.1/32 cert
        hostnossl all +cert_users 127.0.0.1/32 reject
        hostssl all +tls_users 127.0.0.1/32 scram-sha-256
        hostnossl all +tls_users 127.0.0.1/32 reject
        host all +scram_users 127.0.0.1/32 scram-sha-256
        host all +md5_users 127.0.0.1/32 md5
        host all postgres 127.0.0.1/32 trust
        """);
    int port = freePort();
    run(command("pg_ctl", "-D", data.toString(), "-w", "-t", "60", "-l", dir.resolve("log").toString(), "-o",
        String.format(options, port), "start"));
    PrivatePostgres pg = new PrivatePostgres(dir, port);
    pg.sql("CREATE ROLE scram_users NOLOGIN", "CREATE ROLE md5_users NOLOGIN", "CREATE ROLE tls_users NOLOGIN",
        "CREATE ROLE cert_users NOLOGIN");
    return pg;
  }

  /** Creates a login role whose password is stored as {@code encryption} ({@code scram-sha-256} or {@code md5}). */
  public void createRole(String name, String password, String encryption) throws SQLException {
    createRole(name, password, encryption, encryption.equals("md5") ? "md5_users" : "scram_users");
  }

  /** Creates a login role without a password that logs in by a client certificate whose CN is its name. */
  public void createCertRole(String name) throws SQLException {
    sql("CREATE ROLE " + name + " LOGIN", "GRANT cert_users TO " + name);
  }

  /** Creates a login role (scram-sha-256) that may log in only over TLS. */
  public void createTlsRole(String name, String password) throws SQLException {
    createRole(name, password, "scram-sha-256", "tls_users");
  }

  private void createRole(String name, String password, String encryption, String group) throws SQLException {
    sql("SET password_encryption = '" + encryption + "'",
        "CREATE ROLE " + name + " LOGIN PASSWORD '" + password.replace("'", "''") + "'",
        "GRANT " + group + " TO " + name);
  }

  /** Runs a query as the trusted superuser and answers the first column of its first row. */
  public String query(String sql) throws SQLException {
    try (Connection c = DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + port + "/postgres", "postgres", null);
         Statement s = c.createStatement(); java.sql.ResultSet rs = s.executeQuery(sql)) {
      return rs.next() ? rs.getString(1) : null;
    }
  }

  /** Runs statements in one session as the trusted superuser. */
  public void sql(String... statements) throws SQLException {
    try (Connection c = DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + port + "/postgres", "postgres", null);
         Statement s = c.createStatement()) {
      for (String sql : statements) s.execute(sql);
    }
  }

  @Override
  public void close() throws Exception {
    try {
      run(command("pg_ctl", "-D", dir.resolve("data").toString(), "-m", "immediate", "-w", "stop"));
    } finally {
      try (Stream<Path> all = Files.walk(dir)) {
        all.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      }
    }
  }

  private static List<String> command(String program, String... args) {
    List<String> c = new ArrayList<>();
    if (asRoot()) c.addAll(List.of("runuser", "-u", "postgres", "--"));
    c.add(BIN.resolve(program).toString());
    c.addAll(List.of(args));
    return c;
  }

  private static boolean asRoot() {
    return "root".equals(System.getProperty("user.name"));
  }
}
