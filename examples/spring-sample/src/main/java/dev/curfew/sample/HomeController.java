package dev.curfew.sample;

import dev.curfew.spring.CurfewSession;
import dev.curfew.spring.CurfewSessions;
import java.util.Map;
import org.springframework.http.MediaType;
import org.springframework.security.web.csrf.CsrfToken;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.util.HtmlUtils;

/** The signed-in page (with curfew.js) and the endpoint it polls. */
@RestController
public class HomeController {
  private final CurfewSessions sessions;

  public HomeController(CurfewSessions sessions) {
    this.sessions = sessions;
  }

  @GetMapping(value = "/", produces = MediaType.TEXT_HTML_VALUE)
  String home(CsrfToken csrf) {
    CurfewSession s = sessions.current().orElseThrow();
    return """
        <!doctype html>
        <html lang="en"><head><meta charset="utf-8"><title>Sample</title>
        <script src="/_curfew/curfew.js" data-login-path="/login"></script></head>
        <body>
        <h1>Hello, <span id="user">%s</span></h1>
        <p>Session <code id="session">%s</code>, ends at <span id="expires">%s</span> unless you stay active.</p>
        <form method="post" action="/logout"><input type="hidden" name="%s" value="%s">
        <button id="logout" type="submit">Sign out</button></form>
        </body></html>
        """.formatted(HtmlUtils.htmlEscape(s.subject()), HtmlUtils.htmlEscape(s.sessionId()), s.status().expiresAt(),
        HtmlUtils.htmlEscape(csrf.getParameterName()), HtmlUtils.htmlEscape(csrf.getToken()));
  }

  /** What a page would poll in the background: configured passive, so it never keeps a session alive. */
  @GetMapping("/api/unread")
  Map<String, Object> unread() {
    return Map.of("unread", 0);
  }
}
