package dev.curfew.spring;

import dev.curfew.client.CurfewClient;
import dev.curfew.client.CurfewProblem;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import jakarta.servlet.http.HttpSession;
import java.io.UncheckedIOException;
import org.springframework.security.core.Authentication;
import org.springframework.security.web.authentication.session.SessionAuthenticationStrategy;

/**
 * A sign-in (form login, OAuth 2.0 login: whatever calls the chain's session authentication
 * strategy) starts a Curfew session of its own: a token the HTTP session still keeps from before
 * (an ended session the app had not heard of yet, or another sign-in's) is ended at Curfew and
 * forgotten, so the next request opens a fresh one. Spring's session-fixation protection keeps the
 * HTTP session's attributes, which is why this is needed.
 */
final class FreshSignIn implements SessionAuthenticationStrategy {
  private static final System.Logger LOG = System.getLogger(FreshSignIn.class.getName());

  private final CurfewClient client;

  FreshSignIn(CurfewClient client) {
    this.client = client;
  }

  @Override
  public void onAuthentication(Authentication authentication, HttpServletRequest request, HttpServletResponse response) {
    String token = SessionTokens.get(request);
    if (token == null) return;
    try {
      client.session(token).logout();
    } catch (CurfewProblem endedAlready) {
      // nothing left to end
    } catch (UncheckedIOException | IllegalStateException unreachable) {
      LOG.log(System.Logger.Level.WARNING, "sign-in: the previous Curfew session could not be ended now; it ends at its own deadline: "
          + unreachable.getMessage());
    }
    HttpSession s = request.getSession(false);
    if (s != null) {
      s.removeAttribute(SessionTokens.ATTRIBUTE);
      s.removeAttribute(SessionTokens.SUBJECT_ATTRIBUTE);
    }
  }
}
