package dev.curfew.spring;

import dev.curfew.client.CurfewClient;
import dev.curfew.client.CurfewProblem;
import dev.curfew.client.HolderSession;
import dev.curfew.core.audit.CanonicalJson;
import dev.curfew.core.audit.Json;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Map;
import java.util.Set;
import org.springframework.web.filter.OncePerRequestFilter;

/**
 * What curfew.js calls, same-origin, under {@code /_curfew/} (docs/curfew-js.md): the script
 * itself, and the session-holder endpoints relayed to Curfew's {@code /v1/session} with the token
 * kept in the app's HTTP session, the way the gateway serves them (spec/cli-and-config.md, "The
 * gateway also serves"). These calls never count as the app's activity: only {@code activity} and
 * {@code extend} do, as in Curfew. A change from another site is refused (403), since the browser
 * sends the app's cookie with it; a token rotated by Curfew is kept, never shown to the page.
 */
final class CurfewJsEndpoints extends OncePerRequestFilter {
  static final String PREFIX = "/_curfew/";
  private static final String SCRIPT = "curfew-web/curfew.js";
  /** The client's relayed calls under {@code session}, and the event stream, which is streamed instead. */
  private static final Map<String, Set<String>> SESSION_CALLS = sessionCalls();

  private static Map<String, Set<String>> sessionCalls() {
    Map<String, Set<String>> calls = new java.util.HashMap<>();
    dev.curfew.client.HolderSession.relayedCalls().forEach((action, methods) -> calls.put("session" + action, methods));
    calls.put("session/events", Set.of("GET"));
    return Map.copyOf(calls);
  }

  private final CurfewClient client;
  private final byte[] script;

  CurfewJsEndpoints(CurfewClient client) {
    this.client = client;
    try (InputStream in = CurfewJsEndpoints.class.getClassLoader().getResourceAsStream(SCRIPT)) {
      if (in == null) throw new IllegalStateException(SCRIPT + " is not on the class path (curfew-web)");
      this.script = in.readAllBytes();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Override
  protected boolean shouldNotFilter(HttpServletRequest request) {
    return !path(request).startsWith(PREFIX);
  }

  @Override
  protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
      throws ServletException, IOException {
    String call = path(request).substring(PREFIX.length());
    String method = request.getMethod();
    if (call.equals("curfew.js")) {
      if (!method.equals("GET") && !method.equals("HEAD")) {
        notAllowed(response, Set.of("GET", "HEAD"));
        return;
      }
      response.setContentType("text/javascript; charset=utf-8");
      response.setHeader("Cache-Control", "no-cache");
      response.setContentLength(script.length);
      if (method.equals("GET")) response.getOutputStream().write(script);
      return;
    }
    Set<String> methods = SESSION_CALLS.get(call);
    if (methods == null) {
      Answers.problem(response, 404, "not-found", "Not found", "no such Curfew endpoint: " + PREFIX + call, null);
      return;
    }
    if (!methods.contains(method)) {
      notAllowed(response, methods);
      return;
    }
    if (!method.equals("GET") && !sameOrigin(request)) {
      Answers.problem(response, 403, "cross-site-request", "Cross-site request",
          "a change to the session must come from this site", null);
      return;
    }
    String token = SessionTokens.get(request);
    if (token == null) {
      Answers.problem(response, 401, "session-ended", "Session not valid", "no session", "unknown");
      return;
    }
    try {
      if (call.equals("session/events")) {
        EventRelay.start(client.session(token), request, response);
      } else {
        relay(request, response, client.session(token).relay(method, call.substring("session".length())));
      }
    } catch (CurfewProblem p) {
      refused(request, response, p);
    } catch (UncheckedIOException | IllegalStateException unreachable) {
      Answers.problem(response, 503, "unavailable", "Curfew unavailable", unreachable.getMessage(), null);
    }
  }

  /** Curfew's problem passed on; one that says the session ended (401 with a reason) ends the app's session too. */
  static void refused(HttpServletRequest request, HttpServletResponse response, CurfewProblem p) throws IOException {
    if (p.status() == 401 && p.reason().isPresent()) SessionTokens.endAppSession(request);
    Answers.problem(response, p);
  }

  private static void relay(HttpServletRequest request, HttpServletResponse response, HolderSession.RawAnswer answer)
      throws IOException {
    String body = answer.body();
    if (answer.status() == 200 && body.contains("\"token\"")) {
      Map<String, Object> status = Json.parseObject(body);
      Object rotated = status.remove("token");
      if (rotated instanceof String t) SessionTokens.put(request, t);
      body = CanonicalJson.write(status);
    }
    boolean ended = answer.status() == 401 || (request.getMethod().equals("DELETE") && answer.status() == 204);
    if (ended) SessionTokens.endAppSession(request);
    Answers.write(response, answer.status(), answer.contentType(), body);
  }

  /**
   * A change must come from this site: Fetch Metadata's {@code Sec-Fetch-Site} when the browser
   * sends it, else {@code Origin}, which must name this origin. A change with neither is refused:
   * every browser curfew.js runs in sends one of them with a POST or DELETE, and unlike the
   * gateway's {@code /_curfew/connect} (which takes only a JSON body, something no form of another
   * site can send) these calls have no body that could tell a form's request apart.
   */
  private static boolean sameOrigin(HttpServletRequest request) {
    String site = request.getHeader("Sec-Fetch-Site");
    if (site != null) return site.equals("same-origin") || site.equals("none");
    String origin = request.getHeader("Origin");
    if (origin == null) return false;
    String self = request.getScheme() + "://" + request.getServerName()
        + (isDefaultPort(request) ? "" : ":" + request.getServerPort());
    return origin.equalsIgnoreCase(self);
  }

  private static boolean isDefaultPort(HttpServletRequest request) {
    int port = request.getServerPort();
    return (request.getScheme().equals("http") && port == 80) || (request.getScheme().equals("https") && port == 443);
  }

  private static void notAllowed(HttpServletResponse response, Set<String> methods) throws IOException {
    response.setHeader("Allow", String.join(", ", new java.util.TreeSet<>(methods)));
    Answers.problem(response, 405, "method-not-allowed", "Method not allowed", "allowed: " + new java.util.TreeSet<>(methods), null);
  }

  private static String path(HttpServletRequest request) {
    return request.getRequestURI().substring(request.getContextPath().length());
  }
}
