package dev.curfew.server.http;

import static dev.curfew.server.http.ApiAssertions.assertProblem;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Every backend route against a key of every scope: the route table of docs/security.md, enforced. */
class ApiScopesTest {
  private final ApiFixture f = new ApiFixture();

  @AfterEach
  void close() throws Exception {
    f.close();
  }

  /** One backend route and the scope it needs; {@code form}: the body is form-encoded, else JSON. */
  private record Route(String method, String path, String body, boolean form, Scope needs) {
    @Override
    public String toString() {
      return method + " " + path;
    }
  }

  private List<Route> routes(ApiFixture.Created s) {
    String policy = "{\"idle_timeout\":\"15m\",\"absolute_timeout\":\"12h\",\"warn_before\":\"2m\",\"max_extensions\":2}";
    return List.of(
        new Route("POST", "/v1/sessions", "{\"subject\":\"carol\"}", false, Scope.APP),
        new Route("POST", "/v1/introspect", "token=" + s.token(), true, Scope.APP),
        new Route("POST", "/v1/revoke", "token=cft_not-a-live-token", true, Scope.APP),
        new Route("POST", "/v1/check", "{\"token\":\"" + s.token() + "\"}", false, Scope.GATEWAY),
        new Route("GET", "/v1/sessions?subject=alice", null, false, Scope.ADMIN),
        new Route("GET", "/v1/sessions/" + s.sessionId(), null, false, Scope.ADMIN),
        new Route("DELETE", "/v1/sessions/s_unknown", null, false, Scope.ADMIN),
        new Route("POST", "/v1/subjects/nobody/revoke", null, false, Scope.ADMIN),
        new Route("GET", "/v1/policies", null, false, Scope.ADMIN),
        new Route("GET", "/v1/policies/default", null, false, Scope.ADMIN),
        new Route("POST", "/v1/policies/check", "{\"idle_timeout\":\"15m\",\"absolute_timeout\":\"12h\","
            + "\"against\":[\"pci-dss-4.0\"]}", false, Scope.ADMIN),
        new Route("PUT", "/v1/policies/extra", policy, false, Scope.ADMIN),
        new Route("GET", "/v1/audit", null, false, Scope.AUDITOR),
        new Route("GET", "/v1/audit/checkpoint", null, false, Scope.AUDITOR),
        new Route("GET", "/v1/audit/evidence?session_id=" + s.sessionId(), null, false, Scope.AUDITOR),
        new Route("GET", "/v1/audit/consistency?from=1&to=1", null, false, Scope.AUDITOR));
  }

  private record Key(String secret, Set<Scope> scopes) {}

  private static final List<Key> KEYS = List.of(
      new Key(ApiFixture.KEY, Set.of(Scope.ADMIN)),
      new Key(ApiFixture.APP_KEY, Set.of(Scope.APP)),
      new Key(ApiFixture.GATEWAY_KEY, Set.of(Scope.GATEWAY)),
      new Key(ApiFixture.AUDITOR_KEY, Set.of(Scope.AUDITOR)),
      new Key(ApiFixture.APP_AUDITOR_KEY, Set.of(Scope.APP, Scope.AUDITOR)));

  private HttpResponse<String> call(Route r, String authorization) {
    HttpRequest.Builder b = f.request(r.path()).method(r.method(),
        r.body() == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(r.body()));
    if (r.body() != null) b.header("Content-Type", r.form() ? "application/x-www-form-urlencoded" : "application/json");
    if (authorization != null) b.header("Authorization", authorization);
    return f.send(b);
  }

  @Test
  void everyRouteAnswersOnlyTheKeysThatHoldItsScope() {
    ApiFixture.Created s = f.open("alice");
    List<String> wrong = new ArrayList<>();
    for (Route r : routes(s)) {
      for (Key k : KEYS) {
        boolean permitted = k.scopes().contains(Scope.ADMIN) || k.scopes().contains(r.needs());
        int before = f.sink.lines().size();
        HttpResponse<String> resp = call(r, "Bearer " + k.secret());
        if (permitted) {
          if (resp.statusCode() == 401 || resp.statusCode() == 403) wrong.add(r + " with " + k.scopes() + ": " + resp.body());
          continue;
        }
        JsonNode p = assertProblem(resp, 403, null);
        assertThat(p.path("type").asText()).isEqualTo("urn:curfew:problem:insufficient-scope");
        assertThat(p.path("scope").asText()).as("%s", r).isEqualTo(r.needs().wire());
        assertThat(p.path("detail").asText()).contains("needs the scope " + r.needs().wire());
        assertThat(resp.headers().firstValue("WWW-Authenticate")).hasValue(
            "Bearer realm=\"curfew\", error=\"insufficient_scope\", scope=\"" + r.needs().wire() + "\"");
        assertThat(f.sink.lines()).as("a refused %s changed nothing", r).hasSize(before);
      }
    }
    assertThat(wrong).as("permitted calls that were refused").isEmpty();
    assertThat(f.engine.liveSessions()).as("alice's session was not revoked by a refused call").isPositive();
  }

