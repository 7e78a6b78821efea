package dev.curfew.store.redis;

import static dev.curfew.store.redis.RedisNodes.policy;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.curfew.core.Decision;
import dev.curfew.core.EndReason;
import dev.curfew.core.ManualClock;
import dev.curfew.core.Policy;
import dev.curfew.core.SessionStatus;
import dev.curfew.core.SystemClock;
import dev.curfew.core.audit.AuditRecord;
import dev.curfew.core.audit.RecordTypes;
import dev.curfew.core.audit.Times;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Several nodes over the machine's Redis (127.0.0.1:6379, or -Dcurfew.test.redis=URI). */
class RedisSessionStoreTest {
  private static final Policy STANDARD = policy("standard", 60_000, 3_600_000, 10_000, 2);
  private final RedisNodes redis = new RedisNodes();

  @AfterEach
  void close() throws Exception {
    redis.close();
  }

  static Decision get(CompletableFuture<Decision> f) throws Exception {
    Decision d = f.get(30, TimeUnit.SECONDS);
    d.durable().get(30, TimeUnit.SECONDS);
    return d;
  }

  @Test
  void aRevokeOnOneNodeIsRefusedByTheVeryNextRequestOnAnother() throws Exception {
    var a = redis.add("a", new SystemClock(), List.of(STANDARD));
    var b = redis.add("b", new SystemClock(), List.of(STANDARD));
    Decision opened = get(a.store.open("alice", null, Map.of("ip", "10.0.0.1")));
    String token = opened.token();
    String id = opened.status().sessionId();
    assertThat(get(b.store.check(token, true)).allowed()).isTrue();

    assertThat(get(a.store.revoke(id, "security", "stolen laptop")).allowed()).isTrue();
    Decision after = get(b.store.check(token, false));
    assertThat(after.verdict()).isEqualTo(Decision.Verdict.ENDED);
    assertThat(after.reason()).isEqualTo(EndReason.REVOKED);

    AuditRecord revoked = a.records(RecordTypes.REVOKED).get(0);
    assertThat(revoked.data()).containsEntry("actor", "security").containsEntry("reason_text", "stolen laptop");
    assertThat(b.records(RecordTypes.REFUSED)).hasSize(1);
    // Both nodes' event streams hear of it: "a" from itself, "b" through Redis.
    await().atMost(Duration.ofSeconds(30)).until(() -> redis.events.stream()
        .anyMatch(e -> e.node().equals("b") && e.remote() && e.event().equals("revoked")));
  }

