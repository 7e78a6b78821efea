package dev.curfew.store.redis;

import static dev.curfew.store.redis.RedisSessionStoreTest.get;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.curfew.core.Decision;
import dev.curfew.core.EndReason;
import dev.curfew.core.IdpLogout;
import dev.curfew.core.Policy;
import dev.curfew.core.Revocation;
import dev.curfew.core.SystemClock;
import dev.curfew.core.audit.AuditRecord;
import dev.curfew.core.audit.RecordTypes;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** An identity provider's logout over Redis: the same sessions end as in the embedded engine, on every node. */
class RedisIdpLogoutTest {
  private static final Policy STANDARD = Policy.of("standard", Duration.ofMinutes(1), Duration.ofHours(1),
      Duration.ofSeconds(10), 2);
  private final RedisNodes redis = new RedisNodes();

  @AfterEach
  void close() throws Exception {
    redis.close();
  }

  @Test
  void bySid_endsTheSessionOfThatIdpSession_whateverItsSubject_andAnotherNodeRefusesItNext() throws Exception {
    var a = redis.add("a", new SystemClock(), List.of(STANDARD));
    var b = redis.add("b", new SystemClock(), List.of(STANDARD));
    Decision mine = get(a.store.open("alice@example.com", null, Map.of("idp_sid", "kc-1")));
    Decision other = get(a.store.open("alice@example.com", null, Map.of("idp_sid", "kc-2")));
    Decision okta = get(a.store.open("alice@example.com", null, Map.of("idp", "okta", "idp_sid", "kc-1")));

    Revocation r = a.store.endIdpSessions(new IdpLogout("keycloak", "kc-1", "f3a9", "jti-9"))
        .get(30, TimeUnit.SECONDS);
    r.durable().get(30, TimeUnit.SECONDS);

    assertThat(r.revoked()).isEqualTo(1);
    assertThat(get(b.store.check(mine.token(), false)).reason()).isEqualTo(EndReason.IDP_LOGOUT);
    assertThat(get(b.store.check(other.token(), false)).allowed()).isTrue();
    assertThat(get(b.store.check(okta.token(), false)).allowed()).isTrue();
    AuditRecord revoked = a.records(RecordTypes.REVOKED).get(0);
    assertThat(revoked.data()).containsEntry("actor", "idp:keycloak").containsEntry("reason", "idp_logout");
    assertThat(a.records(RecordTypes.IDP_LOGOUT).get(0).data()).containsEntry("jti", "jti-9")
        .containsEntry("ended", 1L).containsEntry("outcome", "accepted");
    await().atMost(Duration.ofSeconds(30)).until(() -> redis.events.stream()
        .anyMatch(e -> e.node().equals("b") && e.remote() && e.event().equals("logged_out")));
  }

  @Test
  void bySubject_endsEverySessionOfTheSubject() throws Exception {
    var a = redis.add("a", new SystemClock(), List.of(STANDARD));
    Decision s1 = get(a.store.open("carol", null, Map.of()));
    Decision s2 = get(a.store.open("carol", null, Map.of("idp_sid", "x")));
    Decision dave = get(a.store.open("dave", null, Map.of()));
    Revocation r = a.store.endIdpSessions(new IdpLogout("okta", null, "carol", "jti-1"))
        .get(30, TimeUnit.SECONDS);
    assertThat(r.revoked()).isEqualTo(2);
    assertThat(get(a.store.check(s1.token(), false)).reason()).isEqualTo(EndReason.IDP_LOGOUT);
    assertThat(get(a.store.check(s2.token(), false)).reason()).isEqualTo(EndReason.IDP_LOGOUT);
    assertThat(get(a.store.check(dave.token(), false)).allowed()).isTrue();
  }
}
