package dev.curfew.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.curfew.core.audit.Json;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class SessionEngineTest {

  @Test
  void open_issuesTokenAndRecordsCreation() {
    EngineFixture f = new EngineFixture();
    Decision d = f.open("alice");
    assertThat(d.allowed()).isTrue();
    assertThat(Tokens.wellFormed(d.token())).isTrue();
    assertThat(d.status().expiresAtMs()).isEqualTo(f.clock.millis() + Duration.ofMinutes(15).toMillis());
    assertThat(f.types()).containsExactly("session.created");
    String line = f.sink.lines().get(0);
    assertThat(line).doesNotContain(d.token()).doesNotContain(TokenHash.of(d.token()).toHex());
    Map<String, Object> rec = Json.parseObject(line);
    assertThat(rec.get("seq")).isEqualTo(0L);
    assertThat(rec.get("session_id")).isEqualTo(d.status().sessionId());
  }

  @Test
  void check_validUntilOneMillisecondBeforeIdleDeadline() {
    EngineFixture f = new EngineFixture();
    String token = f.open("alice").token();
    f.clock.advance(Duration.ofMinutes(15).minusMillis(1));
    assertThat(f.engine.check(token, false).allowed()).isTrue();
    f.clock.advanceMillis(1);
    Decision d = f.engine.check(token, false);
    assertThat(d.verdict()).isEqualTo(Decision.Verdict.ENDED);
    assertThat(d.reason()).isEqualTo(EndReason.IDLE_TIMEOUT);
    assertThat(f.types()).containsExactly("session.created", "session.expired");
    Map<String, Object> data = dataOf(f, 1);
    assertThat(data.get("detected_by")).isEqualTo("request");
    assertThat(data.get("lateness_ms")).isEqualTo(0L);
  }

  @Test
  void passiveCheckDoesNotMoveIdleDeadline_touchDoes() {
    EngineFixture f = new EngineFixture();
    String token = f.open("alice").token();
    long first = f.engine.check(token, false).status().idleExpiresAtMs();
    f.clock.advance(Duration.ofMinutes(5));
    assertThat(f.engine.check(token, false).status().idleExpiresAtMs()).isEqualTo(first);
    assertThat(f.engine.check(token, true).status().idleExpiresAtMs()).isEqualTo(first + Duration.ofMinutes(5).toMillis());
  }

  @Test
  void timerWarnsThenExpires_withoutAnyRequest() {
    EngineFixture f = new EngineFixture();
    Decision d = f.open("alice");
    String id = d.status().sessionId();
    // The opening is published (lists of sessions follow it); then nothing until the warning.
    assertThat(f.events).containsExactly(id + " status");
    f.advance(Duration.ofMinutes(13).minusMillis(1));
    assertThat(f.events).containsExactly(id + " status");
    f.advance(Duration.ofMillis(1));
    assertThat(f.events).containsExactly(id + " status", id + " warning");
    f.advance(Duration.ofMinutes(2).minusMillis(1));
    assertThat(f.types()).containsExactly("session.created", "session.warning_sent");
    f.advance(Duration.ofMillis(1));
    assertThat(f.types()).containsExactly("session.created", "session.warning_sent", "session.expired");
    assertThat(dataOf(f, 2).get("detected_by")).isEqualTo("timer");
    assertThat(dataOf(f, 2).get("lateness_ms")).isEqualTo(0L);
    assertThat(f.events).containsExactly(id + " status", id + " warning", id + " expired");
    assertThat(f.engine.liveSessions()).isZero();
  }

  @Test
  void touchAfterWarningRearmsAWarningForTheNewDeadline() {
    EngineFixture f = new EngineFixture();
    String token = f.open("alice").token();
    f.advance(Duration.ofMinutes(14));
    assertThat(f.types()).containsExactly("session.created", "session.warning_sent");
    f.engine.check(token, true);
    f.advance(Duration.ofMinutes(13));
    assertThat(f.types()).containsExactly("session.created", "session.warning_sent", "session.warning_sent");
    f.engine.checkInvariants();
  }

  @Test
  void extend_countsAndStopsAtTheCap() {
    EngineFixture f = new EngineFixture();
    String token = f.open("alice").token();
    for (int i = 1; i <= 3; i++) {
      f.clock.advance(Duration.ofMinutes(10));
      Decision d = f.engine.extend(token);
      assertThat(d.allowed()).isTrue();
      assertThat(d.status().extensionsUsed()).isEqualTo(i);
    }
    Decision refused = f.engine.extend(token);
    assertThat(refused.verdict()).isEqualTo(Decision.Verdict.REFUSED);
    assertThat(refused.detail()).contains("no extensions left");
    assertThat(f.types()).endsWith("session.extension_refused");
  }

  @Test
  void extend_neverMovesTheAbsoluteDeadline() {
    Policy p = Policy.of("short", Duration.ofMinutes(10), Duration.ofMinutes(25), Duration.ofMinutes(1), 100);
    EngineFixture f = new EngineFixture(p);
    Decision open = f.open("alice");
    String token = open.token();
    long absolute = open.status().absoluteExpiresAtMs();
    f.clock.advance(Duration.ofMinutes(9));
    assertThat(f.engine.extend(token).status().expiresAtMs()).isEqualTo(f.clock.millis() + 600_000);
    f.clock.advance(Duration.ofMinutes(9));
    Decision d = f.engine.extend(token);
    assertThat(d.status().expiresAtMs()).isEqualTo(absolute);
    assertThat(d.status().absoluteExpiresAtMs()).isEqualTo(absolute);
    Decision refused = f.engine.extend(token);
    assertThat(refused.verdict()).isEqualTo(Decision.Verdict.REFUSED);
    assertThat(refused.detail()).contains("absolute deadline");
    f.clock.setMillis(absolute);
    assertThat(f.engine.check(token, true).reason()).isEqualTo(EndReason.ABSOLUTE_TIMEOUT);
  }

  @Test
  void tieBetweenDeadlinesIsAnAbsoluteTimeout() {
    Policy p = Policy.of("tie", Duration.ofMinutes(10), Duration.ofMinutes(10), Duration.ZERO, 0);
    EngineFixture f = new EngineFixture(p);
    String token = f.open("alice").token();
    f.clock.advance(Duration.ofMinutes(10));
    assertThat(f.engine.check(token, false).reason()).isEqualTo(EndReason.ABSOLUTE_TIMEOUT);
  }

  @Test
  void logout_isFinalAndReplaysAreRecordedAtMostOncePerSecond() {
    EngineFixture f = new EngineFixture();
    String token = f.open("alice").token();
    assertThat(f.engine.logout(token).allowed()).isTrue();
    for (int i = 0; i < 5; i++) {
      assertThat(f.engine.check(token, true).reason()).isEqualTo(EndReason.LOGGED_OUT);
      assertThat(f.engine.extend(token).reason()).isEqualTo(EndReason.LOGGED_OUT);
    }
    assertThat(f.types()).containsExactly("session.created", "session.logged_out", "session.refused");
    f.clock.advanceMillis(1000);
    f.engine.check(token, false);
    assertThat(f.types()).hasSize(4);
    assertThat(dataOf(f, 3).get("repeats")).isEqualTo(9L);
  }

  /** A burst of refusals ends the trail's view of them only when a record counts them all. */
  @Test
  void refusalsHeldBack_areWrittenWhenTheSessionIsForgotten_orTheNodeStops() {
    EngineFixture f = new EngineFixture();
    String forgotten = f.open("alice").token();
    String atStop = f.open("bob").token();
    f.engine.logout(forgotten);
    f.engine.logout(atStop);
    for (int i = 0; i < 5; i++) {
      f.engine.check(forgotten, true); // one record, four held back
      f.engine.check(atStop, true);
    }
    assertThat(f.types()).containsExactly("session.created", "session.created", "session.logged_out",
        "session.logged_out", "session.refused", "session.refused");

    f.advance(Duration.ofHours(25)); // past ended_retention: alice's session is forgotten
    assertThat(f.types()).hasSize(8); // bob's too: both written at their purge
    assertThat(dataOf(f, 6).get("reason")).isEqualTo("logged_out");
    assertThat(dataOf(f, 6).get("repeats")).as("the last held back, counting the three before it").isEqualTo(3L);
    assertThat(dataOf(f, 7).get("repeats")).isEqualTo(3L);

    String late = f.open("carol").token();
    f.engine.logout(late);
    f.engine.check(late, true);
    f.engine.check(late, true); // held back
    f.engine.writeHeldBackRefusals().join(); // a clean stop
    assertThat(f.types()).hasSize(12);
    assertThat(dataOf(f, 11).get("repeats")).isEqualTo(0L);
    assertThat(f.engine.writeHeldBackRefusals().join()).as("nothing is written twice").isNull();
    assertThat(f.types()).hasSize(12);
  }

  @Test
  void revokeSubject_endsEveryLiveSessionOfTheSubjectOnly() {
    EngineFixture f = new EngineFixture();
    String a1 = f.open("alice").token();
    String a2 = f.open("alice").token();
    String b = f.open("bob").token();
    assertThat(f.engine.sessionsOf("alice")).hasSize(2);
    assertThat(f.engine.revokeSubject("alice", "admin", "left the company").revoked()).isEqualTo(2);
    assertThat(f.engine.check(a1, false).reason()).isEqualTo(EndReason.REVOKED);
    assertThat(f.engine.check(a2, false).reason()).isEqualTo(EndReason.REVOKED);
    assertThat(f.engine.check(b, false).allowed()).isTrue();
    assertThat(f.engine.sessionsOf("alice")).isEmpty();
  }

  @Test
  void get_byId_livesEndedAndUnknown() {
    EngineFixture f = new EngineFixture();
    Decision open = f.open("alice");
    String id = open.status().sessionId();
    assertThat(f.engine.get(id).allowed()).isTrue();
    f.engine.revoke(id, "admin", null);
    Decision ended = f.engine.get(id);
    assertThat(ended.verdict()).isEqualTo(Decision.Verdict.ENDED);
    assertThat(ended.reason()).isEqualTo(EndReason.REVOKED);
    assertThat(f.engine.get("s_nope").verdict()).isEqualTo(Decision.Verdict.NOT_FOUND);
  }

  @Test
  void endedSessionsAreForgottenAfterRetention() {
    EngineFixture f = new EngineFixture();
    Decision open = f.open("alice");
    f.engine.logout(open.token());
    f.advance(Duration.ofHours(24));
    assertThat(f.engine.get(open.status().sessionId()).verdict()).isEqualTo(Decision.Verdict.NOT_FOUND);
    assertThat(f.engine.check(open.token(), false).reason()).isEqualTo(EndReason.UNKNOWN);
  }

  @Test
  void malformedAndUnknownTokensAreUnknown() {
    EngineFixture f = new EngineFixture();
    for (String t : new String[] {null, "", "x", "cft_" + "a".repeat(43), "cft_" + "!".repeat(43), "cft_" + "a".repeat(44)}) {
      assertThat(f.engine.check(t, true).reason()).isEqualTo(EndReason.UNKNOWN);
    }
    assertThat(f.sink.records()).isEmpty();
  }

  @Test
  void rotation_oldTokenComingBackEndsTheSessionAsReplayed() {
    Policy p = Policy.builder("rotating").renewEvery(Duration.ofMinutes(5)).build();
    EngineFixture f = new EngineFixture(p);
    String t1 = f.open("alice").token();
    f.clock.advance(Duration.ofMinutes(5));
    Decision rotated = f.engine.check(t1, true);
    assertThat(rotated.token()).isNotNull().isNotEqualTo(t1);
    assertThat(f.engine.check(rotated.token(), true).allowed()).isTrue();
    f.clock.advance(RotationGrace.DEFAULT.duration()); // after the grace (RotationGraceTest covers it)
    assertThat(f.engine.check(t1, true).reason()).isEqualTo(EndReason.REPLAYED);
    assertThat(f.engine.check(rotated.token(), true).reason()).isEqualTo(EndReason.REPLAYED);
  }

  @Test
  void failClosed_whenTheAuditLogCannotBeWritten() {
    EngineFixture f = new EngineFixture();
    String token = f.open("alice").token();
    f.sink.setWritable(false);
    assertThat(f.engine.check(token, true).verdict()).isEqualTo(Decision.Verdict.UNAVAILABLE);
    assertThat(f.engine.open("bob", null, null).verdict()).isEqualTo(Decision.Verdict.UNAVAILABLE);
  }

  @Test
  void open_rejectsBadInput() {
    EngineFixture f = new EngineFixture();
    assertThatThrownBy(() -> f.engine.open("", null, null)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> f.engine.open("a", "nope", null)).hasMessageContaining("unknown policy");
  }

  @Test
  void recordsTimeNeverDecreasesAndSeqIsGapFree() {
    EngineFixture f = new EngineFixture();
    for (int i = 0; i < 10; i++) {
      f.open("u" + i);
      f.advance(Duration.ofMinutes(3));
    }
    List<String> lines = f.sink.lines();
    String prevTime = "";
    for (int i = 0; i < lines.size(); i++) {
      Map<String, Object> r = Json.parseObject(lines.get(i));
      assertThat(r.get("seq")).isEqualTo((long) i);
      assertThat((String) r.get("time")).isGreaterThanOrEqualTo(prevTime);
      prevTime = (String) r.get("time");
    }
  }

  @Test
  void gatewayEvent_isRecordedUnderTheSession_orWithoutOneWhenUnknown() {
    EngineFixture f = new EngineFixture();
    Decision d = f.open("alice");
    String id = d.status().sessionId();
    f.engine.recordGatewayEvent(id, "connection.opened", Map.of("target", "orders", "protocol", "postgres")).join();
    f.engine.recordGatewayEvent(null, "connection.refused", Map.of("target", "orders", "why", "unknown")).join();
    assertThat(f.types()).containsExactly("session.created", "connection.opened", "connection.refused");
    Map<String, Object> opened = Json.parseObject(f.sink.lines().get(1));
    assertThat(opened.get("session_id")).isEqualTo(id);
    assertThat(opened.get("subject")).isEqualTo("alice");
    assertThat(dataOf(f, 1).get("target")).isEqualTo("orders");
    Map<String, Object> refused = Json.parseObject(f.sink.lines().get(2));
    assertThat(refused).doesNotContainKey("session_id");
    assertThat(dataOf(f, 2).get("why")).isEqualTo("unknown");
    assertThat(f.engine.check(d.token(), false).status().lastActivityAtMs()).isEqualTo(d.status().lastActivityAtMs());
  }

  @Test
  void gatewayEvent_refusesLifecycleTypes() {
    EngineFixture f = new EngineFixture();
    String id = f.open("alice").status().sessionId();
    assertThatThrownBy(() -> f.engine.recordGatewayEvent(id, "session.expired", Map.of()))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("session.expired");
    assertThat(f.types()).containsExactly("session.created");
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> dataOf(EngineFixture f, int seq) {
    return (Map<String, Object>) Json.parseObject(f.sink.lines().get(seq)).get("data");
  }
}
