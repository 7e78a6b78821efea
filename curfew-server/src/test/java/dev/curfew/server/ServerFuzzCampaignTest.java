package dev.curfew.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.curfew.core.fuzz.FuzzCampaign;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The bounded fuzzing run of CI for the HTTP API, configuration and gateway headers: {@code curfew.fuzz.seconds} per target. */
class ServerFuzzCampaignTest {
  @Test
  void everyTargetSurvivesItsFuzzingBudget() throws Exception {
    List<String> targets = FuzzCampaign.targets(Path.of("target/test-classes"));
    assertThat(targets).as("fuzz targets found").isNotEmpty();
    int seconds = FuzzCampaign.secondsPerTarget(2);
    if (seconds <= 0) return;
    for (FuzzCampaign.Outcome o : FuzzCampaign.fuzzAll(targets, seconds, Path.of("").toAbsolutePath(),
        FuzzCampaign.parallelism())) {
      System.out.println(o.target() + ": " + FuzzCampaign.summary(o));
      assertThat(o.passed()).as("%s found something (the input is in its inputs directory):%n%s", o.target(), o.output()).isTrue();
      assertThat(o.output()).as(o.target() + " fuzzed").contains("Done ");
    }
  }
}
