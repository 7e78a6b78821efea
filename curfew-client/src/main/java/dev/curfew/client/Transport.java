package dev.curfew.client;

import dev.curfew.core.audit.CanonicalJson;
import dev.curfew.core.audit.Json;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Flow;

/**
 * Sends requests and turns answers into JSON maps or {@link CurfewProblem}s. One job: the wire.
 */
final class Transport {
  private final HttpClient http;
  private final URI base;
  private final Duration timeout;

  Transport(HttpClient http, URI base, Duration timeout) {
    this.http = http;
    this.base = base;
    this.timeout = timeout;
  }

  /** A request to {@code path} (with its query) under the base URI, with {@code authorization} when not null. */
  HttpRequest.Builder request(String path, String authorization) {
    HttpRequest.Builder b = HttpRequest.newBuilder(uri(path)).timeout(timeout)
        .header("Accept", "application/json, application/problem+json");
    if (authorization != null) b.header("Authorization", authorization);
    return b;
  }

  /** {@code path} under the base URI, also when the base has a path of its own (a proxy's prefix). */
  URI uri(String path) {
    String root = base.toString();
    return URI.create((root.endsWith("/") ? root.substring(0, root.length() - 1) : root) + path);
  }

  static HttpRequest.BodyPublisher json(Object body) {
    return HttpRequest.BodyPublishers.ofString(CanonicalJson.write(body), StandardCharsets.UTF_8);
  }

  static HttpRequest.BodyPublisher form(String name, String value) {
    return HttpRequest.BodyPublishers.ofString(name + "=" + URLEncoder.encode(value, StandardCharsets.UTF_8));
  }

  /** Sends a request and answers the body of a 2xx (empty for 204), or throws its problem. */
  String send(HttpRequest request) {
    HttpResponse<String> r = exchange(request, HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
    if (r.statusCode() / 100 != 2) throw problem(r.statusCode(), r.headers().firstValue("Content-Type").orElse(""), r.body(),
        r.headers().firstValue("Retry-After").orElse(null));
    return r.body();
  }

  Map<String, Object> sendForObject(HttpRequest request) {
    String body = send(request);
    try {
      return Json.parseObject(body);
    } catch (IllegalArgumentException e) {
      throw new CurfewProblem("about:blank", "Answer is not JSON", 200, e.getMessage(), null, Map.of());
    }
  }

  /** A streamed answer (server-sent events): the stream of a 2xx, else its problem. */
  HttpResponse<InputStream> stream(HttpRequest request) {
    HttpResponse<InputStream> r = exchange(request, HttpResponse.BodyHandlers.ofInputStream());
    if (r.statusCode() / 100 != 2) {
      String body;
      try (InputStream in = r.body()) {
        body = new String(in.readNBytes(64 * 1024), StandardCharsets.UTF_8);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      throw problem(r.statusCode(), r.headers().firstValue("Content-Type").orElse(""), body,
          r.headers().firstValue("Retry-After").orElse(null));
    }
    return r;
  }

  /**
   * A streamed answer handed to {@code body} as it comes, with no thread waiting on it: a 2xx's
   * bytes go to {@code body}; the future completes when they end, or fails with the problem of any
   * other status (whose body {@code body} never sees) or with the transport's error.
   */
  CompletableFuture<Void> streamAsync(HttpRequest request, Flow.Subscriber<List<ByteBuffer>> body) {
    return http.sendAsync(request, info -> info.statusCode() / 100 == 2
            ? HttpResponse.BodySubscribers.fromSubscriber(body, s -> (Void) null)
            : HttpResponse.BodySubscribers.mapping(HttpResponse.BodySubscribers.ofString(StandardCharsets.UTF_8), text -> {
              throw problem(info.statusCode(), info.headers().firstValue("Content-Type").orElse(""), text,
                  info.headers().firstValue("Retry-After").orElse(null));
            }))
        .thenApply(r -> (Void) null);
  }

  <T> HttpResponse<T> exchange(HttpRequest request, HttpResponse.BodyHandler<T> handler) {
    try {
      return http.send(request, handler);
    } catch (IOException e) {
      throw new UncheckedIOException(request.method() + " " + request.uri().getPath() + ": " + describe(e), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted: " + request.method() + " " + request.uri().getPath(), e);
    }
  }

  /**
   * An I/O error in words: its class and message, and its causes' (a refused connection's
   * {@code ConnectException} has no message of its own).
   */
  static String describe(Throwable e) {
    StringBuilder b = new StringBuilder();
    for (Throwable t = e; t != null && b.length() < 400; t = t.getCause() == t ? null : t.getCause()) {
      if (b.length() > 0) b.append(", caused by ");
      b.append(t.getClass().getName());
      if (t.getMessage() != null) b.append(": ").append(t.getMessage());
    }
    return b.toString();
  }

  static CurfewProblem problem(int status, String contentType, String body) {
    return problem(status, contentType, body, null);
  }

  /** {@code Retry-After} as a duration: delta-seconds or an HTTP date (RFC 9110 §10.2.3); null when absent or unreadable. */
  static Duration retryAfter(String header) {
    if (header == null || header.isBlank()) return null;
    String v = header.trim();
    try {
      return Duration.ofSeconds(Long.parseLong(v));
    } catch (NumberFormatException notSeconds) {
      try {
        java.time.Instant at = java.time.ZonedDateTime.parse(v, java.time.format.DateTimeFormatter.RFC_1123_DATE_TIME).toInstant();
        Duration d = Duration.between(java.time.Instant.now(), at);
        return d.isNegative() ? Duration.ZERO : d;
      } catch (java.time.format.DateTimeParseException notADate) {
        return null;
      }
    }
  }

  static CurfewProblem problem(int status, String contentType, String body, String retryAfterHeader) {
    Duration retryAfter = retryAfter(retryAfterHeader);
    if (contentType.startsWith("application/problem+json") || contentType.startsWith("application/json")) {
      try {
        Map<String, Object> m = Json.parseObject(body);
        if (m.containsKey("title") || m.containsKey("type")) {
          String type = JsonValues.string(m, "type");
          return new CurfewProblem(type == null ? "about:blank" : type, JsonValues.string(m, "title"),
              (int) JsonValues.longValue(m, "status", status), JsonValues.string(m, "detail"), JsonValues.string(m, "reason"), m,
              retryAfter);
        }
      } catch (IllegalArgumentException notJson) {
        // answered below as an untyped problem
      }
    }
    String detail = body.length() > 512 ? body.substring(0, 512) : body;
    return new CurfewProblem("about:blank", "HTTP " + status, status, detail, null, Map.of(), retryAfter);
  }
}
