package dev.curfew.server.console;

import dev.curfew.core.Audience;
import dev.curfew.core.Decision;
import dev.curfew.core.Policy;
import dev.curfew.core.SessionSearch;
import dev.curfew.core.SessionStatus;
import dev.curfew.core.SessionStore;
import dev.curfew.server.http.EventHub;
import dev.curfew.server.http.HolderRoutes;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * Every call the console makes into the session store, in one place: opening and checking the
 * console's own sessions, searching live sessions, and the session-holder endpoints of the console
 * session. (Revocations and policy versions go through the API's handlers, which call the store
 * themselves.) Every answer is asynchronous, as the store's are: the console works the same over
 * the embedded store and over Redis.
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

  private final SessionStore store;
  private final EventHub hub;

  ConsoleSessions(SessionStore store, EventHub hub) {
    this.store = Objects.requireNonNull(store, "store");
    this.hub = Objects.requireNonNull(hub, "hub");
  }

  /** Opens a console session for the key {@code keyName} under the console policy; audited as {@code session.created}. */
  CompletableFuture<Decision> open(String keyName, ConsoleScope scope) {
    // The attributes are for people reading the list; the guard decides on the audience and the subject.
    return store.open(SUBJECT_PREFIX + keyName, ConsolePolicy.NAME,
        Map.of("api_key", keyName, "scope", scope.label()), Audience.CONSOLE, ACTOR);
  }

  /** The key a console session was opened with: from the subject of a session of audience {@code console}. */
  static Optional<String> keyOf(SessionStatus s) {
    if (!s.audience().admits(Audience.CONSOLE) || !s.subject().startsWith(SUBJECT_PREFIX)) {
      return Optional.empty();
    }
    return Optional.of(s.subject().substring(SUBJECT_PREFIX.length()));
  }

  /**
   * Checks a console session token; with {@code touch} it counts as activity, and the session's
   * event streams (curfew.js in the operator's tabs) learn the new deadline.
   */
  CompletableFuture<Decision> check(String token, boolean touch) {
    return store.check(token, touch, Audience.CONSOLE).thenApply(d -> {
      if (touch && d.allowed()) HolderRoutes.announce(hub, d.status());
      return d;
    });
  }

  /** The live sessions of exactly {@code subject}, oldest first, passive. */
  CompletableFuture<List<SessionStatus>> sessionsOf(String subject) {
    return store.sessionsOf(subject);
  }

  /** A page of live sessions, passive; never blocks the caller ({@link SessionStore#search}). */
  CompletableFuture<SessionSearch.Page> search(SessionSearch.Query query) {
    return store.search(query);
  }

  /** The current version of the console's policy. */
  Optional<Policy> policy() {
    return store.policies().current(ConsolePolicy.NAME);
  }

  /** The session-holder endpoints (status, extend, warning-ack, logout, events) for the console cookie. */
  HolderRoutes holderRoutes(String cookieName, Duration durableTimeout, Duration heartbeat) {
    return HolderRoutes.forGateway(store, hub, List.of(cookieName), durableTimeout, heartbeat);
  }
}
