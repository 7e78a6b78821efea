package dev.curfew.store.redis;

import static dev.curfew.store.redis.RedisSessionStoreTest.get;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.curfew.core.Decision;
import dev.curfew.core.EndReason;
import dev.curfew.core.IdpLogout;
import dev.curfew.core.Policy;
import dev.curfew.core.SystemClock;
import dev.curfew.core.audit.AuditRecord;
import dev.curfew.core.audit.RecordTypes;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Redis store on a real Redis Cluster: three primaries with a replica each, started by the test
 * ({@link RedisClusterProcesses}). Sessions spread over the shards, so over every primary; two
 * Curfew nodes share them; a replica is promoted while they work.
 */
class RedisClusterTest {
  private static final Policy STANDARD = Policy.of("standard", Duration.ofMinutes(10), Duration.ofHours(1),
      Duration.ofMinutes(1), 50);
  /** Idle 1.5 s, warned 0.5 s before. */
  private static final Policy SHORT = Policy.of("short", Duration.ofMillis(1500), Duration.ofHours(1),
      Duration.ofMillis(500), 0);

  /**
   * A generous timeout: three primaries, three replicas and two nodes share a loaded CI machine, and
   * an answer slower than the timeout is (rightly) UNAVAILABLE, which these tests do not test.
   */
  private static final RedisSessionStore.Settings SETTINGS = RedisSessionStore.Settings.defaults()
      .withTimeout(Duration.ofSeconds(15));

  @TempDir Path dir;
  private RedisClusterProcesses cluster;
  private RedisNodes redis;

  @BeforeEach
  void start() throws Exception {
    cluster = new RedisClusterProcesses(dir);
    redis = new RedisNodes(cluster.uris());
  }

  @AfterEach
  void stop() throws Exception {
    try {
      if (redis != null) redis.close();
    } finally {
      if (cluster != null) cluster.close();
    }
  }

  /** Subjects whose sessions fall in every one of the 16 shards, so on every primary. */
  private static List<String> subjectsInEveryShard() {
    List<String> subjects = new ArrayList<>();
    Set<Integer> shards = new HashSet<>();
    for (int i = 0; shards.size() < RedisKeys.SHARDS; i++) {
      String s = "user-" + i;
      if (shards.add(RedisKeys.shardOfSubject(s))) subjects.add(s);
    }
    return subjects;
  }

  @Test
  void everyOperationWorksAcrossNodesWithSessionsOnEveryPrimary() throws Exception {
    var a = redis.add("a", new SystemClock(), List.of(STANDARD, SHORT), SETTINGS);
    var b = redis.add("b", new SystemClock(), List.of(STANDARD, SHORT), SETTINGS);
    List<String> subjects = subjectsInEveryShard();
    List<Decision> opened = new ArrayList<>();
    for (String s : subjects) opened.add(get(a.store.open(s, "standard", Map.of("idp_sid", "sid-" + s))));
    assertThat(opened).allSatisfy(d -> assertThat(d.allowed()).as(d.verdict() + " " + d.detail()).isTrue());

    for (Decision d : opened) {
      assertThat(get(b.store.check(d.token(), true)).allowed()).isTrue();
      assertThat(get(b.store.extend(d.token())).allowed()).isTrue();
    }
    assertThat(b.store.liveSessions()).isLessThanOrEqualTo(subjects.size());
    await().atMost(Duration.ofSeconds(30)).until(() -> b.store.liveSessions() == subjects.size());

    // A revocation on one node is refused by the next check on the other, and heard there.
    Decision first = opened.get(0);
    assertThat(get(a.store.revoke(first.status().sessionId(), "ops", "test")).allowed()).isTrue();
    assertThat(get(b.store.check(first.token(), false)).reason()).isEqualTo(EndReason.REVOKED);
    await().atMost(Duration.ofSeconds(30)).until(() -> redis.events.stream().anyMatch(e -> e.node().equals("b")
        && e.remote() && e.sessionId().equals(first.status().sessionId())));

    // An IdP logout by its session id finds the session in whatever shard (and primary) it is.
    Decision last = opened.get(opened.size() - 1);
    String lastSubject = subjects.get(subjects.size() - 1);
    var logout = of(b.store.endIdpSessions(new IdpLogout("kc", "sid-" + lastSubject, null, "jti-1")));
    logout.durable().get(30, TimeUnit.SECONDS);
    assertThat(logout.revoked()).isEqualTo(1);
    assertThat(get(a.store.check(last.token(), false)).reason()).isEqualTo(EndReason.IDP_LOGOUT);

    // A subject's sessions, and all of them ended at once.
    Decision second = get(a.store.open(subjects.get(1), "standard", Map.of()));
    assertThat(of(b.store.sessionsOf(subjects.get(1)))).hasSize(2);
    var bySubject = of(b.store.revokeSubject(subjects.get(1), "ops", "test"));
    assertThat(bySubject.revoked()).isEqualTo(2);
    assertThat(get(a.store.check(second.token(), false)).reason()).isEqualTo(EndReason.REVOKED);

    // Idle expiry in every shard, each recorded exactly once across the two nodes.
    List<Decision> idle = new ArrayList<>();
    for (String s : subjects) idle.add(get(b.store.open(s, "short", Map.of())));
    await().atMost(Duration.ofSeconds(60)).until(() -> expiredRecords(a, b, idle) == idle.size());
    for (Decision d : idle) assertThat(get(a.store.check(d.token(), false)).reason()).isEqualTo(EndReason.IDLE_TIMEOUT);
    assertThat(expiredRecords(a, b, idle)).isEqualTo(idle.size());
  }

