package dev.curfew.spring;

import dev.curfew.client.CurfewClient;
import dev.curfew.client.CurfewProblem;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import org.springframework.security.core.Authentication;
import org.springframework.security.web.authentication.logout.LogoutHandler;

/**
 * Spring Security's logout ends the Curfew session too ({@code DELETE /v1/session}): the token is
 * dead from this instant, in every tab and for every gateway. A session that had ended already is
 * no error; one that cannot be ended now (Curfew unreachable) fails the logout loudly rather than
 * leave a live session behind a page that says "signed out".
 */
final class CurfewLogoutHandler implements LogoutHandler {
  private final CurfewClient client;

  CurfewLogoutHandler(CurfewClient client) {
    this.client = client;
  }

  @Override
  public void logout(HttpServletRequest request, HttpServletResponse response, Authentication authentication) {
    String token = SessionTokens.get(request);
    if (token == null) return;
    try {
      client.session(token).logout();
    } catch (CurfewProblem p) {
      if (p.status() != 401) throw p;
    }
  }
}
