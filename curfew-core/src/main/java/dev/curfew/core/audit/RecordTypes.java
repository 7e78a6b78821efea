package dev.curfew.core.audit;

/** The closed set of audit record types (spec/audit.md), plus those the docs add with reasons. */
public final class RecordTypes {
  public static final String SESSION_CREATED = "session.created";
  public static final String WARNING_SENT = "session.warning_sent";
  public static final String WARNING_ACKNOWLEDGED = "session.warning_acknowledged";
  public static final String EXTENDED = "session.extended";
  public static final String EXTENSION_REFUSED = "session.extension_refused";
  public static final String EXPIRED = "session.expired";
  public static final String REVOKED = "session.revoked";
  public static final String LOGGED_OUT = "session.logged_out";
  public static final String REFUSED = "session.refused";
  /** The token was rotated ({@code renew_every}); see docs/contract-changes.md. */
  public static final String ROTATED = "session.rotated";
  /**
   * An idle-expired session was continued by a new one ({@code resume_within}): recorded on the old
   * session, with {@code resumed_by}; see {@link dev.curfew.core.Resumption}.
   */
  public static final String RESUMED = "session.resumed";
  /** A policy change applied to a live session shortened its deadlines. */
  public static final String POLICY_APPLIED = "session.policy_applied";
  /** An app was told (webhook, back-channel logout) that a session ended: one per delivery attempt. */
  public static final String NOTIFIED = "session.notified";
  public static final String POLICY_CHANGED = "policy.changed";
  public static final String NODE_STARTED = "node.started";
  public static final String NODE_STOPPED = "node.stopped";
  /** The wall clock was stepped (the node's clock did not follow); see docs/contract-changes.md. */
  public static final String CLOCK_STEPPED = "clock.stepped";
  /** A torn last line was cut from the log on restart. */
  public static final String LOG_REPAIRED = "log.repaired";
  /**
   * An identity provider's logout token was received: {@code outcome} {@code accepted} (with the
   * sessions it ended) or {@code refused} (with the {@code why}); see docs/contract-changes.md.
   */
  public static final String IDP_LOGOUT = "idp.logout";
  /** A protocol gateway let a client in (spec/protocol-gateways.md, "Audit records"). */
  public static final String CONNECTION_OPENED = "connection.opened";
  /** A protocol gateway's client connection ended, with why and its counters. */
  public static final String CONNECTION_CLOSED = "connection.closed";
  /** A protocol gateway turned a client away (dead token, wrong subject, TLS required, bad frames ...). */
  public static final String CONNECTION_REFUSED = "connection.refused";
  /** One statement a client ran through a database gateway ({@code audit_statements: digest|full}). */
  public static final String STATEMENT_EXECUTED = "statement.executed";
  /** One tool call an agent made through the MCP gateway: tool, arguments' digest, outcome, duration. */
  public static final String AGENT_TOOL_CALLED = "agent.tool_called";

  /**
   * The trail itself was read: a query, an export, an evidence bundle or proof, a verification
   * (spec/audit.md: reads are recorded with their actor; PCI DSS v4.0 requirement 10.2.1.3 asks that
   * access to audit logs be logged).
   */
  public static final String AUDIT_READ = "audit.read";
  /**
   * A legal hold was placed on a subject's or a period's records: they are not archived while it
   * stands (docs/audit.md, "Retention and legal holds"). Data: {@code hold_id}, {@code subject} or
   * {@code from}/{@code to}, {@code reason_text}, {@code actor}.
   */
  public static final String AUDIT_HOLD_PLACED = "audit.hold_placed";
  /** A legal hold was lifted. Data: {@code hold_id}, {@code reason_text}, {@code actor}. */
  public static final String AUDIT_HOLD_LIFTED = "audit.hold_lifted";
  /** The types an edge may append through {@code SessionStore#recordGatewayEvent}: nothing of the lifecycle. */
  public static final java.util.Set<String> GATEWAY_EVENTS =
      java.util.Set.of(CONNECTION_OPENED, CONNECTION_CLOSED, CONNECTION_REFUSED, STATEMENT_EXECUTED,
          AGENT_TOOL_CALLED);

  private RecordTypes() {}
}
