package dev.curfew.store.redis;

import static dev.curfew.store.redis.RedisNodes.policy;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.curfew.core.Decision;
import dev.curfew.core.Policy;
import dev.curfew.core.SystemClock;
import dev.curfew.core.audit.AuditRecord;
import dev.curfew.core.audit.RecordTypes;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Every change a script makes to a session leaves a pending entry in the same step (docs/distributed.md,
 * "Every change, recorded once"): a node that made the change but dies before its record is durable
 * leaves the entry, and another node records the change from it once the lease ran out, as the same
 * record (field for field, its claim included) and once.
 */
class RedisChangeClaimsTest {
  private static final RedisSessionStore.Settings SETTINGS =
      RedisSessionStore.Settings.defaults().withLease(Duration.ofMillis(500));
  private final RedisNodes redis = new RedisNodes();

  @AfterEach
  void close() throws Exception {
    redis.close();
  }

  private static Decision answer(java.util.concurrent.CompletableFuture<Decision> f) throws Exception {
    return f.get(30, TimeUnit.SECONDS);
  }

  private static Decision durable(java.util.concurrent.CompletableFuture<Decision> f) throws Exception {
    Decision d = answer(f);
    d.durable().get(30, TimeUnit.SECONDS);
    return d;
  }

  @Test
  void anOpeningWhoseNodeDiedIsRecordedByAnother() throws Exception {
    Policy standard = policy("standard", 60_000, 3_600_000, 10_000, 2);
    var dying = redis.add("dying", new SystemClock(), List.of(standard), SETTINGS);
    dying.hold = true;
    Decision opened = answer(dying.store.open("frank", null, Map.of("ip", "10.0.0.9", "n", 7), dev.curfew.core.Audience.app("backend"), "backend|with a bar"));
    assertThat(opened.allowed()).isTrue();
    recoveredByAnother(dying, RecordTypes.SESSION_CREATED, standard);
  }

  @Test
  void anExtensionWhoseNodeDiedIsRecordedByAnother() throws Exception {
    Policy standard = policy("standard", 60_000, 3_600_000, 10_000, 2);
    var dying = redis.add("dying", new SystemClock(), List.of(standard), SETTINGS);
    Decision opened = durable(dying.store.open("alice", null, Map.of()));
    dying.hold = true;
    Decision extended = answer(dying.store.extend(opened.token()));
    assertThat(extended.allowed()).isTrue();
    assertThat(extended.durable()).isNotDone();
    recoveredByAnother(dying, RecordTypes.EXTENDED, standard);
  }

  @Test
  void aRotationWhoseNodeDiedIsRecordedByAnother() throws Exception {
    Policy rotating = Policy.builder("rotating").idleTimeout(Duration.ofMinutes(5)).absoluteTimeout(Duration.ofHours(1))
        .warnBefore(Duration.ZERO).renewEvery(Duration.ofMillis(1_000)).build();
    var dying = redis.add("dying", new SystemClock(), List.of(rotating), SETTINGS);
    Decision opened = durable(dying.store.open("bob", null, Map.of()));
    await().atMost(Duration.ofSeconds(30)).pollDelay(Duration.ofMillis(1_100)).until(() -> true);
    dying.hold = true;
    Decision rotated = answer(dying.store.check(opened.token(), true));
    assertThat(rotated.token()).isNotNull().isNotEqualTo(opened.token());
    recoveredByAnother(dying, RecordTypes.ROTATED, rotating);
  }

  @Test
  void anAcknowledgementWhoseNodeDiedIsRecordedByAnother() throws Exception {
    // The warning comes half a second after opening, the expiry ten seconds after it.
    Policy warning = policy("warning", 10_000, 3_600_000, 9_500, 2);
    var dying = redis.add("dying", new SystemClock(), List.of(warning), SETTINGS);
    Decision opened = durable(dying.store.open("carol", null, Map.of()));
    await().atMost(Duration.ofSeconds(30)).until(() -> dying.records(RecordTypes.WARNING_SENT).size() == 1);
    dying.hold = true;
    assertThat(answer(dying.store.acknowledgeWarning(opened.token())).allowed()).isTrue();
    recoveredByAnother(dying, RecordTypes.WARNING_ACKNOWLEDGED, warning);
  }

