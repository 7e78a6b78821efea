package dev.curfew.gateway.mcp;

import static org.assertj.core.api.Assertions.assertThat;

import dev.curfew.core.fuzz.FixedSeeds;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** CI passes or fails on the code, not on the draw: every jqwik property of this module runs on a fixed seed. */
class EveryPropertyHasAFixedSeedTest {
  @Test
  void everyPropertyNamesItsSeed() throws Exception {
    assertThat(FixedSeeds.propertiesWithoutSeed(Path.of("target/test-classes")))
        .as("@Property methods without seed = \"...\" (see docs/reliability.md)").isEmpty();
  }
}
