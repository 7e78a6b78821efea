package dev.curfew.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.curfew.core.ConcurrencyLimit.WhenExceeded;
import dev.curfew.core.audit.AuditRecord;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** max_sessions_per_subject and when_exceeded, in the embedded engine. */
class ConcurrencyLimitTest {
  private static Policy policy(String name, ConcurrencyLimit limit) {
    return Policy.builder(name).idleTimeout(Duration.ofMinutes(15)).absoluteTimeout(Duration.ofHours(12))
        .warnBefore(Duration.ofMinutes(2)).maxExtensions(3).concurrency(limit).build();
  }

  private static Decision open(EngineFixture f, String subject, String policy) {
    return f.engine.open(subject, policy, Map.of(), Audience.route("/"), "web");
  }

  @Test
  void of_validatesWithErrorsThatNameTheField() {
    assertThat(ConcurrencyLimit.of(null, null, null)).isEqualTo(ConcurrencyLimit.NONE);
    assertThat(ConcurrencyLimit.of(3, null, null))
        .isEqualTo(new ConcurrencyLimit(3, WhenExceeded.REFUSE_NEW, ConcurrencyLimit.Scope.SUBJECT));
    assertThatThrownBy(() -> ConcurrencyLimit.of(0, null, null)).isInstanceOf(PolicyException.class)
        .hasMessageContaining("must be 1..1000, not 0");
    assertThatThrownBy(() -> ConcurrencyLimit.of(1001, null, null)).hasMessageContaining("not 1001");
    assertThatThrownBy(() -> ConcurrencyLimit.of(2, "kick_oldest", null))
        .hasMessageContaining("must be refuse_new or end_oldest, not \"kick_oldest\"");
    assertThatThrownBy(() -> ConcurrencyLimit.of(null, "end_oldest", null))
        .hasMessage("needs max_sessions_per_subject");
    assertThatThrownBy(() -> ConcurrencyLimit.of(2, null, "route")).hasMessageContaining("must be subject or audience");
    PolicyException e = (PolicyException) org.assertj.core.api.Assertions.catchThrowable(
        () -> ConcurrencyLimit.of(null, null, "audience"));
    assertThat(e.key()).isEqualTo("limit_scope");
  }

  @Test
  void policyFields_roundTripThroughTheirMap() {
    ConcurrencyLimit limit = ConcurrencyLimit.of(2, "end_oldest", "audience");
    Map<String, Object> m = new java.util.LinkedHashMap<>();
    limit.putFields(m);
    assertThat(m).containsEntry("max_sessions_per_subject", 2L).containsEntry("when_exceeded", "end_oldest")
        .containsEntry("limit_scope", "audience");
    assertThat(ConcurrencyLimit.fromFields(m)).isEqualTo(limit);
    assertThat(SessionRules.policyData(policy("p", limit))).containsEntry("max_sessions_per_subject", 2L);
    assertThat(SessionRules.policyData(EngineFixture.standard())).doesNotContainKey("max_sessions_per_subject");
    Policy p = policy("p", limit);
    assertThat(p.nextVersion(p).concurrency()).isEqualTo(limit);
    assertThat(p.sameValues(policy("p", ConcurrencyLimit.NONE))).isFalse();
  }

  @Test
  void refuseNew_refusesTheOpeningBeyondTheLimit_with409Reason_andASessionRefusedRecord() {
    EngineFixture f = new EngineFixture(policy("two", ConcurrencyLimit.of(2, null, null)));
    Decision a = open(f, "alice", null);
    Decision b = open(f, "alice", null);
    assertThat(open(f, "bob", null).allowed()).isTrue();
    Decision c = open(f, "alice", null);

    assertThat(c.verdict()).isEqualTo(Decision.Verdict.REFUSED);
    assertThat(c.reason()).isEqualTo(EndReason.CONCURRENCY_LIMIT);
    assertThat(c.token()).isNull();
    assertThat(c.detail()).contains("\"alice\" already has 2 live sessions").contains("max_sessions_per_subject: 2");
    AuditRecord refused = f.sink.records().get(f.sink.records().size() - 1);
    assertThat(refused.type()).isEqualTo("session.refused");
    assertThat(refused.subject()).isEqualTo("alice");
    assertThat(refused.data()).containsEntry("reason", "concurrency_limit").containsEntry("actor", "web")
        .containsEntry("live_sessions", List.of(a.status().sessionId(), b.status().sessionId()));
    assertThat(f.engine.sessionsOf("alice")).hasSize(2);
    // The earlier sessions are untouched; once one ends, there is room again.
    assertThat(f.engine.check(a.token(), false).allowed()).isTrue();
    f.engine.logout(a.token());
    assertThat(open(f, "alice", null).allowed()).isTrue();
    assertThat(open(f, "alice", null).reason()).isEqualTo(EndReason.CONCURRENCY_LIMIT);
  }

