package dev.curfew.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.curfew.core.audit.AuditRecord;
import dev.curfew.core.audit.RecordTypes;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** {@code resume_within}: a new session after an idle expiry continues the old one, which stays ended. */
class ResumptionTest {
  private static final Duration IDLE = Duration.ofMinutes(15);

  private static Policy resuming(Duration within) {
    return EngineFixture.standard().withResumeWithin(within);
  }

  private static AuditRecord last(EngineFixture f, String type) {
    List<AuditRecord> of = f.sink.records().stream().filter(r -> r.type().equals(type)).toList();
    assertThat(of).as(type).isNotEmpty();
    return of.get(of.size() - 1);
  }

  @Test
  void signInAfterIdleExpiry_withinTheWindow_isLinkedToTheOldSession() {
    EngineFixture f = new EngineFixture(resuming(Duration.ofMinutes(30)));
    Decision old = f.open("alice");
    String oldId = old.status().sessionId();
    f.advance(IDLE.plusMinutes(29)); // expired 29 min ago

    Decision fresh = f.open("alice");

    String newId = fresh.status().sessionId();
    assertThat(newId).isNotEqualTo(oldId);
    assertThat(fresh.status().resumedFrom()).isEqualTo(oldId);
    assertThat(fresh.status().toMap()).containsEntry("resumed_from", oldId);
    AuditRecord created = last(f, RecordTypes.SESSION_CREATED);
    assertThat(created.sessionId()).isEqualTo(newId);
    assertThat(created.data()).containsEntry("resumed_from", oldId).containsEntry("resume_within_ms", 1_800_000L);
    AuditRecord resumed = last(f, RecordTypes.RESUMED);
    assertThat(resumed.sessionId()).isEqualTo(oldId);
    assertThat(resumed.data()).containsEntry("resumed_by", newId).containsEntry("actor", "local")
        .containsEntry("expired_at", "2026-11-26T22:15:00.000Z");
    // the old session is never revived: its token stays refused with the reason it ended
    assertThat(f.engine.check(old.token(), true).reason()).isEqualTo(EndReason.IDLE_TIMEOUT);
    assertThat(f.engine.check(fresh.token(), false).status().resumedFrom()).isEqualTo(oldId);
    f.engine.checkInvariants();
  }

  @Test
  void signInAtTheEndOfTheWindow_startsAfresh() {
    EngineFixture f = new EngineFixture(resuming(Duration.ofMinutes(30)));
    f.open("alice");
    f.advance(IDLE.plusMinutes(30));
    assertThat(f.open("alice").status().resumedFrom()).isNull();
    assertThat(f.types()).doesNotContain(RecordTypes.RESUMED);
  }

  @Test
  void expiryNotYetSeenByATimer_isFoundAtTheOpening() {
    EngineFixture f = new EngineFixture(resuming(Duration.ofMinutes(30)));
    String oldId = f.open("alice").status().sessionId();
    f.clock.advance(IDLE.plusSeconds(1)); // no timer has fired
    assertThat(f.open("alice").status().resumedFrom()).isEqualTo(oldId);
    assertThat(f.types()).containsSubsequence(RecordTypes.EXPIRED, RecordTypes.SESSION_CREATED, RecordTypes.RESUMED);
  }

  @Test
  void withoutResumeWithin_noSessionIsResumed() {
    EngineFixture f = new EngineFixture();
    f.open("alice");
    f.advance(IDLE.plusMinutes(1));
    assertThat(f.open("alice").status().resumedFrom()).isNull();
    assertThat(f.open("alice").status().toMap()).doesNotContainKey("resumed_from");
  }

  @Test
  void onlyAnIdleExpiryQualifies_notRevokeLogoutOrAbsolute() {
    Policy shortAbsolute = Policy.builder("standard").idleTimeout(IDLE).absoluteTimeout(Duration.ofMinutes(20))
        .warnBefore(Duration.ZERO).maxExtensions(0).resumeWithin(Duration.ofHours(1)).build();
    EngineFixture f = new EngineFixture(shortAbsolute);
    f.engine.revoke(f.open("alice").status().sessionId(), "admin", "test");
    assertThat(f.open("bob").status().resumedFrom()).isNull();
    f.engine.logout(f.open("carol").token());
    String dave = f.open("dave").token();
    for (int i = 0; i < 4; i++) {
      f.advance(Duration.ofMinutes(5));
      f.engine.check(dave, true); // active: only the absolute deadline ends it
    }
    assertThat(f.engine.check(dave, false).reason()).isEqualTo(EndReason.ABSOLUTE_TIMEOUT);
    assertThat(f.open("alice").status().resumedFrom()).isNull();
    assertThat(f.open("carol").status().resumedFrom()).isNull();
    assertThat(f.open("dave").status().resumedFrom()).isNull();
    assertThat(f.types()).doesNotContain(RecordTypes.RESUMED);
  }

