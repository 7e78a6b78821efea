package dev.curfew.server.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.http.HttpResponse;

/** What every response of the contract must look like. */
final class ApiAssertions {
  private ApiAssertions() {}

  static JsonNode assertJson(HttpResponse<String> r, int status) {
    assertThat(r.statusCode()).as("status of %s", r.body()).isEqualTo(status);
    assertThat(r.headers().firstValue("Cache-Control")).hasValue("no-store");
    assertThat(r.headers().firstValue("Content-Type")).hasValue("application/json; charset=utf-8");
    return ApiFixture.json(r);
  }

  static void assertEmpty(HttpResponse<String> r, int status) {
    assertThat(r.statusCode()).as("status of %s", r.body()).isEqualTo(status);
    assertThat(r.headers().firstValue("Cache-Control")).hasValue("no-store");
    assertThat(r.body()).isEmpty();
  }

  /** An RFC 9457 problem with {@code status}, and {@code reason} (null: the field must be absent). */
  static JsonNode assertProblem(HttpResponse<String> r, int status, String reason) {
    assertThat(r.statusCode()).as("status of %s", r.body()).isEqualTo(status);
    assertThat(r.headers().firstValue("Cache-Control")).hasValue("no-store");
    assertThat(r.headers().firstValue("Content-Type")).hasValue("application/problem+json");
    JsonNode p = ApiFixture.json(r);
    assertThat(p.path("status").asInt()).isEqualTo(status);
    assertThat(p.path("type").asText()).isNotEmpty();
    assertThat(p.path("title").asText()).isNotEmpty();
    assertThat(p.path("detail").asText()).isNotEmpty();
    if (reason == null) {
      assertThat(p.has("reason")).as("reason in %s", p).isFalse();
    } else {
      assertThat(p.path("reason").asText()).isEqualTo(reason);
    }
    return p;
  }
}
