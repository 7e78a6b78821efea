package dev.curfew.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

class AudienceTest {
  @Test
  void grammar_acceptsKnownKindsAndTheConsole_refusesTheRestNamingTheEntry() {
    assertThat(Audience.of("route:/", "app:web", "db:orders", "ssh:build-box", "mcp:/mcp", "console").entries())
        .containsExactly("route:/", "app:web", "db:orders", "ssh:build-box", "mcp:/mcp", "console");
    for (String bad : List.of("", "web", "app:", "file:/etc", "route:nope", "app:we b", "app:caf\u00e9", "Console")) {
      assertThatThrownBy(() -> Audience.of(bad)).isInstanceOf(IllegalArgumentException.class);
    }
    assertThatThrownBy(() -> Audience.of(List.of())).hasMessageContaining("at least one");
    assertThatThrownBy(() -> Audience.of("app:x".repeat(60))).hasMessageContaining("longer than");
    assertThatThrownBy(() -> Audience.of("gopher:x")).hasMessageContaining("gopher:x");
  }

  @Test
  void admits_onlyAnEnforcementPointThatItNames_exactly() {
    Audience a = Audience.of("route:/a", "app:web");
    assertThat(a.admits(Audience.route("/a"))).isTrue();
    assertThat(a.admits(Audience.of("app:billing", "app:web"))).isTrue();
    assertThat(a.admits(Audience.route("/b"))).isFalse();
    assertThat(a.admits(Audience.route("/a/"))).isFalse();
    assertThat(a.admits(Audience.route("/"))).isFalse();
    assertThat(a.admits(Audience.CONSOLE)).isFalse();
    assertThat(Audience.NOWHERE.admits(Audience.route("/a"))).isFalse();
    assertThat(Audience.CONSOLE.admits(Audience.route("/"))).isFalse();
  }

  @Test
  void storedForms_roundTrip_andMissingMeansNowhere() {
    Audience a = Audience.of("route:/", "db:orders", "route:/");
    assertThat(a.entries()).containsExactly("route:/", "db:orders");
    assertThat(Audience.fromWire(a.wire())).isEqualTo(a);
    assertThat(Audience.fromStored(a.toList())).isEqualTo(a);
    assertThat(Audience.fromStored(null)).isEqualTo(Audience.NOWHERE);
    assertThat(Audience.fromWire("")).isEqualTo(Audience.NOWHERE);
  }

  @Test
  void reservedAttributes_areRefusedNamingTheAttribute_inAnyCase() {
    for (String name : List.of("curfew.kind", "CURFEW_console", "Curfew.api_key")) {
      assertThatThrownBy(() -> SessionAttributes.check(java.util.Map.of(name, "x"))).hasMessageContaining(name);
    }
    SessionAttributes.check(java.util.Map.of("kind", "console", "curfewish", 1, "ip", "192.0.2.1"));
  }
}
