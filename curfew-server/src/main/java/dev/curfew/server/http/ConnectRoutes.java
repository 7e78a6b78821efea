package dev.curfew.server.http;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.curfew.core.Audience;
import dev.curfew.core.Decision;
import dev.curfew.core.SessionStatus;
import dev.curfew.core.SessionStore;
import dev.curfew.server.security.RateLimits;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.ext.web.RoutingContext;
import java.net.URI;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * {@code POST /_curfew/connect} on the HTTP gateway (spec/protocol-gateways.md, "How a person or agent
 * gets a token"): a person signed in on a route of this gateway gets a child session for a database,
 * a shell or an agent endpoint, {@code {"audience": "db:orders"}}, for the same subject under that
 * target's policy, and the token once, with what a client needs to connect (a ready-to-paste command
 * where there is one; the command asks for the token as its password, so it never lands in a shell's
 * history). Logging out of or revoking the parent ends the child ({@link SessionStore#endChildren}).
 *
 * <p>Cross-site requests cannot mint sessions: the body must be JSON (a form of another site cannot
 * send that without a CORS preflight, which is never granted), and a cookie-authenticated request
 * must come from the gateway's own origin ({@link RequestOrigin}).
 */
public final class ConnectRoutes {
  /** The largest body taken (the request names one audience). */
  static final int MAX_BODY_BYTES = 4096;
  private static final Pattern PLAIN = Pattern.compile("[A-Za-z0-9._@+-]{1,256}");

  /**
   * A place a child session can be minted for.
   *
   * @param audience where the child may be used: {@code db:NAME}, {@code ssh:NAME}, {@code mcp:PATH}
   * @param policy the policy its sessions run under (null: the default policy)
   * @param protocol {@code postgres}, {@code mysql}, {@code ssh} or {@code mcp}
   * @param host the host a client connects to (a wildcard listen address: the host the browser used)
   * @param port the port (mcp: none, 0)
   * @param database postgres and mysql: the only database the route opens (null: any); ssh: the target's name
   * @param tls postgres and mysql: whether TLS is offered
   */
  public record Target(String audience, String policy, String protocol, String host, int port, String database,
      boolean tls) {
    public Target {
      Objects.requireNonNull(audience, "audience");
      Objects.requireNonNull(protocol, "protocol");
    }
  }

  private final SessionStore store;
  private final Reply reply;
  private final RateLimits limits;
  private final java.util.function.Supplier<List<Target>> targets;
  private final Set<String> parentAudiences;

  /**
   * @param parentAudiences the places of this gateway's routes: a parent must be a session of one of
   *     them (a person signed in through this gateway), not an app's or another target's
   */
  ConnectRoutes(SessionStore store, Reply reply, RateLimits limits, java.util.function.Supplier<List<Target>> targets,
      Set<String> parentAudiences) {
    this.store = Objects.requireNonNull(store, "store");
    this.reply = Objects.requireNonNull(reply, "reply");
    this.limits = Objects.requireNonNull(limits, "limits");
    this.targets = Objects.requireNonNull(targets, "targets");
    this.parentAudiences = Set.copyOf(parentAudiences);
  }

  void connect(RoutingContext ctx) {
    Map<String, Target> known = new LinkedHashMap<>();
    for (Target t : targets.get()) known.put(t.audience(), t);
    if (known.isEmpty()) {
      Reply.problem(ctx, Problem.forStatus(404));
      return;
    }
    HttpServerRequest req = ctx.request();
    String type = req.getHeader("Content-Type");
    if (type == null || !type.toLowerCase(Locale.ROOT).startsWith("application/json")) {
      Reply.problem(ctx, Problem.of(415, "unsupported-media-type", "Unsupported media type",
          "send {\"audience\": \"...\"} as application/json"));
      return;
    }
    Reply.Presented p = reply.sessionToken(req);
    if (p == null) {
      Reply.problem(ctx, Problem.noToken());
      return;
    }
    if (p.fromCookie() && !RequestOrigin.isOwn(req)) {
      Reply.problem(ctx, Problem.crossSite("a session can be opened from a cookie only by a page of this gateway's own origin"));
      return;
    }
    String length = req.getHeader("Content-Length");
    if (length == null) {
      Reply.problem(ctx, Problem.of(411, "length-required", "Length required", "send the body with a Content-Length"));
      return;
    }
    long declared;
    try {
      declared = Long.parseLong(length.trim());
    } catch (NumberFormatException e) {
      Reply.problem(ctx, Problem.badRequest("Content-Length is not a number"));
      return;
    }
    if (declared > MAX_BODY_BYTES) {
      Reply.problem(ctx, Problem.of(413, "payload-too-large", "Payload too large",
          "the body is larger than " + MAX_BODY_BYTES + " bytes"));
      return;
    }
    req.body().onComplete(ar -> {
      if (ar.failed()) {
        if (!ctx.response().ended()) Reply.problem(ctx, Problem.badRequest("the body could not be read"));
        return;
      }
      String audience;
      try {
        ObjectNode body = JsonBodies.object(ar.result().getBytes(), false);
        JsonBodies.onlyFields(body, Set.of("audience"));
        audience = JsonBodies.text(body, "audience", true, 512);
      } catch (JsonBodies.BadInput e) {
        Reply.problem(ctx, Problem.badRequest(e.getMessage()));
        return;
      }
      Target target = known.get(audience);
      if (target == null) {
        Reply.problem(ctx, Problem.badRequest("\"audience\" names no target of this server; one of " + known.keySet()));
        return;
      }
      open(ctx, p, target);
    });
  }

  /** The parent, checked passively for its place and its subject's opening rate (open_per_subject), then the child. */
  private void open(RoutingContext ctx, Reply.Presented p, Target target) {
    Reply.when(ctx, store.check(p.token(), false), first -> {
      if (!first.allowed()) {
        reply.token(ctx, p, first, d -> {});
        return;
      }
      SessionStatus parent = first.status();
      if (parent.audience().entries().stream().noneMatch(parentAudiences::contains)) {
        Reply.problem(ctx, Problem.wrongAudience("the session was not opened on this gateway: only a person signed in"
            + " here can open a session from it"));
        return;
      }
      Reply.when(ctx, limits.open(null, parent.subject()), refused -> {
        if (refused != null) {
          ctx.response().putHeader("Retry-After", Long.toString(refused.retryAfterSeconds()));
          Reply.problem(ctx, Problem.tooManyRequests(refused.detail()));
          return;
        }
        Reply.when(ctx, store.openChild(p.token(), target.policy(), Audience.of(target.audience())),
            opened -> answer(ctx, p, target, opened));
      });
    });
  }

  private void answer(RoutingContext ctx, Reply.Presented p, Target target, SessionStore.ChildOpened opened) {
    Decision child = opened.child();
    if (child == null) { // the parent was refused, or ended while the child was being opened
      reply.token(ctx, p, opened.parent(), d -> {});
      return;
    }
    switch (child.verdict()) {
      case ALLOWED -> reply.afterDurable(ctx, child.durable(), () -> {
        Map<String, Object> body = child.status().toMap();
        body.put("token", child.token());
        body.putAll(howToConnect(target, child.status().subject(), ctx.request()));
        // A parent whose token rotated in the check gets the new one: a cookie, or to a Bearer holder parent_token.
        Map<String, Object> parentToken = new LinkedHashMap<>();
        reply.rotated(ctx, p, opened.parent(), parentToken);
        if (parentToken.containsKey("token")) body.put("parent_token", parentToken.get("token"));
        ctx.response().putHeader("Location", "/v1/sessions/" + child.status().sessionId());
        Reply.json(ctx, 201, body);
      });
      case REFUSED -> reply.afterDurable(ctx, child.durable(),
          () -> Reply.problem(ctx, Problem.concurrencyLimit(child.detail())));
      default -> Reply.problem(ctx, Problem.unavailable(child.detail()));
    }
  }

  /**
   * The {@code connect} object: protocol, host, port, user, database; {@code command} where a
   * standard client takes one line (only for a subject that needs no quoting in a shell); an MCP
   * endpoint's {@code url}.
   */
  static Map<String, Object> howToConnect(Target t, String subject, HttpServerRequest req) {
    String requestHost = requestHost(req);
    String host = t.host() == null || wildcard(t.host()) ? requestHost : t.host();
    Map<String, Object> c = new LinkedHashMap<>();
    c.put("protocol", t.protocol());
    boolean plain = PLAIN.matcher(subject).matches();
    switch (t.protocol()) {
      case "postgres" -> {
        putEndpoint(c, host, t.port(), subject);
        if (t.database() != null) c.put("database", t.database());
        if (plain) {
          c.put("command", "psql \"host=" + host + " port=" + t.port()
              + (t.database() == null ? "" : " dbname=" + t.database()) + " user=" + subject
              + (t.tls() ? " sslmode=require" : "") + "\"");
        }
      }
      case "mysql" -> {
        putEndpoint(c, host, t.port(), subject);
        if (t.database() != null) c.put("database", t.database());
        if (plain) {
          c.put("command", "mariadb -h " + host + " -P " + t.port() + " -u " + subject + " -p"
              + (t.tls() ? " --ssl" : "") + (t.database() == null ? "" : " " + t.database()));
        }
      }
      case "ssh" -> {
        putEndpoint(c, host, t.port(), subject + "@" + t.database());
        if (plain) c.put("command", "ssh -p " + t.port() + " " + subject + "@" + t.database() + "@" + host);
      }
      case "mcp" -> c.put("url", (req.isSSL() ? "https" : "http") + "://" + hostHeader(req)
          + t.audience().substring("mcp:".length()));
      default -> throw new IllegalStateException("unknown protocol " + t.protocol());
    }
    return Map.of("connect", c);
  }

  private static void putEndpoint(Map<String, Object> c, String host, int port, String user) {
    c.put("host", host);
    c.put("port", port);
    c.put("user", user);
  }

  private static boolean wildcard(String host) {
    return host.isEmpty() || host.equals("0.0.0.0") || host.equals("::") || host.equals("[::]");
  }

  private static String hostHeader(HttpServerRequest req) {
    String h = req.getHeader("Host");
    return h == null ? "localhost" : h;
  }

  /** The host name the browser used, without its port. */
  private static String requestHost(HttpServerRequest req) {
    try {
      String host = URI.create("http://" + hostHeader(req)).getHost();
      return host == null ? "localhost" : host;
    } catch (IllegalArgumentException e) {
      return "localhost";
    }
  }
}