  @Test
  void aGatewayEventIsRecordedWithTheSessionFromAnyNode() throws Exception {
    var a = redis.add("a", new SystemClock(), List.of(STANDARD));
    var b = redis.add("b", new SystemClock(), List.of(STANDARD));
    String id = get(a.store.open("dana", null, Map.of())).status().sessionId();
    b.store.recordGatewayEvent(id, RecordTypes.CONNECTION_OPENED, Map.of("target", "build-box", "protocol", "ssh"))
        .get(30, TimeUnit.SECONDS);
    b.store.recordGatewayEvent(null, RecordTypes.CONNECTION_REFUSED, Map.of("why", "revoked")).get(30, TimeUnit.SECONDS);
    AuditRecord opened = b.records(RecordTypes.CONNECTION_OPENED).get(0);
    assertThat(opened.sessionId()).isEqualTo(id);
    assertThat(opened.subject()).isEqualTo("dana");
    assertThat(opened.data()).containsEntry("target", "build-box");
    assertThat(b.records(RecordTypes.CONNECTION_REFUSED).get(0).sessionId()).isNull();
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> b.store.recordGatewayEvent(id, RecordTypes.REVOKED, Map.of()))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void statusOperationsAndRecordsMatchTheEmbeddedEngine() throws Exception {
    var a = redis.add("a", new SystemClock(), List.of(STANDARD));
    Decision opened = get(a.store.open("bob", null, Map.of()));
    SessionStatus s = opened.status();
    assertThat(s.idleExpiresAtMs() - s.createdAtMs()).isEqualTo(60_000);
    assertThat(s.absoluteExpiresAtMs() - s.createdAtMs()).isEqualTo(3_600_000);
    assertThat(s.warningAtMs()).isEqualTo(s.expiresAtMs() - 10_000);

    Decision extended = get(a.store.extend(opened.token()));
    assertThat(extended.status().extensionsUsed()).isEqualTo(1);
    get(a.store.extend(opened.token()));
    Decision refused = get(a.store.extend(opened.token()));
    assertThat(refused.verdict()).isEqualTo(Decision.Verdict.REFUSED);
    assertThat(refused.detail()).isEqualTo("no extensions left (2 used)");
    // no warning was sent yet: nothing to acknowledge (and the refusal shares the once-a-second record limit)
    assertThat(get(a.store.acknowledgeWarning(opened.token())).verdict()).isEqualTo(Decision.Verdict.REFUSED);

    List<SessionStatus> listed = a.store.sessionsOf("bob").get(30, TimeUnit.SECONDS);
    assertThat(listed).extracting(SessionStatus::sessionId).containsExactly(s.sessionId());

    assertThat(get(a.store.logout(opened.token())).allowed()).isTrue();
    assertThat(get(a.store.check(opened.token(), false)).reason()).isEqualTo(EndReason.LOGGED_OUT);
    Decision byId = get(a.store.get(s.sessionId()));
    assertThat(byId.verdict()).isEqualTo(Decision.Verdict.ENDED);
    assertThat(byId.status().ended()).isTrue();
    assertThat(a.store.sessionsOf("bob").get(30, TimeUnit.SECONDS)).isEmpty();
    assertThat(get(a.store.get("s_unknown")).verdict()).isEqualTo(Decision.Verdict.NOT_FOUND);
    assertThat(get(a.store.check("cft_" + "A".repeat(43), false)).reason()).isEqualTo(EndReason.UNKNOWN);

    // Refusals are recorded at most once a second per session: those after the first may be only counted.
    assertThat(a.sink.records()).filteredOn(r -> r.sessionId() != null && !r.type().equals(RecordTypes.REFUSED))
        .extracting(AuditRecord::type).containsExactly(RecordTypes.SESSION_CREATED,
        RecordTypes.EXTENDED, RecordTypes.EXTENDED, RecordTypes.EXTENSION_REFUSED, RecordTypes.LOGGED_OUT);
  }

  @Test
  void everyExpiryAndWarningIsRecordedExactlyOnceAcrossThreeNodes() throws Exception {
    Policy quick = policy("quick", 1_500, 3_600_000, 1_000, 0);
    var a = redis.add("a", new SystemClock(), List.of(quick));
    var b = redis.add("b", new SystemClock(), List.of(quick));
    var c = redis.add("c", new SystemClock(), List.of(quick));
    int n = 300;
    Set<String> ids = new HashSet<>();
    for (int i = 0; i < n; i++) {
      var node = redis.nodes.get(i % 3);
      ids.add(get(node.store.open("user" + (i % 17), null, Map.of())).status().sessionId());
    }
    await().atMost(Duration.ofSeconds(30)).until(() -> count(RecordTypes.EXPIRED) >= n);
    // a second claim would show up in this time; on a slow machine the pause only makes the check weaker
    Thread.sleep(500);
    Map<String, Integer> expired = perSession(RecordTypes.EXPIRED);
    Map<String, Integer> warned = perSession(RecordTypes.WARNING_SENT);
    assertThat(expired).hasSize(n);
    assertThat(warned).hasSize(n);
    assertThat(expired.keySet()).isEqualTo(ids);
    assertThat(expired.values()).allMatch(k -> k == 1);
    assertThat(warned.keySet()).isEqualTo(ids);
    assertThat(warned.values()).allMatch(k -> k == 1);
    // The work was shared, and each ending was found by a timer within the bound.
    assertThat(List.of(a, b, c)).allMatch(node -> !node.records(RecordTypes.EXPIRED).isEmpty());
    for (var node : List.of(a, b, c)) {
      for (AuditRecord r : node.records(RecordTypes.EXPIRED)) {
        assertThat(r.data().get("detected_by")).isEqualTo("timer");
        // the timer's lateness is not a benchmark: generous, so that a loaded machine does not fail it
        assertThat((Long) r.data().get("lateness_ms")).isBetween(0L, 10_000L);
      }
    }
    assertThat(a.store.sessionsOf("user1").get(30, TimeUnit.SECONDS)).isEmpty();
  }

