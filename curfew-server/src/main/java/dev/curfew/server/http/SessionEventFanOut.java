package dev.curfew.server.http;

import dev.curfew.core.SessionEvents;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * The engine's one {@link SessionEvents}: every event goes to the {@link EventHub} (SSE), and the
 * endings ({@code expired}, {@code revoked}, {@code logged_out}) also to whoever else must act when
 * a session ends: the gateway cuts its long-lived connections, the notifier tells the apps. Called
 * under the session's lock like any {@link SessionEvents}: listeners hand off and return at once.
 */
public final class SessionEventFanOut implements SessionEvents {
  private static final System.Logger LOG = System.getLogger(SessionEventFanOut.class.getName());

  /** Told of each ending of a session, once. */
  @FunctionalInterface
  public interface EndingListener {
    /** {@code event} is the SSE name; {@code data} has {@code reason} and {@code expired_at}. */
    void sessionEnded(String sessionId, String event, Map<String, Object> data);
  }

  private final SessionEvents hub;
  private final List<EndingListener> listeners = new CopyOnWriteArrayList<>();
  private final List<EndingListener> originListeners = new CopyOnWriteArrayList<>();
  private final List<SessionEvents> followers = new CopyOnWriteArrayList<>();

  public SessionEventFanOut(SessionEvents hub) {
    this.hub = Objects.requireNonNull(hub, "hub");
  }

  public void addEndingListener(EndingListener listener) {
    listeners.add(Objects.requireNonNull(listener, "listener"));
  }

  /**
   * An edge told of every event of every session, this node's and the other nodes' alike (the
   * protocol gateways: a warning goes into the protocol, an ending cuts connections). Followers see
   * only core's {@link SessionEvents}, so a gateway module needs nothing of this server.
   */
  public void addFollower(SessionEvents follower) {
    followers.add(Objects.requireNonNull(follower, "follower"));
  }

  /**
   * A listener told only of endings decided on this node (the notifier: with several nodes, the
   * node that ended a session tells the apps, once).
   */
  public void addOriginEndingListener(EndingListener listener) {
    originListeners.add(Objects.requireNonNull(listener, "listener"));
  }

  /** Where other nodes' events go: the event streams and the ordinary listeners, not the origin-only ones. */
  public SessionEvents remote() {
    return (sessionId, event, data) -> deliver(sessionId, event, data, false);
  }

  @Override
  public int publish(String sessionId, String event, Map<String, Object> data) {
    return deliver(sessionId, event, data, true);
  }

  private int deliver(String sessionId, String event, Map<String, Object> data, boolean here) {
    int delivered = hub.publish(sessionId, event, data);
    for (SessionEvents f : followers) {
      try {
        delivered += f.publish(sessionId, event, data);
      } catch (RuntimeException e) {
        LOG.log(System.Logger.Level.ERROR, "session event follower failed for " + sessionId, e);
      }
    }
    if (EventHub.ENDING_EVENTS.contains(event)) {
      List<EndingListener> all = new java.util.ArrayList<>(listeners);
      if (here) all.addAll(originListeners);
      for (EndingListener l : all) {
        try {
          l.sessionEnded(sessionId, event, data);
        } catch (RuntimeException e) {
          // One listener's bug must not stop the others, nor the engine's ending.
          LOG.log(System.Logger.Level.ERROR, "ending listener failed for " + sessionId, e);
        }
      }
    }
    return delivered;
  }
}
