package dev.curfew.server.console;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An API key of scope {@code app} tries every route to an administrator's powers (list, revoke,
 * rewrite policies, sign in to the console, forge or borrow a console session) and gets none;
 * the trail names the right actor for every session and refusal.
 */
class AppKeyEscalationTest {
  @TempDir Path dir;
  private ConsoleFixture f;

  @BeforeEach
  void start() throws Exception {
    f = new ConsoleFixture(dir);
  }

  @AfterEach
  void stop() throws Exception {
    f.close();
  }

  private HttpResponse<String> shop(String method, String path, String body) {
    HttpRequest.Builder b = HttpRequest.newBuilder(f.uri(path)).header("Authorization", "Bearer " + ConsoleFixture.SHOP_KEY)
        .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
    if (body != null) b.header("Content-Type", "application/json");
    return f.send(b);
  }

  /** A console call with {@code token} in the console cookie, as the page makes it. */
  private HttpResponse<String> asConsole(String method, String path, String token, String body) {
    return f.change(method, path, new ConsoleFixture.Operator(token, "x", "s_x"), body);
  }

  @Test
  void aSessionMintedWithConsoleAttributes_isNoConsoleSession_andItsUseIsRecorded() throws Exception {
    ConsoleFixture.Operator admin = f.signIn(ConsoleFixture.KEY);
    String victim = f.open("victim").get("session_id").asText();
    HttpResponse<String> minted = shop("POST", "/v1/sessions",
        "{\"subject\":\"console:app\",\"attributes\":{\"kind\":\"console\",\"api_key\":\"app\",\"scope\":\"admin\"}}");
    assertThat(minted.statusCode()).isEqualTo(201);
    JsonNode forged = ConsoleFixture.json(minted);
    assertThat(forged.get("audience")).hasToString("[\"app:shop\"]");
    String token = forged.get("token").asText();

    for (HttpResponse<String> r : List.of(
        f.get("/console/api/me", token),
        f.get("/console/api/sessions", token),
        f.get("/console/api/audit/records", token),
        asConsole("DELETE", "/console/api/sessions/" + victim, token, null),
        asConsole("POST", "/console/api/subjects/victim/revoke", token, "{}"),
        asConsole("PUT", "/console/api/policies/standard", token,
            "{\"idle_timeout\":\"12h\",\"absolute_timeout\":\"400d\",\"warn_before\":\"1m\",\"max_extensions\":1000}"))) {
      assertThat(r.statusCode()).as(r.uri().toString()).isEqualTo(403);
      assertThat(ConsoleFixture.json(r).get("reason").asText()).isEqualTo("wrong_audience");
    }
    assertThat(f.get("/console/sessions", token).statusCode()).as("the page sends it to sign in").isEqualTo(303);
    // The victim lives on, the policy is unchanged, and the forged session was never touched.
    assertThat(ConsoleFixture.json(f.get("/console/api/sessions/" + victim, admin.token())).get("ended_reason")).isNull();
    assertThat(ConsoleFixture.json(f.get("/console/api/policies/standard", admin.token())).get("version").asInt())
        .isEqualTo(1);

    // The refusal's record is durable before the console answers it: no waiting here.
    List<Map<String, Object>> records = f.records();
    assertThat(records).noneMatch(r -> List.of("session.revoked", "policy.changed").contains(r.get("type")));
    Map<String, Object> shopCreated = created(records, forged.get("session_id").asText());
    assertThat(data(shopCreated)).containsEntry("actor", "shop").containsEntry("audience", List.of("app:shop"));
    Map<String, Object> consoleCreated = created(records, admin.sessionId());
    assertThat(data(consoleCreated)).containsEntry("actor", "console").containsEntry("audience", List.of("console"));
    assertThat(records).anyMatch(r -> "session.refused".equals(r.get("type"))
        && forged.get("session_id").asText().equals(r.get("session_id"))
        && "wrong_audience".equals(data(r).get("reason")));
  }