  @Test
  void aClaimWhoseNodeDiedIsRecordedByAnother() throws Exception {
    Policy quick = policy("quick", 300, 3_600_000, 0, 0);
    var settings = RedisSessionStore.Settings.defaults().withLease(Duration.ofMillis(500));
    var dying = redis.add("dying", new SystemClock(), List.of(quick), settings);
    // The dying node claims the expiry, but dies before its record is durable.
    String id = get(dying.store.open("carol", null, Map.of())).status().sessionId();
    dying.hold = true;
    await().atMost(Duration.ofSeconds(30)).until(() -> dying.records(RecordTypes.EXPIRED).size() == 1);
    RedisNodes.get(dying.store.close());
    var survivor = redis.add("survivor", new SystemClock(), List.of(quick), settings);
    await().atMost(Duration.ofSeconds(30)).until(() -> survivor.records(RecordTypes.EXPIRED).size() == 1);
    AuditRecord lost = dying.records(RecordTypes.EXPIRED).get(0);
    AuditRecord recorded = survivor.records(RecordTypes.EXPIRED).get(0);
    assertThat(recorded.sessionId()).isEqualTo(id);
    assertThat(recorded.data()).isEqualTo(lost.data());
    assertThat(recorded.timeMs()).isEqualTo(lost.timeMs());
    // Confirmed once durable: nobody records it again (past two leases; a slow machine only weakens this).
    Thread.sleep(1_200);
    assertThat(survivor.records(RecordTypes.EXPIRED)).hasSize(1);
  }

  @Test
  void aSkewedNodeClockChangesNothing() throws Exception {
    Policy quick = policy("quick", 800, 3_600_000, 0, 0);
    var honest = redis.add("honest", new SystemClock(), List.of(quick));
    // This node believes it is an hour later.
    ManualClock ahead = new ManualClock(Instant.now().plus(Duration.ofHours(1)));
    var skewed = redis.add("skewed", ahead, List.of(quick));
    Decision opened = get(skewed.store.open("dave", null, Map.of()));
    long created = opened.status().createdAtMs();
    assertThat(Math.abs(created - System.currentTimeMillis())).isLessThan(5_000);
    // The skewed node does not end the session early...
    assertThat(get(skewed.store.check(opened.token(), false)).allowed()).isTrue();
    assertThat(get(honest.store.check(opened.token(), false)).allowed()).isTrue();
    await().atMost(Duration.ofSeconds(30)).until(() -> skewed.store.clockSkewMs() > 3_500_000);
    // ...nor late: it ends at its deadline on Redis's clock, recorded once, whoever found it.
    await().atMost(Duration.ofSeconds(30)).until(() -> count(RecordTypes.EXPIRED) == 1);
    AuditRecord expired = redis.nodes.stream().flatMap(n -> n.records(RecordTypes.EXPIRED).stream()).findFirst()
        .orElseThrow();
    assertThat(Times.parse((String) expired.data().get("deadline"))).isEqualTo(created + 800);
    assertThat(Math.abs(expired.timeMs() - System.currentTimeMillis())).isLessThan(5_000);
    assertThat(get(skewed.store.check(opened.token(), false)).reason()).isEqualTo(EndReason.IDLE_TIMEOUT);
  }

