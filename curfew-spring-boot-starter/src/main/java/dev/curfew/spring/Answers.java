package dev.curfew.spring;

import dev.curfew.client.CurfewProblem;
import dev.curfew.core.audit.CanonicalJson;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;

/** How the starter answers a request it stops: a problem body, or a page's way to the login path. */
final class Answers {
  private Answers() {}

  static void problem(HttpServletResponse response, CurfewProblem p) throws IOException {
    Map<String, Object> body = new LinkedHashMap<>(p.members());
    if (body.isEmpty()) {
      body.put("type", p.type());
      body.put("title", p.title());
      body.put("status", (long) p.status());
      if (p.detail() != null) body.put("detail", p.detail());
    }
    write(response, p.status(), "application/problem+json", CanonicalJson.write(body));
  }

  static void problem(HttpServletResponse response, int status, String slug, String title, String detail, String reason)
      throws IOException {
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("type", "urn:curfew:problem:" + slug);
    body.put("title", title);
    body.put("status", (long) status);
    body.put("detail", detail);
    if (reason != null) body.put("reason", reason);
    write(response, status, "application/problem+json", CanonicalJson.write(body));
  }

  static void write(HttpServletResponse response, int status, String contentType, String body) throws IOException {
    response.setStatus(status);
    response.setHeader("Cache-Control", "no-store");
    if (contentType != null) {
      response.setContentType(contentType);
      response.setCharacterEncoding("UTF-8");
    }
    if (body != null && !body.isEmpty()) response.getOutputStream().write(body.getBytes(StandardCharsets.UTF_8));
  }

  /** A page navigation goes to the login path with its way back; anything else gets the problem. */
  static boolean isNavigation(HttpServletRequest request) {
    String accept = request.getHeader("Accept");
    return ("GET".equals(request.getMethod()) || "HEAD".equals(request.getMethod()))
        && accept != null && accept.contains("text/html");
  }

  static void toLogin(HttpServletRequest request, HttpServletResponse response, String loginPath) throws IOException {
    String back = request.getRequestURI().substring(request.getContextPath().length())
        + (request.getQueryString() == null ? "" : "?" + request.getQueryString());
    response.setHeader("Cache-Control", "no-store");
    response.sendRedirect(request.getContextPath() + loginPath + "?return=" + URLEncoder.encode(back, StandardCharsets.UTF_8));
  }
}
