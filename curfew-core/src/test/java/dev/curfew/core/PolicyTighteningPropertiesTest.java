package dev.curfew.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/**
 * apply_to_live only ever tightens: whatever sequence of new versions is saved (applied to live
 * sessions or not, each one valid on its own), no field of a live session's effective policy is
 * ever looser than before the change, and the deadlines never move later.
 */
class PolicyTighteningPropertiesTest {
  record Change(Policy values, boolean applyToLive, long advanceMs) {}

  @Provide
  Arbitrary<List<Change>> changes() {
    Arbitrary<Policy> policy = Combinators.combine(
        Arbitraries.longs().between(2, 120), // idle, minutes
        Arbitraries.longs().between(0, 600), // absolute minus idle, minutes
        Arbitraries.longs().between(0, 100), // warn, percent of idle
        Arbitraries.integers().between(0, 60),
        Arbitraries.longs().between(0, 60)) // renew, minutes; 0: none
        .as((idle, extra, warnPct, ext, renew) -> new Policy("p", 1, Duration.ofMinutes(idle),
            Duration.ofMinutes(idle + extra), Duration.ofMillis(idle * 60_000 * warnPct / 101),
            ext, renew == 0 ? null : Duration.ofMinutes(renew), List.of()));
    Arbitrary<Change> change = Combinators.combine(policy, Arbitraries.of(true, false),
        Arbitraries.longs().between(0, 30 * 60_000)).as(Change::new);
    return change.list().ofMinSize(1).ofMaxSize(12);
  }

  @Property(tries = 400, seed = "20261126")
  void noFieldOfALiveSessionIsEverLoosened(@ForAll("changes") List<Change> changes) {
    Policy first = new Policy("p", 1, Duration.ofMinutes(60), Duration.ofHours(8), Duration.ofMinutes(2), 30,
        Duration.ofMinutes(30), List.of());
    EngineFixture f = new EngineFixture(first);
    List<String> tokens = new ArrayList<>();
    for (Change c : changes) {
      tokens.add(f.engine.open("u" + tokens.size(), null, Map.of()).token());
      List<SessionSnapshot> before = f.engine.snapshot();
      try {
        f.engine.changePolicy(c.values(), c.applyToLive(), "admin");
      } catch (IllegalArgumentException refused) {
        // a version looser than the current one is refused for apply_to_live, naming the field
        assertThat(refused.getMessage()).contains("loosen");
      }
      for (SessionSnapshot was : before) {
        SessionSnapshot now = f.engine.snapshot().stream()
            .filter(s -> s.sessionId().equals(was.sessionId())).findFirst().orElseThrow();
        if (now.ended()) continue;
        assertThat(was.policy().loosenedField(now.policy())).as("%s -> %s", was.policy(), now.policy()).isNull();
        assertThat(now.idleExpiresAtMs()).isLessThanOrEqualTo(was.idleExpiresAtMs());
        assertThat(now.absoluteExpiresAtMs()).isLessThanOrEqualTo(was.absoluteExpiresAtMs());
      }
      f.clock.advance(Duration.ofMillis(c.advanceMs()));
      f.engine.advanceTimers();
      f.engine.checkInvariants();
    }
  }

  @Property(tries = 400, seed = "20261126")
  void narrowedBy_isTighterOrEqualThanBoth_andValid(@ForAll("changes") List<Change> changes) {
    Policy p = changes.get(0).values();
    for (Change c : changes) {
      Policy n = p.narrowedBy(c.values().withVersion(p.version() + 1));
      assertThat(p.loosenedField(n)).isNull();
      assertThat(c.values().loosenedField(n)).isNull();
      p = n;
    }
  }
}
