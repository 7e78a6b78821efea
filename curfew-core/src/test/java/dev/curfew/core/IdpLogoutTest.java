package dev.curfew.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.curfew.core.audit.Json;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class IdpLogoutTest {
  private static final Map<String, Object> KC_SID_1 = Map.of("idp", "keycloak", "idp_sid", "kc-1");

  @Test
  void matches_bySid_whenTheSessionKnowsItsIdpSession_whateverItsSubject() {
    IdpLogout l = new IdpLogout("keycloak", "kc-1", "f3a9-sub", "j1");
    assertThat(l.matches("alice@example.com", KC_SID_1)).isTrue();
    assertThat(l.matches("alice@example.com", Map.of("idp", "keycloak", "idp_sid", "kc-2"))).isFalse();
  }

  @Test
  void matches_aSessionWithoutSid_byItsSubject_andNeverOneOfAnotherProvider() {
    IdpLogout l = new IdpLogout("keycloak", "kc-1", "alice", "j1");
    assertThat(l.matches("alice", Map.of())).isTrue();
    assertThat(l.matches("bob", Map.of())).isFalse();
    assertThat(l.matches("alice", Map.of("idp", "okta"))).isFalse();
    assertThat(l.matches("alice", Map.of("idp", "okta", "idp_sid", "kc-1"))).isFalse();
  }

  @Test
  void matches_withoutSid_everySessionOfTheSubject() {
    IdpLogout l = new IdpLogout("keycloak", null, "alice", "j1");
    assertThat(l.matches("alice", Map.of("idp_sid", "any"))).isTrue();
    assertThat(l.matches("alice", Map.of())).isTrue();
    assertThat(l.matches("bob", Map.of("idp_sid", "any"))).isFalse();
  }

  @Test
  void factory_refusesALogoutThatNamesNeitherSidNorSubject_andEmptyClaims() {
    assertThatThrownBy(() -> new IdpLogout("keycloak", null, null, "j1")).hasMessageContaining("sid");
    assertThatThrownBy(() -> new IdpLogout("keycloak", "", "alice", "j1")).hasMessageContaining("sid");
    assertThatThrownBy(() -> new IdpLogout("keycloak", "s", "alice", "x".repeat(257))).hasMessageContaining("jti");
  }

  @Test
  void endIdpSessions_endsExactlyTheMatchingSessions_recordsEach_andTheLogout() {
    EngineFixture f = new EngineFixture();
    String bySid = f.engine.open("alice@example.com", null, KC_SID_1).status().sessionId();
    String otherSid = f.engine.open("alice@example.com", null, Map.of("idp", "keycloak", "idp_sid", "kc-2")).status()
        .sessionId();
    String bob = f.engine.open("bob", null, Map.of()).status().sessionId();

    Revocation r = f.engine.endIdpSessions(new IdpLogout("keycloak", "kc-1", "f3a9", "jti-1"));

    assertThat(r.revoked()).isEqualTo(1);
    assertThat(r.durable()).isDone();
    assertThat(f.engine.get(bySid).reason()).isEqualTo(EndReason.IDP_LOGOUT);
    assertThat(f.engine.get(otherSid).allowed()).isTrue();
    assertThat(f.engine.get(bob).allowed()).isTrue();
    assertThat(f.events).contains(bySid + " logged_out");
    List<Map<String, Object>> recs = f.sink.lines().stream().map(Json::parseObject).toList();
    Map<String, Object> revoked = recs.get(3);
    assertThat(revoked.get("type")).isEqualTo("session.revoked");
    assertThat(revoked.get("session_id")).isEqualTo(bySid);
    assertThat(data(revoked)).containsEntry("actor", "idp:keycloak").containsEntry("reason", "idp_logout");
    assertThat((String) data(revoked).get("reason_text")).contains("jti-1");
    Map<String, Object> logout = recs.get(4);
    assertThat(logout.get("type")).isEqualTo("idp.logout");
    assertThat(data(logout)).containsEntry("provider", "keycloak").containsEntry("jti", "jti-1")
        .containsEntry("outcome", "accepted").containsEntry("ended", 1L).containsEntry("session_ids", List.of(bySid));
  }

  @Test
  void endIdpSessions_aSecondTime_endsNothingMore_andAnEndedSessionStaysEndedAfterRecovery() {
    EngineFixture f = new EngineFixture();
    Decision alice = f.engine.open("alice", null, Map.of());
    IdpLogout l = new IdpLogout("keycloak", null, "alice", "jti-1");
    assertThat(f.engine.endIdpSessions(l).revoked()).isEqualTo(1);
    assertThat(f.engine.endIdpSessions(l).revoked()).isZero();
    assertThat(f.engine.check(alice.token(), true).reason()).isEqualTo(EndReason.IDP_LOGOUT);

    Replay replay = new Replay(new Policies(List.of(EngineFixture.standard()), "standard"), List.of());
    for (String line : f.sink.lines()) replay.apply(Json.parseObject(line));
    f.sink.bindings().forEach(replay::bind);
    SessionSnapshot recovered = replay.result().get(0);
    assertThat(recovered.endReason()).isEqualTo(EndReason.IDP_LOGOUT);
  }

  @Test
  void endIdpSessions_aSessionPastItsDeadline_endsAsATimeout_notAsALogout() {
    EngineFixture f = new EngineFixture();
    String id = f.open("alice").status().sessionId();
    f.clock.advance(Duration.ofMinutes(15));
    assertThat(f.engine.endIdpSessions(new IdpLogout("keycloak", null, "alice", "j")).revoked()).isZero();
    assertThat(f.engine.get(id).reason()).isEqualTo(EndReason.IDLE_TIMEOUT);
  }

  @Test
  void recordIdpLogoutRefused_writesARefusalAndChangesNoSession() {
    EngineFixture f = new EngineFixture();
    String id = f.open("alice").status().sessionId();
    f.engine.recordIdpLogoutRefused(Map.of("provider", "keycloak", "error", "invalid_request", "why", "bad signature"));
    assertThat(f.engine.get(id).allowed()).isTrue();
    Map<String, Object> rec = Json.parseObject(f.sink.lines().get(1));
    assertThat(rec.get("type")).isEqualTo("idp.logout");
    assertThat(rec).doesNotContainKey("session_id");
    assertThat(data(rec)).containsEntry("outcome", "refused").containsEntry("why", "bad signature");
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> data(Map<String, Object> rec) {
    return (Map<String, Object>) rec.get("data");
  }
}
