package dev.curfew.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * The class of requests that once went unanswered (issue 12, item 4): a form body with a malformed
 * percent-escape in the query, and its relatives (broken forms, multipart without a body, bad
 * content types, malformed cookies, bad headers, huge headers). Each is sent on a raw socket to a
 * route with a deadline: the answer must be a 4xx (a problem where the server answers with one)
 * never a 5xx, never silence, never a close
 * without an answer.
 */
public final class MalformedRequests {
  /** Every answer comes within this; the idle timeouts are far longer, so a hang cannot pass. */
  public static final Duration DEADLINE = Duration.ofSeconds(5);

  /** One malformed request: what it is, and its bytes given the method, the path and extra header lines. */
  public record Kind(String name, Builder builder, boolean mayClose, boolean inBody) {
    Kind(String name, Builder builder) {
      this(name, builder, false, false);
    }

    Kind(String name, Builder builder, boolean mayClose) {
      this(name, builder, mayClose, false);
    }

    /** Only the body (or a cookie) is malformed: a proxy forwards it and the upstream judges it. */
    static Kind body(String name, Builder builder) {
      return new Kind(name, builder, false, true);
    }

    public String request(String method, String path, String extraHeaders) {
      return builder.build(method, path, extraHeaders);
    }

    @Override
    public String toString() {
      return name;
    }
  }

  @FunctionalInterface
  public interface Builder {
    String build(String method, String path, String extraHeaders);
  }

  private static final String FORM = "application/x-www-form-urlencoded";

  private MalformedRequests() {}

  public static List<Kind> kinds() {
    List<Kind> k = new ArrayList<>();
    k.add(new Kind("form body, query a=%", (m, p, h) -> withBody(m, p + "?a=%", h, FORM, "token=abc")));
    k.add(new Kind("form body, query a=%zz", (m, p, h) -> withBody(m, p + "?a=%zz&b=1", h, FORM, "token=abc")));
    k.add(new Kind("form body, query %", (m, p, h) -> withBody(m, p + "?%", h, FORM, "a=b")));
    k.add(Kind.body("form body, bad escape in the body", (m, p, h) -> withBody(m, p, h, FORM, "token=%&x=%g1")));
    k.add(Kind.body("form body with charset, bad escape", (m, p, h) -> withBody(m, p + "?q=%e2%82", h, FORM + "; charset=utf-8", "a=%")));
    k.add(new Kind("multipart without a boundary", (m, p, h) -> withBody(m, p + "?a=%", h, "multipart/form-data", "--x\r\n")));
    k.add(Kind.body("multipart, garbage body", (m, p, h) -> withBody(m, p, h, "multipart/form-data; boundary=zz", "not multipart at all")));
    k.add(new Kind("bad content type", (m, p, h) -> withBody(m, p + "?a=%", h, "///;;;=", "{}")));
    k.add(new Kind("json body, query a=%", (m, p, h) -> withBody(m, p + "?a=%", h, "application/json", "{\"token\":\"x\"}")));
    k.add(new Kind("no body, query a=%", (m, p, h) -> m + " " + p + "?a=% HTTP/1.1\r\nHost: localhost\r\n" + h
        + "Connection: close\r\n\r\n"));
    k.add(Kind.body("malformed cookie", (m, p, h) -> withBody(m, p, h + "Cookie: =;;;==%; __Host-curfew=%; curfew_console=\u00ff\r\n",
        FORM, "a=b")));
    k.add(new Kind("header line without a colon", (m, p, h) -> m + " " + p + " HTTP/1.1\r\nHost: localhost\r\n" + h
        + "this is not a header\r\nConnection: close\r\n\r\n"));
    k.add(new Kind("bad Content-Length", (m, p, h) -> m + " " + p + " HTTP/1.1\r\nHost: localhost\r\n" + h
        + "Content-Type: " + FORM + "\r\nContent-Length: abc\r\nConnection: close\r\n\r\na=b"));
    k.add(new Kind("bad chunk size", (m, p, h) -> m + " " + p + "?a=% HTTP/1.1\r\nHost: localhost\r\n" + h
        + "Content-Type: " + FORM + "\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\nzz\r\na=b\r\n0\r\n\r\n",
        true)); // the head was valid, the framing after it is not: closing at once is an answer too
    k.add(new Kind("huge header", (m, p, h) -> m + " " + p + " HTTP/1.1\r\nHost: localhost\r\n" + h
        + "X-Big: " + "a".repeat(64 * 1024) + "\r\nConnection: close\r\n\r\n"));
    return k;
  }

  private static String withBody(String method, String target, String headers, String contentType, String body) {
    return method + " " + target + " HTTP/1.1\r\nHost: localhost\r\n" + headers + "Content-Type: " + contentType
        + "\r\nContent-Length: " + body.length() + "\r\nConnection: close\r\n\r\n" + body;
  }

  /**
   * Sends every kind to every path with every method and extra header set; each answer must be a
   * 4xx within {@link #DEADLINE} (a problem body when {@code problems} says the server sends one).
   * Returns how many exchanges were made.
   */
  public static int assertAllAnswered(int port, List<String> paths, List<String> methods, List<String> headerSets,
      boolean problems) {
    return assertAllAnswered(port, paths, methods, headerSets, problems, false);
  }

  /**
   * As above; with {@code bodyMayBeIgnored}, a request whose only fault is in its body (or a cookie)
   * may also get a 2xx or 3xx: a proxy forwards it, and a route that reads no body ignores it.
   */
  public static int assertAllAnswered(int port, List<String> paths, List<String> methods, List<String> headerSets,
      boolean problems, boolean bodyMayBeIgnored) {
    int n = 0;
    for (String path : paths) {
      for (String method : methods) {
        for (String headers : headerSets) {
          for (Kind kind : kinds()) {
            String what = method + " " + path + " [" + kind + "]" + (headers.isEmpty() ? "" : " with " + headers.split(":")[0]);
            RawExchange r = RawExchange.send(port, kind.request(method, path, headers), DEADLINE);
            n++;
            if (kind.mayClose() && r.status() == 0) continue;
            if (bodyMayBeIgnored && kind.inBody() && r.status() < 400) {
              assertThat(r.status()).as(what + ": " + r.head()).isBetween(200, 399);
              continue;
            }
            assertThat(r.status()).as(what + ": " + r.head() + "\n" + r.body()).isBetween(400, 499);
            if (problems) {
              // Sign-in is a page for a browser's form: its refusals are pages too.
              String type = r.header("Content-Type");
              if (path.equals("/console/login") && type != null && type.startsWith("text/html")) continue;
              assertThat(type).as(what).startsWith("application/problem+json");
            }
          }
        }
      }
    }
    return n;
  }
}