  @Test
  void anEndedSessionIsResumedOnce_andTheLatestExpiryIsTaken() {
    EngineFixture f = new EngineFixture(resuming(Duration.ofHours(2)));
    String first = f.open("alice").status().sessionId();
    f.advance(Duration.ofMinutes(5));
    String second = f.open("alice").status().sessionId(); // expires 5 min after the first
    f.advance(IDLE.plusMinutes(1));

    assertThat(f.open("alice").status().resumedFrom()).isEqualTo(second);
    assertThat(f.open("alice").status().resumedFrom()).isEqualTo(first);
    assertThat(f.open("alice").status().resumedFrom()).isNull();
  }

  @Test
  void anotherAudienceOrPolicyOrSubject_doesNotResume() {
    Policy other = Policy.of("other", IDLE, Duration.ofHours(1), Duration.ZERO, 0)
        .withResumeWithin(Duration.ofHours(1));
    EngineFixture f = new EngineFixture(resuming(Duration.ofHours(1)), other);
    f.engine.open("alice", null, Map.of(), Audience.of(List.of("route:/app")), "app");
    f.advance(IDLE.plusMinutes(1));
    assertThat(f.engine.open("alice", null, Map.of(), Audience.of(List.of("route:/admin")), "app")
        .status().resumedFrom()).isNull();
    assertThat(f.engine.open("alice", "other", Map.of(), Audience.of(List.of("route:/app")), "app")
        .status().resumedFrom()).isNull();
    assertThat(f.engine.open("bob", null, Map.of(), Audience.of(List.of("route:/app")), "app")
        .status().resumedFrom()).isNull();
    assertThat(f.engine.open("alice", null, Map.of(), Audience.of(List.of("route:/app")), "app")
        .status().resumedFrom()).isNotNull();
  }

  @Test
  void theLinkSurvivesARestart_andIsNotResumedAgain() {
    EngineFixture f = new EngineFixture(resuming(Duration.ofHours(1)));
    String oldId = f.open("alice").status().sessionId();
    f.advance(IDLE.plusMinutes(1));
    String newId = f.open("alice").status().sessionId();

    EngineFixture g = new EngineFixture(java.time.Instant.ofEpochMilli(f.clock.millis()), resuming(Duration.ofHours(1)));
    g.engine.restore(f.engine.snapshot());
    assertThat(g.engine.get(newId).status().resumedFrom()).isEqualTo(oldId);
    assertThat(g.open("alice").status().resumedFrom()).isNull();
  }

  @Test
  void replayOfTheTrail_restoresBothSidesOfTheLink() {
    EngineFixture f = new EngineFixture(resuming(Duration.ofHours(1)));
    String oldId = f.open("alice").status().sessionId();
    f.advance(IDLE.plusMinutes(1));
    String newId = f.open("alice").status().sessionId();

    Replay replay = new Replay(new Policies(List.of(resuming(Duration.ofHours(1))), "standard"), List.of());
    f.sink.bindings().forEach(replay::bind);
    long seq = 0;
    for (AuditRecord r : f.sink.records()) replay.apply(r.toMap(++seq, r.timeMs()));
    Map<String, SessionSnapshot> byId = new java.util.HashMap<>();
    for (SessionSnapshot s : replay.result()) byId.put(s.sessionId(), s);
    assertThat(byId.get(newId).resumedFrom()).isEqualTo(oldId);
    assertThat(byId.get(oldId).resumedBy()).isEqualTo(newId);
    assertThat(byId.get(oldId).policy().resumeWithin()).isEqualTo(Duration.ofHours(1));
    assertThat(SessionSnapshot.fromMap(byId.get(oldId).toMap())).isEqualTo(byId.get(oldId));
  }

  @Test
  void aClosedWindowIsNeverResumed_aLaterExpiryOfTheSubjectIs() {
    EngineFixture f = new EngineFixture(resuming(Duration.ofMinutes(30)));
    f.open("alice");
    f.advance(IDLE.plusMinutes(31)); // the first window closed
    String second = f.open("alice").status().sessionId(); // continues none
    f.advance(IDLE.plusMinutes(1));
    assertThat(f.engine.open("alice", null, Map.of()).status().resumedFrom()).isEqualTo(second);
    assertThat(f.open("alice").status().resumedFrom()).isNull();
  }

  @Test
  void resumeWithinAppliedToALiveSession_isHonouredAtTheNextOpening() {
    EngineFixture f = new EngineFixture(); // no session of this engine ran under resume_within before
    String oldId = f.open("alice").status().sessionId();
    f.engine.changePolicy(resuming(Duration.ofMinutes(30)), true, "admin");
    f.clock.advance(IDLE.plusSeconds(1)); // no timer has fired: the opening finds the expiry itself
    assertThat(f.open("alice").status().resumedFrom()).isEqualTo(oldId);
    f.engine.checkInvariants();
  }

  @Test
  void resumeWithin_isValidated() {
    assertThatThrownBy(() -> resuming(Duration.ZERO)).hasMessageContaining("must be more than 0s");
    assertThatThrownBy(() -> resuming(Duration.ofHours(25))).hasMessageContaining("25h is longer than 1d");
    assertThat(resuming(Duration.ofHours(24)).resumeWithinMs()).isEqualTo(86_400_000L);
  }
}
