package dev.curfew.store.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.curfew.core.Policy;
import dev.curfew.core.SystemClock;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The Redis store does not resume sessions ({@code resume_within}): it says so instead of ignoring the field. */
class RedisResumeWithinTest {
  private final RedisNodes redis = new RedisNodes();

  @AfterEach
  void close() throws Exception {
    redis.close();
  }

  private static Policy resuming() {
    return RedisNodes.policy("resuming", 600_000, 3_600_000, 60_000, 2).withResumeWithin(Duration.ofMinutes(30));
  }

  @Test
  void aConfiguredPolicyWithResumeWithin_failsTheStart_namingTheField() {
    assertThatThrownBy(() -> redis.add("a", new SystemClock(), List.of(resuming())))
        .hasMessageContaining("resume_within is not supported with store: redis");
  }

  @Test
  void aPolicyVersionWithResumeWithin_isRefused_andNotStored() throws Exception {
    RedisNodes.Node a = redis.add("a", new SystemClock(), List.of(RedisNodes.policy("resuming", 600_000, 3_600_000,
        60_000, 2)));
    assertThatThrownBy(() -> a.store.changePolicy(resuming(), false, "admin"))
        .hasMessageContaining("resume_within is not supported with store: redis");
    assertThat(a.store.policies().current("resuming").orElseThrow().resumeWithin()).isNull();
  }
}
