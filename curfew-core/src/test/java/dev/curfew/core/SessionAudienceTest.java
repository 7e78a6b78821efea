package dev.curfew.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.curfew.core.audit.AuditRecord;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Where a session may be used, who opened it, and what a holder can make the engine record. */
class SessionAudienceTest {
  private final EngineFixture f = new EngineFixture();

  private Decision open(Audience audience) {
    return f.engine.open("alice", null, Map.of(), audience, "web");
  }

  @Test
  void created_namesTheActorAndTheAudience() {
    open(Audience.of("route:/", "db:orders"));
    AuditRecord created = f.sink.records().get(0);
    assertThat(created.type()).isEqualTo("session.created");
    String line = f.sink.lines().get(0);
    assertThat(line).contains("\"actor\":\"web\"").contains("\"audience\":[\"route:/\",\"db:orders\"]");
    assertThat(open(Audience.route("/")).status().toMap().get("audience")).isEqualTo(List.of("route:/"));
  }

  @Test
  void open_refusesReservedAttributes_andAnEmptyAudience() {
    assertThatThrownBy(() -> f.engine.open("alice", null, Map.of("curfew.kind", "console"), Audience.route("/"), "web"))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("curfew.kind");
    assertThatThrownBy(() -> f.engine.open("alice", null, Map.of(), Audience.NOWHERE, "web"))
        .isInstanceOf(IllegalArgumentException.class);
    assertThat(f.sink.records()).isEmpty();
  }

  @Test
  void wrongAudience_isRefusedWithoutTouching_andTheSessionLivesOn() {
    Decision d = open(Audience.route("/a"));
    f.clock.advance(Duration.ofMinutes(10));
    Decision refused = f.engine.check(d.token(), true, Audience.route("/b"));
    assertThat(refused.verdict()).isEqualTo(Decision.Verdict.WRONG_AUDIENCE);
    assertThat(refused.detail()).contains("route:/a").contains("route:/b");
    Decision now = f.engine.check(d.token(), false, Audience.route("/a"));
    assertThat(now.allowed()).isTrue();
    assertThat(now.status().lastActivityAtMs()).as("not touched").isEqualTo(d.status().createdAtMs());
    assertThat(f.types()).containsExactly("session.created", "session.refused");
    assertThat(f.sink.lines().get(1)).contains("\"reason\":\"wrong_audience\"").contains("\"used_at\":[\"route:/b\"]");
    // the holder's own endpoints are not a place: any audience passes
    assertThat(f.engine.check(d.token(), false).allowed()).isTrue();
  }

  @Test
  void wrongAudience_isRecordedAtMostOnceASecond_withTheRepeatsCounted() {
    Decision d = open(Audience.CONSOLE);
    for (int i = 0; i < 50; i++) f.engine.check(d.token(), true, Audience.route("/"));
    f.clock.advance(Duration.ofMillis(1000));
    f.engine.check(d.token(), true, Audience.route("/"));
    assertThat(f.types()).containsExactly("session.created", "session.refused", "session.refused");
    assertThat(f.sink.lines().get(2)).contains("\"repeats\":49");
  }

  @Test
  void warningAck_onlyForAWarningThatWasSent_onceEach() {
    Decision d = open(Audience.route("/"));
    Decision early = f.engine.acknowledgeWarning(d.token());
    assertThat(early.verdict()).isEqualTo(Decision.Verdict.REFUSED);
    assertThat(early.detail()).isEqualTo(Refusals.NO_WARNING_SENT_TEXT);
    f.advance(Duration.ofMinutes(13)); // warn_before 2m of a 15m idle timeout
    assertThat(f.types()).contains("session.warning_sent");
    assertThat(f.engine.acknowledgeWarning(d.token()).allowed()).isTrue();
    Decision again = f.engine.acknowledgeWarning(d.token());
    assertThat(again.verdict()).isEqualTo(Decision.Verdict.REFUSED);
    assertThat(again.detail()).isEqualTo(Refusals.WARNING_ALREADY_ACKNOWLEDGED_TEXT);
    assertThat(f.types().stream().filter("session.warning_acknowledged"::equals)).hasSize(1);
  }

  @Test
  void holderOperations_inOneSecond_writeABoundedNumberOfRecords() {
    Policy none = Policy.of("none", Duration.ofMinutes(15), Duration.ofHours(1), Duration.ofMinutes(2), 0);
    EngineFixture g = new EngineFixture(none);
    Decision d = g.engine.open("alice", null, Map.of(), Audience.route("/"), "web");
    int before = g.sink.records().size();
    for (int i = 0; i < 200; i++) {
      g.engine.acknowledgeWarning(d.token());
      g.engine.extend(d.token());
      g.engine.check(d.token(), true);
      g.engine.check(d.token(), false);
      g.engine.check(d.token(), true, Audience.CONSOLE);
    }
    // 1,000 refused or passive operations within one instant: one refusal record in all.
    assertThat(g.sink.records().size() - before).isEqualTo(1);
    g.engine.logout(d.token());
    for (int i = 0; i < 200; i++) g.engine.check(d.token(), true);
    // the logout; refusals of the ended token in the same second are counted, not recorded
    assertThat(g.sink.records().size() - before).isEqualTo(2);
    g.clock.advance(Duration.ofSeconds(1));
    for (int i = 0; i < 200; i++) g.engine.check(d.token(), true);
    assertThat(g.sink.records().size() - before).isEqualTo(3);
    // every refusal held back since the first record: 3 x 200 - 1 in the first burst, 200 after the logout
    assertThat(g.sink.lines().get(g.sink.lines().size() - 1)).contains("\"repeats\":799");
  }

  @Test
  void snapshotAndReplay_keepTheAudienceAndTheAcknowledgement() {
    Decision d = open(Audience.of("route:/a", "db:orders"));
    f.advance(Duration.ofMinutes(13));
    f.engine.acknowledgeWarning(d.token());
    SessionSnapshot snap = f.engine.snapshot().get(0);
    SessionSnapshot back = SessionSnapshot.fromMap(dev.curfew.core.audit.Json.parseObject(
        dev.curfew.core.audit.CanonicalJson.write(snap.toMap())));
    assertThat(back.audience()).isEqualTo(Audience.of("route:/a", "db:orders"));
    assertThat(back.acknowledgedForMs()).isEqualTo(snap.acknowledgedForMs()).isNotEqualTo(Long.MIN_VALUE);

    Replay replay = new Replay(f.engine.policies(), List.of());
    for (String line : f.sink.lines()) replay.apply(dev.curfew.core.audit.Json.parseObject(line));
    replay.bind(new AuditSink.TokenBinding(d.status().sessionId(), TokenHash.of(d.token()), d.status().createdAtMs()));
    SessionSnapshot replayed = replay.result().get(0);
    assertThat(replayed.audience()).isEqualTo(Audience.of("route:/a", "db:orders"));
    assertThat(replayed.acknowledgedForMs()).isEqualTo(snap.acknowledgedForMs());
  }

  @Test
  void recoveredWithoutAnAudience_passesNoEnforcementPoint() {
    Decision d = open(Audience.route("/"));
    Map<String, Object> old = new java.util.LinkedHashMap<>(f.engine.snapshot().get(0).toMap());
    old.remove("audience");
    EngineFixture g = new EngineFixture();
    g.engine.restore(List.of(SessionSnapshot.fromMap(old)));
    assertThat(g.engine.check(d.token(), false, Audience.route("/")).verdict()).isEqualTo(Decision.Verdict.WRONG_AUDIENCE);
    assertThat(g.engine.check(d.token(), false).allowed()).isTrue();
  }
}
