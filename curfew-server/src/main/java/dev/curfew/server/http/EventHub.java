package dev.curfew.server.http;

import dev.curfew.core.SessionEvents;
import io.vertx.core.Vertx;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The fan-out of session events to Server-Sent Event streams. The engine calls {@link #publish}
 * under a session's lock, from the timer thread or a request's thread; publishing therefore only
 * serializes the event once and hands the frame to each stream's own Vert.x context with {@code
 * runOnContext}, which keeps the order of one session's events on each stream and never blocks.
 *
 * <p>Limits: at most {@code maxStreamsPerSession} streams follow one session (a tab bomb cannot
 * pin the server) and {@code maxStreams} in all; beyond them a new stream is refused.
 */
public final class EventHub implements SessionEvents {
  public static final int DEFAULT_MAX_STREAMS_PER_SESSION = 16;
  public static final int DEFAULT_MAX_STREAMS = 100_000;

  /** After these events the session is over and its streams are closed. */
  static final Set<String> ENDING_EVENTS = Set.of("expired", "revoked", "logged_out");

  private final Vertx vertx;
  private final int maxStreamsPerSession;
  private final int maxStreams;
  private final Map<String, Set<EventStream>> bySession = new ConcurrentHashMap<>();
  private final AtomicInteger streams = new AtomicInteger();
  /** Streams told of every session's changes ({@link SessionChanges}). */
  private final Set<SessionChanges.Watcher> watchers = ConcurrentHashMap.newKeySet();

  /** The most streams that follow every session's changes at once. */
  public static final int MAX_WATCHERS = 64;

  public EventHub(Vertx vertx) {
    this(vertx, DEFAULT_MAX_STREAMS_PER_SESSION, DEFAULT_MAX_STREAMS);
  }

  public EventHub(Vertx vertx, int maxStreamsPerSession, int maxStreams) {
    this.vertx = Objects.requireNonNull(vertx, "vertx");
    if (maxStreamsPerSession < 1) throw new IllegalArgumentException("maxStreamsPerSession < 1: " + maxStreamsPerSession);
    if (maxStreams < 1) throw new IllegalArgumentException("maxStreams < 1: " + maxStreams);
    this.maxStreamsPerSession = maxStreamsPerSession;
    this.maxStreams = maxStreams;
  }

  Vertx vertx() {
    return vertx;
  }

  public int maxStreamsPerSession() {
    return maxStreamsPerSession;
  }

  public int maxStreams() {
    return maxStreams;
  }

  @Override
  public int publish(String sessionId, String event, Map<String, Object> data) {
    // Watchers are lists, not pages of the session: they are not counted as the session's streams.
    for (SessionChanges.Watcher w : watchers) w.offer(sessionId, event);
    Set<EventStream> set = bySession.get(sessionId);
    if (set == null || set.isEmpty()) return 0;
    String frame = EventStream.frame(event, data);
    boolean ending = ENDING_EVENTS.contains(event);
    int delivered = 0;
    for (EventStream s : set) {
      if (s.offer(frame, ending)) delivered++;
    }
    return delivered;
  }

  /** Live streams following {@code sessionId}. */
  public int streams(String sessionId) {
    Set<EventStream> set = bySession.get(sessionId);
    return set == null ? 0 : set.size();
  }

  /** Live streams in all. */
  public int streams() {
    return streams.get();
  }

  /** Whether a new stream was admitted, or which limit refused it. */
  enum Admission { ADMITTED, SESSION_LIMIT, TOTAL_LIMIT }

  Admission admit(EventStream s) {
    if (streams.incrementAndGet() > maxStreams) {
      streams.decrementAndGet();
      return Admission.TOTAL_LIMIT;
    }
    boolean[] added = {false};
    bySession.compute(s.sessionId(), (id, set) -> {
      Set<EventStream> out = set == null ? ConcurrentHashMap.newKeySet() : set;
      if (out.size() < maxStreamsPerSession) added[0] = out.add(s);
      return out;
    });
    if (!added[0]) {
      streams.decrementAndGet();
      return Admission.SESSION_LIMIT;
    }
    return Admission.ADMITTED;
  }

  /** Admits a stream of every session's changes; false beyond {@link #MAX_WATCHERS}. */
  synchronized boolean watch(SessionChanges.Watcher w) {
    if (watchers.size() >= MAX_WATCHERS) return false;
    return watchers.add(w);
  }

  void unwatch(SessionChanges.Watcher w) {
    watchers.remove(w);
  }

  /** Streams following every session's changes. */
  public int watchers() {
    return watchers.size();
  }

  void remove(EventStream s) {
    bySession.computeIfPresent(s.sessionId(), (id, set) -> {
      if (set.remove(s)) streams.decrementAndGet();
      return set.isEmpty() ? null : set;
    });
  }

  /** Ends every stream (server shutdown); clients reconnect elsewhere and get a fresh status. */
  public void closeAll() {
    for (Set<EventStream> set : bySession.values()) {
      for (EventStream s : set) s.closeLater();
    }
    for (SessionChanges.Watcher w : watchers) w.closeLater();
  }
}
