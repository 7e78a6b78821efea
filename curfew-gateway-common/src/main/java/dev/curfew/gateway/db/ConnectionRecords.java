package dev.curfew.gateway.db;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The data of one database connection's audit records ({@code connection.opened}, {@code
 * connection.refused}, {@code statement.executed}, {@code connection.closed}; spec/protocol-gateways.md),
 * built in one place so that every wire protocol writes the same fields.
 */
public final class ConnectionRecords {
  private final DatabaseTarget target;
  private final String targetName;
  private final String protocol;
  private final String clientAddress;
  private final String connectionId;

  /** {@code protocol} as the records name it: {@code postgres} or {@code mysql}. */
  public ConnectionRecords(DatabaseTarget target, String protocol, String clientAddress, String connectionId) {
    this(target, target.name(), protocol, clientAddress, connectionId);
  }

  /** A gateway without a {@link DatabaseTarget} (MCP): its records name {@code targetName}; statements only by digest. */
  public ConnectionRecords(String targetName, String protocol, String clientAddress, String connectionId) {
    this(null, targetName, protocol, clientAddress, connectionId);
  }

  private ConnectionRecords(DatabaseTarget target, String targetName, String protocol, String clientAddress,
      String connectionId) {
    this.target = target;
    this.targetName = targetName;
    this.protocol = protocol;
    this.clientAddress = clientAddress;
    this.connectionId = connectionId;
  }

  /** The client's address as the records name it. */
  public String clientAddress() {
    return clientAddress;
  }

  /** {@code connection.opened}, less the database opened, which each protocol names its own way. */
  public Map<String, Object> opened(boolean tls) {
    Map<String, Object> data = connection();
    data.put("protocol", protocol);
    data.put("client_address", clientAddress);
    data.put("tls", tls);
    return data;
  }

  /** {@code connection.refused}: {@code why} is the session's reason or the gateway's own word. */
  public Map<String, Object> refused(String why) {
    Map<String, Object> data = connection();
    data.put("protocol", protocol);
    data.put("client_address", clientAddress);
    data.put("why", why);
    return data;
  }

  /** {@code statement.executed}: the digest always, the text only with {@code audit_statements: full}. */
  public Map<String, Object> statement(String text, long durationMs, String outcome) {
    Map<String, Object> data = connection();
    data.put("sha256", StatementDigest.sha256(text));
    if (target != null && target.auditStatements() == DatabaseTarget.AuditStatements.FULL) data.put("text", text);
    data.put("duration_ms", durationMs);
    data.put("outcome", outcome);
    return data;
  }

  /** {@code connection.closed}; {@code extra} (may be null) adds what the ending knows, such as the reason. */
  public Map<String, Object> closed(String why, Map<String, Object> extra, long activeMessages, long bytesIn,
      long bytesOut, long durationMs) {
    Map<String, Object> data = connection();
    data.put("why", why);
    if (extra != null) data.putAll(extra);
    data.put("active_messages", activeMessages);
    data.put("bytes_in", bytesIn);
    data.put("bytes_out", bytesOut);
    data.put("duration_ms", durationMs);
    return data;
  }

  private Map<String, Object> connection() {
    Map<String, Object> data = new LinkedHashMap<>();
    data.put("target", targetName);
    data.put("connection_id", connectionId);
    return data;
  }
}
