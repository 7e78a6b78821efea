package dev.curfew.core.fuzz;

import org.junit.jupiter.api.Test;

/**
 * Exploration of curfew-core's parsers:
 * every fuzz target, {@code curfew.fuzz.seconds} each.
 * Only in {@code mvn -Pfuzz verify}: the ordinary build excludes it and replays the kept inputs.
 */
class CoreFuzzCampaignTest {
  @Test
  void everyTargetSurvivesItsFuzzingBudget() throws Exception {
    FuzzCampaign.exploreModule(12); // throws, naming every target that found something
  }
}
