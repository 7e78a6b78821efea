package dev.curfew.spring;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.CookieManager;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** A cookie-keeping HTTP client that signs in through the app's login form, as a browser would. */
final class BrowserLike {
  private static final Pattern CSRF = Pattern.compile("name=\"_csrf\" type=\"hidden\" value=\"([^\"]+)\"");
  private final HttpClient http = HttpClient.newBuilder().cookieHandler(new CookieManager())
      .followRedirects(HttpClient.Redirect.NEVER).connectTimeout(Duration.ofSeconds(30)).build();
  private final String base;

  BrowserLike(int port) {
    this.base = "http://localhost:" + port;
  }

  HttpResponse<String> get(String path, String accept) {
    return send(request(path).header("Accept", accept).GET());
  }

  HttpResponse<String> call(String method, String path, String... headers) {
    HttpRequest.Builder b = request(path).method(method, HttpRequest.BodyPublishers.noBody());
    for (int i = 0; i < headers.length; i += 2) b.header(headers[i], headers[i + 1]);
    return send(b);
  }

  /** A streamed GET (server-sent events): the answer's lines as they come. */
  HttpResponse<java.util.stream.Stream<String>> stream(String path) {
    try {
      return http.send(HttpRequest.newBuilder(URI.create(base + path)).header("Accept", "text/event-stream").GET().build(),
          HttpResponse.BodyHandlers.ofLines());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /** The login form, as posted by the page: user, password and the page's CSRF token. */
  HttpResponse<String> login(String user, String password) {
    return postForm("/login", "/login", "username=" + enc(user) + "&password=" + enc(password));
  }

  /** Logout through the app (Spring Security's POST /logout with the CSRF token of a page). */
  HttpResponse<String> logout() {
    return postForm("/logout", "/logout", "");
  }

  private HttpResponse<String> postForm(String pagePath, String path, String form) {
    HttpResponse<String> page = get(pagePath, "text/html");
    Matcher m = CSRF.matcher(page.body());
    if (!m.find()) throw new AssertionError("no CSRF token in " + pagePath + ": " + page.statusCode() + " " + page.body());
    String body = form + (form.isEmpty() ? "" : "&") + "_csrf=" + enc(m.group(1));
    return send(request(path).header("Content-Type", "application/x-www-form-urlencoded")
        .POST(HttpRequest.BodyPublishers.ofString(body)));
  }

  private HttpRequest.Builder request(String path) {
    return HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(30));
  }

  private HttpResponse<String> send(HttpRequest.Builder b) {
    try {
      return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  private static String enc(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8);
  }
}