  @Test
  void aRotatedOutTokenPresentedAgainAfterTheGraceEndsTheSession_auditedOnce() throws Exception {
    Policy rotating = Policy.builder("rotating").idleTimeout(Duration.ofMinutes(5)).absoluteTimeout(Duration.ofHours(1))
        .warnBefore(Duration.ZERO).renewEvery(Duration.ofMillis(1_000)).build();
    var a = redis.add("a", new SystemClock(), List.of(rotating));
    var b = redis.add("b", new SystemClock(), List.of(rotating));
    Decision opened = get(a.store.open("erin", null, Map.of()));
    // renew_every is 1 s: long enough that a loaded machine does not rotate the new token again
    // before the next line uses it, so the old token stays the one rotated out.
    Thread.sleep(1_100);
    Decision rotated = get(b.store.check(opened.token(), true));
    assertThat(rotated.token()).isNotNull().isNotEqualTo(opened.token());
    assertThat(get(a.store.check(rotated.token(), true)).allowed()).isTrue();
    // The grace is at most renew_every (1 s) on Redis's clock; past it, the old token is a replay.
    Thread.sleep(1_100);
    Decision replay = get(a.store.check(opened.token(), true));
    assertThat(replay.reason()).isEqualTo(EndReason.REPLAYED);
    assertThat(get(b.store.check(rotated.token(), false)).reason()).isEqualTo(EndReason.REPLAYED);
    assertThat(get(b.store.check(opened.token(), true)).reason()).isEqualTo(EndReason.REPLAYED);
    assertThat(b.records(RecordTypes.ROTATED)).hasSize(1);
    List<AuditRecord> revoked = new ArrayList<>(a.records(RecordTypes.REVOKED));
    revoked.addAll(b.records(RecordTypes.REVOKED));
    assertThat(revoked).hasSize(1);
    assertThat(revoked.get(0).data()).containsEntry("reason", "replayed");
  }

  @Test
  void parallelRequestsAcrossRotationsOnTwoNodesAreNeverLoggedOut() throws Exception {
    Policy rotating = Policy.builder("rotating").idleTimeout(Duration.ofMinutes(5)).absoluteTimeout(Duration.ofHours(1))
        .warnBefore(Duration.ZERO).renewEvery(Duration.ofMillis(2_000)).build();
    var a = redis.add("a", new SystemClock(), List.of(rotating));
    var b = redis.add("b", new SystemClock(), List.of(rotating));
    Decision opened = get(a.store.open("gina", null, Map.of()));
    String token = opened.token();
    int rotations = 4;
    int burst = 8;
    for (int round = 0; round < rotations; round++) {
      // past renew_every: the first of the burst to reach Redis rotates; renew_every is 2 s so that a
      // burst on a loaded machine is still answered before the next rotation is due
      Thread.sleep(2_050);
      String presented = token;
      List<CompletableFuture<Decision>> answers = new ArrayList<>();
      for (int i = 0; i < burst; i++) {
        var node = i % 2 == 0 ? a : b;
        boolean touch = i % 3 != 2; // some passive, as a page's background polls are
        answers.add(CompletableFuture.supplyAsync(() -> node.store.check(presented, touch)).thenCompose(f -> f));
      }
      Set<String> handedOut = new HashSet<>();
      for (CompletableFuture<Decision> f : answers) {
        Decision d = get(f);
        assertThat(d.allowed()).as("round %d: %s", round, d.reason()).isTrue();
        if (d.token() != null) handedOut.add(d.token());
      }
      assertThat(handedOut).as("round %d: one new token, to every request that did not hold it", round).hasSize(1);
      token = handedOut.iterator().next();
      assertThat(get(b.store.check(token, false)).allowed()).isTrue();
    }
    List<AuditRecord> rotated = new ArrayList<>(a.records(RecordTypes.ROTATED));
    rotated.addAll(b.records(RecordTypes.ROTATED));
    assertThat(rotated).hasSize(rotations);
    assertThat(a.records(RecordTypes.REVOKED)).isEmpty();
    assertThat(b.records(RecordTypes.REVOKED)).isEmpty();
  }

