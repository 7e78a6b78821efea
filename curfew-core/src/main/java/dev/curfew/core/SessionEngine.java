package dev.curfew.core;

import dev.curfew.core.AuditSink.TokenBinding;
import dev.curfew.core.audit.AuditRecord;
import dev.curfew.core.audit.RecordTypes;
import dev.curfew.core.schedule.StaggeredWheels;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.locks.LockSupport;

/**
 * The session state machine: every operation of a session's life, each taking {@code now} from the
 * one clock, changing state under the session's lock, and handing the audit records it produced to
 * the {@link AuditSink} in the same critical section, so that no code path changes a session
 * without recording it.
 *
 * <p>Validity is decided on every call by comparing {@code now} with the deadlines, so enforcement
 * is exact whether or not a timer has fired. Timers (a {@link dev.curfew.core.schedule.TimerWheel} with 1 ms ticks, driven by
 * {@link #advanceTimers()}) only make endings and warnings prompt. A touch moves the idle deadline
 * without touching the wheel: a timer that fires before the session's next event simply re-arms
 * (unless a warning was sent and the next one now comes before the timer: {@link
 * Deadlines#rearmAfterActivity}).
 */
public final class SessionEngine {
  /** See {@link SessionRules}: the rules of every store live there. */
  public static final long DEFAULT_ENDED_RETENTION_MS = SessionRules.DEFAULT_ENDED_RETENTION_MS;
  public static final int MAX_ATTRIBUTES = SessionRules.MAX_ATTRIBUTES;
  public static final int MAX_SUBJECT_LENGTH = SessionRules.MAX_SUBJECT_LENGTH;

  private final Clock clock;
  private final String node;
  private final Policies policies;
  private final SessionRecords records;
  private final AuditSink sink;
  private final SessionEvents events;
  private final EngineMetrics metrics;
  private final Limits limits;
  private final SessionTable table = new SessionTable();
  /**
   * The deadline scheduler: 256 timing wheels staggered over 4,096 ms (one bucket of the third
   * level), so that re-hashing a coarse bucket of deadlines is spread over 256 ticks instead of one
   * (at a million sessions expiring over 20 s, one wheel's share of such a bucket is about 1,600
   * timers: a fraction of a millisecond). Their buckets are made on first use, so the wheels cost
   * little until they hold timers.
   */
  private final StaggeredWheels<Session> wheel;
  private static final int WHEEL_SHARDS = 256;
  private static final long WHEEL_SPREAD_MS = 4_096;

  /**
   * Bounds on what the engine holds, and on how long a rotated-out token is still honoured.
   *
   * @param rotationGrace how long the previous token of a rotation gets the new token instead of a
   *     replay verdict
   */
  public record Limits(int maxLiveSessions, long endedRetentionMs, RotationGrace rotationGrace) {
    public Limits {
      if (maxLiveSessions < 1) throw new IllegalArgumentException("maxLiveSessions < 1: " + maxLiveSessions);
      if (endedRetentionMs < 0) throw new IllegalArgumentException("endedRetentionMs < 0: " + endedRetentionMs);
      Objects.requireNonNull(rotationGrace, "rotationGrace");
    }

    public Limits(int maxLiveSessions, long endedRetentionMs) {
      this(maxLiveSessions, endedRetentionMs, RotationGrace.DEFAULT);
    }

    public static Limits defaults() {
      return new Limits(10_000_000, DEFAULT_ENDED_RETENTION_MS);
    }

    public Limits withRotationGrace(RotationGrace grace) {
      return new Limits(maxLiveSessions, endedRetentionMs, grace);
    }
  }

  public SessionEngine(Clock clock, String node, Policies policies, AuditSink sink, SessionEvents events,
      EngineMetrics metrics, Limits limits) {
    this.clock = Objects.requireNonNull(clock, "clock");
    this.node = Objects.requireNonNull(node, "node");
    this.records = new SessionRecords(node);
    this.policies = Objects.requireNonNull(policies, "policies");
    this.sink = Objects.requireNonNull(sink, "sink");
    this.events = events == null ? SessionEvents.NONE : events;
    this.metrics = metrics == null ? EngineMetrics.NONE : metrics;
    this.limits = limits == null ? Limits.defaults() : limits;
    this.wheel = new StaggeredWheels<>(clock.millis(), WHEEL_SHARDS, WHEEL_SPREAD_MS, Session::idHash);
  }

  public Clock clock() { return clock; }
  public String node() { return node; }
  public Policies policies() { return policies; }
  public int liveSessions() { return table.liveCount(); }
  public int pendingTimers() { synchronized (wheel) { return wheel.size(); } }

  // ---------------------------------------------------------------- open

  /**
   * Opens a session that the embedding program itself asks for (benchmarks, the policy explainer):
   * actor {@value #LOCAL_ACTOR}, audience {@code app:}{@value #LOCAL_ACTOR}.
   */
  public Decision open(String subject, String policyName, Map<String, Object> attributes) {
    return open(subject, policyName, attributes, Audience.app(LOCAL_ACTOR), LOCAL_ACTOR);
  }

  /** The actor of sessions the embedding program opens itself. */
  public static final String LOCAL_ACTOR = SessionRules.LOCAL_ACTOR;

  /**
   * Opens a session for {@code subject} under {@code policyName} (null: the default policy).
   *
   * @param attributes the caller's notes; none in the reserved namespace ({@link SessionAttributes})
   * @param audience where the session may be used
   * @param actor who opens it: an API key's name, {@code console}, {@code gateway:ROUTE}
   */
  public Decision open(String subject, String policyName, Map<String, Object> attributes, Audience audience,
      String actor) {
    return open(OpenRequest.of(policies, subject, policyName, attributes, audience, actor));
  }

