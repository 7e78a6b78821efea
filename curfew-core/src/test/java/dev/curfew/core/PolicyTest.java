package dev.curfew.core;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class PolicyTest {
  @Test
  void subMillisecondDurationsAreRefusedNamingTheKey() {
    Duration half = Duration.ofNanos(500_000);
    assertThatThrownBy(() -> Policy.builder("p").warnBefore(Duration.ofSeconds(1).plus(half)).build())
        .isInstanceOfSatisfying(PolicyException.class, e -> org.assertj.core.api.Assertions.assertThat(e.key()).isEqualTo("warn_before"));
    assertThatThrownBy(() -> Policy.builder("p").absoluteTimeout(Duration.ofHours(1).plus(half)).build())
        .isInstanceOfSatisfying(PolicyException.class, e -> org.assertj.core.api.Assertions.assertThat(e.key()).isEqualTo("absolute_timeout"));
    assertThatThrownBy(() -> Policy.builder("p").renewEvery(half).build())
        .isInstanceOfSatisfying(PolicyException.class, e -> org.assertj.core.api.Assertions.assertThat(e.key()).isEqualTo("renew_every"));
  }

  @Test
  void idleLongerThanAbsoluteAndWarningNotBeforeIdleAreRefused() {
    assertThatThrownBy(() -> Policy.of("p", Duration.ofHours(2), Duration.ofHours(1), Duration.ZERO, 0))
        .isInstanceOfSatisfying(PolicyException.class, e -> org.assertj.core.api.Assertions.assertThat(e.key()).isEqualTo("idle_timeout"));
    assertThatThrownBy(() -> Policy.of("p", Duration.ofMinutes(5), Duration.ofHours(1), Duration.ofMinutes(5), 0))
        .isInstanceOfSatisfying(PolicyException.class, e -> org.assertj.core.api.Assertions.assertThat(e.key()).isEqualTo("warn_before"));
  }

  /**
   * Issue 20: renew_every had no upper limit, so 9223372036854775807 ms made a policy, whose records
   * carry an integer beyond what canonical JSON holds (2^53-1). Nor may a huge idle timeout turn
   * its own refusal into an ArithmeticException.
   */
  @Test
  void durationsBeyondTheLongestTimeoutAreRefusedNamingTheKey() {
    assertThatThrownBy(() -> Policy.builder("p").renewEvery(Duration.ofMillis(Long.MAX_VALUE)).build())
        .isInstanceOfSatisfying(PolicyException.class, e -> org.assertj.core.api.Assertions.assertThat(e.key()).isEqualTo("renew_every"));
    assertThatThrownBy(() -> Policy.builder("p").renewEvery(Policy.MAX_TIMEOUT.plusMillis(1)).build())
        .isInstanceOfSatisfying(PolicyException.class, e -> org.assertj.core.api.Assertions.assertThat(e.key()).isEqualTo("renew_every"));
    org.assertj.core.api.Assertions.assertThat(Policy.builder("p").renewEvery(Policy.MAX_TIMEOUT).build().renewEvery())
        .isEqualTo(Policy.MAX_TIMEOUT);
    assertThatThrownBy(() -> Policy.of("p", Duration.ofSeconds(Long.MAX_VALUE), Duration.ofHours(1), Duration.ZERO, 0))
        .isInstanceOf(PolicyException.class);
  }
}
