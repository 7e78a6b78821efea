package dev.curfew.server.http;

import dev.curfew.core.Decision;
import dev.curfew.core.SessionStore;
import dev.curfew.core.SessionStatus;
import dev.curfew.server.http.Reply.Presented;
import dev.curfew.server.security.RateLimits;
import io.vertx.core.Handler;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.Router;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * The session holder's endpoints: the token comes from {@code Authorization: Bearer} or the session
 * cookie. Each handler parses, calls one engine operation, and renders its decision. The API serves
 * them under {@code /v1/session}; the gateway serves the same handlers under {@code /_curfew/session}
 * (see {@link #mount}), where an ended session's answers also carry {@code Clear-Site-Data}.
 */
public final class HolderRoutes {
  private final SessionStore engine;
  private final EventHub hub;
  private final Reply reply;
  private final long heartbeatMs;

  HolderRoutes(SessionStore engine, EventHub hub, Reply reply, long heartbeatMs) {
    this.engine = engine;
    this.hub = hub;
    this.reply = reply;
    this.heartbeatMs = heartbeatMs;
  }

  /**
   * The gateway's flavour: the token from any of {@code cookieNames} (or Bearer), and an ended
   * session's answers (and a logout) carry {@code Clear-Site-Data} and an expired cookie.
   */
  public static HolderRoutes forGateway(SessionStore engine, EventHub hub, List<String> cookieNames,
      Duration durableTimeout, Duration heartbeat) {
    return new HolderRoutes(engine, hub, new Reply(durableTimeout.toMillis(), cookieNames, true), heartbeat.toMillis());
  }

  /**
   * Mounts the endpoints under {@code prefix} (e.g. {@code /_curfew/session}), extensions behind the
   * per-subject limit of {@code throttle}; bodies are not read.
   */
  public void mount(Router r, String prefix, Throttle throttle) {
    r.get(prefix).handler(this::status);
    r.delete(prefix).handler(this::logout);
    r.post(prefix + "/activity").handler(this::activity);
    r.post(prefix + "/extend").handler(extendLimit(throttle)).handler(this::extend);
    r.post(prefix + "/warning-ack").handler(this::warningAck);
    r.post(prefix + "/end-others").handler(this::endOthers);
    r.get(prefix + "/events").handler(this::events);
  }

  /**
   * Mounts {@code POST path} ({@link ConnectRoutes}): a holder signed in on one of {@code
   * parentAudiences} gets a child session for one of {@code targets}, within {@code limits}'
   * openings per subject.
   */
  public void mountConnect(Router r, String path, RateLimits limits,
      java.util.function.Supplier<List<ConnectRoutes.Target>> targets, java.util.Set<String> parentAudiences) {
    ConnectRoutes connect = new ConnectRoutes(engine, reply, limits, targets, parentAudiences);
    r.post(path).handler(connect::connect);
  }

  /** GET /v1/session: passive. */
  void status(RoutingContext ctx) {
    withToken(ctx, false, p -> reply.token(ctx, p, engine.check(p.token(), false), d -> {
      Map<String, Object> body = d.status().toMap();
      reply.rotated(ctx, p, d, body); // a token within its rotation grace learns the current one
      Reply.json(ctx, 200, body);
    }));
  }

  /** POST /v1/session/activity: resets the idle deadline. */
  void activity(RoutingContext ctx) {
    withToken(ctx, true, p -> reply.token(ctx, p, engine.check(p.token(), true), d -> {
      Map<String, Object> body = d.status().toMap();
      reply.rotated(ctx, p, d, body);
      announce(hub, d.status());
      Reply.json(ctx, 200, body);
    }));
  }

  /** POST /v1/session/extend: the user's explicit extension; 409 when the policy forbids it. */
  void extend(RoutingContext ctx) {
    withToken(ctx, true, p -> reply.token(ctx, p, engine.extend(p.token()),
        d -> Reply.json(ctx, 200, d.status().toMap())));
  }

  /**
   * POST /v1/session/warning-ack: audited proof that the user was told; 409 {@code
   * warning-ack-refused} when no warning was sent or it was acknowledged already
   * (docs/contract-changes.md), so that a holder cannot write records at will.
   */
  void warningAck(RoutingContext ctx) {
    withToken(ctx, true, p -> Reply.when(ctx, engine.acknowledgeWarning(p.token()), d -> {
      if (d.verdict() == Decision.Verdict.REFUSED) {
        reply.afterDurable(ctx, d.durable(), () -> Reply.problem(ctx, Problem.warningAckRefused(d.detail())));
        return;
      }
      reply.token(ctx, p, d, ok -> Reply.empty(ctx, 204));
    }));
  }

  /** DELETE /v1/session: logout; the token is dead from this instant. */
  void logout(RoutingContext ctx) {
    withToken(ctx, true, p -> reply.token(ctx, p, engine.logout(p.token()), d -> {
      if (p.fromCookie()) reply.clearCookie(ctx, p);
      Reply.empty(ctx, 204);
    }));
  }

  /**
   * POST /v1/session/end-others: the holder ends every other live session of its subject (all
   * gateways and protocols); {@code {"ended": N}}. Each is audited as revoked by {@code holder:<id>}.
   */
  void endOthers(RoutingContext ctx) {
    withToken(ctx, true, p -> Reply.when(ctx, engine.endOthers(p.token()), r -> {
      if (r.ended() < 0) {
        Reply.problem(ctx, Problem.unavailable(r.holder().detail()));
        return;
      }
      reply.token(ctx, p, r.holder(), d -> reply.afterDurable(ctx, r.durable(), () -> {
        Map<String, Object> body = new java.util.LinkedHashMap<>();
        body.put("ended", r.ended());
        reply.rotated(ctx, p, d, body); // a check that rotated the token hands on the new one
        Reply.json(ctx, 200, body);
      }));
    }));
  }

  /** GET /v1/session/events: passive Server-Sent Events, see {@link EventHub}. */
  void events(RoutingContext ctx) {
    withToken(ctx, false, p -> Reply.when(ctx, engine.check(p.token(), false), first -> follow(ctx, p, first)));
  }

  /** Starts the stream of a session found valid; see {@link EventHub} for the ordering rule. */
  private void follow(RoutingContext ctx, Presented p, Decision first) {
    if (!first.allowed()) {
      reply.token(ctx, p, first, d -> {});
      return;
    }
    EventStream stream = new EventStream(hub, first.status().sessionId(), ctx.vertx().getOrCreateContext(),
        ctx.response());
    switch (hub.admit(stream)) {
      case SESSION_LIMIT -> {
        Reply.problem(ctx, Problem.of(429, "too-many-streams", "Too many event streams",
            "at most " + hub.maxStreamsPerSession() + " event streams may follow one session"));
        return;
      }
      case TOTAL_LIMIT -> {
        Reply.problem(ctx, Problem.unavailable("the server follows its limit of " + hub.maxStreams() + " event streams"));
        return;
      }
      case ADMITTED -> { }
    }
    // Checked again once registered: an ending published in between has reached the stream's queue.
    Reply.when(ctx, engine.check(p.token(), false), now -> {
      if (!now.allowed()) {
        hub.remove(stream);
        reply.token(ctx, p, now, d -> {});
        return;
      }
      // At each heartbeat the session is read by id (not by token: a rotated-out token would be
      // refused as a replay and recorded): an ended or unknown session closes the stream; a store
      // that cannot answer (503) keeps it.
      String sessionId = now.status().sessionId();
      stream.start(EventStream.frame("status", now.status().toMap()), heartbeatMs,
          () -> engine.get(sessionId).handle((d, e) -> e != null || d.allowed()
              || d.verdict() == dev.curfew.core.Decision.Verdict.UNAVAILABLE));
    });
  }

  /**
   * Before {@code extend}: the per-subject extension limit of {@code throttle}. A passive check
   * finds the session's subject; a token that is not valid, or a cookie from another origin, passes
   * without taking from the limit, for the handler to refuse.
   */
  Handler<RoutingContext> extendLimit(Throttle throttle) {
    return ctx -> {
      Presented p = throttle.limits().enabled() ? reply.sessionToken(ctx.request()) : null;
      if (p == null || fromAnotherOrigin(ctx, p)) {
        ctx.next();
        return;
      }
      Reply.when(ctx, engine.check(p.token(), false), d -> {
        if (!d.allowed()) {
          ctx.next();
          return;
        }
        Reply.when(ctx, throttle.limits().extend(d.status().subject()), r -> {
          if (r != null) {
            Throttle.refuse(ctx, r);
          } else {
            ctx.next();
          }
        });
      });
    };
  }

  /** Tells the session's streams its new status after a touch, when anyone listens. */
  public static void announce(EventHub hub, SessionStatus s) {
    if (hub.streams(s.sessionId()) > 0) hub.publish(s.sessionId(), "status", s.toMap());
  }

  private void withToken(RoutingContext ctx, boolean changes, Consumer<Presented> then) {
    Presented p = reply.sessionToken(ctx.request());
    if (p == null) {
      Reply.problem(ctx, Problem.noToken());
      return;
    }
    if (changes && fromAnotherOrigin(ctx, p)) {
      Reply.problem(ctx, Problem.crossSite("a change made with the session cookie must come from a page of this"
          + " server's own origin"));
      return;
    }
    then.accept(p);
  }

  /**
   * Whether a change presented with the cookie came from a page of another origin: the cookie goes
   * along on requests of another port or subdomain of the same site ({@code SameSite=Lax}), and such
   * a page must neither keep the session alive, spend its extensions, acknowledge a warning the user
   * never saw, nor log the user out. A Bearer token is no ambient credential: whoever sends it holds it.
   */
  private static boolean fromAnotherOrigin(RoutingContext ctx, Presented p) {
    return p.fromCookie() && !RequestOrigin.isOwn(ctx.request());
  }
}
