package dev.curfew.core;

import static org.assertj.core.api.Assertions.assertThat;

import dev.curfew.core.audit.Json;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.LongRange;

/**
 * Random schedules of operations and clock moves against the invariants of ARCHITECTURE.md: an
 * ended session is never valid again, a valid session is never past its deadline, the absolute
 * deadline never moves, each ending produces exactly one record, and timers leave no live session
 * past its deadline.
 */
class SessionEnginePropertiesTest {

  enum Kind { OPEN, CHECK, TOUCH, EXTEND, ACK, LOGOUT, REVOKE, REVOKE_SUBJECT, ADVANCE, ADVANCE_TIMERS_ONLY, TO_DEADLINE, TO_WARNING }

  record Step(Kind kind, int target, long ms) {}

  @Provide
  Arbitrary<List<Step>> schedules() {
    Arbitrary<Step> step = Combinators.combine(
        Arbitraries.of(Kind.class),
        Arbitraries.integers().between(0, 7),
        Arbitraries.frequencyOf(
            net.jqwik.api.Tuple.of(5, Arbitraries.longs().between(0, 2_000)),
            net.jqwik.api.Tuple.of(3, Arbitraries.longs().between(0, 120_000)),
            net.jqwik.api.Tuple.of(1, Arbitraries.longs().between(0, 3_600_000))))
        .as(Step::new);
    return step.list().ofMinSize(1).ofMaxSize(120);
  }

  @Property(tries = 300, seed = "20261128")
  void invariantsHoldUnderAnySchedule(@ForAll("schedules") List<Step> steps,
      @ForAll @LongRange(min = 0, max = 4_000_000_000_000L) long startMs) {
    Policy p = Policy.of("p", Duration.ofMinutes(5), Duration.ofMinutes(30), Duration.ofSeconds(30), 2);
    EngineFixture f = new EngineFixture(Instant.ofEpochMilli(startMs), p);
    List<String> tokens = new ArrayList<>();
    Map<String, String> idOf = new HashMap<>();
    Map<String, Long> absoluteOf = new HashMap<>();
    Set<String> ended = new HashSet<>();

    for (Step s : steps) {
      String token = tokens.isEmpty() ? null : tokens.get(s.target() % tokens.size());
      String acted = token;
      Decision d = null;
      switch (s.kind()) {
        case OPEN -> {
          d = f.engine.open("user" + s.target() % 3, null, Map.of());
          tokens.add(d.token());
          idOf.put(d.token(), d.status().sessionId());
          absoluteOf.put(d.token(), d.status().absoluteExpiresAtMs());
          acted = d.token();
        }
        case CHECK -> d = token == null ? null : f.engine.check(token, false);
        case TOUCH -> d = token == null ? null : f.engine.check(token, true);
        case EXTEND -> d = token == null ? null : f.engine.extend(token);
        case ACK -> d = token == null ? null : f.engine.acknowledgeWarning(token);
        case LOGOUT -> d = token == null ? null : f.engine.logout(token);
        case REVOKE -> {
          if (token != null) f.engine.revoke(idOf.get(token), "admin", "test");
        }
        case REVOKE_SUBJECT -> f.engine.revokeSubject("user" + s.target() % 3, "admin", "test");
        case ADVANCE -> f.advance(Duration.ofMillis(s.ms()));
        case ADVANCE_TIMERS_ONLY -> f.engine.advanceTimers();
        case TO_DEADLINE, TO_WARNING -> {
          // Land exactly on (or 1 ms before) a live session's deadline or warning instant.
          Decision st = token == null ? null : f.engine.check(token, false);
          if (st != null && st.allowed()) {
            long at = s.kind() == Kind.TO_DEADLINE ? st.status().expiresAtMs() : st.status().warningAtMs();
            at -= s.ms() % 2;
            if (at > f.clock.millis()) {
              f.clock.setMillis(at);
              if (s.target() % 2 == 0) f.engine.advanceTimers();
            }
          }
        }
      }
      if (d != null && acted != null) {
        String token2 = acted;
        if (ended.contains(token2)) {
          assertThat(d.verdict()).as("ended session answered valid").isEqualTo(Decision.Verdict.ENDED);
        }
        if (d.verdict() == Decision.Verdict.ALLOWED || d.verdict() == Decision.Verdict.REFUSED) {
          assertThat(d.status().expiresAtMs()).as("valid past its deadline").isGreaterThan(f.clock.millis());
          assertThat(d.status().absoluteExpiresAtMs()).isEqualTo(absoluteOf.get(token2));
        }
      }
      // What the engine says now, passively, for every token: the model learns endings here.
      for (String t : tokens) {
        Decision now = f.engine.check(t, false);
        if (now.verdict() == Decision.Verdict.ENDED) {
          ended.add(t);
        } else {
          assertThat(ended).as("resurrected").doesNotContain(t);
          assertThat(now.status().expiresAtMs()).isGreaterThan(f.clock.millis());
        }
      }
      f.engine.checkInvariants();
    }
    // After timers run at the current instant, no live session is past its deadline.
    f.engine.advanceTimers();
    f.engine.checkInvariants();

    Map<String, Integer> endings = new HashMap<>();
    List<String> lines = f.sink.lines();
    String previousTime = "";
    for (int i = 0; i < lines.size(); i++) {
      Map<String, Object> r = Json.parseObject(lines.get(i));
      assertThat(r.get("seq")).isEqualTo((long) i);
      assertThat((String) r.get("time")).isGreaterThanOrEqualTo(previousTime);
      previousTime = (String) r.get("time");
      String type = (String) r.get("type");
      if (type.equals("session.expired") || type.equals("session.revoked") || type.equals("session.logged_out")) {
        endings.merge((String) r.get("session_id"), 1, Integer::sum);
      }
    }
    for (String t : tokens) {
      String id = idOf.get(t);
      int expected = ended.contains(t) ? 1 : 0;
      assertThat(endings.getOrDefault(id, 0)).as("ending records of " + id).isEqualTo(expected);
    }
  }
}
