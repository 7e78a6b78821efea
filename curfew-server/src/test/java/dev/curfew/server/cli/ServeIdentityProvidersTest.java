package dev.curfew.server.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.curfew.server.config.ConfigException;
import dev.curfew.server.config.CurfewConfig;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code serve} with {@code identity_providers} and a back-channel receiver: what the configuration turns on. */
class ServeIdentityProvidersTest {
  static final ObjectMapper JSON = new ObjectMapper();
  @TempDir Path dir;
  private final HttpClient http = HttpClient.newHttpClient();

  private static final String CONFIG = """
      notify:
        issuer: https://curfew.example
        backchannel_logout:
          - { url: "http://127.0.0.1:9/bcl", issuer: "https://curfew.example", audience: app-1 }
      identity_providers:
        - name: keycloak
          issuer: https://kc.example/realms/acme
          jwks_uri: http://127.0.0.1:9/certs
          audience: curfew
      """;

  @Test
  void serve_publishesDiscoveryAndJwks_aRotationShowsAtOnce_andTheIdpEndpointRefusesJunk() throws Exception {
    CurfewConfig cfg = CurfewConfig.parse(CONFIG).withOverrides(0, dir.resolve("data"));
    ServeCommand.Running r = ServeCommand.start(cfg, new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8));
    try {
      JsonNode discovery = JSON.readTree(get(r, "/.well-known/openid-configuration").body());
      assertThat(discovery.get("issuer").asText()).isEqualTo("https://curfew.example");
      assertThat(discovery.get("id_token_signing_alg_values_supported").toString()).isEqualTo("[\"RS256\"]");
      JsonNode before = JSON.readTree(get(r, "/.well-known/jwks.json").body()).get("keys");
      assertThat(before).hasSize(1);
      assertThat(before.get(0).get("kty").asText()).isEqualTo("RSA");
      Path keys = dir.resolve("data/logout-keys");
      try (var files = Files.list(keys)) {
        assertThat(files.allMatch(f -> {
          try {
            return Files.getPosixFilePermissions(f).equals(PosixFilePermissions.fromString("rw-------"));
          } catch (Exception e) {
            return false;
          }
        })).isTrue();
      }

      int exit = new CommandLine(new Main()).execute("logout-keys", "rotate", "--data", dir.resolve("data").toString());
      assertThat(exit).isZero();
      JsonNode after = JSON.readTree(get(r, "/.well-known/jwks.json").body()).get("keys");
      assertThat(after).hasSize(2);
      assertThat(after.get(1).get("kid").asText()).isEqualTo(before.get(0).get("kid").asText());

      HttpResponse<String> junk = post(r, "/v1/backchannel-logout/keycloak", "logout_token=abc");
      assertThat(junk.statusCode()).isEqualTo(400);
      assertThat(JSON.readTree(junk.body()).get("error").asText()).isEqualTo("invalid_request");
      assertThat(junk.headers().firstValue("Cache-Control")).contains("no-store");
      assertThat(post(r, "/v1/backchannel-logout/okta", "logout_token=abc").statusCode()).isEqualTo(404);
    } finally {
      r.stop(new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8));
    }
  }

  @Test
  void config_errorsNameTheKey() {
    assertThatThrownBy(() -> CurfewConfig.parse("identity_providers:\n  - { name: kc, issuer: x, audience: a }\n"))
        .isInstanceOf(ConfigException.class).hasMessageContaining("identity_providers[0].jwks_uri");
    assertThatThrownBy(() -> CurfewConfig.parse("identity_providers:\n  - { name: \"k c\", issuer: x, audience: a,"
        + " jwks_uri: \"http://x/c\" }\n")).hasMessageContaining("identity_providers[0].name");
    assertThatThrownBy(() -> CurfewConfig.parse("notify:\n  signing_alg: HS256\n")).hasMessageContaining("notify.signing_alg");
    assertThat(CurfewConfig.parse("identity_providers:\n  - { name: kc, issuer: x, audience: a, discovery_url: "
        + "\"https://kc/.well-known/openid-configuration\", max_token_age: 2m }\n").identityProviders().get(0).maxTokenAge())
        .isEqualTo(Duration.ofMinutes(2));
  }

  private HttpResponse<String> get(ServeCommand.Running r, String path) throws Exception {
    return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + r.port + path)).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private HttpResponse<String> post(ServeCommand.Running r, String path, String form) throws Exception {
    return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + r.port + path))
        .header("Content-Type", "application/x-www-form-urlencoded").POST(HttpRequest.BodyPublishers.ofString(form)).build(),
        HttpResponse.BodyHandlers.ofString());
  }
}
