package dev.curfew.server.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.curfew.server.config.CurfewConfig;
import dev.curfew.store.postgres.testing.TestDatabase;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Map;
import java.util.UUID;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code POST /_curfew/connect} through {@code curfew serve}: a person signed in on the gateway gets a
 * database session of their own, which works over the PostgreSQL protocol and ends, connection
 * included, when they log out of the web session it was minted from.
 */
class ServeConnectTest {
  private static final String KEY = "test-key-" + UUID.randomUUID();
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir Path dir;
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  @Test
  void aWebSessionMintsADatabaseSessionThatEndsWithItsLogout() throws Exception {
    String sha = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(KEY.getBytes(StandardCharsets.UTF_8)));
    try (TestDatabase db = TestDatabase.create("serve_connect")) {
      CurfewConfig cfg = CurfewConfig.parse("""
          api_keys:
            - {name: portal, key_sha256: "%s"}
          policies:
            default: {idle_timeout: 15m, absolute_timeout: 12h}
            dba: {idle_timeout: 5m, absolute_timeout: 1h, max_extensions: 0}
          rate_limits: {enabled: false}
          gateway:
            port: 0
            routes:
              - {path: /, upstream: "http://127.0.0.1:9"}
          databases:
            - name: orders
              protocol: postgres
              listen: 127.0.0.1:0
              upstream: %s:%d
              database: %s
              user: %s
              policy: dba
          """.formatted(sha, TestDatabase.HOST, TestDatabase.PORT, db.name(), TestDatabase.USER))
          .withOverrides(0, dir.resolve("data"));
      ServeCommand.Running running = ServeCommand.start(cfg, quiet());
      try {
        int api = running.port;
        int gateway = running.gatewayPort;
        int pgPort = running.databases.get(0).port();
        // A person signed in on the gateway (as a login handoff would have opened it), and an app's session.
        String web = open(api, "{\"subject\":\"alice\",\"audience\":[\"route:/\"]}").path("token").asText();
        String app = open(api, "{\"subject\":\"alice\"}").path("token").asText();
        String webId = get(api, "/v1/sessions?subject=alice").path("sessions").get(0).path("session_id").asText();

        // Refused: not JSON, another origin, a cross-site fetch, no session, a target that is not one, an app's session.
        String body = "{\"audience\":\"db:orders\"}";
        assertThat(connect(gateway, web, body, "text/plain", null, null).statusCode()).isEqualTo(415);
        assertThat(connect(gateway, web, body, "application/json", "https://evil.example", null).statusCode()).isEqualTo(403);
        assertThat(connect(gateway, web, body, "application/json", null, "cross-site").statusCode()).isEqualTo(403);
        assertThat(connect(gateway, null, body, "application/json", null, null).statusCode()).isEqualTo(401);
        HttpResponse<String> unknown = connect(gateway, web, "{\"audience\":\"db:payroll\"}", "application/json", null, null);
        assertThat(unknown.statusCode()).isEqualTo(400);
        assertThat(unknown.body()).contains("db:orders");
        assertThat(connectBearer(gateway, app, body).statusCode()).isEqualTo(403);

        HttpResponse<String> minted = connect(gateway, web, body, "application/json",
            "http://127.0.0.1:" + gateway, "same-origin");
        assertThat(minted.statusCode()).as(minted.body()).isEqualTo(201);
        assertThat(minted.headers().firstValue("Cache-Control")).contains("no-store");
        JsonNode child = JSON.readTree(minted.body());
        String childToken = child.path("token").asText();
        String childId = child.path("session_id").asText();
        assertThat(child.path("subject").asText()).isEqualTo("alice");
        assertThat(child.path("policy").asText()).isEqualTo("dba");
        assertThat(child.path("parent_session_id").asText()).isEqualTo(webId);
        assertThat(child.path("audience").toString()).isEqualTo("[\"db:orders\"]");
        assertThat(child.path("connect").path("command").asText()).isEqualTo(
            "psql \"host=127.0.0.1 port=" + pgPort + " dbname=" + db.name() + " user=alice\"");
        assertThat(child.path("connect").path("port").asInt()).isEqualTo(pgPort);
        assertThat(child.path("connect").toString()).doesNotContain(childToken);

        // The child works where it was minted for, as the database password.
        try (Connection c = DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + pgPort + "/" + db.name()
            + "?sslmode=disable", "alice", childToken); Statement s = c.createStatement()) {
          try (ResultSet rs = s.executeQuery("SELECT 40 + 2")) {
            assertThat(rs.next()).isTrue();
            assertThat(rs.getInt(1)).isEqualTo(42);
          }
          // Logging out of the web session ends the child, and its connection with the reason.
          HttpResponse<String> logout = http.send(HttpRequest.newBuilder(
                  URI.create("http://127.0.0.1:" + gateway + "/_curfew/session")).timeout(Duration.ofSeconds(10))
              .header("Cookie", "__Host-curfew=" + web).DELETE().build(), HttpResponse.BodyHandlers.ofString());
          assertThat(logout.statusCode()).isEqualTo(204);
          Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> status(api, childId) == 410);
          assertThat(get(api, "/v1/sessions/" + childId).path("reason").asText()).isEqualTo("parent_ended");
          assertThatThrownBy(() -> {
            try (ResultSet rs = s.executeQuery("SELECT 1")) {
              rs.next();
            }
          }).isInstanceOf(SQLException.class).hasMessageContaining("parent_ended");
        }
        // The app's session of the same subject lives on: only the children end.
        assertThat(check(api, app)).isEqualTo(200);

