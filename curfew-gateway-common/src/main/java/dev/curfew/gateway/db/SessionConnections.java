package dev.curfew.gateway.db;

import dev.curfew.core.EndReason;
import dev.curfew.core.SessionEvents;
import dev.curfew.core.audit.Times;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The gateway's connections by session, following the session events the server publishes (this
 * node's and, with several nodes, the others'): a {@code warning} goes to every connection of the
 * session, an ending ({@code expired}, {@code revoked}, {@code logged_out}) ends them all at once,
 * a {@code status} (after a policy applied to the live session) tells them its idle timeout.
 * One session may hold several connections (two psql windows); they share one clock and one end.
 */
public final class SessionConnections implements SessionEvents {
  private static final Set<String> ENDINGS = Set.of("expired", "revoked", "logged_out");

  private final Map<String, Set<GovernedConnection>> bySession = new ConcurrentHashMap<>();

  public void add(String sessionId, GovernedConnection c) {
    // In one step with the set's lookup: remove() on another event loop may drop a set it emptied.
    bySession.compute(sessionId, (id, set) -> {
      Set<GovernedConnection> s = set == null ? ConcurrentHashMap.newKeySet() : set;
      s.add(c);
      return s;
    });
  }

  public void remove(String sessionId, GovernedConnection c) {
    bySession.computeIfPresent(sessionId, (id, set) -> {
      set.remove(c);
      return set.isEmpty() ? null : set;
    });
  }

  /** Connections held under {@code sessionId}. */
  public int count(String sessionId) {
    Set<GovernedConnection> set = bySession.get(sessionId);
    return set == null ? 0 : set.size();
  }

  /** Connections held in all. */
  public int count() {
    return bySession.values().stream().mapToInt(Set::size).sum();
  }

  @Override
  public int publish(String sessionId, String event, Map<String, Object> data) {
    if (event.equals("warning")) {
      Set<GovernedConnection> set = bySession.get(sessionId);
      if (set == null) return 0;
      long expiresAtMs = Times.parse(String.valueOf(data.get("expires_at")));
      long secondsLeft = ((Number) data.get("seconds_left")).longValue();
      for (GovernedConnection c : set) c.warn(expiresAtMs, secondsLeft);
      return set.size();
    }
    if (event.equals("extended")) {
      Set<GovernedConnection> set = bySession.get(sessionId);
      if (set == null) return 0;
      for (GovernedConnection c : set) c.extended();
      return 0;
    }
    if (event.equals("status")) {
      Set<GovernedConnection> set = bySession.get(sessionId);
      if (set == null) return 0;
      Object idleExpiresAt = data.get("idle_expires_at");
      Object lastActivityAt = data.get("last_activity_at");
      if (idleExpiresAt == null || lastActivityAt == null) return 0;
      long idleTimeoutMs = Times.parse(idleExpiresAt.toString()) - Times.parse(lastActivityAt.toString());
      for (GovernedConnection c : set) c.idleTimeoutChanged(idleTimeoutMs);
      return set.size();
    }
    if (ENDINGS.contains(event)) {
      Set<GovernedConnection> set = bySession.remove(sessionId);
      if (set == null) return 0;
      EndReason reason = EndReason.fromWire(String.valueOf(data.get("reason")));
      for (GovernedConnection c : set) c.end(reason);
      return set.size();
    }
    return 0;
  }
}
