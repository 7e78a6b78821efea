package dev.curfew.store.embedded;

import static org.assertj.core.api.Assertions.assertThat;

import dev.curfew.core.fuzz.FuzzCampaign;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The bounded fuzzing run of CI for the audit files given to verify: {@code curfew.fuzz.seconds} per target. */
class StoreFuzzCampaignTest {
  @Test
  void everyTargetSurvivesItsFuzzingBudget() throws Exception {
    List<String> targets = FuzzCampaign.targets(Path.of("target/test-classes"));
    assertThat(targets).as("fuzz targets found").isNotEmpty();
    int seconds = FuzzCampaign.secondsPerTarget(3);
    if (seconds <= 0) return;
    for (String target : targets) {
      FuzzCampaign.Outcome o = FuzzCampaign.fuzz(target, seconds, Path.of("").toAbsolutePath());
      System.out.println(target + ": " + FuzzCampaign.summary(o));
      assertThat(o.passed()).as("%s found something (the input is in its inputs directory):%n%s", target, o.output()).isTrue();
      assertThat(o.output()).as(target + " fuzzed").contains("Done ");
    }
  }
}
