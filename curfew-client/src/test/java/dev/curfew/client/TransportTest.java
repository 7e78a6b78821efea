package dev.curfew.client;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class TransportTest {
  private static Transport at(String base) {
    return new Transport(HttpClient.newHttpClient(), URI.create(base), Duration.ofSeconds(1));
  }

  @Test
  void pathsGoUnderTheBase_alsoUnderAProxysPrefix() {
    assertThat(at("http://h:8080").uri("/v1/session")).hasToString("http://h:8080/v1/session");
    assertThat(at("http://h:8080/").uri("/v1/session")).hasToString("http://h:8080/v1/session");
    assertThat(at("https://h/curfew/").uri("/v1/sessions?subject=a")).hasToString("https://h/curfew/v1/sessions?subject=a");
    assertThat(at("https://h/curfew").uri("/healthz")).hasToString("https://h/curfew/healthz");
  }

  @Test
  void anAnswerInAnotherFormKeepsItsStatusAndBodyAsTheDetail() {
    CurfewProblem p = Transport.problem(502, "text/html", "<h1>Bad gateway</h1>");
    assertThat(p.status()).isEqualTo(502);
    assertThat(p.type()).isEqualTo("about:blank");
    assertThat(p.detail()).isEqualTo("<h1>Bad gateway</h1>");
    assertThat(p.reason()).isEmpty();
  }

  @Test
  void aProblemKeepsRetryAfter_inSecondsOrAsADate() {
    CurfewProblem limited = Transport.problem(429, "application/problem+json",
        "{\"type\":\"urn:curfew:problem:rate-limited\",\"title\":\"Too many\",\"status\":429}", "30");
    assertThat(limited.retryAfter()).contains(Duration.ofSeconds(30));
    String inAMinute = java.time.format.DateTimeFormatter.RFC_1123_DATE_TIME.format(
        java.time.ZonedDateTime.now(java.time.ZoneOffset.UTC).plusSeconds(60));
    assertThat(Transport.problem(503, "text/plain", "busy", inAMinute).retryAfter())
        .hasValueSatisfying(d -> assertThat(d).isBetween(Duration.ofSeconds(50), Duration.ofSeconds(61)));
    assertThat(Transport.problem(429, "text/plain", "x", "soon").retryAfter()).isEmpty();
    assertThat(Transport.problem(502, "text/html", "<h1>Bad gateway</h1>").retryAfter()).isEmpty();
  }

  @Test
  void anUnreachableServerIsNamedByTheErrorsClass_neverNull() throws Exception {
    int closed;
    try (java.net.ServerSocket s = new java.net.ServerSocket(0)) {
      closed = s.getLocalPort();
    }
    Transport t = at("http://127.0.0.1:" + closed);
    var request = t.request("/v1/sessions", null).POST(java.net.http.HttpRequest.BodyPublishers.noBody()).build();
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> t.send(request))
        .isInstanceOf(java.io.UncheckedIOException.class)
        .hasMessageStartingWith("POST /v1/sessions: ")
        .hasMessageContaining("ConnectException")
        .satisfies(e -> assertThat(e.getMessage()).doesNotEndWith(": null"));
  }

  @Test
  void aRawAnswerNeverShowsARotatedToken() {
    var answer = new HolderSession.RawAnswer(200, "application/json",
        "{\"session_id\":\"s1\",\"token\":\"cft_secretsecretsecret\"}");
    assertThat(answer.toString()).doesNotContain("cft_secretsecretsecret").contains("200");
    assertThat(answer.body()).contains("cft_secretsecretsecret");
  }
}
