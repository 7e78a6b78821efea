package dev.curfew.store.redis;

import static org.assertj.core.api.Assertions.assertThat;

import dev.curfew.core.Audience;
import dev.curfew.core.ConcurrencyLimit;
import dev.curfew.core.Decision;
import dev.curfew.core.EndReason;
import dev.curfew.core.Policy;
import dev.curfew.core.SessionStatus;
import dev.curfew.core.SystemClock;
import dev.curfew.core.audit.AuditRecord;
import dev.curfew.core.audit.RecordTypes;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * max_sessions_per_subject across nodes: three stores (three nodes in one JVM) over the machine's
 * Redis race to open sessions of one subject, and the subject never holds more than the limit.
 */
class RedisConcurrencyLimitTest {
  private final RedisNodes redis = new RedisNodes();

  @AfterEach
  void close() throws Exception {
    redis.close();
  }

  private static Policy policy(String name, int max, String when) {
    return Policy.builder(name).idleTimeout(Duration.ofMinutes(10)).absoluteTimeout(Duration.ofHours(1))
        .warnBefore(Duration.ofMinutes(1)).maxExtensions(2).concurrency(ConcurrencyLimit.of(max, when, null)).build();
  }

  private List<RedisNodes.Node> threeNodes(Policy... policies) throws Exception {
    List<RedisNodes.Node> nodes = new ArrayList<>();
    for (String n : List.of("a", "b", "c")) nodes.add(redis.add(n, new SystemClock(), List.of(policies)));
    return nodes;
  }

  /** Every node sends its openings at once, without waiting for any answer: they reach Redis interleaved. */
  private static List<Decision> race(List<RedisNodes.Node> nodes, String policy, int perNode) throws Exception {
    List<CompletableFuture<Decision>> all = new ArrayList<>();
    for (int i = 0; i < perNode; i++) {
      for (RedisNodes.Node n : nodes) {
        all.add(n.store.open("alice", policy, Map.of(), Audience.route("/"), "web-" + n.name));
      }
    }
    List<Decision> out = new ArrayList<>();
    for (CompletableFuture<Decision> f : all) {
      Decision d = f.get(20, TimeUnit.SECONDS);
      d.durable().get(20, TimeUnit.SECONDS);
      out.add(d);
    }
    return out;
  }

  /**
   * Listing a subject's sessions while its openings are in flight (the ending of a displaced session
   * does: it looks for the session's children) must never drop a session being opened from the
   * subject's index, or revoking the subject would miss it.
   */
  @Test
  void listingWhileOpeningsRace_neverLosesALiveSessionFromTheSubject() throws Exception {
    List<RedisNodes.Node> nodes = threeNodes(policy("single", 1, "end_oldest"));
    java.util.concurrent.atomic.AtomicBoolean opening = new java.util.concurrent.atomic.AtomicBoolean(true);
    Thread lister = new Thread(() -> {
      while (opening.get()) {
        try {
          nodes.get(1).store.sessionsOf("alice").get(10, TimeUnit.SECONDS);
        } catch (Exception e) {
          return;
        }
      }
    });
    lister.start();
    List<Decision> answers;
    try {
      answers = race(nodes, "single", 40);
    } finally {
      opening.set(false);
      lister.join(20_000);
    }
    assertThat(answers).allMatch(Decision::allowed);
    List<SessionStatus> live = nodes.get(0).store.sessionsOf("alice").get(10, TimeUnit.SECONDS);
    assertThat(live).hasSize(1);
    var revoked = nodes.get(2).store.revokeSubject("alice", "admin", "all of them").get(10, TimeUnit.SECONDS);
    revoked.durable().get(20, TimeUnit.SECONDS);
    assertThat(revoked.revoked()).isEqualTo(1);
    for (Decision d : answers) {
      assertThat(nodes.get(0).store.check(d.token(), false).get(10, TimeUnit.SECONDS).allowed()).isFalse();
    }
  }

  @Test
  void refuseNew_threeNodesRacing_openExactlyTheLimit_andRecordEachRefusal() throws Exception {
    List<RedisNodes.Node> nodes = threeNodes(policy("three", 3, "refuse_new"));
    List<Decision> answers = race(nodes, "three", 10);

    assertThat(answers.stream().filter(Decision::allowed)).hasSize(3);
    List<Decision> refused = answers.stream().filter(d -> !d.allowed()).toList();
    assertThat(refused).hasSize(27).allSatisfy(d -> {
      assertThat(d.verdict()).isEqualTo(Decision.Verdict.REFUSED);
      assertThat(d.reason()).isEqualTo(EndReason.CONCURRENCY_LIMIT);
    });
    List<SessionStatus> live = nodes.get(0).store.sessionsOf("alice").get(10, TimeUnit.SECONDS);
    assertThat(live).hasSize(3);
    int refusals = 0;
    for (RedisNodes.Node n : nodes) {
      for (AuditRecord r : n.records(RecordTypes.REFUSED)) {
        assertThat(r.data()).containsEntry("reason", "concurrency_limit");
        assertThat((List<?>) r.data().get("live_sessions")).hasSize(3);
        refusals++;
      }
    }
    assertThat(refusals).isEqualTo(27);
  }