  @Test
  void aPolicyAppliedWhoseNodeDiedIsRecordedByAnother() throws Exception {
    Policy standard = policy("standard", 60_000, 3_600_000, 10_000, 2);
    var dying = redis.add("dying", new SystemClock(), List.of(standard), SETTINGS);
    durable(dying.store.open("dave", null, Map.of()));
    dying.hold = true;
    var change = dying.store.changePolicy(policy("standard", 30_000, 1_800_000, 5_000, 1), true, "admin")
        .get(30, TimeUnit.SECONDS);
    assertThat(change.appliedToLive()).isEqualTo(1);
    recoveredByAnother(dying, RecordTypes.POLICY_APPLIED, standard);
  }

  @Test
  void aPolicyVersionWhoseNodeDiedIsRecordedByAnother() throws Exception {
    Policy standard = policy("standard", 60_000, 3_600_000, 10_000, 2);
    var dying = redis.add("dying", new SystemClock(), List.of(standard), SETTINGS);
    dying.hold = true;
    var change = dying.store.changePolicy(policy("standard", 30_000, 1_800_000, 5_000, 1), false, "admin|ops")
        .get(30, TimeUnit.SECONDS);
    assertThat(change.policy().version()).isEqualTo(2);
    String claim = "policy:standard:2";
    await().atMost(Duration.ofSeconds(30)).until(() -> claimed(dying, claim).size() == 1);
    AuditRecord lost = claimed(dying, claim).get(0);
    RedisNodes.get(dying.store.close());
    // The survivor adopts its own configuration as version 3 (it differs from version 2): a record of its own.
    var survivor = redis.add("survivor", new SystemClock(), List.of(standard), SETTINGS);
    await().atMost(Duration.ofSeconds(30)).until(() -> claimed(survivor, claim).size() == 1);
    AuditRecord recorded = claimed(survivor, claim).get(0);
    assertThat(recorded.timeMs()).isEqualTo(lost.timeMs());
    assertThat(recorded.data()).isEqualTo(lost.data()).containsEntry("actor", "admin|ops").containsEntry("version", 2L);
    await().pollDelay(Duration.ofMillis(1_200)).atMost(Duration.ofSeconds(30)).until(() -> true);
    assertThat(claimed(survivor, claim)).hasSize(1);
    assertThat(claimed(survivor, "policy:standard:3")).hasSize(1);
  }

  private static List<AuditRecord> claimed(RedisNodes.Node n, String claim) {
    return n.records(RecordTypes.POLICY_CHANGED).stream().filter(r -> claim.equals(r.data().get("claim"))).toList();
  }

  @Test
  void aChangeAlreadyInASharedTrailIsNotRecordedAgainByTheNodeThatTakesItOver() throws Exception {
    // The dying node's record is in the shared trail, but the node died before it removed its entry
    // (the window that an unshared log cannot close).
    redis.sharedTrail = true;
    Policy standard = policy("standard", 60_000, 3_600_000, 10_000, 2);
    var dying = redis.add("dying", new SystemClock(), List.of(standard), SETTINGS);
    Decision opened = durable(dying.store.open("gina", null, Map.of()));
    dying.hold = true;
    assertThat(answer(dying.store.extend(opened.token())).allowed()).isTrue();
    assertThat(answer(dying.store.revoke(opened.status().sessionId(), "admin", "left")).allowed()).isTrue();
    await().atMost(Duration.ofSeconds(30)).until(() -> dying.records(RecordTypes.REVOKED).size() == 1);
    RedisNodes.get(dying.store.close());
    var survivor = redis.add("survivor", new SystemClock(), List.of(standard), SETTINGS);
    // Taken over, found recorded, and removed without a second record.
    await().atMost(Duration.ofSeconds(30)).until(() -> pendingEntries(survivor) == 0);
    assertThat(survivor.records(RecordTypes.EXTENDED)).isEmpty();
    assertThat(survivor.records(RecordTypes.REVOKED)).isEmpty();
  }

