package dev.curfew.store.postgres;

import io.vertx.core.net.NetClientOptions;
import io.vertx.pgclient.PgConnectOptions;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Where the audit database is: a JDBC URL of the form {@code
 * jdbc:postgresql://host[:port]/database[?currentSchema=name]} (the form pgjdbc documents, so that
 * the same URL serves Flyway's JDBC connection and the runtime client), a user and a password.
 * Only {@code currentSchema} is understood among the URL's parameters; any other is refused rather
 * than silently ignored.
 *
 * @param host the server's host name or address
 * @param port its port (5432 by default)
 * @param database the database name
 * @param schema the schema the tables live in, or null for the database's default (public)
 * @param user the role to connect as
 * @param password its password, or null (trust or peer authentication)
 */
public record PgConfig(String host, int port, String database, String schema, String user, String password) {
  private static final Pattern URL = Pattern.compile(
      "jdbc:postgresql://(\\[[0-9A-Fa-f:.]+\\]|[A-Za-z0-9._-]+)(?::([0-9]{1,5}))?/([^/?#]+)(?:\\?([^#]*))?");
  private static final Pattern IDENTIFIER = Pattern.compile("[a-z_][a-z0-9_]{0,62}");

  public PgConfig {
    Objects.requireNonNull(host, "host");
    Objects.requireNonNull(database, "database");
    Objects.requireNonNull(user, "user");
    if (port < 1 || port > 65535) throw new IllegalArgumentException("port not in 1..65535: " + port);
    if (user.isBlank()) throw new IllegalArgumentException("user is blank");
    if (schema != null && !IDENTIFIER.matcher(schema).matches()) {
      throw new IllegalArgumentException("currentSchema must be a lower-case SQL identifier ([a-z_][a-z0-9_]*): \"" + schema + "\"");
    }
  }

  /**
   * Parses {@code jdbc:postgresql://host[:port]/database[?currentSchema=name]}.
   *
   * @throws IllegalArgumentException saying what is wrong with the URL
   */
  public static PgConfig parse(String jdbcUrl, String user, String password) {
    Objects.requireNonNull(jdbcUrl, "jdbcUrl");
    Matcher m = URL.matcher(jdbcUrl);
    if (!m.matches()) {
      throw new IllegalArgumentException("not a PostgreSQL JDBC URL of the form"
          + " jdbc:postgresql://host[:port]/database[?currentSchema=name]: \"" + jdbcUrl + "\"");
    }
    String host = m.group(1).startsWith("[") ? m.group(1).substring(1, m.group(1).length() - 1) : m.group(1);
    int port = m.group(2) == null ? 5432 : Integer.parseInt(m.group(2));
    String database = decode(m.group(3));
    String schema = null;
    if (m.group(4) != null && !m.group(4).isEmpty()) {
      for (String pair : m.group(4).split("&")) {
        int eq = pair.indexOf('=');
        String name = eq < 0 ? pair : pair.substring(0, eq);
        if (!name.equals("currentSchema") || eq < 0) {
          throw new IllegalArgumentException("unsupported URL parameter \"" + name + "\" (only currentSchema=name)");
        }
        schema = decode(pair.substring(eq + 1));
      }
    }
    return new PgConfig(host, port, database, schema, user, password);
  }

  /** The JDBC URL (what Flyway connects with). */
  public String jdbcUrl() {
    String h = host.contains(":") ? "[" + host + "]" : host;
    return "jdbc:postgresql://" + h + ":" + port + "/" + database + (schema == null ? "" : "?currentSchema=" + schema);
  }

  /** The same server and credentials with another database (tests create and drop databases). */
  public PgConfig withDatabase(String name) {
    return new PgConfig(host, port, name, schema, user, password);
  }

  /** The same with another schema, or null for the default one. */
  public PgConfig withSchema(String name) {
    return new PgConfig(host, port, database, name, user, password);
  }

  /** Connection options for the Vert.x client, with {@code search_path} set to the schema. */
  public PgConnectOptions connectOptions() {
    PgConnectOptions o = new PgConnectOptions()
        .setHost(host)
        .setPort(port)
        .setDatabase(database)
        .setUser(user)
        .setPipeliningLimit(16);
    if (password != null) o.setPassword(password);
    o.addProperty("application_name", "curfew");
    // the startup message may set run-time parameters (PostgreSQL 15 manual,
    // protocol-message-formats.html, StartupMessage)
    if (schema != null) o.addProperty("search_path", schema);
    return o;
  }

  /** TCP options: a server that does not answer the connect is reported after 5 s, not waited on. */
  NetClientOptions netOptions() {
    return new NetClientOptions().setConnectTimeout(5_000).setTcpKeepAlive(true);
  }

  @Override
  public String toString() { // never the password
    return "PgConfig[" + jdbcUrl() + ", user " + user + (password == null ? "" : ", password set") + "]";
  }

  private static String decode(String s) {
    return URLDecoder.decode(s, StandardCharsets.UTF_8);
  }
}