  /** Most distinct audiences {@link #shared} keeps; past that, each session keeps its own. */
  private static final int SHARED_AUDIENCES = 1024;
  private final Map<Audience, Audience> sharedAudiences = new java.util.concurrent.ConcurrentHashMap<>();

  /**
   * One instance per distinct audience (an immutable value), so that a million sessions opened for
   * the same few places do not hold a million copies of them.
   */
  private Audience shared(Audience a) {
    Audience known = sharedAudiences.get(a);
    if (known != null) return known;
    if (sharedAudiences.size() >= SHARED_AUDIENCES) return a;
    known = sharedAudiences.putIfAbsent(a, a);
    return known == null ? a : known;
  }

  /** Opens the session a validated request describes ({@link OpenRequest#of}, {@link OpenRequest#child}). */
  public Decision open(OpenRequest request) {
    String subject = request.subject();
    Audience audience = shared(request.audience());
    String actor = request.actor();
    Policy policy = request.policy();
    Map<String, Object> attrs = request.attributes();
    if (!sink.writable()) return Decision.unavailable("the audit log cannot be written");
    if (table.liveCount() >= limits.maxLiveSessions()) {
      return Decision.unavailable("live session limit reached (" + limits.maxLiveSessions() + ")");
    }
    // Every opening of a subject holds the subject's lock, so that counting its live sessions and
    // adding one are one step: no interleaving of openings lets the subject exceed its limit.
    synchronized (subjectLocks[Math.floorMod(subject.hashCode(), SUBJECT_LOCKS)]) {
      Session resumes = resumable(subject, policy.name(), audience);
      if (!policy.concurrency().limited()) {
        return openNow(Tokens.newSessionId(), subject, policy, attrs, audience, actor, resumes);
      }
      return openWithin(policy.concurrency(), subject, policy, attrs, audience, actor, resumes, request.parentSessionId());
    }
  }

  /**
   * The idle-expired session a new one of {@code subject} under {@code policyName} with
   * {@code audience} continues ({@link Resumption}), or null. A live session of the subject whose
   * idle deadline has passed but whose timer has not fired yet is ended first, so that resuming is
   * as exact as enforcement. The caller holds the subject's lock, so no two openings take the same one.
   */
  private Session resumable(String subject, String policyName, Audience audience) {
    if (!table.mayResume()) return null; // no session ever could be resumed: nothing to walk
    long now = clock.millis();
    for (Session s : table.bySubject(subject)) {
      synchronized (s) {
        if (!s.ended() && now >= s.expiresAtMs() && s.policy.resumeWithin() != null) expire(s, now, "request");
      }
    }
    Session best = null;
    long bestExpiredAtMs = Long.MIN_VALUE;
    for (Session s : table.resumableOf(subject)) {
      synchronized (s) {
        if (s.audience.equals(audience) && s.idleExpiresAtMs > bestExpiredAtMs
            && Resumption.qualifies(s.endReason, s.idleExpiresAtMs, s.policy, s.resumedBy(), policyName, now)) {
          best = s;
          bestExpiredAtMs = s.idleExpiresAtMs;
        }
      }
    }
    return best;
  }

  /**
   * Opens a session under a policy that limits the subject's concurrent sessions: counts the
   * subject's live sessions (those the limit's scope counts), then refuses the opening or ends the
   * oldest ones, each recorded with the new session that displaced it. A child session never ends
   * its own parent ({@code parentId}) to make room: it ends older others, or, when they are too few,
   * is refused (the person asked for one more session, not to be signed out of the one they asked
   * from). The caller holds the subject's lock.
   */
  private Decision openWithin(ConcurrencyLimit limit, String subject, Policy policy, Map<String, Object> attrs,
      Audience audience, String actor, Session resumes, String parentId) {
    long now = clock.millis();
    List<Session> live = new ArrayList<>();
    for (Session s : table.bySubject(subject)) {
      synchronized (s) {
        if (!s.ended() && now < s.expiresAtMs() && limit.counts(audience, s.audience)) live.add(s);
      }
    }
    int excess = live.size() + 1 - limit.maxSessionsPerSubject();
    String id = Tokens.newSessionId();
    if (excess <= 0) return openNow(id, subject, policy, attrs, audience, actor, resumes);
    // Oldest first; within one millisecond, in the order they were opened here.
    live.sort((a, b) -> a.createdAtMs != b.createdAtMs ? Long.compare(a.createdAtMs, b.createdAtMs)
        : Session.openedBefore(a, b));
    List<Object> liveIds = new ArrayList<>();
    List<Session> displaceable = new ArrayList<>();
    for (Session s : live) {
      liveIds.add(s.id());
      if (!s.id().equals(parentId)) displaceable.add(s);
    }
    if (limit.whenExceeded() == ConcurrencyLimit.WhenExceeded.REFUSE_NEW || displaceable.size() < excess) {
      AuditRecord r = records.openingRefused(new SessionRecords.About(id, subject, policy.name(), policy.version()),
          now, limit, liveIds, actor, audience);
      return new Decision(Decision.Verdict.REFUSED, null, EndReason.CONCURRENCY_LIMIT,
          ConcurrencyLimit.refusal(subject, live.size(), policy.name(), limit), null,
          sink.append(List.of(r), List.of()));
    }
    List<CompletableFuture<Void>> futures = new ArrayList<>();
    for (int i = 0; i < excess; i++) {
      Session s = displaceable.get(i);
      synchronized (s) {
        long at = clock.millis();
        if (s.ended() || at >= s.expiresAtMs()) continue; // ended meanwhile: it no longer counts
        AuditRecord r = records.displaced(s.about(), at, ConcurrencyLimit.displacement(limit), id);
        futures.add(end(s, EndReason.CONCURRENCY_LIMIT, at, r));
      }
    }
    Decision opened = openNow(id, subject, policy, attrs, audience, actor, resumes);
    futures.add(opened.durable());
    return new Decision(opened.verdict(), opened.status(), null, null, opened.token(),
        CompletableFuture.allOf(futures.toArray(new CompletableFuture<?>[0])));
  }

