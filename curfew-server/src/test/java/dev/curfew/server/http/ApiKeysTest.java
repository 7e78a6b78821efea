package dev.curfew.server.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class ApiKeysTest {
  private final ApiKeys keys = ApiKeys.of(List.of(ApiKey.ofSecret("app", "secret-one"), ApiKey.ofSecret("admin", "secret-two")));

  @Test
  void bearerFindsTheKeysName() {
    assertThat(keys.verify("Bearer secret-one")).hasValue("app");
    assertThat(keys.verify("bearer   secret-two ")).hasValue("admin");
    assertThat(keys.verify("Bearer secret-three")).isEmpty();
    assertThat(keys.verify("Bearer ")).isEmpty();
    assertThat(keys.verify("secret-one")).isEmpty();
    assertThat(keys.verify(null)).isEmpty();
  }

  @Test
  void basicNeedsTheMatchingNameAndKey() {
    assertThat(keys.verify(basic("app:secret-one"))).hasValue("app");
    assertThat(keys.verify(basic("admin:secret-one"))).isEmpty();
    assertThat(keys.verify(basic("app:"))).isEmpty();
    assertThat(keys.verify(basic(":secret-one"))).isEmpty();
    assertThat(keys.verify(basic("app"))).isEmpty();
    assertThat(keys.verify("Basic %%%")).isEmpty();
  }

  @Test
  void keysAreHeldAsSha256Hex() {
    ApiKey k = ApiKey.ofSecret("x", "abc");
    assertThat(k.sha256Hex()).isEqualTo("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    ApiKeys fromHex = ApiKeys.of(List.of(new ApiKey("x", k.sha256Hex().toUpperCase())));
    assertThat(fromHex.verify("Bearer abc")).hasValue("x");
  }

  @Test
  void badDefinitionsAreRefusedWithTheirName() {
    assertThatThrownBy(() -> new ApiKey("a:b", "00".repeat(32))).hasMessageContaining("a:b");
    assertThatThrownBy(() -> new ApiKey("k", "xyz")).hasMessageContaining("\"k\"").hasMessageContaining("64 hex");
    assertThatThrownBy(() -> ApiKeys.of(List.of(ApiKey.ofSecret("k", "1"), ApiKey.ofSecret("k", "2"))))
        .hasMessageContaining("defined twice");
    assertThatThrownBy(() -> ApiKey.ofSecret("k", "")).hasMessageContaining("empty");
    assertThat(ApiKeys.none().verify("Bearer anything")).isEmpty();
  }

  @Test
  void aKeyCarriesItsScopes_adminPermitsEveryScope() {
    ApiKeys scoped = ApiKeys.of(List.of(ApiKey.ofSecret("edge", "secret-e", Set.of(Scope.GATEWAY)),
        ApiKey.ofSecret("root", "secret-r")));
    ApiKey edge = scoped.authenticate("Bearer secret-e").orElseThrow();
    assertThat(edge.scopes()).containsExactly(Scope.GATEWAY);
    assertThat(edge.permits(Scope.GATEWAY)).isTrue();
    assertThat(edge.permits(Scope.APP)).isFalse();
    assertThat(edge.permits(Scope.ADMIN)).isFalse();
    ApiKey root = scoped.authenticate(basic("root:secret-r")).orElseThrow();
    assertThat(root.scopes()).containsExactly(Scope.ADMIN);
    for (Scope s : Scope.values()) assertThat(root.permits(s)).isTrue();
    assertThatThrownBy(() -> ApiKey.ofSecret("none", "x", Set.of())).hasMessageContaining("\"none\" has no scopes");
    assertThat(Scope.parse("auditor")).hasValue(Scope.AUDITOR);
    assertThat(Scope.parse("Auditor")).isEmpty();
  }

  private static String basic(String userPass) {
    return "Basic " + Base64.getEncoder().encodeToString(userPass.getBytes(StandardCharsets.UTF_8));
  }
}
