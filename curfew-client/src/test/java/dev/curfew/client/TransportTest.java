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
}
