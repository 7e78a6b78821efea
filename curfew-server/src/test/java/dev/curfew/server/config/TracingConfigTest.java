package dev.curfew.server.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/** The {@code tracing} section: off unless enabled, its endpoint an http(s) URL, errors naming the key. */
class TracingConfigTest {
  @Test
  void offWithoutTheSection_andWithoutEnabled() {
    assertThat(CurfewConfig.parse("node: n1").tracing()).isEqualTo(TracingConfig.OFF);
    assertThat(CurfewConfig.parse("tracing: {endpoint: \"http://collector:4318/v1/traces\"}").tracing().enabled()).isFalse();
  }

  @Test
  void enabledWithItsEndpointAndServiceName() {
    TracingConfig t = CurfewConfig.parse(
        "tracing: {enabled: true, endpoint: \"https://collector.example/v1/traces\", service_name: curfew-eu}").tracing();
    assertThat(t).isEqualTo(new TracingConfig(true, "https://collector.example/v1/traces", "curfew-eu"));
    assertThat(CurfewConfig.parse("tracing: {enabled: true}").tracing().endpoint())
        .isEqualTo("http://localhost:4318/v1/traces");
  }

  @Test
  void aBadValueIsAnErrorNamingItsKey() {
    assertThatThrownBy(() -> CurfewConfig.parse("tracing: {endpoint: \"grpc://collector:4317\"}"))
        .hasMessage("tracing.endpoint: must be an http:// or https:// URL, not \"grpc://collector:4317\"");
    assertThatThrownBy(() -> CurfewConfig.parse("tracing: {endpoint: \"http://bad host/\"}"))
        .hasMessageStartingWith("tracing.endpoint: ");
    assertThatThrownBy(() -> CurfewConfig.parse("tracing: {service_name: \" \"}"))
        .hasMessage("tracing.service_name: must not be blank");
    assertThatThrownBy(() -> CurfewConfig.parse("tracing: {enabled: 1}")).hasMessageStartingWith("tracing.enabled: ");
    assertThatThrownBy(() -> CurfewConfig.parse("tracing: true")).hasMessageStartingWith("tracing: ");
  }
}
