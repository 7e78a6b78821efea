package dev.curfew.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

class PolicyChangeTest {
  private static Policy values(Duration idle, Duration absolute) {
    return Policy.of("standard", idle, absolute, Duration.ofMinutes(1), 3);
  }

  @Test
  void newVersion_liveSessionsKeepTheirs() {
    EngineFixture f = new EngineFixture();
    String token = f.open("alice").token();
    PolicyChange c = f.engine.changePolicy(values(Duration.ofMinutes(5), Duration.ofHours(1)), false, "admin");
    assertThat(c.policy().version()).isEqualTo(2);
    assertThat(c.appliedToLive()).isZero();
    assertThat(f.engine.check(token, false).status().policyVersion()).isEqualTo(1);
    assertThat(f.open("bob").status().policyVersion()).isEqualTo(2);
    assertThat(f.types()).contains("policy.changed");
  }

  @Test
  void applyToLive_shortensDeadlinesAndRecordsEachSession() {
    EngineFixture f = new EngineFixture();
    Decision open = f.open("alice");
    f.clock.advance(Duration.ofMinutes(6));
    PolicyChange c = f.engine.changePolicy(values(Duration.ofMinutes(10), Duration.ofHours(1)), true, "admin");
    assertThat(c.appliedToLive()).isEqualTo(1);
    Decision now = f.engine.check(open.token(), false);
    assertThat(now.status().idleExpiresAtMs()).isEqualTo(open.status().createdAtMs() + Duration.ofMinutes(10).toMillis());
    assertThat(now.status().absoluteExpiresAtMs()).isEqualTo(open.status().createdAtMs() + Duration.ofHours(1).toMillis());
    assertThat(f.types()).containsSubsequence("policy.changed", "session.policy_applied");
    // the earlier deadline is enforced by the timer too
    f.advance(Duration.ofMinutes(4));
    assertThat(f.types()).endsWith("session.expired");
    f.engine.checkInvariants();
  }

  @Test
  void applyToLive_endsSessionsAlreadyPastTheNewDeadline() {
    EngineFixture f = new EngineFixture();
    String token = f.open("alice").token();
    f.clock.advance(Duration.ofMinutes(6));
    f.engine.changePolicy(values(Duration.ofMinutes(5), Duration.ofHours(1)), true, "admin");
    assertThat(f.engine.check(token, false).reason()).isEqualTo(EndReason.IDLE_TIMEOUT);
  }

  @Test
  void applyToLive_refusesToLengthen() {
    EngineFixture f = new EngineFixture();
    assertThatThrownBy(() -> f.engine.changePolicy(values(Duration.ofMinutes(30), Duration.ofHours(12)), true, "admin"))
        .hasMessageContaining("loosen idle_timeout");
  }

  @Test
  void applyToLive_refusesToRaiseMaxExtensions_namingTheField() {
    EngineFixture f = new EngineFixture();
    assertThatThrownBy(() -> f.engine.changePolicy(
        Policy.of("standard", Duration.ofMinutes(15), Duration.ofHours(12), Duration.ofMinutes(1), 50), true, "admin"))
        .isInstanceOf(PolicyException.class).hasMessageContaining("max_extensions");
  }

  @Test
  void applyToLive_neverLoosensASessionStillOnAnOlderTighterVersion() {
    EngineFixture f = new EngineFixture();
    Decision open = f.open("alice");
    // v2 (not applied) allows 50 extensions; v3, applied, allows 40: tighter than v2, looser than v1's 3.
    f.engine.changePolicy(Policy.of("standard", Duration.ofMinutes(15), Duration.ofHours(12), Duration.ofMinutes(1), 50),
        false, "admin");
    f.engine.changePolicy(Policy.of("standard", Duration.ofMinutes(10), Duration.ofHours(12), Duration.ofMinutes(1), 40),
        true, "admin");
    Decision now = f.engine.check(open.token(), false);
    assertThat(now.status().policyVersion()).isEqualTo(3);
    assertThat(now.status().extensionsLeft()).isEqualTo(3);
    for (int i = 0; i < 3; i++) assertThat(f.engine.extend(open.token()).allowed()).isTrue();
    assertThat(f.engine.extend(open.token()).verdict()).isEqualTo(Decision.Verdict.REFUSED);
    // recovery from the log keeps the narrowed values
    Policies fresh = new Policies(List.of(EngineFixture.standard()), "standard");
    Replay replay = new Replay(fresh, List.of());
    for (String line : f.sink.lines()) replay.apply(dev.curfew.core.audit.Json.parseObject(line));
    replay.bind(new AuditSink.TokenBinding(open.status().sessionId(), TokenHash.of(open.token()), 0));
    Policy recovered = replay.result().get(0).policy();
    assertThat(recovered.maxExtensions()).isEqualTo(3);
    assertThat(recovered.idleTimeout()).isEqualTo(Duration.ofMinutes(10));
    assertThat(recovered.version()).isEqualTo(3);
  }

  @Test
  void replayRestoresPolicyVersions() {
    EngineFixture f = new EngineFixture();
    f.engine.changePolicy(values(Duration.ofMinutes(5), Duration.ofHours(1)), false, "admin");
    Policies fresh = new Policies(List.of(EngineFixture.standard()), "standard");
    Replay replay = new Replay(fresh, List.of());
    for (String line : f.sink.lines()) {
      replay.apply(dev.curfew.core.audit.Json.parseObject(line));
    }
    assertThat(fresh.current("standard").orElseThrow().version()).isEqualTo(2);
    assertThat(fresh.current("standard").orElseThrow().idleTimeout()).isEqualTo(Duration.ofMinutes(5));
  }
}
