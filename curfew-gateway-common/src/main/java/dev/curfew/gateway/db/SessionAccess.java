package dev.curfew.gateway.db;

import dev.curfew.core.Audience;
import dev.curfew.core.Decision;
import dev.curfew.core.EndReason;
import dev.curfew.core.SessionStatus;
import dev.curfew.core.SessionStore;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;

/**
 * What the gateway asks of the session store, in one place: checking a token (with or without
 * counting activity) and appending its audit records. The gateway never knows which store answers.
 */
public final class SessionAccess {
  private final SessionStore store;
  private final DatabaseTarget target;
  private final Audience audience;
  private final LoginGuard guard;

  public SessionAccess(SessionStore store, DatabaseTarget target) {
    this(store, target, LoginGuard.NONE);
  }

  /** {@code guard}: the bound on guessing tokens that {@link #login(String, String, String)} asks and tells. */
  public SessionAccess(SessionStore store, DatabaseTarget target, LoginGuard guard) {
    this.store = Objects.requireNonNull(store, "store");
    this.target = Objects.requireNonNull(target, "target");
    this.audience = Audience.of(target.audience());
    this.guard = Objects.requireNonNull(guard, "guard");
  }

  /**
   * The one store call that decides whether a connection may go on. A database connection's
   * audience is {@link DatabaseTarget#audience()}.
   */
  public CompletableFuture<Decision> check(String token, boolean touch) {
    try {
      // The database's own place: a session opened for the web, another database or the console does not pass.
      return store.check(token, touch, audience);
    } catch (IllegalArgumentException malformed) {
      // A password that is no token at all is refused like an unknown token.
      return CompletableFuture.completedFuture(new Decision(Decision.Verdict.ENDED, null, EndReason.UNKNOWN,
          malformed.getMessage(), null, CompletableFuture.completedFuture(null)));
    }
  }

  /**
   * A client's login with {@code token} as {@code user}: admitted ({@link Login#why()} null) when the
   * session is live at this database, its subject is {@code user} and, when the target names a
   * {@code policy}, the session is governed by that policy. Every refusal is decided before the
   * session is touched, so an attempt that is turned away never counts as the session's activity;
   * an admitted login counts once.
   */
  public CompletableFuture<Login> login(String token, String user) {
    return login(token, user, true);
  }

  /**
   * As {@link #login(String, String)}; an admitted login counts as activity only when {@code
   * touch}: a MySQL client cancels a statement by logging in anew to send KILL, and a cancel is
   * passive (spec/protocol-gateways.md).
   */
  public CompletableFuture<Login> login(String token, String user, boolean touch) {
    return check(token, false).handle((d, e) -> e == null ? d : null).thenCompose(d -> {
      Login refused = refusal(d, user);
      if (refused != null) return CompletableFuture.completedFuture(refused);
      if (!touch) return CompletableFuture.completedFuture(new Login(null, d.status()));
      return check(token, true).handle((t, e) -> {
        Login late = refusal(e == null ? t : null, user);
        return late != null ? late : new Login(null, t.status());
      });
    });
  }

  /**
   * As {@link #login(String, String)}, from {@code clientAddress}, under the {@link LoginGuard}: an
   * address whose failures are used up is refused ({@link LoginGuard#RATE_LIMITED}, with {@link
   * Login#limited()}) before the token is looked at; a login that was a guess ({@link
   * LoginGuard#isGuess}) is told to the guard. A guard that fails to answer lets the login through
   * (the store still decides; the guard only slows guessers).
   */
  public CompletableFuture<Login> login(String token, String user, String clientAddress) {
    return login(token, user, clientAddress, true);
  }

  /** As {@link #login(String, String, String)}; the admitted login touches the session only when {@code touch}. */
  public CompletableFuture<Login> login(String token, String user, String clientAddress, boolean touch) {
    return LoginGuard.ask(guard, clientAddress).thenCompose(r -> {
      if (r != null) return CompletableFuture.completedFuture(new Login(LoginGuard.RATE_LIMITED, null, r));
      return login(token, user, touch).thenApply(l -> {
        if (LoginGuard.isGuess(l.why())) guard.failed(clientAddress);
        return l;
      });
    });
  }

  /** Why {@code d} does not admit {@code user} here, or null when it does. */
  private Login refusal(Decision d, String user) {
    if (d == null || d.verdict() == Decision.Verdict.UNAVAILABLE) return new Login(UNAVAILABLE, null);
    if (!d.allowed()) return new Login(d.refusalReason(), null);
    SessionStatus s = d.status();
    if (!s.subject().equals(user)) return new Login(WRONG_SUBJECT, s);
    if (target.policy() != null && !target.policy().equals(s.policy())) return new Login(WRONG_POLICY, s);
    return null;
  }

  /** The refusal word of a store that cannot be reached (fail closed). */
  public static final String UNAVAILABLE = "unavailable";
  /** The refusal word of a user name that is not the session's subject. */
  public static final String WRONG_SUBJECT = "wrong_subject";
  /** The refusal word of a session under another policy than the database's {@code policy}. */
  public static final String WRONG_POLICY = "wrong_policy";

  /**
   * The answer to a login.
   *
   * @param why null when admitted, else the {@code why} of {@code connection.refused}: {@link
   *     #UNAVAILABLE}, the session's reason (or {@code wrong_audience}), {@link #WRONG_SUBJECT} or {@link #WRONG_POLICY}
   * @param status the session's status where one is known (admitted, wrong subject, wrong policy)
   * @param limited the guard's refusal when {@code why} is {@link LoginGuard#RATE_LIMITED}, else null
   */
  public record Login(String why, SessionStatus status, LoginGuard.Refusal limited) {
    public Login(String why, SessionStatus status) {
      this(why, status, null);
    }

    public boolean admitted() {
      return why == null;
    }

    /** The session the attempt is recorded under, or null. */
    public String sessionId() {
      return status == null ? null : status.sessionId();
    }
  }

  /** Appends a connection.* or statement.executed record; completes when it is durable. */
  public CompletableFuture<Void> record(String sessionId, String type, Map<String, Object> data) {
    return store.recordGatewayEvent(sessionId, type, data);
  }

  public DatabaseTarget target() {
    return target;
  }
}
