package dev.curfew.gateway.mysql;

import dev.curfew.core.fuzz.FuzzCampaign;
import org.junit.jupiter.api.Test;

/**
 * Exploration of the MySQL wire gateway's packet framing and handshake parsing: every fuzz target,
 * {@code curfew.fuzz.seconds} each. Only in {@code mvn -Pfuzz verify}: the ordinary build excludes it
 * and replays the kept inputs.
 */
class GatewayMysqlFuzzCampaignTest {
  @Test
  void everyTargetSurvivesItsFuzzingBudget() throws Exception {
    FuzzCampaign.exploreModule(1); // throws, naming every target that found something
  }
}