  @Test
  void endOldest_threeNodesRacing_neverLeaveMoreThanTheLimitLive_andEachDisplacedEndNamesItsReason()
      throws Exception {
    List<RedisNodes.Node> nodes = threeNodes(policy("two", 2, "end_oldest"));
    List<Decision> answers = race(nodes, "two", 8);

    assertThat(answers).allMatch(Decision::allowed);
    List<SessionStatus> live = nodes.get(1).store.sessionsOf("alice").get(10, TimeUnit.SECONDS);
    assertThat(live).hasSize(2);
    Set<String> liveIds = new HashSet<>();
    live.forEach(s -> liveIds.add(s.sessionId()));
    // Every other session ended displaced, recorded once, by the node that opened its successor.
    Set<String> displaced = new HashSet<>();
    Set<String> opened = new HashSet<>();
    answers.forEach(d -> opened.add(d.status().sessionId()));
    for (RedisNodes.Node n : nodes) {
      for (AuditRecord r : n.records(RecordTypes.REVOKED)) {
        assertThat(r.data()).containsEntry("reason", "concurrency_limit").containsEntry("actor", "curfew");
        assertThat(opened).contains((String) r.data().get("displaced_by"));
        assertThat(displaced.add(r.sessionId())).as("one record per displaced session").isTrue();
      }
    }
    assertThat(displaced).hasSize(answers.size() - 2).doesNotContainAnyElementsOf(liveIds);
    for (Decision d : answers) {
      Decision now = nodes.get(2).store.check(d.token(), false).get(10, TimeUnit.SECONDS);
      if (liveIds.contains(d.status().sessionId())) {
        assertThat(now.allowed()).isTrue();
      } else {
        assertThat(now.reason()).isEqualTo(EndReason.CONCURRENCY_LIMIT);
      }
    }
  }

  @Test
  void theLimitCountsSessionsOpenedUnderAnyPolicy_andForgetsEndedOnes() throws Exception {
    Policy open = Policy.builder("open").build();
    List<RedisNodes.Node> nodes = threeNodes(open, policy("one", 1, "refuse_new"));
    Decision first = nodes.get(0).store.open("alice", "open", Map.of()).get(10, TimeUnit.SECONDS);
    Decision refused = nodes.get(1).store.open("alice", "one", Map.of()).get(10, TimeUnit.SECONDS);
    assertThat(refused.reason()).isEqualTo(EndReason.CONCURRENCY_LIMIT);
    assertThat(refused.detail()).contains("\"alice\" already has 1 live session,");
    nodes.get(2).store.logout(first.token()).get(10, TimeUnit.SECONDS);
    assertThat(nodes.get(1).store.open("alice", "one", Map.of()).get(10, TimeUnit.SECONDS).allowed()).isTrue();
    assertThat(nodes.get(0).store.open("bob", "one", Map.of()).get(10, TimeUnit.SECONDS).allowed()).isTrue();
  }

  @Test
  void audienceScope_countsOnlySessionsWithTheSameAudience_asTheEngineDoes() throws Exception {
    Policy one = Policy.builder("one").concurrency(ConcurrencyLimit.of(1, "end_oldest", "audience")).build();
    List<RedisNodes.Node> nodes = threeNodes(one);
    Decision web = nodes.get(0).store.open("alice", "one", Map.of(), Audience.route("/"), "web")
        .get(10, TimeUnit.SECONDS);
    Decision db = nodes.get(1).store.open("alice", "one", Map.of(), Audience.of("db:orders"), "web")
        .get(10, TimeUnit.SECONDS);
    Decision db2 = nodes.get(2).store.open("alice", "one", Map.of(), Audience.of("db:orders"), "web")
        .get(10, TimeUnit.SECONDS);
    assertThat(nodes.get(0).store.check(web.token(), false).get(10, TimeUnit.SECONDS).allowed()).isTrue();
    assertThat(nodes.get(0).store.check(db.token(), false).get(10, TimeUnit.SECONDS).reason())
        .isEqualTo(EndReason.CONCURRENCY_LIMIT);
    assertThat(nodes.get(0).store.check(db2.token(), false).get(10, TimeUnit.SECONDS).allowed()).isTrue();
  }

  @Test
  void endOthers_onRedis_endsTheHoldersOtherSessionsFromAnyNode() throws Exception {
    List<RedisNodes.Node> nodes = threeNodes(Policy.builder("open").build());
    Decision mine = nodes.get(0).store.open("alice", "open", Map.of()).get(10, TimeUnit.SECONDS);
    Decision other = nodes.get(1).store.open("alice", "open", Map.of()).get(10, TimeUnit.SECONDS);
    var r = nodes.get(2).store.endOthers(mine.token()).get(10, TimeUnit.SECONDS);
    r.durable().get(10, TimeUnit.SECONDS);
    assertThat(r.ended()).isEqualTo(1);
    assertThat(nodes.get(0).store.check(other.token(), false).get(10, TimeUnit.SECONDS).reason())
        .isEqualTo(EndReason.REVOKED);
    assertThat(nodes.get(2).records(RecordTypes.REVOKED).get(0).data())
        .containsEntry("actor", "holder:" + mine.status().sessionId());
  }
}