        JsonNode created = get(api, "/v1/audit?session_id=" + childId + "&type=session.created").path("records").get(0);
        assertThat(created.path("data").path("parent_session_id").asText()).isEqualTo(webId);
        assertThat(created.path("data").path("actor").asText()).isEqualTo("holder:" + webId);
        JsonNode ended = get(api, "/v1/audit?session_id=" + childId + "&type=session.revoked").path("records").get(0);
        assertThat(ended.path("data").path("reason").asText()).isEqualTo("parent_ended");
        assertThat(ended.path("data").path("actor").asText()).isEqualTo("curfew");
      } finally {
        running.stop(quiet());
      }
    }
  }

  private static PrintStream quiet() {
    return new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8);
  }

  private HttpResponse<String> connect(int port, String cookieToken, String body, String type, String origin,
      String fetchSite) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/_curfew/connect"))
        .timeout(Duration.ofSeconds(10)).header("Content-Type", type).POST(HttpRequest.BodyPublishers.ofString(body));
    if (cookieToken != null) b.header("Cookie", "__Host-curfew=" + cookieToken);
    if (origin != null) b.header("Origin", origin);
    if (fetchSite != null) b.header("Sec-Fetch-Site", fetchSite);
    return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  private HttpResponse<String> connectBearer(int port, String token, String body) throws Exception {
    return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/_curfew/connect"))
        .timeout(Duration.ofSeconds(10)).header("Content-Type", "application/json")
        .header("Authorization", "Bearer " + token).POST(HttpRequest.BodyPublishers.ofString(body)).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private JsonNode open(int port, String body) throws Exception {
    HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/v1/sessions"))
        .timeout(Duration.ofSeconds(10)).header("Authorization", "Bearer " + KEY).header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).as(r.body()).isEqualTo(201);
    return JSON.readTree(r.body());
  }

  private int check(int port, String token) throws Exception {
    return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/v1/check"))
        .timeout(Duration.ofSeconds(10)).header("Authorization", "Bearer " + KEY).header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(Map.of("token", token)))).build(),
        HttpResponse.BodyHandlers.ofString()).statusCode();
  }

  private int status(int port, String sessionId) throws Exception {
    return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/v1/sessions/" + sessionId))
        .timeout(Duration.ofSeconds(10)).header("Authorization", "Bearer " + KEY).GET().build(),
        HttpResponse.BodyHandlers.ofString()).statusCode();
  }

  private JsonNode get(int port, String path) throws Exception {
    HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
        .timeout(Duration.ofSeconds(10)).header("Authorization", "Bearer " + KEY).GET().build(),
        HttpResponse.BodyHandlers.ofString());
    return JSON.readTree(r.body());
  }
}
