package dev.curfew.store.postgres;

import io.vertx.core.net.ClientSSLOptions;
import io.vertx.core.net.NetClientOptions;
import io.vertx.core.net.PemTrustOptions;
import io.vertx.core.net.TrustOptions;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.pgclient.SslMode;
import java.io.IOException;
import java.io.InputStream;
import java.net.URLDecoder;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.net.ssl.TrustManagerFactory;

/**
 * Where the audit database is: a JDBC URL of the form {@code
 * jdbc:postgresql://host[:port]/database[?currentSchema=name][&sslmode=mode][&sslrootcert=file]}
 * (the form pgjdbc documents, so that the same URL serves Flyway's JDBC connection and the runtime
 * client), a user and a password. Only those three parameters are understood; any other is refused
 * rather than silently ignored.
 *
 * <p>TLS ({@link Tls}) is the same for both clients: pgjdbc gets the mode with the factory that
 * gives it the same trust as the runtime client (the JDK's trust store, or none for {@code require}),
 * since its own default is a file in the user's home directory.
 *
 * @param host the server's host name or address
 * @param port its port (5432 by default)
 * @param database the database name
 * @param schema the schema the tables live in, or null for the database's default (public)
 * @param user the role to connect as
 * @param password its password, or null (trust or peer authentication)
 * @param tls whether and how the connection is encrypted
 * @param rootCert the certificates (PEM) the server's must chain to, or null for the JDK's trust
 *     store; with {@link Tls#REQUIRE} it makes the chain checked, as {@code verify-ca}
 */