  private static final int SUBJECT_LOCKS = 256;
  /** Counts openings, to order sessions opened within one millisecond. */
  private final java.util.concurrent.atomic.AtomicLong openings = new java.util.concurrent.atomic.AtomicLong();
  private final Object[] subjectLocks = newLocks(SUBJECT_LOCKS);

  private static Object[] newLocks(int n) {
    Object[] locks = new Object[n];
    for (int i = 0; i < n; i++) locks[i] = new Object();
    return locks;
  }

  /**
   * Opens session {@code id}: state, indexes, timer and its {@code session.created} record together;
   * when it {@code resumes} an idle-expired session (null: none), the {@code session.resumed} record
   * on that one in the same batch.
   */
  private Decision openNow(String id, String subject, Policy policy, Map<String, Object> attrs, Audience audience,
      String actor, Session resumes) {
    long now = clock.millis();
    String token = Tokens.newToken();
    Session s = new Session(id, subject, policy, now, attrs, audience);
    s.resumedFrom(resumes == null ? null : resumes.id());
    s.setToken(TokenHash.of(token));
    s.openedSeq = (int) openings.incrementAndGet();
    s.tokenIssuedAtMs = now;
    s.lastActivityAtMs = now;
    s.idleExpiresAtMs = Math.addExact(now, policy.idleTimeoutMs());
    s.absoluteExpiresAtMs = Math.addExact(now, policy.absoluteTimeoutMs());
    synchronized (s) {
      List<AuditRecord> batch = new ArrayList<>(2);
      batch.add(records.created(s.about(), now, policy, s.idleExpiresAtMs, s.absoluteExpiresAtMs, attrs, actor,
          audience, s.resumedFrom()));
      if (resumes != null) {
        synchronized (resumes) {
          resumes.resumedBy(id);
          batch.add(records.resumed(resumes.about(), now, id, resumes.idleExpiresAtMs, actor));
        }
        table.notResumable(resumes);
      }
      table.insert(s);
      schedule(s, s.nextEventMs());
      CompletableFuture<Void> durable = sink.append(batch, List.of(new TokenBinding(s.id(), s.tokenHash(), now)));
      SessionStatus status = s.status(now);
      // No page follows a session yet; lists of sessions (the admin console's) learn of it here,
      // from its id: the data is built only if some follower reads it.
      events.publish(s.id(), "status", new LazyMap(status::toMap));
      return new Decision(Decision.Verdict.ALLOWED, status, null, null, token, durable);
    }
  }

  // ---------------------------------------------------------------- token operations

  /**
   * Checks a session token at this instant; with {@code touch}, records activity (resets the idle
   * deadline). A token of an ended session is refused with the reason it ended.
   */
  public Decision check(String token, boolean touch) {
    return check(token, touch, null);
  }

  /**
   * Checks a session token at an enforcement point that speaks for {@code usedAt}: a session
   * whose audience does not admit it is refused ({@link Decision.Verdict#WRONG_AUDIENCE}) without
   * being touched, and the refusal is recorded at most once a second. Null: the session's own
   * holder endpoints, which are not a place.
   */
  public Decision check(String token, boolean touch, Audience usedAt) {
    if (!sink.writable()) return Decision.unavailable("the audit log cannot be written");
    TokenHash hash = hashOf(token);
    Session s = hash == null ? null : table.byToken(hash);
    if (s == null) {
      metrics.checked(EndReason.UNKNOWN.wire());
      return Decision.ended(EndReason.UNKNOWN, null, Decision.DONE);
    }
    synchronized (s) {
      if (!s.tokenIs(hash) && !hash.equals(s.previousTokenHash())) {
        // Rotated out twice between the lookup and the lock: the token is no longer this session's.
        metrics.checked(EndReason.UNKNOWN.wire());
        return Decision.ended(EndReason.UNKNOWN, null, Decision.DONE);
      }
      long now = clock.millis();
      Decision refused = refuseIfEnded(s, hash, now);
      if (refused != null) return refused;
      if (usedAt != null && !s.audience.admits(usedAt)) return wrongAudience(s, usedAt, now);
      String newToken = null;
      List<AuditRecord> rotated = List.of();
      List<TokenBinding> bindings = List.of();
      if (touch) {
        long previous = s.expiresAtMs();
        s.lastActivityAtMs = now;
        s.idleExpiresAtMs = Math.addExact(now, s.policy.idleTimeoutMs());
        rearmAfterActivity(s, previous);
      }
      if (!s.tokenIs(hash)) {
        // The previous token within its grace (refuseIfEnded let it through): hand it the current one.
        newToken = SealedToken.open(s.previous.sealed, token);
        if (newToken == null) throw new IllegalStateException(s.id() + ": the sealed token does not open");
      } else if (touch && s.policy.renewEvery() != null && (usedAt == null || usedAt.takesNewTokens())
          && now - s.tokenIssuedAtMs >= s.policy.renewEvery().toMillis()) {
        newToken = rotate(s, token, now);
        rotated = List.of(records.rotated(s.about(), now));
        bindings = List.of(new TokenBinding(s.id(), s.tokenHash(), now));
      }
      metrics.checked("valid");
      CompletableFuture<Void> durable = rotated.isEmpty() ? Decision.DONE : sink.append(rotated, bindings);
      return new Decision(Decision.Verdict.ALLOWED, s.status(now), null, null, newToken, durable);
    }
  }

