package dev.curfew.server.http;

import static dev.curfew.server.http.ApiAssertions.assertProblem;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.curfew.core.ManualClock;
import dev.curfew.server.security.RateLimiter.Rate;
import dev.curfew.server.security.RateLimits;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The rate limits through the API, on their own manual clock: opens per key and per subject,
 * extensions per subject, failed checks per key and per client address. Each refusal is a 429
 * problem with {@code Retry-After} and the member {@code limit}, and changes nothing.
 */
class ApiRateLimitTest {
  private final ManualClock limitClock = new ManualClock(Instant.parse("2031-05-17T03:00:00.000Z"));
  private ApiFixture f;

  private ApiFixture start(RateLimits.Settings limits) {
    f = new ApiFixture(ApiServer.Settings.defaults().withInstances(2)
        .withRateLimits(new RateLimits(limits, limitClock)), 3);
    return f;
  }

  /** Generous everywhere except where a test tightens it. */
  private static RateLimits.Settings loose() {
    Rate many = Rate.of(1000, Duration.ofMinutes(1));
    return new RateLimits.Settings(true, many, many, many, many, many, 1000, List.of());
  }

  private static RateLimits.Settings with(String which, Rate rate, List<String> trustedProxies) {
    RateLimits.Settings l = loose();
    return new RateLimits.Settings(true,
        which.equals("open_per_key") ? rate : l.openPerKey(),
        which.equals("open_per_subject") ? rate : l.openPerSubject(),
        which.equals("extend_per_subject") ? rate : l.extendPerSubject(),
        which.equals("failed_checks_per_key") ? rate : l.failedChecksPerKey(),
        which.equals("failed_checks_per_address") ? rate : l.failedChecksPerAddress(),
        1000, trustedProxies);
  }

  @AfterEach
  void close() throws Exception {
    if (f != null) f.close();
  }

  private static JsonNode assertLimited(HttpResponse<String> r, String limit, long retryAfterSeconds) {
    JsonNode p = assertProblem(r, 429, null);
    assertThat(p.path("type").asText()).isEqualTo("urn:curfew:problem:rate-limited");
    assertThat(p.path("limit").asText()).isEqualTo(limit);
    assertThat(r.headers().firstValue("Retry-After")).hasValue(Long.toString(retryAfterSeconds));
    return p;
  }

  @Test
  void opensPerSubject_thenRefused_whileOtherSubjectsOpen_untilTheBucketRefills() {
    start(with("open_per_subject", Rate.of(3, Duration.ofMinutes(1)), List.of()));
    for (int i = 0; i < 3; i++) f.open("alice");
    int records = f.sink.lines().size();
    JsonNode p = assertLimited(f.backend("POST", "/v1/sessions", "{\"subject\":\"alice\"}"), "open_per_subject", 20);
    assertThat(p.path("detail").asText()).contains("3 per 1m").doesNotContain("alice");
    assertThat(f.sink.lines()).as("a refused open writes nothing").hasSize(records);
    assertThat(f.engine.liveSessions()).isEqualTo(3);
    f.open("bob");
    limitClock.advance(Duration.ofSeconds(19));
    assertLimited(f.backend("POST", "/v1/sessions", "{\"subject\":\"alice\"}"), "open_per_subject", 1);
    limitClock.advance(Duration.ofSeconds(1));
    f.open("alice");
  }

  @Test
  void opensPerKey_eachKeyItsOwnBucket() {
    start(with("open_per_key", Rate.of(2, Duration.ofSeconds(10)), List.of()));
    f.open("a");
    f.open("b");
    JsonNode p = assertLimited(f.backend("POST", "/v1/sessions", "{\"subject\":\"c\"}"), "open_per_key", 5);
    assertThat(p.path("detail").asText()).contains("\"app-backend\"");
    HttpResponse<String> other = f.call("POST", "/v1/sessions", "{\"subject\":\"c\"}", "Authorization", "Bearer " + ApiFixture.APP_KEY);
    assertThat(other.statusCode()).isEqualTo(201);
    // a body without a subject is the handler's 400, not a use of the limit
    assertProblem(f.call("POST", "/v1/sessions", "{\"subjekt\":1}", "Authorization", "Bearer " + ApiFixture.APP_KEY), 400, null);
    assertThat(f.call("POST", "/v1/sessions", "{\"subject\":\"d\"}", "Authorization", "Bearer " + ApiFixture.APP_KEY)
        .statusCode()).isEqualTo(201);
  }

