package dev.curfew.spring;

import dev.curfew.client.CreatedSession;
import dev.curfew.client.CurfewClient;
import dev.curfew.client.CurfewProblem;
import dev.curfew.client.SessionRequest;
import dev.curfew.client.SessionStatus;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.io.UncheckedIOException;
import org.springframework.security.authentication.AnonymousAuthenticationToken;
import org.springframework.security.core.Authentication;
import org.springframework.security.core.context.SecurityContextHolder;
import org.springframework.security.web.util.matcher.RequestMatcher;
import org.springframework.web.filter.OncePerRequestFilter;
import org.springframework.web.util.WebUtils;

/**
 * Every request of a signed-in user, checked with Curfew before the app's authorization. The first
 * one after Spring Security authenticated the user (form login, OAuth 2.0 login, remember-me, ...)
 * opens the Curfew session; each later one records activity, or only checks when it matches a
 * passive matcher. A session Curfew has ended ends the app's session too: a page goes to the login
 * path, anything else gets Curfew's 401 problem. When Curfew cannot be asked, the request is
 * refused (503): the filter fails closed. The login path and the paths under it pass unchecked, as
 * at the gateway: a page sent there because its session ended must not be sent there again.
 */
final class CurfewEnforcementFilter extends OncePerRequestFilter {
  private final CurfewClient client;
  private final CurfewProperties properties;
  private final RequestMatcher passive;

  CurfewEnforcementFilter(CurfewClient client, CurfewProperties properties, RequestMatcher passive) {
    this.client = client;
    this.properties = properties;
    this.passive = passive;
  }

  @Override
  protected boolean shouldNotFilter(HttpServletRequest request) {
    return isLoginPath(request, properties.getLoginPath());
  }

  /** The login path itself or a path under it ({@code /login}, {@code /login/help}), whatever the query. */
  static boolean isLoginPath(HttpServletRequest request, String loginPath) {
    String path = request.getRequestURI().substring(request.getContextPath().length());
    String base = loginPath.endsWith("/") ? loginPath.substring(0, loginPath.length() - 1) : loginPath;
    return path.equals(base) || path.startsWith(base + "/");
  }

  @Override
  protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
      throws ServletException, IOException {
    Authentication user = SecurityContextHolder.getContext().getAuthentication();
    if (user == null || !user.isAuthenticated() || user instanceof AnonymousAuthenticationToken) {
      chain.doFilter(request, response);
      return;
    }
    SessionStatus status;
    try {
      status = check(request, user);
    } catch (CurfewProblem p) {
      refuse(request, response, p);
      return;
    } catch (UncheckedIOException | IllegalStateException unreachable) {
      Answers.problem(response, 503, "unavailable", "Curfew unavailable",
          "the session could not be checked: " + unreachable.getMessage(), null);
      return;
    }
    request.setAttribute(CurfewSession.REQUEST_ATTRIBUTE, new CurfewSession(status.sessionId(), status.subject(), status));
    chain.doFilter(request, response);
  }

  private SessionStatus check(HttpServletRequest request, Authentication user) {
    String token = SessionTokens.get(request);
    if (token == null || !user.getName().equals(SessionTokens.subject(request))) {
      // The first requests after sign-in often come together (the page, its scripts): one opens the
      // session. So does a sign-in of another user on this browser, which keeps the HTTP session
      // (Spring's session-fixation protection keeps its attributes): the previous user's Curfew
      // session ends first.
      synchronized (WebUtils.getSessionMutex(request.getSession(true))) {
        token = SessionTokens.get(request);
        if (token == null) return open(request, user);
        if (!user.getName().equals(SessionTokens.subject(request))) {
          try {
            client.session(token).logout();
          } catch (CurfewProblem endedAlready) {
            // nothing left to end
          }
          return open(request, user);
        }
      }
    }
    SessionStatus status = passive.matches(request) ? client.session(token).status() : client.session(token).activity();
    status.rotatedToken().ifPresent(rotated -> SessionTokens.put(request, rotated));
    return status;
  }

  private SessionStatus open(HttpServletRequest request, Authentication user) {
    SessionRequest opening = SessionRequest.of(user.getName());
    if (properties.getPolicy() != null && !properties.getPolicy().isBlank()) opening = opening.withPolicy(properties.getPolicy());
    CreatedSession created = client.openSession(opening);
    SessionTokens.put(request, created.token(), user.getName());
    return created.status();
  }

  private void refuse(HttpServletRequest request, HttpServletResponse response, CurfewProblem p) throws IOException {
    if (p.status() == 401 && p.reason().isPresent()) {
      SessionTokens.endAppSession(request);
      SecurityContextHolder.clearContext();
      if (Answers.isNavigation(request)) {
        Answers.toLogin(request, response, properties.getLoginPath());
        return;
      }
    }
    Answers.problem(response, p);
  }
}
