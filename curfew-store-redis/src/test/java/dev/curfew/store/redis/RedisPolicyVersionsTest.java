package dev.curfew.store.redis;

import static dev.curfew.store.redis.RedisNodes.policy;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.curfew.core.Policy;
import dev.curfew.core.PolicyChange;
import dev.curfew.core.SystemClock;
import dev.curfew.core.audit.RecordTypes;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.Request;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Policy version numbers after Redis lost its data (a restart without persistence, a flush): a
 * version's claim {@code policy:<name>:<version>} names one change, so no node may number a new
 * version with a number it has seen before, and a node that finds the versions gone puts back those
 * it knows.
 */
class RedisPolicyVersionsTest {
  private static final Policy STANDARD = policy("standard", 60_000, 3_600_000, 10_000, 2);
  private static final Policy SHORT = policy("short", 30_000, 600_000, 10_000, 0);

  @TempDir Path dir;

  private static PolicyChange change(RedisNodes.Node n, Policy values) throws Exception {
    PolicyChange c = n.store.changePolicy(values, false, "admin").get(30, TimeUnit.SECONDS);
    c.durable().get(30, TimeUnit.SECONDS);
    return c;
  }

  /** The claims of every policy.changed record in the nodes' logs, one entry per record. */
  private static List<String> policyClaims(RedisNodes redis) {
    List<String> claims = new ArrayList<>();
    for (RedisNodes.Node n : redis.nodes) {
      for (var r : n.records(RecordTypes.POLICY_CHANGED)) claims.add((String) r.data().get("claim"));
    }
    return claims;
  }

  /** Deletes every key of this test's prefix (and only those) from the shared Redis. */
  private static void emptyPrefix(RedisNodes redis) throws Exception {
    Redis client = Redis.createClient(redis.vertx, RedisNodes.options(RedisNodes.URI));
    try {
      for (var k : RedisNodes.get(client.send(Request.cmd(Command.KEYS).arg("{" + redis.prefix + "*")))) {
        RedisNodes.get(client.send(Request.cmd(Command.DEL).arg(k.toString())));
      }
    } finally {
      client.close();
    }
  }

  @Test
  void aVersionAddedAfterRedisLostThePolicies_isNumberedAfterEveryVersionTheNodeKnows() throws Exception {
    try (RedisNodes redis = new RedisNodes()) {
      var a = redis.add("a", new SystemClock(), List.of(STANDARD, SHORT));
      assertThat(change(a, policy("short", 20_000, 600_000, 10_000, 0)).policy().version()).isEqualTo(2);
      emptyPrefix(redis);

      PolicyChange third = change(a, policy("short", 10_000, 600_000, 5_000, 0));
      assertThat(third.policy().version()).isEqualTo(3);
      assertThat(a.store.policies().current("short").orElseThrow().version()).isEqualTo(3);
      assertThat(policyClaims(redis)).doesNotHaveDuplicates()
          .contains("policy:short:1", "policy:short:2", "policy:short:3");
    }
  }

  @Test
  void aNodeThatFindsRedisEmptyAtAReconnect_putsBackTheVersionsItKnows() throws Exception {
    try (RedisProcess server = new RedisProcess(dir); RedisNodes redis = new RedisNodes(server.uri())) {
      var a = redis.add("a", new SystemClock(), List.of(STANDARD, SHORT));
      change(a, policy("short", 20_000, 600_000, 10_000, 0));
      server.stop();
      server.start(); // empty: it keeps nothing on disk

      // Node a reconnects, reloads the policies, finds none and puts back what it knows.
      String hash = "{" + redis.prefix + "}:policies";
      await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(100))
          .until(() -> server.cli("hget", hash, "short").trim().equals("2")
              && server.cli("hget", hash, "standard").trim().equals("1"));
      assertThat(server.cli("hexists", hash, "short#1").trim()).isEqualTo("1");

      // A node started now finds its configured policy as the latest version: it adds none, so no
      // second "policy:standard:1"; a change goes on from the versions put back.
      var b = redis.add("b", new SystemClock(), List.of(STANDARD));
      assertThat(b.store.policies().current("short").orElseThrow().version()).isEqualTo(2);
      assertThat(change(b, policy("short", 10_000, 600_000, 5_000, 0)).policy().version()).isEqualTo(3);
      assertThat(policyClaims(redis)).doesNotHaveDuplicates()
          .containsExactlyInAnyOrder("policy:standard:1", "policy:short:1", "policy:short:2", "policy:short:3");
    }
  }
}
