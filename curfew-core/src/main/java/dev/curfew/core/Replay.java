package dev.curfew.core;

import dev.curfew.core.audit.RecordTypes;
import dev.curfew.core.audit.Times;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Rebuilds session state after a restart: start from the last snapshot, apply every audit record
 * written after it, and bind token hashes from the token journal. What the log cannot know (a
 * touch after the snapshot) makes a recovered idle deadline earlier, never later: recovery may end
 * a session early, never late.
 */
public final class Replay {
  private final Map<String, Session> sessions = new LinkedHashMap<>();
  private final Map<String, List<AuditSink.TokenBinding>> bindings = new LinkedHashMap<>();
  private final Policies policies;
  private long records;

  public Replay(Policies policies, Collection<SessionSnapshot> snapshot) {
    this.policies = policies;
    for (SessionSnapshot snap : snapshot) {
      sessions.put(snap.sessionId(), snap.toSession(policies));
    }
  }

  /** A token journal entry: the newest binding of a session is its token, the one before its previous. */
  public void bind(AuditSink.TokenBinding b) {
    bindings.computeIfAbsent(b.sessionId(), k -> new ArrayList<>(2)).add(b);
  }

  /** Applies one audit record (parsed JSON object), in {@code seq} order. */
  @SuppressWarnings("unchecked")
  public void apply(Map<String, Object> record) {
    records++;
    String type = (String) record.get("type");
    Map<String, Object> data = (Map<String, Object>) record.getOrDefault("data", Map.of());
    if (RecordTypes.POLICY_CHANGED.equals(type)) {
      Map<String, Object> values = new LinkedHashMap<>(data);
      values.put("policy", data.get("name"));
      values.put("policy_version", data.get("version"));
      policies.restore(SessionSnapshot.policyFrom(values));
      return;
    }
    String id = (String) record.get("session_id");
    if (id == null) return;
    long timeMs = Times.parse((String) record.get("time"));
    if (RecordTypes.SESSION_CREATED.equals(type)) {
      if (sessions.containsKey(id)) return; // already in the snapshot: replay is idempotent
      Map<String, Object> values = new LinkedHashMap<>(data);
      values.put("policy", record.get("policy"));
      values.put("policy_version", record.get("policy_version"));
      Policy p = SessionSnapshot.policyFrom(values);
      long absolute = Times.parse((String) data.get("absolute_expires_at"));
      long created = absolute - p.absoluteTimeoutMs();
      Map<String, Object> attributes = (Map<String, Object>) data.getOrDefault("attributes", Map.of());
      if (data.get("parent_session_id") instanceof String parent) {
        // Kept beside the caller's attributes, as the store keeps it (SessionAttributes.PARENT_SESSION_ID).
        attributes = new LinkedHashMap<>(attributes);
        attributes.put(SessionAttributes.PARENT_SESSION_ID, parent);
      }
      Session s = new Session(id, (String) record.get("subject"), p, created, attributes,
          // A record written before audiences existed: the session passes no enforcement point.
          Audience.fromStored(data.get("audience")));
      s.tokenIssuedAtMs = created;
      s.lastActivityAtMs = created;
      s.idleExpiresAtMs = Times.parse((String) data.get("idle_expires_at"));
      s.absoluteExpiresAtMs = absolute;
      s.resumedFrom((String) data.get("resumed_from"));
      sessions.put(id, s);
      return;
    }
    Session s = sessions.get(id);
    if (s != null && RecordTypes.RESUMED.equals(type)) {
      s.resumedBy((String) data.get("resumed_by")); // on an ended session: it is not resumed twice
      return;
    }
    if (s == null || s.ended()) return;
    switch (type) {
      case RecordTypes.EXTENDED: {
        s.extensionsUsed = ((Number) data.get("extensions_used")).intValue();
        long idle = Times.parse((String) data.get("idle_expires_at"));
        s.idleExpiresAtMs = Math.max(s.idleExpiresAtMs, idle);
        s.lastActivityAtMs = Math.max(s.lastActivityAtMs, idle - s.policy.idleTimeoutMs());
        break;
      }
      case RecordTypes.WARNING_SENT:
        s.warnedForMs = Times.parse((String) data.get("expires_at"));
        break;
      case RecordTypes.WARNING_ACKNOWLEDGED:
        s.acknowledgedForMs(Times.parse((String) data.get("expires_at")));
        break;
      case RecordTypes.POLICY_APPLIED:
        s.idleExpiresAtMs = Times.parse((String) data.get("idle_expires_at"));
        s.absoluteExpiresAtMs = Times.parse((String) data.get("absolute_expires_at"));
        if (data.containsKey("idle_timeout_ms")) {
          // The narrowed values the session runs under from here on: a restart must not loosen them.
          Map<String, Object> values = new LinkedHashMap<>(data);
          values.put("policy", record.get("policy"));
          values.put("policy_version", record.get("policy_version"));
          s.policy = SessionSnapshot.policyFrom(values);
        }
        break;
      case RecordTypes.EXPIRED:
        end(s, EndReason.fromWire((String) data.get("reason")), Times.parse((String) data.get("detected_at")));
        break;
      case RecordTypes.REVOKED:
        end(s, revokedFor(data.get("reason")), timeMs);
        break;
      case RecordTypes.LOGGED_OUT:
        end(s, EndReason.LOGGED_OUT, timeMs);
        break;
      default:
        break;
    }
  }

  /**
   * A revocation's reason as recorded ({@code revoked}, {@code replayed}, {@code idp_logout},
   * {@code concurrency_limit}, {@code parent_ended}); older records have none.
   */
  private static EndReason revokedFor(Object recorded) {
    for (EndReason r : List.of(EndReason.REPLAYED, EndReason.IDP_LOGOUT, EndReason.CONCURRENCY_LIMIT,
        EndReason.PARENT_ENDED)) {
      if (r.wire().equals(recorded)) return r;
    }
    return EndReason.REVOKED;
  }

  private static void end(Session s, EndReason reason, long atMs) {
    s.endReason = reason;
    s.endedAtMs(atMs);
  }

  public long recordsApplied() {
    return records;
  }

  /** The rebuilt sessions; a session whose token hash is unknown cannot be presented and is dropped. */
  public List<SessionSnapshot> result() {
    List<SessionSnapshot> out = new ArrayList<>(sessions.size());
    for (Session s : sessions.values()) {
      for (AuditSink.TokenBinding b : bindings.getOrDefault(s.id(), List.of())) {
        if (!s.tokenIs(b.tokenHash())) {
          TokenHash current = s.tokenHash();
          s.previous = current == null ? null : new Session.PreviousToken(current, Long.MIN_VALUE, null);
          s.setToken(b.tokenHash());
          s.tokenIssuedAtMs = b.issuedAtMs();
        }
      }
      if (s.hasToken()) {
        out.add(SessionSnapshot.of(s));
      }
    }
    return out;
  }
}
