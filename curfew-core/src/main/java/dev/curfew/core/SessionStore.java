package dev.curfew.core;

import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * Where sessions live, as the edges (API, gateway, notifier, console) see it: every operation of a
 * session's life, answered asynchronously so that a store across the network (Redis) never
 * blocks an event loop. The embedded store answers at once ({@link #of(SessionEngine)}).
 *
 * <p>Arguments are validated before any I/O: a bad subject, an unknown policy or too many
 * attributes throw {@link IllegalArgumentException} from the call itself, never through the future.
 * A store that cannot be reached answers {@link Decision.Verdict#UNAVAILABLE} (fail closed); the
 * future fails only on a defect.
 */
public interface SessionStore {
  /** The policies sessions are opened under (versions included). */
  Policies policies();

  /** Live sessions, for the gauge; a distributed store may answer a recent count. */
  long liveSessions();

  /**
   * Opens a session for {@code subject} under {@code policyName} (null: the default policy): a
   * subject that {@link OpenRequest#of} refuses, an unknown policy, an attribute in the
   * reserved namespace, an empty audience or a missing actor throw ({@link OpenRequest#of}).
   */
  default CompletableFuture<Decision> open(String subject, String policyName, Map<String, Object> attributes,
      Audience audience, String actor) {
    return open(OpenRequest.of(policies(), subject, policyName, attributes, audience, actor));
  }

  /** Opens the session a validated request describes ({@link OpenRequest#of}, {@link OpenRequest#child}). */
  CompletableFuture<Decision> open(OpenRequest request);

  /** A session the embedding program opens itself: actor and audience {@value SessionRules#LOCAL_ACTOR}. */
  default CompletableFuture<Decision> open(String subject, String policyName, Map<String, Object> attributes) {
    return open(subject, policyName, attributes, Audience.app(SessionRules.LOCAL_ACTOR), SessionRules.LOCAL_ACTOR);
  }

  /**
   * Checks a token at this instant for the session's own holder endpoints (not a place: any
   * audience passes); with {@code touch}, records activity.
   */
  default CompletableFuture<Decision> check(String token, boolean touch) {
    return check(token, touch, null);
  }

  /**
   * Checks a token at an enforcement point that speaks for {@code usedAt}, in the same atomic step
   * as the deadlines: outside the session's audience it is {@link Decision.Verdict#WRONG_AUDIENCE},
   * untouched. Null {@code usedAt}: the holder's own endpoints.
   */
  CompletableFuture<Decision> check(String token, boolean touch, Audience usedAt);

  CompletableFuture<Decision> extend(String token);

  CompletableFuture<Decision> acknowledgeWarning(String token);

  CompletableFuture<Decision> logout(String token);

  /** A session's status by id, passive. */
  CompletableFuture<Decision> get(String sessionId);

  default CompletableFuture<Decision> revoke(String sessionId, String actor, String reasonText) {
    return revoke(sessionId, actor, reasonText, EndReason.REVOKED);
  }

  /**
   * Ends one live session, recorded as {@code session.revoked} with {@code reason}: {@link
   * EndReason#REVOKED} (an operator, an app) or {@link EndReason#PARENT_ENDED} (Curfew, for a child
   * whose parent ended); any other reason throws.
   */
  CompletableFuture<Decision> revoke(String sessionId, String actor, String reasonText, EndReason reason);

  /** The reasons {@link #revoke(String, String, String, EndReason)} takes. */
  static EndReason revocable(EndReason reason) {
    if (reason != EndReason.REVOKED && reason != EndReason.PARENT_ENDED) {
      throw new IllegalArgumentException("a revocation's reason is revoked or parent_ended, not " + reason.wire());
    }
    return reason;
  }

  CompletableFuture<Revocation> revokeSubject(String subject, String actor, String reasonText);

  /**
   * The live sessions of a subject, oldest first, passive. A store that cannot be reached fails the
   * future with {@link StoreUnavailable}.
   */
  CompletableFuture<List<SessionStatus>> sessionsOf(String subject);

  /**
   * A page of live sessions for an operator or the admin console, passive, by the rules of {@link
   * SessionSearch}: all of them, those whose subject contains a text, or the one a session id names;
   * optionally of one policy; in the order subject, opening time, id, resumed from a cursor. The
   * answer never blocks the caller's thread: a store that must look at every live session (a page
   * costs one pass) does so elsewhere, and a distributed store reads in bounded steps. A store that
   * cannot be reached fails the future.
   */
  CompletableFuture<SessionSearch.Page> search(SessionSearch.Query query);

  /**
   * A new version of {@code values}' policy, applied to its live sessions with {@code applyToLive}.
   * A store whose audit log cannot be written answers without a policy ({@link
   * PolicyChange#unavailable()}); one that cannot be reached fails the future with {@link
   * StoreUnavailable}.
   */
  CompletableFuture<PolicyChange> changePolicy(Policy values, boolean applyToLive, String actor);

  /** Records one delivery attempt of a session's end to an app ({@code session.notified}), under the session. */
  CompletableFuture<Void> recordNotification(String sessionId, Map<String, Object> data);

  /**
   * Ends, with reason {@link EndReason#IDP_LOGOUT}, every live session that {@code logout} matches
   * ({@link IdpLogout#matches}), each recorded as {@code session.revoked} by {@link IdpLogout#actor()},
   * then records the logout itself ({@code idp.logout}, outcome {@code accepted}, the ended session ids).
   * Revoked -1: the store or the audit log is unavailable.
   */
  CompletableFuture<Revocation> endIdpSessions(IdpLogout logout);

  /**
   * Records a logout token that was refused ({@code idp.logout}, outcome {@code refused}): {@code data}
   * names the provider, the error and why, and the token's {@code jti} when it could be read. Changes no session.
   */
  CompletableFuture<Void> recordIdpLogoutRefused(Map<String, Object> data);

  /**
   * Appends one record a protocol gateway made ({@link dev.curfew.core.audit.RecordTypes#GATEWAY_EVENTS}:
   * connections and statements), under the session when {@code sessionId} names a known one, else
   * without session fields (a refused connection whose token is unknown). Changes no session.
   * Completes when the record is durable.
   *
   * @throws IllegalArgumentException for any other record type
   */
  CompletableFuture<Void> recordGatewayEvent(String sessionId, String type, Map<String, Object> data);

  /**
   * The holder of {@code token} ends every other live session of its subject, wherever it is used
   * (OWASP ASVS 4.0.3 V3.3.4: users can view and log out of any or all of their active sessions).
   * The token is checked with activity (it is the user's explicit act); each other session is
   * revoked, recorded as {@code session.revoked} by actor {@code holder:<session id>}. Built on
   * {@link #check}, {@link #sessionsOf} and {@link #revoke}, so every store has it.
   */
  default CompletableFuture<OthersEnded> endOthers(String token) {
    return check(token, true).thenCompose(d -> {
      if (!d.allowed()) return CompletableFuture.completedFuture(new OthersEnded(d, 0, d.durable()));
      String own = d.status().sessionId();
      return sessionsOf(d.status().subject()).thenCompose(live -> {
        List<CompletableFuture<Decision>> each = new java.util.ArrayList<>();
        for (SessionStatus s : live) {
          if (s.sessionId().equals(own)) continue;
          each.add(revoke(s.sessionId(), HOLDER_ACTOR_PREFIX + own, "ended by its subject from session " + own));
        }
        return CompletableFuture.allOf(each.toArray(new CompletableFuture<?>[0])).thenApply(x -> {
          int ended = 0;
          List<CompletableFuture<Void>> durables = new java.util.ArrayList<>();
          durables.add(d.durable());
          for (CompletableFuture<Decision> f : each) {
            Decision r = f.join();
            if (r.verdict() == Decision.Verdict.UNAVAILABLE) return new OthersEnded(r, -1, Decision.DONE);
            if (r.allowed()) ended++;
            durables.add(r.durable());
          }
          return new OthersEnded(d, ended, CompletableFuture.allOf(durables.toArray(new CompletableFuture<?>[0])));
        });
      });
    });
  }

  /**
   * The holder of {@code parentToken} (a person signed in on the web) has a child session minted for
   * {@code audience} under {@code policyName} (null: the default policy), for the same subject, with
   * the parent recorded ({@code session.created}'s {@code parent_session_id}) and the actor {@code
   * holder:<parent id>}; the parent's token is checked with activity (the holder's explicit act). Should the parent end with a reason that ends
   * children ({@link EndReason#endsChildren}) while the child is being opened, the child is ended too,
   * so no child outlives a logout that raced its opening. Built on {@link #check}, {@link #open} and
   * {@link #get}, so every store has it.
   */
  default CompletableFuture<ChildOpened> openChild(String parentToken, String policyName, Audience audience) {
    return check(parentToken, true).thenCompose(parent -> {
      if (!parent.allowed()) return CompletableFuture.completedFuture(new ChildOpened(parent, null));
      SessionStatus p = parent.status();
      OpenRequest request = OpenRequest.child(policies(), p.sessionId(), p.subject(), policyName, audience,
          HOLDER_ACTOR_PREFIX + p.sessionId());
      return open(request).thenCompose(child -> {
        if (!child.allowed()) return CompletableFuture.completedFuture(new ChildOpened(parent, child));
        // The parent's ending may have looked for its children before this one existed: look again.
        return get(p.sessionId()).thenCompose(again -> {
          EndReason ended = again.status() == null ? null : again.status().endReason();
          if (ended == null || !ended.endsChildren()) {
            return CompletableFuture.completedFuture(new ChildOpened(parent, child));
          }
          return revoke(child.status().sessionId(), EndReason.CURFEW_ACTOR, parentEndedText(p.sessionId(), ended),
              EndReason.PARENT_ENDED).thenApply(r -> new ChildOpened(again, null));
        });
      });
    });
  }

  /**
   * What {@link #openChild} did.
   *
   * @param parent the check of the parent's token (not allowed: nothing was opened)
   * @param child the opening (null when the parent was refused, or ended meanwhile)
   */
  record ChildOpened(Decision parent, Decision child) {}

  /**
   * Ends, with reason {@link EndReason#PARENT_ENDED} (actor {@value EndReason#CURFEW_ACTOR}), every live
   * session of {@code subject} minted from {@code parentSessionId}, which ended for {@code why}.
   * Revoked -1: the store or the audit log is unavailable.
   */
  default CompletableFuture<Revocation> endChildren(String subject, String parentSessionId, EndReason why) {
    return sessionsOf(subject).thenCompose(live -> {
      List<CompletableFuture<Decision>> each = new java.util.ArrayList<>();
      for (SessionStatus s : live) {
        if (!parentSessionId.equals(SessionAttributes.parentOf(s.attributes()))) continue;
        each.add(revoke(s.sessionId(), EndReason.CURFEW_ACTOR, parentEndedText(parentSessionId, why),
            EndReason.PARENT_ENDED));
      }
      return CompletableFuture.allOf(each.toArray(new CompletableFuture<?>[0])).thenApply(x -> {
        int n = 0;
        List<CompletableFuture<Void>> durables = new java.util.ArrayList<>();
        for (CompletableFuture<Decision> f : each) {
          Decision r = f.join();
          if (r.verdict() == Decision.Verdict.UNAVAILABLE) return new Revocation(-1, Decision.DONE);
          if (r.allowed()) n++;
          durables.add(r.durable());
        }
        return new Revocation(n, CompletableFuture.allOf(durables.toArray(new CompletableFuture<?>[0])));
      });
    });
  }

  private static String parentEndedText(String parentSessionId, EndReason why) {
    return "its parent session " + parentSessionId + " ended (" + why.wire() + ")";
  }

  /** The actor prefix of a session ended by its subject's holder of another session ({@link #endOthers}). */
  String HOLDER_ACTOR_PREFIX = "holder:";

  /**
   * What {@link #endOthers} did.
   *
   * @param holder the check of the presenting token (not allowed: nothing was ended), or the
   *     UNAVAILABLE answer of a revocation when {@code ended} is -1
   * @param ended how many other sessions ended; -1: the store or the audit log is unavailable
   * @param durable completes when every record is durable
   */
  record OthersEnded(Decision holder, int ended, CompletableFuture<Void> durable) {}

  /**
   * Appends an {@code audit.read} record (who read which part of the trail), without session
   * fields. Changes no session. Completes when the record is durable.
   */
  CompletableFuture<Void> recordAuditRead(Map<String, Object> data);

  /** The embedded store: the engine itself, each answer already complete. */
  static SessionStore of(SessionEngine engine) {
    return new EngineStore(engine);
  }
}
