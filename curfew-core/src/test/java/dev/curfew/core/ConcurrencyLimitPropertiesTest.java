package dev.curfew.core;

import static org.assertj.core.api.Assertions.assertThat;

import dev.curfew.core.audit.AuditRecord;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CyclicBarrier;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;

/**
 * The concurrency limit holds under any interleaving of openings and endings: threads open, log out
 * and revoke sessions of the same few subjects at once, and the audit trail, read in its order,
 * never shows a subject with more live sessions than the policy allows.
 */
class ConcurrencyLimitPropertiesTest {
  enum Kind { OPEN, OPEN_OTHER_POLICY, LOGOUT, REVOKE_SUBJECT, CHECK }

  record Step(Kind kind, int subject, int target) {}

  @Provide
  Arbitrary<List<List<Step>>> threads() {
    Arbitrary<Step> step = Combinators.combine(
        Arbitraries.frequencyOf(
            net.jqwik.api.Tuple.of(6, Arbitraries.just(Kind.OPEN)),
            net.jqwik.api.Tuple.of(2, Arbitraries.just(Kind.OPEN_OTHER_POLICY)),
            net.jqwik.api.Tuple.of(2, Arbitraries.just(Kind.LOGOUT)),
            net.jqwik.api.Tuple.of(1, Arbitraries.just(Kind.REVOKE_SUBJECT)),
            net.jqwik.api.Tuple.of(2, Arbitraries.just(Kind.CHECK))),
        Arbitraries.integers().between(0, 1),
        Arbitraries.integers().between(0, 50)).as(Step::new);
    return step.list().ofMinSize(5).ofMaxSize(40).list().ofMinSize(2).ofMaxSize(4);
  }

  @Property(tries = 60, seed = "20261203")
  void noInterleavingLetsASubjectExceedItsLimit(@ForAll("threads") List<List<Step>> threads,
      @ForAll @IntRange(min = 1, max = 4) int max, @ForAll boolean endOldest) throws Exception {
    ConcurrencyLimit limit = ConcurrencyLimit.of(max, endOldest ? "end_oldest" : "refuse_new", null);
    // Both policies carry the limit: every opening, under either, is bound by it.
    Policy a = Policy.builder("a").concurrency(limit).build();
    Policy b = Policy.builder("b").idleTimeout(Duration.ofMinutes(5)).concurrency(limit).build();
    EngineFixture f = new EngineFixture(a, b);
    List<String> tokens = new CopyOnWriteArrayList<>();
    List<Decision> refused = new CopyOnWriteArrayList<>();
    CyclicBarrier start = new CyclicBarrier(threads.size());
    List<Thread> running = new ArrayList<>();
    List<Throwable> failures = new CopyOnWriteArrayList<>();
    for (List<Step> steps : threads) {
      Thread t = new Thread(() -> {
        try {
          start.await();
          for (Step s : steps) run(f, s, tokens, refused);
        } catch (Throwable e) {
          failures.add(e);
        }
      });
      running.add(t);
      t.start();
    }
    for (Thread t : running) t.join(60_000);
    assertThat(failures).isEmpty();

    assertLogNeverExceeds(f.sink.records(), max);
    for (String subject : List.of("user0", "user1")) {
      assertThat(f.engine.sessionsOf(subject).size()).isLessThanOrEqualTo(max);
    }
    if (endOldest) assertThat(refused).isEmpty();
    for (Decision d : refused) assertThat(d.reason()).isEqualTo(EndReason.CONCURRENCY_LIMIT);
    f.engine.checkInvariants();
  }

  private static void run(EngineFixture f, Step s, List<String> tokens, List<Decision> refused) {
    String subject = "user" + s.subject();
    switch (s.kind()) {
      case OPEN, OPEN_OTHER_POLICY -> {
        Decision d = f.engine.open(subject, s.kind() == Kind.OPEN ? "a" : "b", Map.of());
        if (d.allowed()) tokens.add(d.token());
        else refused.add(d);
      }
      case LOGOUT -> {
        if (!tokens.isEmpty()) f.engine.logout(tokens.get(s.target() % tokens.size()));
      }
      case REVOKE_SUBJECT -> f.engine.revokeSubject(subject, "admin", "property");
      case CHECK -> {
        if (!tokens.isEmpty()) f.engine.check(tokens.get(s.target() % tokens.size()), true);
      }
    }
  }

  /** Replays the trail in its order: a session is live from its creation to the record of its end. */
  private static void assertLogNeverExceeds(List<AuditRecord> records, int max) {
    Map<String, Set<String>> live = new HashMap<>();
    for (AuditRecord r : records) {
      Set<String> of = live.computeIfAbsent(r.subject() == null ? "" : r.subject(), k -> new HashSet<>());
      switch (r.type()) {
        case "session.created" -> {
          of.add(r.sessionId());
          assertThat(of.size()).as("live sessions of %s after %s", r.subject(), r).isLessThanOrEqualTo(max);
        }
        case "session.logged_out", "session.revoked", "session.expired" -> of.remove(r.sessionId());
        default -> { }
      }
    }
  }
}
