package dev.curfew.web;

import io.vertx.core.Vertx;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * The upstream app behind the gateway, as small as a real one can be: a login page, a login
 * handoff ({@code Curfew-Login: subject=...}), protected pages that include curfew.js and save a
 * draft in a beforeEnd hook, and a beacon endpoint that remembers who reached it.
 */
final class TestApp implements AutoCloseable {
  /** Text that only a protected page shows. */
  static final String SECRET = "SECRET-ACCOUNT-BALANCE";

  /**
   * A beacon that reached the app: {@code via} "gateway" (through the gateway, so the session was
   * live, with the identity headers it sent) or "probe" (straight to the app, for the tests only:
   * what the hook was told, whatever the session's state).
   */
  record Beacon(String via, String page, String reason, String subject, long receivedAtMs) {}

  final List<Beacon> beacons = new CopyOnWriteArrayList<>();
  private final HttpServer server;
  final int port;

  TestApp(Vertx vertx) {
    Router r = Router.router(vertx);
    r.get("/login").handler(ctx -> html(ctx, "Sign in", "", "<h1 id=\"login\">Sign in</h1>", "en", null));
    r.get("/login/as").handler(this::loginAs);
    r.get("/app/:page").handler(this::page);
    // The app under the gateway's second route (Fixture.OTHER): its own login page, and pages whose
    // script tag names no login path, so that the gateway sends an ended session's page there.
    r.get("/other/signin").handler(ctx -> html(ctx, "Sign in to the other app", "", "<h1 id=\"login\">Other sign-in</h1>",
        "en", null, false));
    r.get("/other/signin/as").handler(this::loginAs);
    r.get("/other/app/:page").handler(ctx -> html(ctx, "Other " + ctx.pathParam("page"), "",
        "<h1>Other " + ctx.pathParam("page").replaceAll("[^a-z0-9-]", "") + "</h1><p id=\"secret\">" + SECRET + "</p>",
        "en", null, false));
    for (String via : new String[] {"gateway", "probe"}) {
      r.route(via.equals("gateway") ? "/beacon" : "/probe").method(HttpMethod.POST).handler(ctx -> {
        beacons.add(new Beacon(via, ctx.request().getParam("page"), ctx.request().getParam("reason"),
            ctx.request().getHeader("X-Curfew-Subject"), System.currentTimeMillis()));
        ctx.response().setStatusCode(204).end();
      });
    }
    server = Fixture.await(vertx.createHttpServer().requestHandler(r).listen(0, "127.0.0.1"));
    port = server.actualPort();
  }

  /** The app authenticated the user (trivially) and hands the session over to the gateway. */
  private void loginAs(RoutingContext ctx) {
    String subject = ctx.request().getParam("subject");
    String policy = ctx.request().getParam("policy");
    String back = ctx.request().getParam("return");
    ctx.response().setStatusCode(302)
        .putHeader("Curfew-Login", "subject=" + subject + (policy == null ? "" : "; policy=" + policy))
        .putHeader("Location", back == null || !back.startsWith("/") ? "/app/home" : back)
        .end();
  }

  private void page(RoutingContext ctx) {
    String page = ctx.pathParam("page");
    String subject = String.valueOf(ctx.request().getHeader("X-Curfew-Subject"));
    // ?clock_ms=N: this page's clock (Date.now) is N ms wrong, as a user's machine may be.
    String clock = ctx.request().getParam("clock_ms");
    String head = clock == null ? "" : "<script>(() => { const real = Date.now; Date.now = () => real() + "
        + Long.parseLong(clock) + "; })();</script>";
    // ?texts=it: the page adds Italian texts (some only: the rest stay English) and asks for them.
    if (ctx.request().getParam("texts") != null) {
      head += """
          <script type="application/json" id="curfew-texts">{"it": {"title": "La sessione sta per scadere",
          "desc": "Per la tua sicurezza, la sessione terminerà tra {w}.", "stay": "Resta connesso", "out": "Esci",
          "units": {"second": ["secondo", "secondi"]}}}</script>""";
    }
    // ?modal=1: the page opens its own modal <dialog> (showModal: the top layer, the rest inert), with a field.
    String modal = ctx.request().getParam("modal") == null ? "" : """
        <dialog id="app-dialog" aria-labelledby="app-dialog-title"><h2 id="app-dialog-title">Comment</h2>
        <label for="app-text">Text</label> <textarea id="app-text"></textarea> <button type="button">Done</button></dialog>
        <script>document.getElementById('app-dialog').showModal(); document.getElementById('app-text').focus();</script>""";
    // ?lang=de: the page's language; ?locale=fr: curfew.js's data-locale option.
    String lang = ctx.request().getParam("lang");
    String locale = ctx.request().getParam("locale");
    html(ctx, "App " + page, head, """
        <h1>Page %1$s</h1>
        <p id="secret">%2$s for %3$s</p>
        <p><label for="notes">Notes</label> <input id="notes" autocomplete="off"></p>
        <p><label for="reply">Reply</label> <textarea id="reply" data-curfew-draft></textarea></p>
        <p><a id="next" href="/app/%1$s-next">next page</a></p>%5$s
        <script>
          curfew.onRestore((r) => { window.restoredDrafts = r; });
          curfew.beforeEnd(async (info) => {
            curfew.saveDraft('cart', { page: '%1$s', items: 2 });
            navigator.sendBeacon('http://127.0.0.1:%4$d/probe?page=%1$s&reason=' + info.reason);
            localStorage.setItem('saved-draft', JSON.stringify({ page: '%1$s', reason: info.reason }));
            await fetch('/beacon?page=%1$s&reason=' + info.reason, { method: 'POST', credentials: 'same-origin' });
          });
          curfew.onWarning((w) => { window.warnings = (window.warnings || 0) + 1; });
        </script>
        """.formatted(page, SECRET, subject, port, modal), lang == null ? "en" : lang.replaceAll("[^A-Za-z-]", ""),
        locale == null ? null : locale.replaceAll("[^A-Za-z-]", ""));
  }

  private static void html(RoutingContext ctx, String title, String head, String body, String lang, String locale) {
    html(ctx, title, head, body, lang, locale, true);
  }

  /** A page with curfew.js; {@code namesLoginPath}: its tag says {@code data-login-path="/login"}. */
  private static void html(RoutingContext ctx, String title, String head, String body, String lang, String locale,
      boolean namesLoginPath) {
    ctx.response().putHeader("Content-Type", "text/html; charset=utf-8").end("""
        <!doctype html><html lang="%s"><head><meta charset="utf-8"><title>%s</title>%s
        <script src="/_curfew/curfew.js"%s%s></script></head>
        <body>%s</body></html>""".formatted(lang, title, head, namesLoginPath ? " data-login-path=\"/login\"" : "",
        locale == null ? "" : " data-locale=\"" + locale + "\"", body));
  }

  @Override
  public void close() {
    Fixture.await(server.close());
  }
}
