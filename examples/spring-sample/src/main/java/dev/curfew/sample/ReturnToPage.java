package dev.curfew.sample;

import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import org.springframework.security.core.Authentication;
import org.springframework.security.web.authentication.SimpleUrlAuthenticationSuccessHandler;

/**
 * After sign-in, back to the page the ended session was on ({@code return}), if it is a path of
 * this app; anything else (another site, {@code //host}) goes to the home page, so the parameter
 * cannot make the app an open redirect.
 */
final class ReturnToPage extends SimpleUrlAuthenticationSuccessHandler {
  ReturnToPage() {
    super("/");
  }

  @Override
  public void onAuthenticationSuccess(HttpServletRequest request, HttpServletResponse response, Authentication authentication)
      throws IOException {
    String back = request.getParameter("return");
    boolean local = back != null && back.startsWith("/") && !back.startsWith("//") && !back.startsWith("/\\");
    getRedirectStrategy().sendRedirect(request, response, local ? back : "/");
  }
}
