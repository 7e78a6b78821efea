package dev.curfew.server.http;

import static org.assertj.core.api.Assertions.assertThat;

import dev.curfew.server.security.TestCertificates;
import dev.curfew.server.security.Tls;
import dev.curfew.server.security.TlsProbe;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import javax.net.ssl.SSLParameters;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The API over TLS, with an RSA certificate made for the test: 1.3 preferred, 1.2 with strong suites, nothing older. */
class ApiTlsTest {
  @TempDir static Path dir;
  private static TestCertificates.Pem pem;
  private static ApiFixture f;

  @BeforeAll
  static void start() throws Exception {
    pem = TestCertificates.selfSigned(dir, "api", "RSA", 2); // RSA: so that RSA key transport could be chosen
    f = new ApiFixture(ApiServer.Settings.defaults().withInstances(1).withTls(new Tls(pem.cert(), pem.key())), 3);
  }

  @AfterAll
  static void stop() throws Exception {
    f.close();
  }

  private HttpClient client(String... protocols) throws Exception {
    SSLParameters params = new SSLParameters();
    if (protocols.length > 0) params.setProtocols(protocols);
    return HttpClient.newBuilder().sslContext(pem.trustingContext()).sslParameters(params)
        .connectTimeout(Duration.ofSeconds(5)).build();
  }

  private HttpResponse<String> get(HttpClient client, String path) throws Exception {
    return client.send(HttpRequest.newBuilder(URI.create("https://localhost:" + f.port + path)).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void aClientThatOffersTls13GetsTls13_andEveryAnswerCarriesHsts() throws Exception {
    HttpResponse<String> r = get(client(), "/healthz");
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.sslSession().orElseThrow().getProtocol()).isEqualTo("TLSv1.3");
    assertThat(r.headers().firstValue("Strict-Transport-Security")).hasValue("max-age=31536000");
    HttpResponse<String> problem = get(client(), "/v1/audit");
    assertThat(problem.statusCode()).isEqualTo(401);
    assertThat(problem.headers().firstValue("Strict-Transport-Security")).hasValue("max-age=31536000");
  }

  @Test
  void tls12IsAccepted_withForwardSecretAeadSuitesOnly() throws Exception {
    HttpResponse<String> r = get(client("TLSv1.2"), "/healthz");
    assertThat(r.sslSession().orElseThrow().getProtocol()).isEqualTo("TLSv1.2");
    assertThat(r.sslSession().orElseThrow().getCipherSuite()).startsWith("TLS_ECDHE_").contains("_GCM_");
    TlsProbe.Answer strong = TlsProbe.hello("127.0.0.1", f.port, TlsProbe.TLS_1_2, TlsProbe.ECDHE_GCM);
    assertThat(strong.serverHello()).as("%s", strong).isTrue();
    assertThat(strong.version()).isEqualTo(TlsProbe.TLS_1_2);
    TlsProbe.Answer noForwardSecrecy = TlsProbe.hello("127.0.0.1", f.port, TlsProbe.TLS_1_2, TlsProbe.RSA_KEY_TRANSPORT);
    assertThat(noForwardSecrecy.serverHello()).as("%s", noForwardSecrecy).isFalse();
    TlsProbe.Answer cbc = TlsProbe.hello("127.0.0.1", f.port, TlsProbe.TLS_1_2, TlsProbe.LEGACY_CBC);
    assertThat(cbc.serverHello()).as("%s", cbc).isFalse();
  }

  @Test
  void tls11AndTls10AreRefused() throws Exception {
    for (int version : new int[] {TlsProbe.TLS_1_1, TlsProbe.TLS_1_0}) {
      int[] everything = {0xC02B, 0xC02F, 0xC009, 0xC013, 0x002F, 0x0035};
      TlsProbe.Answer a = TlsProbe.hello("127.0.0.1", f.port, version, everything);
      assertThat(a.serverHello()).as("version %04x: %s", version, a).isFalse();
    }
  }

  @Test
  void plainHttpOnTheTlsPortGetsNoAnswer() {
    try {
      HttpResponse<String> r = f.send(f.request("/healthz"));
      assertThat(r.statusCode()).as("plain HTTP must not be served: %s", r.body()).isNotEqualTo(200);
    } catch (java.io.UncheckedIOException expected) {
      // the connection was closed: what a TLS port does with a plain HTTP request
    }
  }

  @Test
  void theServerUsesExactlyTheDocumentedProtocolsAndSuites() {
    var options = new Tls(pem.cert(), pem.key()).apply(new io.vertx.core.http.HttpServerOptions());
    assertThat(options.isSsl()).isTrue();
    assertThat(options.getEnabledSecureTransportProtocols()).containsExactlyInAnyOrder("TLSv1.3", "TLSv1.2");
    assertThat(options.getEnabledCipherSuites()).containsExactlyInAnyOrderElementsOf(Tls.CIPHER_SUITES)
        .allMatch(s -> s.startsWith("TLS_AES_") || s.startsWith("TLS_CHACHA20_") || s.startsWith("TLS_ECDHE_"))
        .noneMatch(s -> s.contains("CBC") || s.endsWith("_SHA"));
  }
}
