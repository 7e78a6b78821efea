package dev.curfew.server.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.curfew.server.config.CurfewConfig;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code curfew serve} with a gateway route in front of a real upstream app: the whole path a user takes. */
class ServeGatewayTest {
  @TempDir java.nio.file.Path dir;

  @Test
  void loginHandoffThenEnforcedPagesThenLogout() throws Exception {
    Vertx vertx = Vertx.vertx();
    List<String> seenSubjects = new CopyOnWriteArrayList<>();
    HttpServer upstream = vertx.createHttpServer().requestHandler(req -> {
      if (req.path().equals("/login")) {
        req.response().putHeader("Curfew-Login", "subject=alice").end("welcome");
      } else {
        seenSubjects.add(String.valueOf(req.getHeader("X-Curfew-Subject")));
        req.response().end("secret page");
      }
    }).listen(0, "127.0.0.1").await(30, TimeUnit.SECONDS);
    int gatewayPort;
    try (ServerSocket s = new ServerSocket(0)) {
      gatewayPort = s.getLocalPort();
    }
    CurfewConfig cfg = CurfewConfig.parse("gateway:\n  port: " + gatewayPort + "\n  routes:\n    - path: /\n"
        + "      upstream: http://127.0.0.1:" + upstream.actualPort() + "\n      login_path: /login\n"
        + "      login_handoff: true\n").withOverrides(0, dir.resolve("data"));
    ServeCommand.Running running = ServeCommand.start(cfg, new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8));
    HttpClient http = HttpClient.newHttpClient();
    String base = "http://localhost:" + gatewayPort;
    try {
      HttpResponse<String> anonymous = http.send(HttpRequest.newBuilder(URI.create(base + "/account"))
          .header("Accept", "text/html").build(), HttpResponse.BodyHandlers.ofString());
      assertThat(anonymous.statusCode()).isEqualTo(303);
      assertThat(anonymous.headers().firstValue("Location").orElseThrow()).startsWith("/login?return=");

      HttpResponse<String> login = http.send(HttpRequest.newBuilder(URI.create(base + "/login")).build(),
          HttpResponse.BodyHandlers.ofString());
      String setCookie = login.headers().firstValue("Set-Cookie").orElseThrow();
      assertThat(setCookie).startsWith("__Host-curfew=").contains("Secure", "HttpOnly", "SameSite=Lax", "Path=/")
          .doesNotContain("Domain").doesNotContain("Max-Age");
      assertThat(login.headers().firstValue("Curfew-Login")).isEmpty();
      String cookie = setCookie.substring(0, setCookie.indexOf(';'));

      HttpResponse<String> page = http.send(HttpRequest.newBuilder(URI.create(base + "/account"))
          .header("Cookie", cookie).header("X-Curfew-Subject", "mallory").build(), HttpResponse.BodyHandlers.ofString());
      assertThat(page.statusCode()).isEqualTo(200);
      assertThat(page.body()).isEqualTo("secret page");
      assertThat(page.headers().firstValue("Cache-Control")).hasValue("no-store");
      assertThat(seenSubjects).containsExactly("alice");

      HttpResponse<String> logout = http.send(HttpRequest.newBuilder(URI.create(base + "/_curfew/session"))
          .header("Cookie", cookie).DELETE().build(), HttpResponse.BodyHandlers.ofString());
      assertThat(logout.statusCode()).isEqualTo(204);
      HttpResponse<String> after = http.send(HttpRequest.newBuilder(URI.create(base + "/api/data"))
          .header("Cookie", cookie).build(), HttpResponse.BodyHandlers.ofString());
      assertThat(after.statusCode()).isEqualTo(401);
      assertThat(after.body()).contains("\"reason\":\"logged_out\"");
      assertThat(after.headers().firstValue("Clear-Site-Data")).isPresent();
      assertThat(seenSubjects).hasSize(1);
    } finally {
      running.stop(new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8));
      vertx.close();
    }
  }

  @Test
  void eachRouteOpensSessionsUnderItsOwnPolicy() throws Exception {
    Vertx vertx = Vertx.vertx();
    HttpServer upstream = vertx.createHttpServer().requestHandler(req -> {
      if (req.path().endsWith("/login")) req.response().putHeader("Curfew-Login", "subject=bob");
      req.response().end("ok");
    }).listen(0, "127.0.0.1").await(30, TimeUnit.SECONDS);
    int gatewayPort;
    try (ServerSocket s = new ServerSocket(0)) {
      gatewayPort = s.getLocalPort();
    }
    String up = "http://127.0.0.1:" + upstream.actualPort();
    CurfewConfig cfg = CurfewConfig.parse("default_policy: standard\npolicies:\n"
        + "  standard: {idle_timeout: 15m, absolute_timeout: 12h, warn_before: 2m, max_extensions: 10}\n"
        + "  admin: {idle_timeout: 5m, absolute_timeout: 1h, warn_before: 1m, max_extensions: 0}\n"
        + "gateway:\n  port: " + gatewayPort + "\n  routes:\n"
        + "    - {path: /admin, upstream: \"" + up + "\", policy: admin, login_path: /admin/login, login_handoff: true}\n"
        + "    - {path: /, upstream: \"" + up + "\", login_path: /login, login_handoff: true}\n")
        .withOverrides(0, dir.resolve("data"));
    ServeCommand.Running running = ServeCommand.start(cfg, new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8));
    HttpClient http = HttpClient.newHttpClient();
    String base = "http://localhost:" + gatewayPort;
    try {
      for (String[] c : new String[][] {{"/admin/login", "\"policy\":\"admin\""}, {"/login", "\"policy\":\"standard\""}}) {
        HttpResponse<String> login = http.send(HttpRequest.newBuilder(URI.create(base + c[0])).build(),
            HttpResponse.BodyHandlers.ofString());
        String setCookie = login.headers().firstValue("Set-Cookie").orElseThrow();
        String cookie = setCookie.substring(0, setCookie.indexOf(';'));
        HttpResponse<String> status = http.send(HttpRequest.newBuilder(URI.create(base + "/_curfew/session"))
            .header("Cookie", cookie).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(status.body()).as(c[0]).contains(c[1]);
      }
    } finally {
      running.stop(new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8));
      vertx.close();
    }
  }

  @Test
  void apiAndGatewayBothOnPortZero_getTwoPortsWithTheirOwnRoutes() throws Exception {
    CurfewConfig cfg = CurfewConfig.parse("gateway:\n  port: 0\n  routes:\n    - path: /app\n"
        + "      upstream: http://127.0.0.1:9\n      login_path: /app/login\n").withOverrides(0, dir.resolve("data"));
    ServeCommand.Running running = ServeCommand.start(cfg, new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8));
    HttpClient http = HttpClient.newHttpClient();
    try {
      assertThat(running.gatewayPort).isPositive().isNotEqualTo(running.port);
      for (int i = 0; i < 8; i++) { // every event loop's instance answers with its own router
        assertThat(http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + running.port + "/healthz")).build(),
            HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(200);
        assertThat(http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + running.gatewayPort + "/healthz")).build(),
            HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(404);
      }
    } finally {
      running.stop(new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8));
    }
  }
}