  /**
   * Replaces the token of {@code s}, presented as {@code current}: the current one becomes the
   * previous one, honoured for the rotation grace, with the new token sealed under it. Returns the new token.
   */
  private String rotate(Session s, String current, long now) {
    String newToken = Tokens.newToken();
    long graceMs = limits.rotationGrace().windowMs(s.policy.renewEvery().toMillis());
    Session.PreviousToken rotatedOut = new Session.PreviousToken(s.tokenHash(), now + graceMs,
        graceMs > 0 ? SealedToken.seal(newToken, current) : null);
    table.rotate(s, TokenHash.of(newToken), rotatedOut);
    s.tokenIssuedAtMs = now;
    return newToken;
  }

  /** The user's explicit extension: resets the idle deadline if the policy allows one more. */
  public Decision extend(String token) {
    return onValidSession(token, (s, now) -> {
      String refusal = Refusals.extensionRefusal(s.extensionsUsed, s.policy.maxExtensions(), s.idleExpiresAtMs,
          s.absoluteExpiresAtMs);
      if (refusal != null) {
        String why = Refusals.extensionText(refusal, s.policy.maxExtensions(), s.absoluteExpiresAtMs);
        CompletableFuture<Void> durable = Decision.DONE;
        SessionRecords.About about = s.about();
        if (s.refusalRecordDue(now)) {
          durable = sink.append(List.of(records.extensionRefused(about, now, why, s.takeRepeats())), List.of());
        } else {
          s.holdBack((atMs, repeats) -> records.extensionRefused(about, atMs, why, repeats));
        }
        return new Decision(Decision.Verdict.REFUSED, s.status(now), null, why, null, durable);
      }
      long previous = s.expiresAtMs();
      s.lastActivityAtMs = now;
      s.idleExpiresAtMs = Math.addExact(now, s.policy.idleTimeoutMs());
      s.extensionsUsed++;
      rearmAfterActivity(s, previous);
      AuditRecord r = records.extended(s.about(), now, previous, s.expiresAtMs(), s.extensionsUsed, s.idleExpiresAtMs);
      CompletableFuture<Void> durable = sink.append(List.of(r), List.of());
      SessionStatus status = s.status(now);
      events.publish(s.id(), "extended", status.toMap());
      events.publish(s.id(), "status", status.toMap());
      return Decision.allowed(status, durable);
    });
  }

  /**
   * The user saw the warning: recorded as proof that the user was told. Only a warning that was
   * sent can be acknowledged, and each only once ({@link Decision.Verdict#REFUSED} otherwise, the
   * refusal recorded at most once a second): the holder cannot write records at will.
   */
  public Decision acknowledgeWarning(String token) {
    return onValidSession(token, (s, now) -> {
      if (!s.warningUnacknowledged()) {
        String refusal = s.warnedForMs == Long.MIN_VALUE ? Refusals.NO_WARNING_SENT
            : Refusals.WARNING_ALREADY_ACKNOWLEDGED;
        return new Decision(Decision.Verdict.REFUSED, s.status(now), null, Refusals.acknowledgementText(refusal), null,
            refusedRecord(s, now, refusal, null));
      }
      s.acknowledgedForMs(s.warnedForMs);
      AuditRecord r = records.warningAcknowledged(s.about(), now, s.warnedForMs);
      return Decision.allowed(s.status(now), sink.append(List.of(r), List.of()));
    });
  }

  /** Logout: the token is dead from this instant. */
  public Decision logout(String token) {
    return onValidSession(token, (s, now) -> {
      CompletableFuture<Void> durable = end(s, EndReason.LOGGED_OUT, now, records.loggedOut(s.about(), now));
      return Decision.allowed(s.status(now), durable);
    });
  }

  /** An operation on a session whose token was just found valid, under the session's lock. */
  @FunctionalInterface
  private interface SessionOperation {
    Decision apply(Session s, long nowMs);
  }

  /**
   * Fail closed, find the session of {@code token}, and under its lock refuse an ended one (or
   * end it if a deadline passed); only a valid session reaches {@code op}.
   */
  private Decision onValidSession(String token, SessionOperation op) {
    if (!sink.writable()) return Decision.unavailable("the audit log cannot be written");
    TokenHash hash = hashOf(token);
    Session s = hash == null ? null : table.byToken(hash);
    if (s == null) return Decision.ended(EndReason.UNKNOWN, null, Decision.DONE);
    synchronized (s) {
      if (!s.tokenIs(hash) && !hash.equals(s.previousTokenHash())) {
        return Decision.ended(EndReason.UNKNOWN, null, Decision.DONE); // rotated out meanwhile
      }
      long now = clock.millis();
      Decision refused = refuseIfEnded(s, hash, now);
      return refused != null ? refused : op.apply(s, now);
    }
  }

  // ---------------------------------------------------------------- backend operations

