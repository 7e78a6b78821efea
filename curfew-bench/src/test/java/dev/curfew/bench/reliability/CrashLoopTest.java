package dev.curfew.bench.reliability;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The short crash loop of CI: five SIGKILLs of a real server under mixed load (the long run, 50
 * kills, is {@code curfew-bench/reliability/crash-loop.sh}; its figures are in docs/reliability.md).
 */
class CrashLoopTest {
  @TempDir Path work;

  @Test
  @Timeout(240) // about 40 s on a quiet 2-core machine
  void fiveKillsUnderLoad_loseNoAcknowledgedChange_reviveNothing_andTheLogVerifies() throws Exception {
    ByteArrayOutputStream text = new ByteArrayOutputStream();
    CrashLoop.Options options = CrashLoop.Options.defaults(ChildServer.command(), work).withKills(5)
        .withSeed(20261127L).withLoadMs(500, 1500).withStartupKillFraction(0.25);
    CrashLoop.Report r;
    try (PrintStream out = new PrintStream(text, true, StandardCharsets.UTF_8)) {
      r = new CrashLoop(options, out).run();
    }
    String log = text.toString(StandardCharsets.UTF_8);
    System.out.println(log);
    assertThat(r.firstViolations()).as(log).isEmpty();
    assertThat(r.passed()).isTrue();
    assertThat(r.kills()).isEqualTo(5);
    assertThat(r.verifyRuns()).as("audit verify after every kill and after the clean stop").isEqualTo(6);
    assertThat(r.sessions()).as("sessions the load opened").isGreaterThan(50);
    assertThat(r.acknowledged()).containsKeys("opened", "touched", "extended", "logged_out", "revoked", "read_ended");
    assertThat(r.checks()).as("sessions checked after restarts").isGreaterThan(100);
    assertThat(r.auditTypes()).containsKeys("session.expired", "node.started", "node.stopped");
    assertThat(r.auditTypes().get("node.started")).as("one start per spawn that got that far").isGreaterThanOrEqualTo(2L);
  }
}
