package dev.curfew.server.gateway;

import static dev.curfew.server.gateway.GatewayFixture.cookie;
import static org.assertj.core.api.Assertions.assertThat;

import dev.curfew.server.security.SecurityHeaders;
import dev.curfew.server.security.TestCertificates;
import dev.curfew.server.security.Tls;
import dev.curfew.server.security.TlsProbe;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpHeaders;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The gateway over TLS: HSTS and the usual security headers on every answer, the app's and its own. */
class GatewayTlsTest {
  @TempDir static Path dir;
  private static TestCertificates.Pem pem;
  private GatewayFixture f;

  @BeforeAll
  static void certificate() throws Exception {
    pem = TestCertificates.selfSigned(dir, "gateway");
  }

  @AfterEach
  void close() {
    if (f != null) f.close();
  }

  private GatewayFixture start(Tls tls, boolean securityHeaders) {
    Gateway.Settings s = Gateway.Settings.defaults().withInstances(1).withUpstreamTimeout(Duration.ofSeconds(3))
        .withSecurityHeaders(securityHeaders);
    f = new GatewayFixture(tls == null ? s : s.withTls(tls));
    return f;
  }

  private HttpResponse<String> https(String method, String path, String... headers) throws Exception {
    HttpClient client = HttpClient.newBuilder().sslContext(pem.trustingContext()).connectTimeout(Duration.ofSeconds(20)).build();
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("https://localhost:" + f.port + path))
        .method(method, HttpRequest.BodyPublishers.noBody());
    for (int i = 0; i < headers.length; i += 2) b.header(headers[i], headers[i + 1]);
    return client.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  private static void assertDefaults(HttpHeaders h) {
    assertThat(h.firstValue("X-Content-Type-Options")).hasValue("nosniff");
    assertThat(h.firstValue("X-Frame-Options")).hasValue("SAMEORIGIN");
    assertThat(h.firstValue("Referrer-Policy")).hasValue("strict-origin-when-cross-origin");
    assertThat(h.firstValue("Content-Security-Policy")).hasValue("frame-ancestors 'self'");
  }

  @Test
  void underTls_onlyAnHttpsOriginIsTheGatewaysOwn() throws Exception {
    start(new Tls(pem.cert(), pem.key()), true);
    String token = f.login("alice");
    // Without Fetch Metadata: the plain-HTTP page of the same host and port is another origin.
    HttpResponse<String> plain = https("POST", "/_curfew/session/extend", "Cookie", cookie(token),
        "Origin", "http://localhost:" + f.port);
    assertThat(plain.statusCode()).as(plain.body()).isEqualTo(403);
    assertThat(plain.body()).contains("urn:curfew:problem:cross-site");
    HttpResponse<String> own = https("POST", "/_curfew/session/extend", "Cookie", cookie(token),
        "Origin", "https://localhost:" + f.port);
    assertThat(own.statusCode()).as(own.body()).isEqualTo(200);
    assertThat(own.body()).contains("\"extensions_used\":1");
  }

  @Test
  void underTls_everyAnswerHasHstsAndTheDefaults_theAppsPagesAndTheGatewaysOwn() throws Exception {
    start(new Tls(pem.cert(), pem.key()), true);
    String token = f.login("alice");
    HttpResponse<String> page = https("GET", "/home", "Cookie", cookie(token));
    assertThat(page.statusCode()).isEqualTo(200);
    assertThat(page.sslSession().orElseThrow().getProtocol()).isEqualTo("TLSv1.3");
    List<HttpResponse<String>> answers = List.of(page,
        https("GET", "/home", "Accept", "text/html"),                       // 303 to the login page
        https("GET", "/api/data"),                                          // 401 problem
        https("GET", "/_curfew/session", "Cookie", cookie(token)),          // the holder endpoint
        https("GET", "/_curfew/nothing-here"),                              // 404 problem
        https("GET", "/login"));                                            // a login page, no session
    for (HttpResponse<String> r : answers) {
      assertThat(r.headers().firstValue("Strict-Transport-Security")).as("%s", r.uri()).hasValue("max-age=31536000");
      assertDefaults(r.headers());
      assertThat(r.headers().firstValue("Cache-Control")).hasValue("no-store");
    }
    assertThat(answers.get(1).statusCode()).isEqualTo(303);
    assertThat(answers.get(2).statusCode()).isEqualTo(401);
    // the app forwarded to sees that the client came over TLS
    HttpResponse<String> echo = https("GET", "/echo", "Cookie", cookie(token));
    assertThat(echo.statusCode()).isEqualTo(200);
    f.received.clear();
    https("GET", "/echo-again", "Cookie", cookie(token));
    assertThat(f.lastReceived().headers().get("X-Forwarded-Proto")).isEqualTo("https");
  }

  @Test
  void theAppsOwnHeadersWin_exceptHsts_whichTheGatewayOwns() throws Exception {
    start(new Tls(pem.cert(), pem.key(), new SecurityHeaders.Hsts(Duration.ofDays(730), true, true)), true);
    HttpResponse<String> r = https("GET", "/own-headers", "Cookie", cookie(f.login("alice")));
    assertThat(r.body()).isEqualTo("the app's own security headers");
    assertThat(r.headers().allValues("X-Frame-Options")).containsExactly("DENY");
    assertThat(r.headers().allValues("Content-Security-Policy")).containsExactly("default-src 'self'");
    assertThat(r.headers().allValues("Referrer-Policy")).containsExactly("no-referrer");
    assertThat(r.headers().allValues("Strict-Transport-Security")).containsExactly("max-age=63072000; includeSubDomains; preload");
  }

  @Test
  void tls11IsRefused_tls12Accepted() throws Exception {
    start(new Tls(pem.cert(), pem.key()), true);
    assertThat(TlsProbe.hello("127.0.0.1", f.port, TlsProbe.TLS_1_1, 0xC02B, 0xC009, 0xC013, 0x002F).serverHello()).isFalse();
    assertThat(TlsProbe.hello("127.0.0.1", f.port, TlsProbe.TLS_1_2, TlsProbe.ECDHE_GCM).serverHello()).isTrue();
  }

  @Test
  void plainHttp_theDefaultsButNoHsts() {
    start(null, true);
    HttpResponse<String> r = f.get("/home", "Cookie", cookie(f.login("alice")));
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.headers().firstValue("Strict-Transport-Security")).isEmpty();
    assertDefaults(r.headers());
  }

  @Test
  void securityHeadersOff_onlyHsts() throws Exception {
    start(new Tls(pem.cert(), pem.key()), false);
    HttpResponse<String> r = https("GET", "/home", "Cookie", cookie(f.login("alice")));
    assertThat(r.headers().firstValue("Strict-Transport-Security")).hasValue("max-age=31536000");
    assertThat(r.headers().firstValue("X-Frame-Options")).isEmpty();
    assertThat(r.headers().firstValue("Content-Security-Policy")).isEmpty();
    assertThat(r.headers().firstValue("Referrer-Policy")).isEmpty();
  }
}
