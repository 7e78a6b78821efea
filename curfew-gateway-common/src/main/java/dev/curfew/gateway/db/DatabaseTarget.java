package dev.curfew.gateway.db;

import java.nio.file.Path;
import java.util.Objects;

/**
 * One entry of the configuration's {@code databases:} section (spec/protocol-gateways.md,
 * "Configuration") as the gateway uses it, with the upstream password already read from its
 * environment variable. Validated here; the configuration reader names the offending key.
 *
 * @param name unique; the {@code target} of audit records
 * @param database the only database a client may open; null: any
 * @param user the upstream login Curfew uses
 * @param password the upstream password; null where the upstream asks for none
 * @param policy the policy a session must be governed by to be used here (null: any; checked at login)
 * @param tls null: clients cannot use TLS
 * @param upstreamTls null: Curfew's connection to the upstream is not encrypted
 */
public record DatabaseTarget(
    String name,
    String listenHost,
    int listenPort,
    String upstreamHost,
    int upstreamPort,
    String database,
    String user,
    String password,
    String policy,
    PassiveStatements passiveStatements,
    AuditStatements auditStatements,
    TlsFiles tls,
    UpstreamTls upstreamTls) {

  /** A target whose upstream connection is not encrypted. */
  public DatabaseTarget(String name, String listenHost, int listenPort, String upstreamHost, int upstreamPort,
      String database, String user, String password, String policy, PassiveStatements passiveStatements,
      AuditStatements auditStatements, TlsFiles tls) {
    this(name, listenHost, listenPort, upstreamHost, upstreamPort, database, user, password, policy, passiveStatements,
        auditStatements, tls, null);
  }

  /** {@code audit_statements}: whether each statement is recorded, and with its text or only its hash. */
  public enum AuditStatements {
    OFF, DIGEST, FULL;

    public static AuditStatements parse(String s) {
      return switch (s) {
        case "off" -> OFF;
        case "digest" -> DIGEST;
        case "full" -> FULL;
        default -> throw new IllegalArgumentException("must be off, digest or full, not \"" + s + "\"");
      };
    }
  }

  /** {@code tls: {cert, key, require}}: PEM files offered to clients after an SSLRequest. */
  public record TlsFiles(Path cert, Path key, boolean require) {
    public TlsFiles {
      Objects.requireNonNull(cert, "cert");
      Objects.requireNonNull(key, "key");
    }
  }

  public DatabaseTarget {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(listenHost, "listenHost");
    Objects.requireNonNull(upstreamHost, "upstreamHost");
    Objects.requireNonNull(user, "user");
    Objects.requireNonNull(passiveStatements, "passiveStatements");
    Objects.requireNonNull(auditStatements, "auditStatements");
    if (listenPort < 0 || listenPort > 65535) throw new IllegalArgumentException("listen port out of range: " + listenPort);
    if (upstreamPort < 1 || upstreamPort > 65535) throw new IllegalArgumentException("upstream port out of range: " + upstreamPort);
    if (user.isBlank()) throw new IllegalArgumentException("user must not be blank");
  }

  /** Without the password, which must not reach a log line through this record. */
  @Override
  public String toString() {
    return "DatabaseTarget[name=" + name + ", listen=" + listenHost + ":" + listenPort + ", upstream=" + upstreamHost + ":"
        + upstreamPort + ", database=" + database + ", user=" + user + ", password=" + (password == null ? "none" : "(set)")
        + ", policy=" + policy + ", audit_statements=" + auditStatements + ", tls=" + tls + ", upstream_tls=" + upstreamTls + "]";
  }

  /** The audience a session must carry to reach this database (spec/protocol-gateways.md: {@code db:NAME}). */
  public String audience() {
    return "db:" + name;
  }
}