  @Test
  void reservedAttributes_andTheConsoleOrAnotherAppsAudience_areRefusedWith400() {
    for (String body : List.of(
        "{\"subject\":\"a\",\"attributes\":{\"curfew.console\":true}}",
        "{\"subject\":\"a\",\"attributes\":{\"CURFEW_api_key\":\"app\"}}",
        "{\"subject\":\"a\",\"attributes\":{\"Curfew.kind\":\"console\"}}")) {
      HttpResponse<String> r = shop("POST", "/v1/sessions", body);
      assertThat(r.statusCode()).as(body).isEqualTo(400);
      assertThat(ConsoleFixture.json(r).get("detail").asText()).containsIgnoringCase("curfew").contains("reserved");
    }
    HttpResponse<String> console = shop("POST", "/v1/sessions", "{\"subject\":\"a\",\"audience\":[\"console\"]}");
    assertThat(console.statusCode()).isEqualTo(400);
    assertThat(ConsoleFixture.json(console).get("detail").asText()).contains("console");
    assertThat(shop("POST", "/v1/sessions", "{\"subject\":\"a\",\"audience\":[\"app:app\"]}").statusCode()).isEqualTo(400);
    assertThat(shop("POST", "/v1/sessions", "{\"subject\":\"a\",\"audience\":[\"route:/\"]}").statusCode()).isEqualTo(201);
  }

  @Test
  void theAppKeyItself_reachesNoAdminRoute_andCannotSignInToTheConsole() throws Exception {
    ConsoleFixture.Operator admin = f.signIn(ConsoleFixture.KEY);
    String victim = f.open("victim").get("session_id").asText();
    assertThat(shop("GET", "/v1/sessions?subject=victim", null).statusCode()).isEqualTo(403);
    assertThat(shop("GET", "/v1/sessions/" + victim, null).statusCode()).isEqualTo(403);
    assertThat(shop("DELETE", "/v1/sessions/" + victim, null).statusCode()).isEqualTo(403);
    assertThat(shop("POST", "/v1/subjects/victim/revoke", "{}").statusCode()).isEqualTo(403);
    assertThat(shop("PUT", "/v1/policies/standard", "{\"idle_timeout\":\"12h\",\"absolute_timeout\":\"12h\"}")
        .statusCode()).isEqualTo(403);
    assertThat(shop("GET", "/v1/audit", null).statusCode()).isEqualTo(403);
    HttpResponse<String> signIn = f.form("/console/login", "api_key=" + ConsoleFixture.enc(ConsoleFixture.SHOP_KEY),
        "Sec-Fetch-Site", "same-origin", "Origin", "http://127.0.0.1:" + f.port);
    assertThat(signIn.statusCode()).isEqualTo(403);
    assertThat(signIn.headers().firstValue("Set-Cookie")).isEmpty();
    // A console token in the app's hands: RFC 7009 revocation and introspection do not reach it.
    HttpResponse<String> revoke = f.send(HttpRequest.newBuilder(f.uri("/v1/revoke"))
        .header("Authorization", "Bearer " + ConsoleFixture.SHOP_KEY)
        .header("Content-Type", "application/x-www-form-urlencoded")
        .POST(HttpRequest.BodyPublishers.ofString("token=" + admin.token())));
    assertThat(revoke.statusCode()).isEqualTo(403);
    HttpResponse<String> introspect = f.send(HttpRequest.newBuilder(f.uri("/v1/introspect"))
        .header("Authorization", "Bearer " + ConsoleFixture.SHOP_KEY)
        .header("Content-Type", "application/x-www-form-urlencoded")
        .POST(HttpRequest.BodyPublishers.ofString("token=" + admin.token())));
    assertThat(ConsoleFixture.json(introspect).get("active").asBoolean()).isFalse();
    assertThat(f.get("/console/api/me", admin.token()).statusCode()).as("the operator lives on").isEqualTo(200);
    assertThat(f.records()).noneMatch(r -> List.of("session.revoked", "policy.changed").contains(r.get("type")));
  }

  private static Map<String, Object> created(List<Map<String, Object>> records, String sessionId) {
    return records.stream().filter(r -> "session.created".equals(r.get("type")) && sessionId.equals(r.get("session_id")))
        .findFirst().orElseThrow();
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> data(Map<String, Object> record) {
    return (Map<String, Object>) record.get("data");
  }
}