  private long pendingEntries(RedisNodes.Node n) throws Exception {
    long count = 0;
    for (int shard = 0; shard < RedisKeys.SHARDS; shard++) {
      var r = RedisNodes.get(n.store.redis.send(io.vertx.redis.client.Request.cmd(io.vertx.redis.client.Command.ZCARD)
          .arg(n.store.keys.pending(shard))));
      count += r.toLong();
    }
    return count;
  }

  @Test
  void aChangeRecordedByItsOwnNodeIsNotRecordedAgain() throws Exception {
    Policy standard = policy("standard", 60_000, 3_600_000, 10_000, 2);
    var a = redis.add("a", new SystemClock(), List.of(standard), SETTINGS);
    var b = redis.add("b", new SystemClock(), List.of(standard), SETTINGS);
    Decision opened = durable(a.store.open("erin", null, Map.of()));
    durable(a.store.extend(opened.token()));
    durable(b.store.extend(opened.token()));
    // Past several leases, each extension is in its own node's log once, with a claim of its own.
    await().pollDelay(Duration.ofMillis(1_500)).atMost(Duration.ofSeconds(30)).until(() -> true);
    assertThat(a.records(RecordTypes.EXTENDED)).hasSize(1);
    assertThat(b.records(RecordTypes.EXTENDED)).hasSize(1);
    String id = opened.status().sessionId();
    assertThat(a.records(RecordTypes.SESSION_CREATED).get(0).data().get("claim")).isEqualTo(id + ":1");
    assertThat(a.records(RecordTypes.EXTENDED).get(0).data().get("claim")).isEqualTo(id + ":2");
    assertThat(b.records(RecordTypes.EXTENDED).get(0).data().get("claim")).isEqualTo(id + ":3");
    // The ending's claim is the session's own: a session ends once.
    durable(b.store.revoke(id, "admin", "done"));
    assertThat(b.records(RecordTypes.REVOKED).get(0).data().get("claim")).isEqualTo(id + ":end");
  }

  /**
   * The dying node built the record of {@code type} (its log took it, but never made it durable);
   * it stops, and a node started after it records the same change once.
   */
  private void recoveredByAnother(RedisNodes.Node dying, String type, Policy policy) throws Exception {
    await().atMost(Duration.ofSeconds(30)).until(() -> dying.records(type).size() == 1);
    AuditRecord lost = dying.records(type).get(0);
    RedisNodes.get(dying.store.close());
    var survivor = redis.add("survivor", new SystemClock(), List.of(policy), SETTINGS);
    await().atMost(Duration.ofSeconds(30)).until(() -> survivor.records(type).size() == 1);
    AuditRecord recorded = survivor.records(type).get(0);
    assertThat(recorded.node()).isEqualTo("survivor");
    assertThat(recorded.sessionId()).isEqualTo(lost.sessionId());
    assertThat(recorded.subject()).isEqualTo(lost.subject());
    assertThat(recorded.policy()).isEqualTo(lost.policy());
    assertThat(recorded.policyVersion()).isEqualTo(lost.policyVersion());
    assertThat(recorded.timeMs()).isEqualTo(lost.timeMs());
    assertThat(recorded.data()).isEqualTo(lost.data());
    assertThat(recorded.data().get("claim")).asString().startsWith(lost.sessionId() + ":");
    // Confirmed once durable: nobody records it again (past two leases; a slow machine only weakens this).
    await().pollDelay(Duration.ofMillis(1_200)).atMost(Duration.ofSeconds(30)).until(() -> true);
    assertThat(survivor.records(type)).hasSize(1);
  }
}
