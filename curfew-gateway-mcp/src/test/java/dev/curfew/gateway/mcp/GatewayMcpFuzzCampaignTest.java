package dev.curfew.gateway.mcp;

import dev.curfew.core.fuzz.FuzzCampaign;
import org.junit.jupiter.api.Test;

/**
 * Exploration of the MCP gateway's JSON-RPC and server-sent-event readers: every fuzz target,
 * {@code curfew.fuzz.seconds} each. Only in {@code mvn -Pfuzz verify}: the ordinary build excludes it
 * and replays the kept inputs.
 */
class GatewayMcpFuzzCampaignTest {
  @Test
  void everyTargetSurvivesItsFuzzingBudget() throws Exception {
    FuzzCampaign.exploreModule(2); // throws, naming every target that found something
  }
}
