package dev.curfew.store.embedded;

import dev.curfew.core.fuzz.FuzzCampaign;
import org.junit.jupiter.api.Test;

/**
 * Exploration of the audit files given to verify:
 * every fuzz target, {@code curfew.fuzz.seconds} each.
 * Only in {@code mvn -Pfuzz verify}: the ordinary build excludes it and replays the kept inputs.
 */
class StoreFuzzCampaignTest {
  @Test
  void everyTargetSurvivesItsFuzzingBudget() throws Exception {
    FuzzCampaign.exploreModule(1); // throws, naming every target that found something
  }
}