  @Test
  void extensionsPerSubject_acrossTheSubjectsSessions_beforeThePolicyIsAsked() {
    start(with("extend_per_subject", Rate.of(1, Duration.ofMinutes(10)), List.of()));
    ApiFixture.Created first = f.open("alice");
    ApiFixture.Created second = f.open("alice");
    assertThat(f.holder("POST", "/v1/session/extend", first.token()).statusCode()).isEqualTo(200);
    int records = f.sink.lines().size();
    assertLimited(f.holder("POST", "/v1/session/extend", second.token()), "extend_per_subject", 600);
    assertLimited(f.holder("POST", "/v1/session/extend", first.token()), "extend_per_subject", 600);
    assertThat(f.sink.lines()).as("neither extended nor refused by the policy").hasSize(records);
    assertThat(f.holder("POST", "/v1/session/extend", f.open("bob").token()).statusCode()).isEqualTo(200);
    // an ended or unknown token is the handler's 401, whatever the limit says
    assertProblem(f.holder("POST", "/v1/session/extend", "cft_" + "x".repeat(43)), 401, "unknown");
  }

  @Test
  void unknownTokensFromOneAddress_thenEvenAValidTokenIsNotLookedAt_untilTheBucketRefills() {
    start(with("failed_checks_per_address", Rate.of(3, Duration.ofMinutes(1)), List.of()));
    ApiFixture.Created s = f.open("alice");
    assertProblem(f.holder("GET", "/v1/session", guess(1)), 401, "unknown");
    assertProblem(f.holder("POST", "/v1/session/activity", guess(2)), 401, "unknown");
    assertProblem(f.call("GET", "/v1/forward-auth", null, "X-Curfew-Audience", "app:app-backend", "Cookie", "__Host-curfew=" + guess(3)), 401, "unknown");
    assertLimited(f.holder("GET", "/v1/session", s.token()), "failed_checks_per_address", 20);
    assertLimited(f.call("GET", "/v1/forward-auth", null, "X-Curfew-Audience", "app:app-backend", "Cookie", "__Host-curfew=" + s.token()), "failed_checks_per_address", 20);
    assertLimited(f.backend("GET", "/v1/sessions?subject=alice", null), "failed_checks_per_address", 20);
    // what presents no credential is not throttled
    assertThat(f.call("GET", "/healthz", null).statusCode()).isEqualTo(200);
    assertProblem(f.call("GET", "/v1/session", null), 401, "unknown");
    limitClock.advance(Duration.ofSeconds(20));
    assertThat(f.holder("GET", "/v1/session", s.token()).statusCode()).isEqualTo(200);
    assertProblem(f.holder("GET", "/v1/session", guess(4)), 401, "unknown");
    assertLimited(f.holder("GET", "/v1/session", s.token()), "failed_checks_per_address", 20);
  }

  @Test
  void endedTokensAreNotFailures_returningUsersPresentThem() {
    start(with("failed_checks_per_address", Rate.of(2, Duration.ofMinutes(1)), List.of()));
    ApiFixture.Created s = f.open("alice");
    assertThat(f.holder("DELETE", "/v1/session", s.token()).statusCode()).isEqualTo(204);
    for (int i = 0; i < 10; i++) assertProblem(f.holder("GET", "/v1/session", s.token()), 401, "logged_out");
    assertProblem(f.holder("GET", "/v1/session", guess(1)), 401, "unknown");
    assertProblem(f.holder("GET", "/v1/session", guess(2)), 401, "unknown");
    assertLimited(f.holder("GET", "/v1/session", s.token()), "failed_checks_per_address", 30);
  }

  @Test
  void wrongApiKeysAreFailuresOfTheAddress() {
    start(with("failed_checks_per_address", Rate.of(2, Duration.ofMinutes(1)), List.of()));
    assertProblem(f.call("GET", "/v1/audit", null, "Authorization", "Bearer guess-1"), 401, null);
    assertProblem(f.call("GET", "/v1/audit", null, "Authorization", "Bearer guess-2"), 401, null);
    assertLimited(f.backend("GET", "/v1/audit", null), "failed_checks_per_address", 30);
    // no Authorization at all is no guess
    limitClock.advance(Duration.ofMinutes(1));
    for (int i = 0; i < 5; i++) assertProblem(f.call("GET", "/v1/audit", null), 401, null);
    assertThat(f.backend("GET", "/v1/audit", null).statusCode()).isEqualTo(200);
  }

