package dev.curfew.server.console;

import io.vertx.core.buffer.Buffer;
import io.vertx.ext.web.RoutingContext;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.JarURLConnection;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.Enumeration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.stream.Stream;

/**
 * The console's static files, read once from the classpath (resources {@code console/...}, and the
 * browser client {@code curfew-web/curfew.js}) and served from memory: only files that exist there
 * are served, whatever the request path says, so nothing on disk next to the server is ever
 * exposed. HTML pages are templates: {@code {{name}}} is replaced with an HTML-escaped value, and
 * each page gets a fresh nonce for its Content-Security-Policy.
 */
final class ConsoleAssets {
  static final String ROOT = "console/";
  static final String CLIENT = "curfew-web/curfew.js";

  /** One file: its bytes and content type. */
  record Asset(byte[] bytes, String contentType) {}

  private final Map<String, Asset> files; // path under ROOT -> asset
  private final Asset client;
  private final SecureRandom random = new SecureRandom();

  ConsoleAssets() {
    ClassLoader loader = ConsoleAssets.class.getClassLoader();
    this.files = Map.copyOf(load(loader));
    this.client = new Asset(read(loader, CLIENT), "text/javascript; charset=utf-8");
    for (String required : List.of("index.html", "login.html", "console.css", "js/app.js")) {
      if (!files.containsKey(required)) throw new IllegalStateException("console resource missing: " + ROOT + required);
    }
  }

  /** Serves {@code /console/static/<path>}; an unknown path is a 404 problem. */
  void serveStatic(RoutingContext ctx, String path) {
    Asset a = files.get(path);
    if (a == null || path.endsWith(".html")) {
      ctx.fail(404);
      return;
    }
    ctx.response().putHeader("Content-Type", a.contentType()).end(Buffer.buffer(a.bytes()));
  }

  /** Serves curfew.js, the browser client that warns before the console session ends. */
  void serveClient(RoutingContext ctx) {
    ctx.response().putHeader("Content-Type", client.contentType()).end(Buffer.buffer(client.bytes()));
  }

  /**
   * Renders the page {@code name} with {@code values} (HTML-escaped) and a fresh {@code nonce},
   * with the headers that keep it to its own scripts and styles and out of frames.
   */
  void page(RoutingContext ctx, int status, String name, Map<String, String> values) {
    String nonce = Base64.getEncoder().encodeToString(bytes(18));
    String html = new String(files.get(name).bytes(), StandardCharsets.UTF_8);
    Map<String, String> all = new HashMap<>(values);
    all.put("nonce", nonce);
    for (Map.Entry<String, String> e : all.entrySet()) {
      html = html.replace("{{" + e.getKey() + "}}", escape(e.getValue()));
    }
    ctx.response().setStatusCode(status)
        .putHeader("Content-Type", "text/html; charset=utf-8")
        .putHeader("Content-Security-Policy", "default-src 'none'; script-src 'self'; style-src 'self' 'nonce-" + nonce
            + "'; img-src 'self' data:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
        .end(html);
  }

  static String escape(String s) {
    if (s == null) return "";
    StringBuilder b = new StringBuilder(s.length() + 16);
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '&' -> b.append("&amp;");
        case '<' -> b.append("&lt;");
        case '>' -> b.append("&gt;");
        case '"' -> b.append("&quot;");
        case '\'' -> b.append("&#39;");
        default -> b.append(c);
      }
    }
    return b.toString();
  }

  private byte[] bytes(int n) {
    byte[] b = new byte[n];
    random.nextBytes(b);
    return b;
  }

  static String contentType(String path) {
    String p = path.toLowerCase(java.util.Locale.ROOT);
    if (p.endsWith(".js")) return "text/javascript; charset=utf-8";
    if (p.endsWith(".css")) return "text/css; charset=utf-8";
    if (p.endsWith(".html")) return "text/html; charset=utf-8";
    if (p.endsWith(".svg")) return "image/svg+xml";
    if (p.endsWith(".png")) return "image/png";
    return "application/octet-stream";
  }

  // ---------------------------------------------------------------- loading

  /** Every file under the resource directory, from a directory (tests, IDE) or a jar (the launcher). */
  private static Map<String, Asset> load(ClassLoader loader) {
    URL root = loader.getResource(ROOT);
    if (root == null) { // a jar without directory entries: find the directory from a file in it
      URL index = loader.getResource(ROOT + "index.html");
      if (index == null) throw new IllegalStateException("console resources missing: " + ROOT);
      try {
        root = new URL(index, ".");
      } catch (java.net.MalformedURLException e) {
        throw new IllegalStateException(e);
      }
    }
    Map<String, Asset> out = new HashMap<>();
    try {
      if (root.getProtocol().equals("jar")) {
        JarURLConnection c = (JarURLConnection) root.openConnection();
        c.setUseCaches(false);
        try (JarFile jar = c.getJarFile()) {
          Enumeration<JarEntry> entries = jar.entries();
          while (entries.hasMoreElements()) {
            JarEntry e = entries.nextElement();
            if (e.isDirectory() || !e.getName().startsWith(ROOT)) continue;
            try (InputStream in = jar.getInputStream(e)) {
              String path = e.getName().substring(ROOT.length());
              out.put(path, new Asset(in.readAllBytes(), contentType(path)));
            }
          }
        }
      } else {
        Path dir = Path.of(root.toURI());
        try (Stream<Path> walk = Files.walk(dir)) {
          for (Path f : (Iterable<Path>) walk.filter(Files::isRegularFile)::iterator) {
            String path = dir.relativize(f).toString().replace('\\', '/');
            out.put(path, new Asset(Files.readAllBytes(f), contentType(path)));
          }
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read the console resources", e);
    } catch (URISyntaxException e) {
      throw new IllegalStateException(e);
    }
    return out;
  }

  private static byte[] read(ClassLoader loader, String name) {
    try (InputStream in = Objects.requireNonNull(loader.getResourceAsStream(name), "resource missing: " + name)) {
      return in.readAllBytes();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