  /** The status of a session by id, passive. */
  public Decision get(String sessionId) {
    if (!sink.writable()) return Decision.unavailable("the audit log cannot be written");
    Session s = sessionId == null ? null : table.byId(sessionId);
    if (s == null) return new Decision(Decision.Verdict.NOT_FOUND, null, null, null, null, Decision.DONE);
    synchronized (s) {
      long now = clock.millis();
      if (!s.ended() && now >= s.expiresAtMs()) {
        CompletableFuture<Void> durable = expire(s, now, "request");
        return Decision.ended(s.endReason, s.status(now), durable);
      }
      if (s.ended()) return Decision.ended(s.endReason, s.status(now), Decision.DONE);
      return Decision.allowed(s.status(now), Decision.DONE);
    }
  }

  /**
   * Records that the end of a session was (or could not be) told to an app: one {@code
   * session.notified} record per delivery attempt (see docs/contract-changes.md). Changes nothing
   * about the session. Returns when the record is durable; a session already forgotten is not recorded.
   */
  public CompletableFuture<Void> recordNotification(String sessionId, Map<String, Object> data) {
    Session s = sessionId == null ? null : table.byId(sessionId);
    if (s == null) return Decision.DONE;
    synchronized (s) {
      return sink.append(List.of(records.notified(s.about(), clock.millis(), data)), List.of());
    }
  }

  /**
   * Records what a protocol gateway saw ({@link RecordTypes#GATEWAY_EVENTS}): under the session when
   * it is known here, else a record without session fields. Changes nothing about any session.
   */
  public CompletableFuture<Void> recordGatewayEvent(String sessionId, String type, Map<String, Object> data) {
    SessionRecords.requireGatewayType(type);
    Objects.requireNonNull(data, "data");
    Session s = sessionId == null ? null : table.byId(sessionId);
    if (s == null) {
      return sink.append(List.of(records.gatewayEvent(null, clock.millis(), type, data)), List.of());
    }
    synchronized (s) {
      return sink.append(List.of(records.gatewayEvent(s.about(), clock.millis(), type, data)), List.of());
    }
  }

  /**
   * Records a step of the wall clock ({@code clock.stepped}); changes no session, since deadlines are
   * measured on the node's clock, which does not follow the step. Returns when the record is durable.
   */
  public CompletableFuture<Void> recordClockStep(ClockStep step, String detectedBy) {
    Objects.requireNonNull(step, "step");
    return sink.append(List.of(step.record(node, detectedBy)), List.of());
  }

  /** Revokes one session; {@code actor} is the API key's name. */
  public Decision revoke(String sessionId, String actor, String reasonText) {
    return revoke(sessionId, actor, reasonText, EndReason.REVOKED);
  }

  /** Ends one session for {@code reason}: {@link EndReason#REVOKED} or {@link EndReason#PARENT_ENDED}. */
  public Decision revoke(String sessionId, String actor, String reasonText, EndReason reason) {
    SessionStore.revocable(reason);
    if (!sink.writable()) return Decision.unavailable("the audit log cannot be written");
    Session s = sessionId == null ? null : table.byId(sessionId);
    if (s == null) return new Decision(Decision.Verdict.NOT_FOUND, null, null, null, null, Decision.DONE);
    synchronized (s) {
      long now = clock.millis();
      if (!s.ended() && now >= s.expiresAtMs()) {
        expire(s, now, "request");
      }
      if (s.ended()) return Decision.ended(s.endReason, s.status(now), Decision.DONE);
      CompletableFuture<Void> durable = end(s, reason, now, records.revoked(s.about(), now, reason, actor, reasonText));
      return Decision.allowed(s.status(now), durable);
    }
  }

  /** Revokes every live session of {@code subject}. */
  public Revocation revokeSubject(String subject, String actor, String reasonText) {
    if (!sink.writable()) return new Revocation(-1, Decision.DONE);
    List<CompletableFuture<Void>> futures = new ArrayList<>();
    int n = 0;
    for (Session s : table.bySubject(subject)) {
      synchronized (s) {
        long now = clock.millis();
        if (s.ended()) continue;
        if (now >= s.expiresAtMs()) {
          futures.add(expire(s, now, "request"));
          continue;
        }
        futures.add(end(s, EndReason.REVOKED, now, revokedRecord(s, now, actor, reasonText)));
        n++;
      }
    }
    return new Revocation(n, CompletableFuture.allOf(futures.toArray(new CompletableFuture<?>[0])));
  }

  /**
   * Ends every live session that an identity provider's logout matches (see {@link IdpLogout}) with
   * reason {@link EndReason#IDP_LOGOUT}, then records the logout ({@code idp.logout}). Without a
   * {@code sid} only the subject's sessions are candidates; with one, every session is looked at
   * (an IdP's {@code sub} need not be the Curfew subject), which costs a pass over the table.
   */
  public Revocation endIdpSessions(IdpLogout logout) {
    Objects.requireNonNull(logout, "logout");
    if (!sink.writable()) return new Revocation(-1, Decision.DONE);
    Iterable<Session> candidates = logout.bySubjectOnly() ? table.bySubject(logout.subject()) : table.all();
    List<CompletableFuture<Void>> futures = new ArrayList<>();
    List<Object> ended = new ArrayList<>();
    for (Session s : candidates) {
      if (!logout.matches(s.subject, s.attributes)) continue; // both are final: no lock needed to look
      synchronized (s) {
        long now = clock.millis();
        if (s.ended()) continue;
        if (now >= s.expiresAtMs()) {
          futures.add(expire(s, now, "request"));
          continue;
        }
        AuditRecord r = records.revoked(s.about(), now, EndReason.IDP_LOGOUT, logout.actor(), logout.reasonText());
        futures.add(end(s, EndReason.IDP_LOGOUT, now, r));
        ended.add(s.id());
      }
    }
    futures.add(sink.append(List.of(records.idpLogoutAccepted(clock.millis(), logout, ended)), List.of()));
    return new Revocation(ended.size(), CompletableFuture.allOf(futures.toArray(new CompletableFuture<?>[0])));
  }

