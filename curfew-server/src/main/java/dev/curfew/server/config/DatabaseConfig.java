package dev.curfew.server.config;

import com.fasterxml.jackson.databind.JsonNode;
import dev.curfew.gateway.db.DatabaseTarget;
import dev.curfew.gateway.db.PassiveStatements;
import dev.curfew.gateway.db.UpstreamTls;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * One entry of {@code databases:} (spec/protocol-gateways.md, "Configuration"), validated with
 * errors that name the key ({@code databases[0].listen}). The password is never in the file: only
 * the name of the environment variable that holds it, read at start by {@link #target(Map)}.
 */
public record DatabaseConfig(
    String name,
    Protocol protocol,
    String listenHost,
    int listenPort,
    String upstreamHost,
    int upstreamPort,
    String database,
    String user,
    String passwordEnv,
    String policy,
    List<String> passiveStatements,
    DatabaseTarget.AuditStatements auditStatements,
    Path tlsCert,
    Path tlsKey,
    boolean tlsRequire,
    UpstreamTls upstreamTls) {

  private static final Set<String> KEYS = Set.of("name", "protocol", "listen", "upstream", "database", "user",
      "password_env", "policy", "passive_statements", "audit_statements", "tls", "upstream_tls");

  public DatabaseConfig {
    Objects.requireNonNull(protocol, "protocol");
    Objects.requireNonNull(auditStatements, "auditStatements");
    passiveStatements = List.copyOf(passiveStatements);
  }

  /** {@code protocol}: the wire protocol the entry's gateway speaks. */
  public enum Protocol {
    POSTGRES("postgres"),
    /** MySQL and MariaDB. */
    MYSQL("mysql");

    private final String configName;

    Protocol(String configName) {
      this.configName = configName;
    }

    /** As the configuration writes it. */
    @Override
    public String toString() {
      return configName;
    }
  }

  /** The gateway's view, the upstream password read from {@code env}. */
  public DatabaseTarget target(Map<String, String> env, int index) {
    String password = null;
    if (passwordEnv != null) {
      password = env.get(passwordEnv);
      if (password == null) {
        throw new ConfigException("databases[" + index + "].password_env", "the environment variable " + passwordEnv + " is not set");
      }
    }
    return new DatabaseTarget(name, listenHost, listenPort, upstreamHost, upstreamPort, database, user, password, policy,
        PassiveStatements.of(passiveStatements), auditStatements,
        tlsCert == null ? null : new DatabaseTarget.TlsFiles(tlsCert, tlsKey, tlsRequire), upstreamTls);
  }

  static List<DatabaseConfig> parseAll(JsonNode node, Set<String> policies, String defaultPolicy) {
    List<DatabaseConfig> out = new ArrayList<>();
    Set<String> names = new HashSet<>();
    Set<String> listens = new HashSet<>();
    List<JsonNode> entries = CurfewConfig.list("databases", node);
    for (int i = 0; i < entries.size(); i++) {
      DatabaseConfig d = parse("databases[" + i + "]", entries.get(i), policies, defaultPolicy);
      if (!names.add(d.name())) throw new ConfigException("databases[" + i + "].name", "duplicate name \"" + d.name() + "\"");
      if (d.listenPort() != 0 && !listens.add(d.listenHost() + ":" + d.listenPort())) {
        throw new ConfigException("databases[" + i + "].listen", "another database listens on " + d.listenHost() + ":" + d.listenPort());
      }
      out.add(d);
    }
    return List.copyOf(out);
  }

  private static DatabaseConfig parse(String at, JsonNode n, Set<String> policies, String defaultPolicy) {
    CurfewConfig.requireObject(at, n);
    CurfewConfig.onlyKeys(at + ".", n, KEYS);
    String name = CurfewConfig.string(at + ".name", n.path("name"), null);
    if (!CurfewConfig.isName(name)) {
      throw new ConfigException(at + ".name", "required, " + CurfewConfig.NAME_RULE);
    }
    String protocolName = CurfewConfig.string(at + ".protocol", n.path("protocol"), null);
    if (protocolName == null) throw new ConfigException(at + ".protocol", "required: postgres or mysql");
    Protocol protocol = protocolName.equals("postgres") ? Protocol.POSTGRES : protocolName.equals("mysql") ? Protocol.MYSQL : null;
    if (protocol == null) throw new ConfigException(at + ".protocol", "must be postgres or mysql, not \"" + protocolName + "\"");
    String[] listen = hostPort(at + ".listen", CurfewConfig.string(at + ".listen", n.path("listen"), null), true);
    String[] upstream = hostPort(at + ".upstream", CurfewConfig.string(at + ".upstream", n.path("upstream"), null), false);
    String database = CurfewConfig.string(at + ".database", n.path("database"), null);
    if (database != null && database.isBlank()) throw new ConfigException(at + ".database", "must not be blank (omit it to allow any)");
    String user = CurfewConfig.string(at + ".user", n.path("user"), null);
    if (user == null || user.isBlank()) throw new ConfigException(at + ".user", "required: the upstream login Curfew uses");
    String passwordEnv = CurfewConfig.string(at + ".password_env", n.path("password_env"), null);
    if (passwordEnv != null && !passwordEnv.matches("[A-Za-z_][A-Za-z0-9_]*")) {
      throw new ConfigException(at + ".password_env", "must be the name of an environment variable");
    }
    // Omitted: default_policy (protocol-gateways.md), as for an SSH target.
    String policy = CurfewConfig.string(at + ".policy", n.path("policy"), defaultPolicy);
    if (policy != null && !policies.contains(policy)) {
      throw new ConfigException(at + ".policy", "\"" + policy + "\" is not among policies " + policies);
    }
    List<String> passive = new ArrayList<>();
    for (JsonNode p : CurfewConfig.list(at + ".passive_statements", n.path("passive_statements"))) {
      if (!p.isTextual() || p.asText().isBlank()) {
        throw new ConfigException(at + ".passive_statements", "statements are non-empty strings, not " + CurfewConfig.kind(p));
      }
      passive.add(p.asText());
    }
    JsonNode auditNode = n.path("audit_statements");
    // YAML 1.1 reads the spec's own `audit_statements: off` as the boolean false: that is "off".
    String audit = auditNode.isBoolean() && !auditNode.asBoolean() ? "off"
        : CurfewConfig.string(at + ".audit_statements", auditNode, "off");
    DatabaseTarget.AuditStatements auditStatements;
    try {
      auditStatements = DatabaseTarget.AuditStatements.parse(audit);
    } catch (IllegalArgumentException e) {
      throw new ConfigException(at + ".audit_statements", e.getMessage());
    }
    JsonNode tls = n.path("tls");
    Path cert = null;
    Path key = null;
    boolean require = false;
    if (!CurfewConfig.absent(tls)) {
      CurfewConfig.requireObject(at + ".tls", tls);
      CurfewConfig.onlyKeys(at + ".tls.", tls, Set.of("cert", "key", "require"));
      String c = CurfewConfig.string(at + ".tls.cert", tls.path("cert"), null);
      String k = CurfewConfig.string(at + ".tls.key", tls.path("key"), null);
      if (c == null || c.isBlank()) throw new ConfigException(at + ".tls.cert", "required: the PEM certificate (chain) file");
      if (k == null || k.isBlank()) throw new ConfigException(at + ".tls.key", "required: the PEM private key file");
      cert = Path.of(c);
      key = Path.of(k);
      require = CurfewConfig.bool(at + ".tls.require", tls.path("require"), false);
    }
    return new DatabaseConfig(name, protocol, listen[0], Integer.parseInt(listen[1]), upstream[0],
        Integer.parseInt(upstream[1]), database, user, passwordEnv, policy, passive, auditStatements, cert, key, require,
        upstreamTls(at + ".upstream_tls", n.path("upstream_tls")));
  }

  /**
   * {@code upstream_tls}: omitted or false: none; true: TLS with the upstream's certificate checked
   * against the JDK's trust store and the upstream's host; or {@code {verify, ca, server_name, cert,
   * key}}, {@code cert} and {@code key} the client certificate Curfew presents (both or neither).
   */
  private static UpstreamTls upstreamTls(String at, JsonNode n) {
    if (CurfewConfig.absent(n) || n.isBoolean() && !n.asBoolean()) return null;
    if (n.isBoolean()) return new UpstreamTls(true, null, null);
    if (!n.isObject()) {
      throw new ConfigException(at, "must be true, false or {verify, ca, server_name, cert, key}, not " + CurfewConfig.kind(n));
    }
    CurfewConfig.onlyKeys(at + ".", n, Set.of("verify", "ca", "server_name", "cert", "key"));
    boolean verify = CurfewConfig.bool(at + ".verify", n.path("verify"), true);
    String ca = CurfewConfig.string(at + ".ca", n.path("ca"), null);
    if (ca != null && ca.isBlank()) throw new ConfigException(at + ".ca", "must not be blank (omit it for the JDK's trust store)");
    String serverName = CurfewConfig.string(at + ".server_name", n.path("server_name"), null);
    if (serverName != null && serverName.isBlank()) throw new ConfigException(at + ".server_name", "must not be blank (omit it for the upstream's host)");
    if (!verify && (ca != null || serverName != null)) {
      throw new ConfigException(at + ".verify", "is false, so ca and server_name would not be used: drop them or verify");
    }
    if (ca != null) {
      try (java.io.InputStream in = java.nio.file.Files.newInputStream(Path.of(ca))) {
        if (java.security.cert.CertificateFactory.getInstance("X.509").generateCertificates(in).isEmpty()) {
          throw new ConfigException(at + ".ca", ca + " holds no certificate");
        }
      } catch (java.io.IOException | java.security.cert.CertificateException e) {
        throw new ConfigException(at + ".ca", "cannot read certificates (PEM) from " + ca + ": " + e.getMessage());
      }
    }
    return new UpstreamTls(verify, ca == null ? null : Path.of(ca), serverName, clientCertificate(at, n));
  }

  /** {@code upstream_tls.cert} and {@code key}: both readable files, or neither. */
  private static UpstreamTls.ClientCertificate clientCertificate(String at, JsonNode n) {
    String cert = CurfewConfig.string(at + ".cert", n.path("cert"), null);
    String key = CurfewConfig.string(at + ".key", n.path("key"), null);
    if (cert == null && key == null) return null;
    if (cert == null || cert.isBlank()) throw new ConfigException(at + ".cert", "required with key: the client certificate (PEM)");
    if (key == null || key.isBlank()) throw new ConfigException(at + ".key", "required with cert: the client's private key (PEM, PKCS #8)");
    for (String[] f : new String[][] {{".cert", cert}, {".key", key}}) {
      if (!java.nio.file.Files.isReadable(Path.of(f[1]))) throw new ConfigException(at + f[0], "cannot read " + f[1]);
    }
    return new UpstreamTls.ClientCertificate(Path.of(cert), Path.of(key));
  }

  /** {@code host:port} or {@code [v6]:port}; a listen port may be 0 (any free port). */
  private static String[] hostPort(String key, String value, boolean listen) {
    if (value == null) throw new ConfigException(key, "required, host:port");
    int colon = value.lastIndexOf(':');
    if (colon <= 0 || colon == value.length() - 1) throw new ConfigException(key, "must be host:port, not \"" + value + "\"");
    String host = value.substring(0, colon);
    if (host.startsWith("[") && host.endsWith("]")) host = host.substring(1, host.length() - 1);
    int port;
    try {
      port = Integer.parseInt(value.substring(colon + 1));
    } catch (NumberFormatException e) {
      throw new ConfigException(key, "the port must be a number, not \"" + value.substring(colon + 1) + "\"");
    }
    if (port < (listen ? 0 : 1) || port > 65535) throw new ConfigException(key, "port out of range: " + port);
    if (host.isBlank()) throw new ConfigException(key, "must be host:port, not \"" + value + "\"");
    return new String[] {host, Integer.toString(port)};
  }
}
