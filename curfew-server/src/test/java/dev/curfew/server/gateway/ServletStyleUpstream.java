package dev.curfew.server.gateway;

import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerRequest;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.text.Normalizer;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * An upstream that maps request paths the way permissive servlet containers and the frameworks on
 * them do, each step one that a real server takes: {@code ;} parameters stripped from every segment
 * (the Servlet spec's path parameters, Tomcat's {@code parsePathParameters}), percent-escapes
 * decoded, and decoded again while any remain (frameworks that decode twice), a NUL ends the path (C
 * strings), the NFKC form taken (servers that fold full-width characters), {@code \} read as
 * {@code /} (Tomcat's {@code ALLOW_BACKSLASH}, Windows servers), {@code //} merged and dot segments
 * removed (RFC 3986 §5.2.4). It serves a secret at {@code /secret} (and under it) to anyone, and
 * counts how often it did: the gateway in front is the only guard.
 */
public final class ServletStyleUpstream {
  static final String SECRET = "the-secret-page";

  final AtomicInteger secretsServed = new AtomicInteger();
  final AtomicInteger requests = new AtomicInteger();
  private HttpServer server;

  int start(Vertx vertx) {
    server = GatewayFixture.await(vertx.createHttpServer().requestHandler(this::serve).listen(0, "127.0.0.1"));
    return server.actualPort();
  }

  private void serve(HttpServerRequest req) {
    requests.incrementAndGet();
    String mapped = map(req.uri());
    if (mapped.equals("/secret") || mapped.startsWith("/secret/") || mapped.startsWith("/secret.")) {
      secretsServed.incrementAndGet();
      req.response().putHeader("Content-Type", "text/plain").end(SECRET);
      return;
    }
    req.response().putHeader("Content-Type", "text/plain").end("page " + mapped);
  }

  /** The path the servlet would serve for a request target (query dropped). */
  public static String map(String target) {
    int q = target.indexOf('?');
    String path = q < 0 ? target : target.substring(0, q);
    // strip ";..." up to the next "/" in every segment, before decoding
    path = path.replaceAll(";[^/]*", "");
    String before;
    do {
      before = path;
      path = decode(path);
    } while (!path.equals(before) && path.matches(".*%[0-9A-Fa-f]{2}.*"));
    int nul = path.indexOf('\0');
    if (nul >= 0) path = path.substring(0, nul);
    path = Normalizer.normalize(path, Normalizer.Form.NFKC);
    path = path.replace('\\', '/').replaceAll(";[^/]*", "");
    path = path.replaceAll("/{2,}", "/");
    return removeDots(path);
  }

  /** Percent-decoding as UTF-8, leniently: a '%' without two hex digits stays as it is; bad UTF-8 as Latin-1. */
  public static String decode(String s) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c == '%' && i + 2 < s.length() && Character.digit(s.charAt(i + 1), 16) >= 0
          && Character.digit(s.charAt(i + 2), 16) >= 0) {
        out.write(Integer.parseInt(s.substring(i + 1, i + 3), 16));
        i += 2;
      } else {
        byte[] b = String.valueOf(c).getBytes(StandardCharsets.UTF_8);
        out.write(b, 0, b.length);
      }
    }
    byte[] bytes = out.toByteArray();
    String utf8 = new String(bytes, StandardCharsets.UTF_8);
    // Overlong forms (%C0%AE for '.'), which lenient decoders of old accepted, decoded as they did.
    return utf8.contains("\uFFFD") ? lenientOverlong(bytes) : utf8;
  }

  private static String lenientOverlong(byte[] b) {
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < b.length; i++) {
      int x = b[i] & 0xff;
      if ((x & 0xe0) == 0xc0 && i + 1 < b.length) {
        sb.append((char) (((x & 0x1f) << 6) | (b[++i] & 0x3f)));
      } else if ((x & 0xf0) == 0xe0 && i + 2 < b.length) {
        sb.append((char) (((x & 0x0f) << 12) | ((b[++i] & 0x3f) << 6) | (b[++i] & 0x3f)));
      } else {
        sb.append((char) x);
      }
    }
    return sb.toString();
  }

  /** RFC 3986 §5.2.4, remove_dot_segments, on an absolute path. */
  static String removeDots(String in) {
    Deque<String> out = new ArrayDeque<>();
    String[] segs = in.split("/", -1);
    for (int i = 1; i < segs.length; i++) {
      String s = segs[i];
      boolean last = i == segs.length - 1;
      if (s.equals(".")) {
        if (last) out.addLast("");
      } else if (s.equals("..")) {
        out.pollLast();
        if (last) out.addLast("");
      } else {
        out.addLast(s);
      }
    }
    return "/" + String.join("/", out);
  }
}