  /** Appends an {@code audit.read} record: who read which part of the trail. */
  public CompletableFuture<Void> recordAuditRead(Map<String, Object> data) {
    return sink.append(List.of(records.auditRead(clock.millis(), data)), List.of());
  }

  /** Records a refused logout token ({@code idp.logout}, outcome {@code refused}); changes no session. */
  public CompletableFuture<Void> recordIdpLogoutRefused(Map<String, Object> data) {
    return sink.append(List.of(records.idpLogoutRefused(clock.millis(), data)), List.of());
  }

  /** Live sessions of a subject, passive. */
  public List<SessionStatus> sessionsOf(String subject) {
    List<SessionStatus> out = new ArrayList<>();
    for (Session s : table.bySubject(subject)) {
      synchronized (s) {
        long now = clock.millis();
        if (!s.ended() && now < s.expiresAtMs()) out.add(s.status(now));
      }
    }
    out.sort((a, b) -> Long.compare(a.createdAtMs(), b.createdAtMs()));
    return out;
  }

  /**
   * A page of live sessions for an administrator, passive: all, those whose subject contains
   * {@code query} ignoring case, or the one whose id {@code query} is; see {@link SessionSearch}.
   *
   * @param after where the page starts (null: the first page)
   * @param limit 1 to {@link SessionSearch#MAX_LIMIT}
   */
  public SessionSearch.Page search(String query, SessionSearch.Cursor after, int limit) {
    return search(new SessionSearch.Query(query, null, after, limit));
  }

  /** As {@link #search(String, SessionSearch.Cursor, int)}, with every filter of a {@link SessionSearch.Query}. */
  public SessionSearch.Page search(SessionSearch.Query query) {
    return SessionSearch.search(table, clock, query);
  }

  // ---------------------------------------------------------------- policies

  /**
   * Makes {@code values} the next version of its policy, recorded as {@code policy.changed}. Live
   * sessions keep the version they opened with, unless {@code applyToLive}: then every live session
   * of that policy moves to the new version, which may only shorten deadlines (each change to a
   * session is recorded as {@code session.policy_applied}; one whose new deadline has passed ends; one
   * already past its own deadline ends as it would have, and is neither changed nor counted).
   */
  public PolicyChange changePolicy(Policy values, boolean applyToLive, String actor) {
    Policy current = policies.current(values.name()).orElse(null);
    if (applyToLive && current != null) current.requireNotLoosenedBy(values);
    if (!sink.writable()) return new PolicyChange(null, 0, Decision.DONE);
    Policy stored;
    CompletableFuture<Void> recorded;
    synchronized (policies) {
      stored = policies.add(values);
      recorded = sink.append(List.of(records.policyChanged(clock.millis(), stored, actor)), List.of());
    }
    List<CompletableFuture<Void>> futures = new ArrayList<>();
    futures.add(recorded);
    int applied = 0;
    if (applyToLive) {
      table.sawPolicy(stored); // before any session runs under it: an opening meanwhile looks for resumable ones
      for (Session s : table.all()) {
        synchronized (s) {
          if (s.ended() || !s.policy.name().equals(stored.name())) continue;
          long now = clock.millis();
          if (now >= s.expiresAtMs()) {
            // Past its deadline already (its timer has not fired): not live, so it ends as it would
            // have, at its own deadline, and the new version is not applied to it (as session.lua does).
            futures.add(expire(s, now, "request"));
            continue;
          }
          long previous = s.expiresAtMs();
          // Field by field the tighter of what the session ran under and the new version: a session
          // still on an older, tighter version than the current one is never loosened.
          s.policy = s.policy.narrowedBy(stored);
          s.idleExpiresAtMs = Math.min(s.idleExpiresAtMs, s.lastActivityAtMs + s.policy.idleTimeoutMs());
          s.absoluteExpiresAtMs = Math.min(s.absoluteExpiresAtMs, s.createdAtMs + s.policy.absoluteTimeoutMs());
          futures.add(sink.append(List.of(records.policyApplied(s.about(), now, previous, s.idleExpiresAtMs,
              s.absoluteExpiresAtMs, s.policy)), List.of()));
          applied++;
          if (now >= s.expiresAtMs()) {
            futures.add(expire(s, now, "request"));
          } else {
            schedule(s, s.nextEventMs());
            events.publish(s.id(), "status", s.status(now).toMap());
          }
        }
      }
    }
    return new PolicyChange(stored, applied, CompletableFuture.allOf(futures.toArray(new CompletableFuture<?>[0])));
  }

  // ---------------------------------------------------------------- timers

  /**
   * Fires every timer due at the clock's current instant: warnings, expiries, and the forgetting
   * of ended sessions. The server calls this every millisecond from one thread; tests call it
   * after moving a manual clock.
   */
  public int advanceTimers() {
    List<Session> due = new ArrayList<>();
    synchronized (wheel) {
      wheel.advance(clock.millis(), due::add);
    }
    for (Session s : due) {
      onTimer(s);
    }
    return due.size();
  }