public record PgConfig(String host, int port, String database, String schema, String user, String password,
    Tls tls, Path rootCert) {
  private static final Pattern URL = Pattern.compile(
      "jdbc:postgresql://(\\[[0-9A-Fa-f:.]+\\]|[A-Za-z0-9._-]+)(?::([0-9]{1,5}))?/([^/?#]+)(?:\\?([^#]*))?");
  private static final Pattern IDENTIFIER = Pattern.compile("[a-z_][a-z0-9_]{0,62}");

  /**
   * The {@code sslmode}s honoured, with libpq's meaning (PostgreSQL 15 manual, libpq "SSL Support",
   * table "SSL Mode Descriptions": https://www.postgresql.org/docs/15/libpq-ssl.html). {@code allow} and {@code prefer} are refused: they fall back to an
   * unencrypted connection without saying so, which an audit trail's connection must not do.
   */
  public enum Tls {
    /** No TLS (the default, as before {@code sslmode} was understood). */
    DISABLE("disable", SslMode.DISABLE),
    /** Encrypted; the server's certificate is not checked unless {@code sslrootcert} is given. */
    REQUIRE("require", SslMode.REQUIRE),
    /** Encrypted; the certificate must chain to {@code sslrootcert} or to the JDK's trust store. */
    VERIFY_CA("verify-ca", SslMode.VERIFY_CA),
    /** As {@link #VERIFY_CA}, and the certificate must name the host of the URL. */
    VERIFY_FULL("verify-full", SslMode.VERIFY_FULL);

    final String word;
    final SslMode vertx;

    Tls(String word, SslMode vertx) {
      this.word = word;
      this.vertx = vertx;
    }

    static Tls of(String word) {
      for (Tls t : values()) if (t.word.equals(word)) return t;
      if (word.equals("allow") || word.equals("prefer")) {
        throw new IllegalArgumentException("sslmode \"" + word + "\" may connect without TLS and is not accepted:"
            + " use disable, require, verify-ca or verify-full");
      }
      throw new IllegalArgumentException("unknown sslmode \"" + word + "\" (disable, require, verify-ca or verify-full)");
    }
  }

  /** Without TLS, as the URL form without {@code sslmode}. */
  public PgConfig(String host, int port, String database, String schema, String user, String password) {
    this(host, port, database, schema, user, password, Tls.DISABLE, null);
  }

  public PgConfig {
    Objects.requireNonNull(host, "host");
    Objects.requireNonNull(database, "database");
    Objects.requireNonNull(user, "user");
    Objects.requireNonNull(tls, "tls");
    if (rootCert != null && tls == Tls.DISABLE) {
      throw new IllegalArgumentException("sslrootcert without an sslmode that uses TLS (require, verify-ca or verify-full)");
    }
    if (rootCert != null && tls == Tls.REQUIRE) tls = Tls.VERIFY_CA; // libpq: require with a root certificate verifies it
    if (port < 1 || port > 65535) throw new IllegalArgumentException("port not in 1..65535: " + port);
    if (user.isBlank()) throw new IllegalArgumentException("user is blank");
    if (schema != null && !IDENTIFIER.matcher(schema).matches()) {
      throw new IllegalArgumentException("currentSchema must be a lower-case SQL identifier ([a-z_][a-z0-9_]*): \"" + schema + "\"");
    }
  }

  /**
   * Parses {@code jdbc:postgresql://host[:port]/database[?currentSchema=name][&sslmode=mode][&sslrootcert=file]};
   * {@code sslrootcert} must be a readable file of PEM certificates.
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
    Tls tls = Tls.DISABLE;
    Path rootCert = null;
    if (m.group(4) != null && !m.group(4).isEmpty()) {
      for (String pair : m.group(4).split("&")) {
        int eq = pair.indexOf('=');
        String name = eq < 0 ? pair : pair.substring(0, eq);
        if (eq < 0 || !(name.equals("currentSchema") || name.equals("sslmode") || name.equals("sslrootcert"))) {
          throw new IllegalArgumentException("unsupported URL parameter \"" + name + "\""
              + " (only currentSchema=name, sslmode=mode and sslrootcert=file)");
        }
        String value = decode(pair.substring(eq + 1));
        switch (name) {
          case "currentSchema" -> schema = value;
          case "sslmode" -> tls = Tls.of(value);
          default -> rootCert = readableCertificates(value);
        }
      }
    }
    return new PgConfig(host, port, database, schema, user, password, tls, rootCert);
  }

  /** {@code file} when it holds at least one PEM certificate, else why not. */
  private static Path readableCertificates(String file) {
    Path p = Path.of(file);
    try (InputStream in = Files.newInputStream(p)) {
      if (CertificateFactory.getInstance("X.509").generateCertificates(in).isEmpty()) {
        throw new IllegalArgumentException("sslrootcert " + file + ": no PEM certificate in it");
      }
      return p;
    } catch (IOException e) {
      throw new IllegalArgumentException("sslrootcert " + file + ": cannot be read (" + e + ")");
    } catch (GeneralSecurityException e) {
      throw new IllegalArgumentException("sslrootcert " + file + ": no PEM certificate in it (" + e.getMessage() + ")");
    }
  }

  /**
   * The JDBC URL (what Flyway connects with): pgjdbc's {@code sslmode}, with {@code sslrootcert} or
   * the factory that gives it the runtime client's trust (pgjdbc's documentation, "Using SSL",
   * https://jdbc.postgresql.org/documentation/ssl/): the JDK's trust store when no root certificate
   * is named, none for {@code require}.
   */
  public String jdbcUrl() {
    String h = host.contains(":") ? "[" + host + "]" : host;
    StringBuilder url = new StringBuilder("jdbc:postgresql://").append(h).append(':').append(port).append('/').append(database);
    url.append('?');
    if (schema != null) url.append("currentSchema=").append(schema).append('&');
    url.append("sslmode=").append(tls.word);
    if (rootCert != null) {
      url.append("&sslrootcert=").append(URLEncoder.encode(rootCert.toString(), StandardCharsets.UTF_8));
    } else if (tls == Tls.REQUIRE) {
      url.append("&sslfactory=org.postgresql.ssl.NonValidatingFactory");
    } else if (tls != Tls.DISABLE) {
      url.append("&sslfactory=org.postgresql.ssl.DefaultJavaSSLFactory");
    }
    return url.toString();
  }

  /** The same server and credentials with another database (tests create and drop databases). */
  public PgConfig withDatabase(String name) {
    return new PgConfig(host, port, name, schema, user, password, tls, rootCert);
  }

  /** The same with another schema, or null for the default one. */
  public PgConfig withSchema(String name) {
    return new PgConfig(host, port, database, name, user, password, tls, rootCert);
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
    o.setSslMode(tls.vertx);
    if (tls == Tls.REQUIRE) {
      o.setSslOptions(new ClientSSLOptions().setTrustAll(true));
    } else if (tls != Tls.DISABLE) {
      o.setSslOptions(new ClientSSLOptions()
          .setTrustOptions(rootCert != null ? new PemTrustOptions().addCertPath(rootCert.toString()) : jdkTrustStore())
          .setHostnameVerificationAlgorithm(tls == Tls.VERIFY_FULL ? "HTTPS" : ""));
    }
    return o;
  }

  /** The JDK's default trust store, which the Vert.x client must be handed explicitly to verify against it. */
  private static TrustOptions jdkTrustStore() {
    try {
      TrustManagerFactory f = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
      f.init((KeyStore) null);
      return TrustOptions.wrap(f);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("the JDK's default trust store cannot be loaded", e);
    }
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
