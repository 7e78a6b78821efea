package dev.curfew.server.config;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.curfew.core.Policy;
import java.nio.charset.StandardCharsets;

/** Configuration files: a start either gets a configuration that holds, or an error naming the key. */
class ConfigFuzzTest {
  @FuzzTest
  void config_isReadOrNamesTheOffendingKey(byte[] input) {
    CurfewConfig cfg;
    try {
      cfg = CurfewConfig.parse(new String(input, StandardCharsets.UTF_8));
    } catch (ConfigException refused) {
      assertThat(refused.key()).isNotBlank();
      return;
    }
    assertThat(cfg.port()).isBetween(0, 65_535);
    assertThat(cfg.policies()).containsKey(cfg.defaultPolicy());
    for (Policy p : cfg.policies().values()) {
      assertThat(p.warnBeforeMs()).isLessThan(p.idleTimeoutMs());
      assertThat(p.idleTimeoutMs()).isPositive().isLessThanOrEqualTo(p.absoluteTimeoutMs());
    }
  }
}