  private static <T> T of(java.util.concurrent.CompletableFuture<T> f) throws Exception {
    return f.get(30, TimeUnit.SECONDS);
  }

  private static long expiredRecords(RedisNodes.Node a, RedisNodes.Node b, List<Decision> sessions) {
    Set<String> ids = new HashSet<>();
    for (Decision d : sessions) ids.add(d.status().sessionId());
    long n = 0;
    for (var node : List.of(a, b)) {
      for (AuditRecord r : node.records(RecordTypes.EXPIRED)) if (ids.contains(r.sessionId())) n++;
    }
    return n;
  }

  @Test
  void aReplicaPromotedUnderLoadLosesNoAcknowledgedChangeAndNothingIsWavedThrough() throws Exception {
    var a = redis.add("a", new SystemClock(), List.of(STANDARD), SETTINGS);
    var b = redis.add("b", new SystemClock(), List.of(STANDARD), SETTINGS);
    List<String> subjects = subjectsInEveryShard();
    // Sessions revoked before the switch: whatever happens, none of them may be allowed again.
    List<Decision> revoked = new ArrayList<>();
    for (String s : subjects) {
      Decision d = get(a.store.open(s, "standard", Map.of()));
      assertThat(get(a.store.revoke(d.status().sessionId(), "ops", "before")).allowed()).isTrue();
      revoked.add(d);
    }

    // Load on both nodes: openings, extensions and revocations, every acknowledged one remembered.
    Map<String, Decision> acknowledgedOpen = new ConcurrentHashMap<>();
    Map<String, Integer> acknowledgedExtensions = new ConcurrentHashMap<>();
    List<String> acknowledgedRevoked = new CopyOnWriteArrayList<>();
    // An answer lost in the switch may still have been applied: such changes may or may not be there.
    Set<String> revokeAsked = ConcurrentHashMap.newKeySet();
    List<String> wrong = new CopyOnWriteArrayList<>();
    AtomicBoolean running = new AtomicBoolean(true);
    List<Thread> workers = new ArrayList<>();
    for (var node : List.of(a, b)) {
      Thread t = new Thread(() -> {
        int i = 0;
        while (running.get()) {
          String subject = subjects.get(i % subjects.size());
          try {
            Decision d = node.store.open(subject, "standard", Map.of()).get(30, TimeUnit.SECONDS);
            if (d.allowed()) {
              d.durable().get(30, TimeUnit.SECONDS);
              acknowledgedOpen.put(d.status().sessionId(), d);
              Decision e = node.store.extend(d.token()).get(30, TimeUnit.SECONDS);
              if (e.allowed()) {
                e.durable().get(30, TimeUnit.SECONDS);
                acknowledgedExtensions.merge(d.status().sessionId(), 1, Integer::sum);
              } else if (e.verdict() != Decision.Verdict.UNAVAILABLE) {
                wrong.add("extend of a live session answered " + e.verdict() + " " + e.reason());
              }
              if (i % 3 == 0) {
                revokeAsked.add(d.status().sessionId());
                Decision r = node.store.revoke(d.status().sessionId(), "ops", "load").get(30, TimeUnit.SECONDS);
                if (r.allowed()) {
                  r.durable().get(30, TimeUnit.SECONDS);
                  acknowledgedRevoked.add(d.status().sessionId());
                }
              }
            } else if (d.verdict() != Decision.Verdict.UNAVAILABLE) {
              wrong.add("open answered " + d.verdict() + " " + d.detail());
            }
            Decision old = revoked.get(i % revoked.size());
            Decision again = node.store.check(old.token(), true).get(30, TimeUnit.SECONDS);
            if (again.allowed()) wrong.add("a revoked session was allowed: " + old.status().sessionId());
          } catch (Exception e) {
            wrong.add("defect: " + e);
          }
          i++;
        }
      }, "load-" + node.name);
      t.start();
      workers.add(t);
    }
    try {
      await().atMost(Duration.ofSeconds(30)).until(() -> acknowledgedOpen.size() >= 50);
      // Promote the replica of the primary that holds shard 0 (a planned failover: the primary
      // stops taking writes, the replica catches up, then takes over).
      int primary = cluster.primaryOf(slotOfShard(0, redis.prefix));
      int replica = cluster.replicaOf(primary);
      int before = acknowledgedOpen.size();
      assertThat(RedisClusterProcesses.cli(replica, "cluster", "failover")).contains("OK");
      RedisClusterProcesses.waitFor(() -> RedisClusterProcesses.cli(replica, "role").startsWith("master"),
          "the replica's promotion");
      // Work goes on after the switch, on the new primary too.
      await().atMost(Duration.ofSeconds(60)).until(() -> acknowledgedOpen.size() >= before + 100);
    } finally {
      running.set(false);
      for (Thread t : workers) t.join(60_000);
    }
    assertThat(wrong).isEmpty();

    // Every acknowledged change is there, read through the other node.
    Set<String> ended = new HashSet<>(acknowledgedRevoked);
    for (Map.Entry<String, Decision> e : acknowledgedOpen.entrySet()) {
      Decision now = get(b.store.get(e.getKey()));
      if (ended.contains(e.getKey())) {
        assertThat(now.allowed()).as("revoked " + e.getKey()).isFalse();
        assertThat(now.reason()).isEqualTo(EndReason.REVOKED);
      } else if (!revokeAsked.contains(e.getKey())) {
        assertThat(now.allowed()).as("opened " + e.getKey()).isTrue();
        // One extension was asked for each: acknowledged means there; unanswered may be either.
        assertThat(now.status().extensionsUsed()).as("extensions of " + e.getKey())
            .isBetween(acknowledgedExtensions.getOrDefault(e.getKey(), 0), 1);
      }
    }
    for (Decision d : revoked) assertThat(get(a.store.check(d.token(), false)).allowed()).isFalse();
  }

  /** The hash slot of shard {@code n}'s keys: CRC16 of its hash tag, modulo 16384 (Redis Cluster specification). */
  static int slotOfShard(int n, String prefix) {
    String tag = prefix + ":" + n;
    int crc = 0;
    for (byte b : tag.getBytes(java.nio.charset.StandardCharsets.UTF_8)) {
      crc ^= (b & 0xff) << 8;
      for (int i = 0; i < 8; i++) crc = (crc & 0x8000) != 0 ? (crc << 1) ^ 0x1021 : crc << 1;
      crc &= 0xffff;
    }
    return crc % 16384;
  }
}