  @Test
  void policyVersionsAreSharedAndApplyToLiveShortensEverywhere() throws Exception {
    var a = redis.add("a", new SystemClock(), List.of(STANDARD));
    var b = redis.add("b", new SystemClock(), List.of(STANDARD));
    Decision opened = get(b.store.open("frank", null, Map.of()));
    Policy shorter = policy("standard", 30_000, 600_000, 10_000, 2);
    var change = a.store.changePolicy(shorter, true, "admin").get(30, TimeUnit.SECONDS);
    change.durable().get(30, TimeUnit.SECONDS);
    assertThat(change.policy().version()).isEqualTo(2);
    assertThat(change.appliedToLive()).isEqualTo(1);
    await().atMost(Duration.ofSeconds(30)).until(() -> b.store.policies().current("standard").orElseThrow().version() == 2);
    SessionStatus s = get(b.store.check(opened.token(), false)).status();
    assertThat(s.policyVersion()).isEqualTo(2);
    assertThat(s.absoluteExpiresAtMs() - s.createdAtMs()).isEqualTo(600_000);
    assertThat(a.records(RecordTypes.POLICY_APPLIED)).hasSize(1);
    // Version 1 was adopted from a's configuration at its start; b found it there.
    assertThat(a.records(RecordTypes.POLICY_CHANGED)).extracting(r -> r.data().get("version")).containsExactly(1L, 2L);
    assertThat(b.records(RecordTypes.POLICY_CHANGED)).isEmpty();
    // Adopting the same values from configuration adds no version.
    var same = a.store.adopt(shorter).toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    assertThat(same.policy().version()).isEqualTo(2);
  }

  @Test
  void revokingASubjectReachesSessionsOpenedOnEveryNode() throws Exception {
    var a = redis.add("a", new SystemClock(), List.of(STANDARD));
    var b = redis.add("b", new SystemClock(), List.of(STANDARD));
    Decision one = get(a.store.open("grace", null, Map.of()));
    Decision two = get(b.store.open("grace", null, Map.of()));
    get(a.store.open("heidi", null, Map.of()));
    var r = b.store.revokeSubject("grace", "admin", "offboarded").get(30, TimeUnit.SECONDS);
    r.durable().get(30, TimeUnit.SECONDS);
    assertThat(r.revoked()).isEqualTo(2);
    assertThat(get(a.store.check(one.token(), false)).reason()).isEqualTo(EndReason.REVOKED);
    assertThat(get(a.store.check(two.token(), false)).reason()).isEqualTo(EndReason.REVOKED);
    assertThat(a.store.sessionsOf("heidi").get(30, TimeUnit.SECONDS)).hasSize(1);
  }

  @Test
  void anUnwritableAuditLogFailsClosedWithoutTouchingRedis() throws Exception {
    var a = redis.add("a", new SystemClock(), List.of(STANDARD));
    Decision opened = get(a.store.open("ivan", null, Map.of()));
    a.sink.setWritable(false);
    assertThat(get(a.store.check(opened.token(), true)).verdict()).isEqualTo(Decision.Verdict.UNAVAILABLE);
    assertThat(get(a.store.open("ivan", null, Map.of())).verdict()).isEqualTo(Decision.Verdict.UNAVAILABLE);
    a.sink.setWritable(true);
    assertThat(get(a.store.check(opened.token(), true)).allowed()).isTrue();
  }

  private long count(String type) {
    return redis.nodes.stream().mapToLong(n -> n.records(type).size()).sum();
  }

  private Map<String, Integer> perSession(String type) {
    Map<String, Integer> m = new HashMap<>();
    for (var n : redis.nodes) {
      for (AuditRecord r : n.records(type)) m.merge(r.sessionId(), 1, Integer::sum);
    }
    return m;
  }
}