  /**
   * A lower bound of the next instant a timer is due (Long.MAX_VALUE: none): what a virtual-time
   * driver steps to, so that timers fire at their exact instants.
   */
  public long nextTimerMs() {
    synchronized (wheel) {
      return wheel.nextDeadlineMs();
    }
  }

  private void onTimer(Session s) {
    synchronized (s) {
      long now = clock.millis();
      if (s.ended()) {
        if (now >= s.endedAtMs() + limits.endedRetentionMs()) {
          writeHeldBack(s, now);
          table.purge(s);
        } else {
          schedule(s, s.endedAtMs() + limits.endedRetentionMs());
        }
        return;
      }
      if (now >= s.expiresAtMs()) {
        expire(s, now, "timer");
        return;
      }
      if (s.warningDue() && now >= s.warningAtMs()) {
        long expiresAt = s.expiresAtMs();
        s.warnedForMs = expiresAt;
        // Built only if a follower reads it: on the deadline thread, most warnings reach no stream.
        int delivered = events.publish(s.id(), "warning", new LazyMap(() -> SessionEvents.warningData(expiresAt, now)));
        sink.append(List.of(records.warningSent(s.about(), now, expiresAt, delivered)), List.of());
      }
      schedule(s, s.nextEventMs());
    }
  }

  /**
   * Activity moved the session's expiry from {@code previousExpiresAtMs}: its timer stays where it
   * is (it fires no later than the next event, and re-arms), unless {@link
   * Deadlines#rearmAfterActivity} says the warning for the new expiry now comes before it.
   */
  private void rearmAfterActivity(Session s, long previousExpiresAtMs) {
    if (Deadlines.rearmAfterActivity(previousExpiresAtMs, s.warnedForMs, s.nextEventMs())) schedule(s, s.nextEventMs());
  }

  private void schedule(Session s, long atMs) {
    synchronized (wheel) {
      wheel.schedule(s, atMs);
    }
    // Read after the wheel's lock: a driver that planned its sleep before this timer was in the wheel
    // published its waking instant before it read the wheel, so it is seen here (see driverSleepUntil).
    if (atMs < driverWakesAtMs) LockSupport.unpark(driverThread);
  }

  // ---------------------------------------------------------------- the deadline driver's sleep

  /** The instant the sleeping deadline driver wakes at; Long.MIN_VALUE while it is awake (or there is none). */
  private volatile long driverWakesAtMs = Long.MIN_VALUE;
  private volatile Thread driverThread;

  /**
   * For the deadline driver about to sleep: the instant to wake at, which is the wheel's next timer
   * (a lower bound) or {@code maxSleepMs} from now, whichever comes first. Until {@link
   * #driverAwake()}, a timer scheduled before that instant unparks {@code driver}, so a session
   * opened or changed meanwhile is not late.
   */
  long driverSleepUntil(Thread driver, long maxSleepMs) {
    driverThread = driver;
    long wakeAt = clock.millis() + maxSleepMs;
    // Published before the wheel is read: a timer scheduled after the read compares itself with it.
    driverWakesAtMs = wakeAt;
    long next = nextTimerMs();
    if (next < wakeAt) {
      wakeAt = next;
      driverWakesAtMs = next; // a timer before it still unparks; one between it and the cap need not
    }
    return wakeAt;
  }

  /** The deadline driver is awake: timers scheduled now are seen by its next plan, no unpark needed. */
  void driverAwake() {
    driverWakesAtMs = Long.MIN_VALUE;
  }

  // ---------------------------------------------------------------- endings

  private CompletableFuture<Void> expire(Session s, long now, String detectedBy) {
    long deadline = s.expiresAtMs();
    EndReason reason = s.timeoutReason();
    long lateness = now - deadline;
    metrics.expired(detectedBy, lateness);
    AuditRecord r = records.expired(s.about(), now, reason, deadline, s.lastActivityAtMs, detectedBy);
    return end(s, reason, now, r);
  }

  /** The one place a session ends: state, index, timer, event and record together. */
  private CompletableFuture<Void> end(Session s, EndReason reason, long now, AuditRecord r) {
    if (s.ended()) {
      throw new IllegalStateException("session " + s.id() + " already ended: " + s.endReason.wire());
    }
    s.endReason = reason;
    s.endedAtMs(now);
    if (s.previous != null) s.previous.sealed = null;
    // The record before the subject index forgets the session: an opening that no longer counts
    // it (SessionEngine#openWithin) comes after its ending in the trail too.
    CompletableFuture<Void> durable = sink.append(List.of(r), List.of());
    table.ended(s);
    schedule(s, now + limits.endedRetentionMs());
    events.publish(s.id(), reason.event(), new LazyMap(() -> SessionEvents.endedData(reason, now)));
    return durable;
  }

  /**
   * Under the session's lock: refuses a token whose session has ended (or ends it now if a deadline
   * passed), records replays, and ends a session whose rotated-out token comes back after its
   * rotation grace. Null: valid (the current token, or the previous one within its grace).
   */
  private Decision refuseIfEnded(Session s, TokenHash presented, long now) {
    if (!s.ended() && presented.equals(s.previousTokenHash()) && now >= s.previousGraceUntilMs()) {
      AuditRecord r = records.replayed(s.about(), now);
      metrics.checked(EndReason.REPLAYED.wire());
      return Decision.ended(EndReason.REPLAYED, null, end(s, EndReason.REPLAYED, now, r));
    }
    if (!s.ended() && now >= s.expiresAtMs()) {
      CompletableFuture<Void> durable = expire(s, now, "request");
      metrics.checked(s.endReason.wire());
      return Decision.ended(s.endReason, null, durable);
    }
    if (!s.ended()) return null;
    metrics.checked(s.endReason.wire());
    return Decision.ended(s.endReason, null, refusedRecord(s, now, s.endReason.wire(), null));
  }