  @Test
  void endOldest_endsTheOldestLiveSession_namingTheSessionThatDisplacedIt() {
    EngineFixture f = new EngineFixture(policy("two", ConcurrencyLimit.of(2, "end_oldest", null)));
    Decision a = open(f, "alice", null);
    f.advance(Duration.ofSeconds(1));
    Decision b = open(f, "alice", null);
    f.advance(Duration.ofSeconds(1));
    Decision c = open(f, "alice", null);

    assertThat(c.allowed()).isTrue();
    Decision old = f.engine.check(a.token(), false);
    assertThat(old.verdict()).isEqualTo(Decision.Verdict.ENDED);
    assertThat(old.reason()).isEqualTo(EndReason.CONCURRENCY_LIMIT);
    assertThat(f.engine.check(b.token(), false).allowed()).isTrue();
    assertThat(f.engine.sessionsOf("alice")).extracting(SessionStatus::sessionId)
        .containsExactly(b.status().sessionId(), c.status().sessionId());
    AuditRecord displaced = f.sink.records().stream()
        .filter(r -> r.type().equals("session.revoked")).findFirst().orElseThrow();
    assertThat(displaced.sessionId()).isEqualTo(a.status().sessionId());
    assertThat(displaced.data()).containsEntry("reason", "concurrency_limit").containsEntry("actor", "curfew")
        .containsEntry("displaced_by", c.status().sessionId());
    // The displaced record comes before the new session's creation: the log never shows three live.
    List<String> types = f.types();
    assertThat(types.lastIndexOf("session.revoked")).isLessThan(types.lastIndexOf("session.created"));
    assertThat(f.events).contains(a.status().sessionId() + " revoked");
  }

  @Test
  void theLimitCountsEverySessionOfTheSubject_whateverItsPolicy_butNotExpiredOnes() {
    EngineFixture f = new EngineFixture(policy("two", ConcurrencyLimit.of(2, null, null)),
        Policy.of("short", Duration.ofMinutes(1), Duration.ofMinutes(1), Duration.ZERO, 0));
    open(f, "alice", "short");
    open(f, "alice", "two");
    assertThat(open(f, "alice", "two").reason()).isEqualTo(EndReason.CONCURRENCY_LIMIT);
    // Past its deadline, the short session counts no more, even before a timer ended it.
    f.clock.advance(Duration.ofMinutes(1));
    assertThat(open(f, "alice", "two").allowed()).isTrue();
  }

  @Test
  void audienceScope_countsOnlyTheSubjectsSessionsWithTheSameAudience() {
    EngineFixture f = new EngineFixture(policy("one", ConcurrencyLimit.of(1, "end_oldest", "audience")));
    Decision web = f.engine.open("alice", null, Map.of(), Audience.route("/"), "web");
    Decision db = f.engine.open("alice", null, Map.of(), Audience.of("db:orders"), "web");
    assertThat(f.engine.check(web.token(), false).allowed()).isTrue();
    Decision db2 = f.engine.open("alice", null, Map.of(), Audience.of("db:orders"), "web");
    assertThat(f.engine.check(db.token(), false).reason()).isEqualTo(EndReason.CONCURRENCY_LIMIT);
    assertThat(f.engine.check(db2.token(), false).allowed()).isTrue();
    assertThat(f.engine.check(web.token(), false).allowed()).isTrue();
  }

  @Test
  void aLoweredLimit_endsAsManyOldSessionsAsItTakes() {
    EngineFixture f = new EngineFixture(policy("p", ConcurrencyLimit.NONE));
    for (int i = 0; i < 4; i++) open(f, "alice", null);
    f.engine.changePolicy(policy("p", ConcurrencyLimit.of(2, "end_oldest", null)), false, "admin");
    open(f, "alice", null);
    assertThat(f.engine.sessionsOf("alice")).hasSize(2);
    f.engine.checkInvariants();
  }

  @Test
  void recovery_keepsTheDisplacedSessionsReason_andIgnoresARefusedOpening() {
    EngineFixture f = new EngineFixture(policy("one", ConcurrencyLimit.of(1, "end_oldest", null)),
        policy("strict", ConcurrencyLimit.of(1, null, null)));
    Decision first = open(f, "alice", null);
    Decision second = open(f, "alice", null);
    assertThat(open(f, "alice", "strict").reason()).isEqualTo(EndReason.CONCURRENCY_LIMIT);

    Replay replay = new Replay(new Policies(List.of(policy("one", ConcurrencyLimit.NONE),
        policy("strict", ConcurrencyLimit.NONE)), "one"), List.of());
    for (String line : f.sink.lines()) replay.apply(dev.curfew.core.audit.Json.parseObject(line));
    f.sink.bindings().forEach(replay::bind);
    Map<String, SessionSnapshot> byId = new java.util.HashMap<>();
    for (SessionSnapshot snap : replay.result()) byId.put(snap.sessionId(), snap);
    assertThat(byId).containsOnlyKeys(first.status().sessionId(), second.status().sessionId());
    assertThat(byId.get(first.status().sessionId()).endReason()).isEqualTo(EndReason.CONCURRENCY_LIMIT);
    assertThat(byId.get(second.status().sessionId()).endReason()).isNull();
  }
}
