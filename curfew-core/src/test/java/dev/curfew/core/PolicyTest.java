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
}
