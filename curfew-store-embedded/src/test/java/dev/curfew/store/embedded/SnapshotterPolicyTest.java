package dev.curfew.store.embedded;

import static org.assertj.core.api.Assertions.assertThat;

import dev.curfew.core.ConcurrencyLimit;
import dev.curfew.core.Policy;
import org.junit.jupiter.api.Test;

/** A snapshot keeps every field of a policy version, the concurrency limit and resume_within included. */
class SnapshotterPolicyTest {
  @Test
  void aPolicyWithAConcurrencyLimit_survivesTheSnapshotUnchanged_andOneWithoutStaysWithout() {
    Policy limited = Policy.builder("p").version(3).concurrency(ConcurrencyLimit.of(2, "end_oldest", "audience")).build();
    assertThat(Snapshotter.policyFrom(Snapshotter.toMap(limited))).isEqualTo(limited);
    Policy plain = Policy.builder("q").build();
    assertThat(Snapshotter.toMap(plain)).doesNotContainKey("max_sessions_per_subject");
    assertThat(Snapshotter.policyFrom(Snapshotter.toMap(plain))).isEqualTo(plain);
  }

  @Test
  void aPolicyWithResumeWithin_survivesTheSnapshotUnchanged() {
    Policy resuming = Policy.builder("r").version(2).resumeWithin(java.time.Duration.ofMinutes(30)).build();
    assertThat(Snapshotter.toMap(resuming)).containsEntry("resume_within_ms", 1_800_000L);
    assertThat(Snapshotter.policyFrom(Snapshotter.toMap(resuming))).isEqualTo(resuming);
    assertThat(Snapshotter.toMap(Policy.builder("q").build())).doesNotContainKey("resume_within_ms");
  }
}
