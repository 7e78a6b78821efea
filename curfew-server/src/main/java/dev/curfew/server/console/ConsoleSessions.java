package dev.curfew.server.console;

import dev.curfew.core.Audience;
import dev.curfew.core.Decision;
import dev.curfew.core.Policy;
import dev.curfew.core.SessionEngine;
import dev.curfew.core.SessionSearch;
import dev.curfew.server.http.EventHub;
import dev.curfew.server.http.HolderRoutes;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * Every call the console makes into the session engine, in one place: opening and checking the
 * console's own sessions, searching live sessions, and the session-holder endpoints of the console
 * session. (Revocations and policy versions go through the API's handlers, which call the engine
 * themselves.) When the engine moves behind an asynchronous store, these few calls are what move.
 */
final class ConsoleSessions {
  /**
   * Console sessions' subjects are the key's name under this prefix, apart from the apps' subjects.
   * The key is read back from the subject only of a session whose audience is {@code console},
   * which only {@link #open} gives (the API refuses it), so the binding cannot be forged.
   */
  static final String SUBJECT_PREFIX = "console:";
  /** The actor that {@code session.created} names for a console session. */
  static final String ACTOR = "console";

  private final SessionEngine engine;
  private final EventHub hub;

  ConsoleSessions(SessionEngine engine, EventHub hub) {
    this.engine = Objects.requireNonNull(engine, "engine");
    this.hub = Objects.requireNonNull(hub, "hub");
  }

  /** Opens a console session for the key {@code keyName} under the console policy; audited as {@code session.created}. */
  Decision open(String keyName, ConsoleScope scope) {
    // The attributes are for people reading the list; the guard decides on the audience and the subject.
    return engine.open(SUBJECT_PREFIX + keyName, ConsolePolicy.NAME,
        Map.of("api_key", keyName, "scope", scope.label()), Audience.CONSOLE, ACTOR);
  }

  /** The key a console session was opened with: from the subject of a session of audience {@code console}. */
  static java.util.Optional<String> keyOf(dev.curfew.core.SessionStatus s) {
    if (!s.audience().admits(Audience.CONSOLE) || !s.subject().startsWith(SUBJECT_PREFIX)) {
      return java.util.Optional.empty();
    }
    return java.util.Optional.of(s.subject().substring(SUBJECT_PREFIX.length()));
  }

  /**
   * Checks a console session token; with {@code touch} it counts as activity, and the session's
   * event streams (curfew.js in the operator's tabs) learn the new deadline.
   */
  Decision check(String token, boolean touch) {
    Decision d = engine.check(token, touch, Audience.CONSOLE);
    if (touch && d.allowed()) HolderRoutes.announce(hub, d.status());
    return d;
  }

  /** A page of live sessions (passive); blocking for large tables: call off the event loop. */
  /** The live sessions of exactly {@code subject}, oldest first, passive. */
  java.util.List<dev.curfew.core.SessionStatus> sessionsOf(String subject) {
    return engine.sessionsOf(subject);
  }

  SessionSearch.Page search(String query, SessionSearch.Cursor after, int limit) {
    return engine.search(query, after, limit);
  }

  /** The current version of the console's policy. */
  Optional<Policy> policy() {
    return engine.policies().current(ConsolePolicy.NAME);
  }

  /** The session-holder endpoints (status, extend, warning-ack, logout, events) for the console cookie. */
  HolderRoutes holderRoutes(String cookieName, Duration durableTimeout, Duration heartbeat) {
    return HolderRoutes.forGateway(dev.curfew.core.SessionStore.of(engine), hub, List.of(cookieName), durableTimeout,
        heartbeat);
  }
}
