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
    int seconds = FuzzCampaign.secondsPerTarget(2);
    if (seconds <= 0) return; // only the kept inputs (they ran as ordinary tests)
    for (FuzzCampaign.Outcome o : FuzzCampaign.fuzzAll(targets, seconds, Path.of("").toAbsolutePath(),
        FuzzCampaign.parallelism())) {
      System.out.println(o.target() + ": " + FuzzCampaign.summary(o));
      assertThat(o.passed()).as("%s found something (the input is in its inputs directory):%n%s", o.target(), o.output()).isTrue();
      assertThat(o.output()).as(o.target() + " fuzzed").contains("Done ");
    }
  }
}