  @Test
  void unknownTokensThroughAKey_areFailuresOfThatKey_notOfItsAddress() {
    start(with("failed_checks_per_key", Rate.of(3, Duration.ofMinutes(1)), List.of()));
    ApiFixture.Created s = f.open("alice");
    String gateway = "Bearer " + ApiFixture.GATEWAY_KEY;
    assertProblem(f.call("POST", "/v1/check", "{\"token\":\"" + guess(1) + "\"}", "Authorization", gateway), 401, "unknown");
    assertProblem(f.call("POST", "/v1/check", "{\"token\":\"not-even-a-token\"}", "Authorization", gateway), 401, "unknown");
    assertProblem(f.call("GET", "/v1/forward-auth", null, "X-Curfew-Audience", "app:app-backend", "Authorization", gateway, "Cookie", "__Host-curfew=" + guess(2)),
        401, "unknown");
    assertLimited(f.call("POST", "/v1/check", "{\"token\":\"" + s.token() + "\"}", "Authorization", gateway),
        "failed_checks_per_key", 20);
    // other keys, and token holders at the same address, are unaffected
    assertThat(f.call("POST", "/v1/check", "{\"token\":\"" + s.token() + "\"}", "Authorization", "Bearer " + ApiFixture.KEY)
        .statusCode()).isEqualTo(200);
    assertThat(f.holder("GET", "/v1/session", s.token()).statusCode()).isEqualTo(200);
    // introspection of unknown tokens counts against the app key too, although it answers 200 active:false
    for (int i = 0; i < 3; i++) {
      assertThat(f.call("POST", "/v1/introspect", "{\"token\":\"" + guess(10 + i) + "\"}", "Authorization",
          "Bearer " + ApiFixture.APP_KEY).body()).isEqualTo("{\"active\":false}");
    }
    assertLimited(f.call("POST", "/v1/introspect", "{\"token\":\"" + s.token() + "\"}", "Authorization",
        "Bearer " + ApiFixture.APP_KEY), "failed_checks_per_key", 20);
    // opening sessions is not a token check: the app key still opens
    assertThat(f.call("POST", "/v1/sessions", "{\"subject\":\"x\"}", "Authorization", "Bearer " + ApiFixture.APP_KEY)
        .statusCode()).isEqualTo(201);
  }

  @Test
  void behindATrustedProxy_clientsAreToldApartByXForwardedFor_andAForgedHeaderDoesNotHelp() {
    start(with("failed_checks_per_address", Rate.of(1, Duration.ofMinutes(1)), List.of("127.0.0.1")));
    ApiFixture.Created s = f.open("alice");
    assertProblem(f.call("GET", "/v1/session", null, "Authorization", "Bearer " + guess(1),
        "X-Forwarded-For", "198.51.100.1"), 401, "unknown");
    assertLimited(f.call("GET", "/v1/session", null, "Authorization", "Bearer " + s.token(),
        "X-Forwarded-For", "198.51.100.1"), "failed_checks_per_address", 60);
    // the client put its own X-Forwarded-For first; the proxy appended the address it saw
    assertLimited(f.call("GET", "/v1/session", null, "Authorization", "Bearer " + s.token(),
        "X-Forwarded-For", "203.0.113.50, 198.51.100.1"), "failed_checks_per_address", 60);
    assertThat(f.call("GET", "/v1/session", null, "Authorization", "Bearer " + s.token(),
        "X-Forwarded-For", "198.51.100.2").statusCode()).isEqualTo(200);
  }

  @Test
  void withoutTrustedProxies_xForwardedForIsIgnored() {
    start(with("failed_checks_per_address", Rate.of(1, Duration.ofMinutes(1)), List.of()));
    ApiFixture.Created s = f.open("alice");
    assertProblem(f.call("GET", "/v1/session", null, "Authorization", "Bearer " + guess(1), "X-Forwarded-For", "198.51.100.1"),
        401, "unknown");
    assertLimited(f.call("GET", "/v1/session", null, "Authorization", "Bearer " + s.token(),
        "X-Forwarded-For", "198.51.100.99"), "failed_checks_per_address", 60);
  }

  @Test
  void disabled_nothingIsLimited() {
    start(new RateLimits.Settings(false, Rate.of(1, Duration.ofDays(1)), Rate.of(1, Duration.ofDays(1)),
        Rate.of(1, Duration.ofDays(1)), Rate.of(1, Duration.ofDays(1)), Rate.of(1, Duration.ofDays(1)), 100, List.of()));
    for (int i = 0; i < 5; i++) f.open("alice");
    for (int i = 0; i < 5; i++) assertProblem(f.holder("GET", "/v1/session", guess(i)), 401, "unknown");
    assertThat(f.holder("GET", "/v1/session", f.open("alice").token()).statusCode()).isEqualTo(200);
  }

  /** A well-formed token that was never issued. */
  private static String guess(int i) {
    return "cft_" + String.format("%043d", i);
  }
}
