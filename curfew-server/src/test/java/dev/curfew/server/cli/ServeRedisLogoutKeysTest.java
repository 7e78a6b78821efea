package dev.curfew.server.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.nimbusds.jose.crypto.RSASSAVerifier;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jwt.SignedJWT;
import com.sun.net.httpserver.HttpServer;
import dev.curfew.server.config.CurfewConfig;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URLDecoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two {@code serve} nodes with {@code store: redis}, each signing back-channel logout tokens with the
 * keys of its own data directory: a relying party that fetches the key set from either node can
 * verify a token signed by the other.
 */
class ServeRedisLogoutKeysTest {
  private static final String KEY = "test-key-" + UUID.randomUUID();
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir Path dir;
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  private final String prefix = "t" + UUID.randomUUID().toString().substring(0, 8);
  private final List<String> logoutTokens = new CopyOnWriteArrayList<>();
  private HttpServer relyingParty;

  @AfterEach
  void cleanUp() throws Exception {
    if (relyingParty != null) relyingParty.stop(0);
    new ProcessBuilder("sh", "-c", "redis-cli --scan --pattern '" + prefix + "*' | xargs -r redis-cli del >/dev/null;"
        + " redis-cli --scan --pattern '{" + prefix + "*' | xargs -r redis-cli del >/dev/null")
        .inheritIO().start().waitFor(20, TimeUnit.SECONDS);
  }

  @Test
  void aTokenSignedByOneNodeVerifiesWithTheKeySetOfAnother() throws Exception {
    relyingParty = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    relyingParty.createContext("/logout", ex -> {
      String form = new String(ex.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
      logoutTokens.add(URLDecoder.decode(form.substring(form.indexOf('=') + 1), StandardCharsets.UTF_8));
      ex.sendResponseHeaders(200, -1);
      ex.close();
    });
    relyingParty.start();
    Path config = config("http://127.0.0.1:" + relyingParty.getAddress().getPort() + "/logout");
    ServeCommand.Running a = inProcess(config, "a");
    ServeCommand.Running b = inProcess(config, "b");
    List<ServeCommand.Running> running = new java.util.ArrayList<>(List.of(a, b));
    try {
      Set<String> kidsOfA = kids(a.port);
      Set<String> kidsOfB = kids(b.port);
      // Each node signs with a key of its own data directory, and each serves both.
      assertThat(kidsOfA).hasSize(2).isEqualTo(kidsOfB);

      // A session opened and revoked on b: b signs the logout token; a's key set verifies it.
      String sessionId = open(b.port);
      assertThat(delete(b.port, "/v1/sessions/" + sessionId).statusCode()).isEqualTo(204);
      await().atMost(Duration.ofSeconds(60)).until(() -> !logoutTokens.isEmpty());
      SignedJWT token = SignedJWT.parse(logoutTokens.get(0));
      assertThat(token.getJWTClaimsSet().getStringClaim("sid")).isEqualTo(sessionId);
      JWKSet fromA = JWKSet.parse(get(a.port, "/.well-known/jwks.json").body());
      var key = fromA.getKeyByKeyId(token.getHeader().getKeyID());
      assertThat(key).as("the key that signed b's token, in a's key set").isNotNull();
      assertThat(token.verify(new RSASSAVerifier(key.toRSAKey()))).isTrue();

      // A node that stops leaves its keys published: a token it signed just before still verifies.
      running.remove(b);
      b.stop(quiet());
      assertThat(kids(a.port)).isEqualTo(kidsOfA);
    } finally {
      for (ServeCommand.Running r : running) r.stop(quiet());
    }
  }

  private static PrintStream quiet() {
    return new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8);
  }

  private Path config(String logoutUrl) throws Exception {
    String sha = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(KEY.getBytes(StandardCharsets.UTF_8)));
    Path config = dir.resolve("curfew.yaml");
    Files.writeString(config, "store: redis\nredis:\n  uri: redis://127.0.0.1:6379\n  key_prefix: " + prefix + "\n"
        + "api_keys:\n  - name: test\n    key_sha256: \"" + sha + "\"\n"
        + "policies:\n  default:\n    idle_timeout: 10m\n    absolute_timeout: 1h\n"
        + "notify:\n  backchannel_logout:\n    - url: " + logoutUrl + "\n      issuer: https://curfew.example\n"
        + "      audience: app-1\n"
        + "rate_limits:\n  enabled: false\n");
    return config;
  }

  private ServeCommand.Running inProcess(Path config, String name) throws Exception {
    var cfg = CurfewConfig.load(config).withOverrides(0, dir.resolve(name));
    return ServeCommand.start(cfg, quiet());
  }

  private Set<String> kids(int port) throws Exception {
    HttpResponse<String> r = get(port, "/.well-known/jwks.json");
    assertThat(r.statusCode()).isEqualTo(200);
    Set<String> kids = new HashSet<>();
    for (JsonNode k : JSON.readTree(r.body()).path("keys")) kids.add(k.path("kid").asText());
    return kids;
  }

  private String open(int port) throws Exception {
    HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/v1/sessions"))
        .timeout(Duration.ofSeconds(10)).header("Authorization", "Bearer " + KEY)
        .header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString("{\"subject\":\"alice\"}")).build(), HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).as(r.body()).isEqualTo(201);
    return JSON.readTree(r.body()).path("session_id").asText();
  }

  private HttpResponse<String> get(int port, String path) throws Exception {
    return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
        .timeout(Duration.ofSeconds(10)).GET().build(), HttpResponse.BodyHandlers.ofString());
  }

  private HttpResponse<String> delete(int port, String path) throws Exception {
    return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
        .timeout(Duration.ofSeconds(10)).header("Authorization", "Bearer " + KEY).DELETE().build(),
        HttpResponse.BodyHandlers.ofString());
  }
}
