package dev.curfew.sample;

import org.springframework.http.MediaType;
import org.springframework.security.web.csrf.CsrfToken;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.util.HtmlUtils;

/**
 * The sign-in page. curfew.js sends an ended session here with {@code ?return=<the page>}; the
 * form carries it on, and {@link ReturnToPage} goes back there after sign-in.
 */
@RestController
public class LoginController {
  @GetMapping(value = "/login", produces = MediaType.TEXT_HTML_VALUE)
  String login(CsrfToken csrf, @RequestParam(name = "return", required = false) String back,
      @RequestParam(name = "logout", required = false) String logout,
      @RequestParam(name = "error", required = false) String error) {
    String note = error != null ? "Wrong user name or password."
        : logout != null ? "You are signed out."
        : back != null ? "Your session has ended. Sign in to continue." : "";
    return """
        <!doctype html>
        <html lang="en"><head><meta charset="utf-8"><title>Sign in</title></head>
        <body>
        <h1>Sign in</h1>
        <p id="note">%s</p>
        <form method="post" action="/login">
        <label>User <input name="username" autocomplete="username"></label>
        <label>Password <input name="password" type="password" autocomplete="current-password"></label>
        <input type="hidden" name="return" value="%s">
        <input type="hidden" name="%s" value="%s">
        <button type="submit">Sign in</button>
        </form>
        </body></html>
        """.formatted(note, HtmlUtils.htmlEscape(back == null ? "" : back),
        HtmlUtils.htmlEscape(csrf.getParameterName()), HtmlUtils.htmlEscape(csrf.getToken()));
  }
}
