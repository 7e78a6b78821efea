package dev.curfew.store.redis;

import static org.assertj.core.api.Assertions.assertThat;

import dev.curfew.core.ConcurrencyLimit;
import dev.curfew.core.Policy;
import org.junit.jupiter.api.Test;

/** The policy values every node reads from Redis keep the concurrency limit. */
class PolicySyncValuesTest {
  @Test
  void theConcurrencyLimitTravelsWithThePolicysValues() {
    Policy limited = Policy.builder("p").concurrency(ConcurrencyLimit.of(4, "refuse_new", "subject")).build();
    assertThat(PolicySync.fromJson(PolicySync.valuesJson(limited))).isEqualTo(limited);
    Policy plain = Policy.builder("q").build();
    assertThat(PolicySync.valuesJson(plain)).doesNotContain("max_sessions_per_subject");
    assertThat(PolicySync.fromJson(PolicySync.valuesJson(plain))).isEqualTo(plain);
  }
}
