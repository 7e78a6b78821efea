package dev.curfew.bench.reliability;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The soak of CI: 50,000 live sessions under mixed traffic for 60 s against a real server (the
 * 10-minute run is {@code curfew-bench/reliability/soak.sh}; its figures are in docs/reliability.md).
 */
class SoakTest {
  @TempDir Path work;

  @Test
  @Timeout(600)
  void fiftyThousandSessionsForAMinute_noError_flatHeap_lateExpiriesBounded() throws Exception {
    ByteArrayOutputStream text = new ByteArrayOutputStream();
    Soak.Options o = Soak.Options.defaults(ChildServer.command(), work).with(50_000, 60, 1000);
    Soak.Report r;
    try (PrintStream out = new PrintStream(text, true, StandardCharsets.UTF_8)) {
      r = new Soak(o, out).run();
    }
    String log = text.toString(StandardCharsets.UTF_8);
    System.out.println(log);
    assertThat(r.firstViolations()).as(log).isEmpty();
    assertThat(r.errors()).as("unexpected answers").isZero();
    assertThat(r.failures()).as("requests without an answer").isZero();
    assertThat(r.verifyExit()).as("audit verify").isZero();
    assertThat(r.acknowledged()).containsKeys("opened", "touched", "read", "extended", "warning_acknowledged",
        "logged_out", "revoked", "read_ended");
    assertThat(r.opsPerSecond()).as("paced at 1,000/s").isGreaterThan(300);
    assertThat(r.liveAtEnd()).as("the population is held").isGreaterThan(45_000);
    assertThat(r.lateness().timerExpiries()).as("short sessions kept expiring").isGreaterThan(1_000);
    // Same population before and after: what grows is ended sessions kept for ended_retention (30 s).
    assertThat(r.heapGrowthMiB()).as("heap after full GC, after the traffic minus after opening").isLessThan(32);
    // A bound for a shared 2-core machine that also runs the load; the target (p99 5 ms, max 20 ms)
    // and what the long run measured are in docs/reliability.md.
    assertThat(r.lateness().p99()).as("p99 lateness, ms").isLessThanOrEqualTo(100);
    assertThat(r.lateness().max()).as("max lateness, ms").isLessThanOrEqualTo(1_000);
  }
}
