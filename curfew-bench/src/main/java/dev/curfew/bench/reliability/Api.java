package dev.curfew.bench.reliability;

import dev.curfew.core.audit.Json;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;

/** The few Curfew API calls the reliability harnesses make, with their own HTTP client. */
final class Api {
  private final HttpClient http;
  private final String base;
  private final String apiKey;

  Api(HttpClient http, int port, String apiKey) {
    this.http = http;
    this.base = "http://127.0.0.1:" + port;
    this.apiKey = apiKey;
  }

  static HttpClient client() {
    return HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(3)).build();
  }

  /** A status and body; {@link #json} parses it (null when it is not JSON). */
  record Answer(int status, String body) {
    Map<String, Object> json() {
      try {
        return Json.parseObject(body);
      } catch (RuntimeException e) {
        return null;
      }
    }

    /** The {@code reason} of a problem answer, or null. */
    String reason() {
      Map<String, Object> m = json();
      return m == null ? null : (String) m.get("reason");
    }

    String field(String name) {
      Map<String, Object> m = json();
      return m == null ? null : (String) m.get(name);
    }
  }

  Answer open(String subject, String policy) throws IOException, InterruptedException {
    return backend("POST", "/v1/sessions", "{\"subject\":\"" + subject + "\",\"policy\":\"" + policy + "\"}");
  }

  Answer revoke(String sessionId) throws IOException, InterruptedException {
    return backend("DELETE", "/v1/sessions/" + sessionId, "{\"reason_text\":\"reliability harness\"}");
  }

  Answer get(String sessionId) throws IOException, InterruptedException {
    return backend("GET", "/v1/sessions/" + sessionId, null);
  }

  Answer checkpoint() throws IOException, InterruptedException {
    return backend("GET", "/v1/audit/checkpoint", null);
  }

  Answer metrics() throws IOException, InterruptedException {
    return backend("GET", "/metrics", null);
  }

  Answer status(String token) throws IOException, InterruptedException {
    return holder("GET", "/v1/session", token);
  }

  Answer touch(String token) throws IOException, InterruptedException {
    return holder("POST", "/v1/session/activity", token);
  }

  Answer extend(String token) throws IOException, InterruptedException {
    return holder("POST", "/v1/session/extend", token);
  }

  Answer acknowledgeWarning(String token) throws IOException, InterruptedException {
    return holder("POST", "/v1/session/warning-ack", token);
  }

  Answer logout(String token) throws IOException, InterruptedException {
    return holder("DELETE", "/v1/session", token);
  }

  Answer check(String token, boolean touch) throws IOException, InterruptedException {
    return backend("POST", "/v1/check", "{\"token\":\"" + token + "\",\"touch\":" + touch + "}");
  }

  private Answer backend(String method, String path, String body) throws IOException, InterruptedException {
    return send(method, path, "Bearer " + apiKey, body);
  }

  private Answer holder(String method, String path, String token) throws IOException, InterruptedException {
    return send(method, path, "Bearer " + token, null);
  }

  private Answer send(String method, String path, String authorization, String body)
      throws IOException, InterruptedException {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(10))
        .header("Authorization", authorization);
    if (body != null) {
      b.header("Content-Type", "application/json").method(method, HttpRequest.BodyPublishers.ofString(body));
    } else {
      b.method(method, HttpRequest.BodyPublishers.noBody());
    }
    HttpResponse<String> r = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    return new Answer(r.statusCode(), r.body());
  }
}