  @Test
  void noKeyOrAWrongKeyIs401OnEveryRoute_beforeAnyScopeIsConsidered() {
    ApiFixture.Created s = f.open("alice");
    for (Route r : routes(s)) {
      assertProblem(call(r, null), 401, null);
      assertProblem(call(r, "Bearer " + ApiFixture.APP_KEY + "x"), 401, null);
      // the name of one key with the secret of another: no key at all
      assertProblem(call(r, basic("auditor", ApiFixture.APP_KEY)), 401, null);
    }
  }

  @Test
  void basicAuthCarriesTheScopesOfTheNamedKey() {
    assertThat(call(new Route("GET", "/v1/audit", null, false, Scope.AUDITOR), basic("auditor", ApiFixture.AUDITOR_KEY))
        .statusCode()).isEqualTo(200);
    assertProblem(call(new Route("POST", "/v1/sessions", "{\"subject\":\"x\"}", false, Scope.APP),
        basic("auditor", ApiFixture.AUDITOR_KEY)), 403, null);
  }

  @Test
  void aRevocationIsAuditedWithTheNameOfTheKeyThatMadeIt() {
    ApiFixture.Created s = f.open("alice");
    assertThat(f.call("POST", "/v1/revoke", null).statusCode()).isEqualTo(401);
    HttpResponse<String> r = f.send(f.request("/v1/revoke").POST(HttpRequest.BodyPublishers.ofString("token=" + s.token()))
        .header("Content-Type", "application/x-www-form-urlencoded").header("Authorization", "Bearer " + ApiFixture.APP_KEY));
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(f.sink.lines().get(f.sink.lines().size() - 1)).contains("\"type\":\"session.revoked\"", "\"actor\":\"app\"");
  }

  @Test
  void holderEndpointsIgnoreApiKeys_theyTakeOnlySessionTokens() {
    ApiFixture.Created s = f.open("alice");
    for (String key : new String[] {ApiFixture.KEY, ApiFixture.APP_KEY, ApiFixture.GATEWAY_KEY}) {
      assertProblem(f.holder("GET", "/v1/session", key), 401, "unknown");
    }
    assertThat(f.holder("GET", "/v1/session", s.token()).statusCode()).isEqualTo(200);
  }

  @Test
  void forwardAuthNeedsNoKey_takesAGatewayKey_andRefusesAKeyWithoutTheScope() {
    ApiFixture.Created s = f.open("alice");
    String cookie = "__Host-curfew=" + s.token();
    assertThat(f.call("GET", "/v1/forward-auth", null, "X-Curfew-Audience", "app:app-backend", "Cookie", cookie).statusCode()).isEqualTo(200);
    assertThat(f.call("GET", "/v1/forward-auth", null, "X-Curfew-Audience", "app:app-backend", "Authorization", "Bearer " + s.token()).statusCode()).isEqualTo(200);
    HttpResponse<String> withKey = f.call("GET", "/v1/forward-auth/app/page", null, "X-Curfew-Audience", "app:app-backend",
        "Authorization", "Bearer " + ApiFixture.GATEWAY_KEY, "Cookie", cookie);
    assertThat(withKey.statusCode()).isEqualTo(200);
    assertThat(withKey.headers().firstValue("X-Curfew-Subject")).hasValue("alice");
    // the key is not mistaken for the session token: without a cookie there is no token at all
    assertProblem(f.call("GET", "/v1/forward-auth", null, "X-Curfew-Audience", "app:app-backend", "Authorization", "Bearer " + ApiFixture.GATEWAY_KEY), 401, "unknown");
    JsonNode p = assertProblem(f.call("GET", "/v1/forward-auth", null, "X-Curfew-Audience", "app:app-backend",
        "Authorization", "Bearer " + ApiFixture.AUDITOR_KEY, "Cookie", cookie), 403, null);
    assertThat(p.path("scope").asText()).isEqualTo("gateway");
  }

  @Test
  void metricsBehindAuthTakeAKeyOfAnyScope() throws Exception {
    try (ApiFixture g = new ApiFixture(ApiServer.Settings.defaults().withInstances(1).withMetricsRequireApiKey(true), 3)) {
      assertProblem(g.call("GET", "/metrics", null), 401, null);
      for (String key : new String[] {ApiFixture.AUDITOR_KEY, ApiFixture.GATEWAY_KEY, ApiFixture.KEY}) {
        assertThat(g.call("GET", "/metrics", null, "Authorization", "Bearer " + key).statusCode()).isEqualTo(200);
      }
    }
  }

  private static String basic(String name, String key) {
    return "Basic " + Base64.getEncoder().encodeToString((name + ":" + key).getBytes(StandardCharsets.UTF_8));
  }

}
