package dev.curfew.core.fuzz;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The bounded fuzzing run of CI for curfew-core's parsers: every target, {@code curfew.fuzz.seconds} each. */
class CoreFuzzCampaignTest {
  @Test
  void everyTargetSurvivesItsFuzzingBudget() throws Exception {
    Path classes = Path.of("target/test-classes");
    List<String> targets = FuzzCampaign.targets(classes);
    assertThat(targets).as("fuzz targets found").hasSizeGreaterThanOrEqualTo(12);
    int seconds = FuzzCampaign.secondsPerTarget(3);
    if (seconds <= 0) return; // only the kept inputs (they ran as ordinary tests)
    for (String target : targets) {
      FuzzCampaign.Outcome o = FuzzCampaign.fuzz(target, seconds, Path.of("").toAbsolutePath());
      System.out.println(target + ": " + FuzzCampaign.summary(o));
      assertThat(o.passed()).as("%s found something (the input is in its inputs directory):%n%s", target, o.output()).isTrue();
      assertThat(o.output()).as(target + " fuzzed").contains("Done ");
    }
  }
}