  /** A live session presented where its audience does not reach: refused, untouched, recorded at most once a second. */
  private Decision wrongAudience(Session s, Audience usedAt, long now) {
    metrics.checked(Decision.WRONG_AUDIENCE_REASON);
    CompletableFuture<Void> durable = refusedRecord(s, now, Decision.WRONG_AUDIENCE_REASON, usedAt);
    return new Decision(Decision.Verdict.WRONG_AUDIENCE, null, null, Refusals.wrongAudienceText(s.audience, usedAt),
        null, durable);
  }

  /**
   * A {@code session.refused} record, unless one was written for this session less than a second
   * ago (spec/audit.md: "at most one record per session per second; the rest are counted in
   * {@code repeats}"): then the refusal is only counted.
   */
  private CompletableFuture<Void> refusedRecord(Session s, long now, String reason, Audience usedAt) {
    SessionRecords.About about = s.about();
    if (!s.refusalRecordDue(now)) {
      s.holdBack((atMs, repeats) -> records.refused(about, atMs, reason, repeats, usedAt));
      return Decision.DONE;
    }
    return sink.append(List.of(records.refused(about, now, reason, s.takeRepeats(), usedAt)), List.of());
  }

  /**
   * Writes every session's held-back refusals now (a clean stop, before {@code node.stopped}), so
   * that none is left uncounted; returns when those records are durable.
   */
  public CompletableFuture<Void> writeHeldBackRefusals() {
    List<AuditRecord> held = new ArrayList<>();
    long now = clock.millis();
    for (Session s : table.all()) {
      synchronized (s) {
        AuditRecord r = s.takeHeldBack(now);
        if (r != null) held.add(r);
      }
    }
    return held.isEmpty() ? Decision.DONE : sink.append(held, List.of());
  }

  /**
   * Under the session's lock, before it is forgotten: writes the refusals held back since its last
   * refusal record (the last of them, counting the others), which no later refusal will count now.
   */
  private void writeHeldBack(Session s, long now) {
    AuditRecord held = s.takeHeldBack(now);
    if (held != null) sink.append(List.of(held), List.of());
  }

  private AuditRecord revokedRecord(Session s, long now, String actor, String reasonText) {
    return records.revoked(s.about(), now, EndReason.REVOKED, actor, reasonText);
  }

  private static TokenHash hashOf(String token) {
    return Tokens.wellFormed(token) ? TokenHash.of(token) : null;
  }

  // ---------------------------------------------------------------- invariants and export

  /**
   * Checks what must always hold, and throws IllegalStateException naming the first violation:
   * every live session has a pending timer no later than its next event, and no live session is
   * past its deadline by more than the time since the last {@link #advanceTimers()}.
   */
  public void checkInvariants() {
    int live = 0;
    for (Session s : table.all()) {
      synchronized (s) {
        if (s.ended()) continue;
        live++;
        if (s.absoluteExpiresAtMs > s.createdAtMs + s.policy.absoluteTimeoutMs()) {
          throw new IllegalStateException(s.id() + ": absolute deadline moved later");
        }
        if (!s.isScheduled()) {
          throw new IllegalStateException(s.id() + ": live session without a timer");
        }
        long timerMs;
        synchronized (wheel) {
          timerMs = wheel.deadlineMs(s);
        }
        if (timerMs > s.nextEventMs()) {
          throw new IllegalStateException(s.id() + ": timer at " + timerMs + " after next event " + s.nextEventMs());
        }
      }
    }
    if (live != table.liveCount()) {
      throw new IllegalStateException("live count " + table.liveCount() + " but " + live + " live sessions");
    }
    synchronized (wheel) {
      wheel.checkInvariants();
    }
  }

  /** Every session the table holds, live and ended, as values (for snapshots). */
  public List<SessionSnapshot> snapshot() {
    List<SessionSnapshot> out = new ArrayList<>(table.size());
    for (Session s : table.all()) {
      synchronized (s) {
        out.add(SessionSnapshot.of(s));
      }
    }
    return out;
  }

  /** Installs recovered sessions (before serving) and ends those whose deadline passed meanwhile. */
  public RecoveryResult restore(Collection<SessionSnapshot> sessions) {
    long now = clock.millis();
    int recovered = 0;
    int expired = 0;
    List<CompletableFuture<Void>> futures = new ArrayList<>();
    for (SessionSnapshot snap : sessions) {
      Session s = snap.toSession(policies);
      synchronized (s) {
        table.insert(s);
        if (s.ended()) {
          schedule(s, s.endedAtMs() + limits.endedRetentionMs());
        } else if (now >= s.expiresAtMs()) {
          futures.add(expire(s, now, "recovery"));
          expired++;
        } else {
          schedule(s, s.nextEventMs());
          recovered++;
        }
      }
    }
    return new RecoveryResult(recovered, expired,
        CompletableFuture.allOf(futures.toArray(new CompletableFuture<?>[0])));
  }

  /** What {@link #restore} did: sessions live again, and sessions ended because they expired while down. */
  public record RecoveryResult(int recoveredSessions, int expiredDuringDowntime, CompletableFuture<Void> durable) {}
}
