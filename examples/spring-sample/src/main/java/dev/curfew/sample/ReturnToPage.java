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
    getRedirectStrategy().sendRedirect(request, response, local(back) ? back : "/");
  }

  /**
   * A path of this app: starts with one "/", and has no backslash or control character anywhere
   * (browsers drop tabs and newlines from a URL, so "/\t/evil.example" would become "//evil.example").
   */
  static boolean local(String back) {
    if (back == null || !back.startsWith("/") || back.startsWith("//")) return false;
    for (int i = 0; i < back.length(); i++) {
      char c = back.charAt(i);
      if (c == '\\' || c < 0x20 || c == 0x7f) return false;
    }
    return true;
  }
}
