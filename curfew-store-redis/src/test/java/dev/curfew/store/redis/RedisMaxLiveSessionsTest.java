package dev.curfew.store.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.curfew.core.Audience;
import dev.curfew.core.Decision;
import dev.curfew.core.Policy;
import dev.curfew.core.SystemClock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * {@code max_live_sessions} with the Redis store: three nodes over the machine's Redis never hold
 * more live sessions together than the limit, each shard holding its share.
 */
class RedisMaxLiveSessionsTest {
  private static final Policy POLICY = Policy.builder("p").idleTimeout(Duration.ofMinutes(10))
      .absoluteTimeout(Duration.ofHours(1)).build();

  private final RedisNodes redis = new RedisNodes();

  @AfterEach
  void close() throws Exception {
    redis.close();
  }

  private List<RedisNodes.Node> threeNodes(int maxLive) throws Exception {
    List<RedisNodes.Node> nodes = new ArrayList<>();
    for (String n : List.of("a", "b", "c")) {
      nodes.add(redis.add(n, new SystemClock(), List.of(POLICY),
          RedisSessionStore.Settings.defaults().withMaxLiveSessions(maxLive)));
    }
    return nodes;
  }

  private static List<Decision> openAll(List<RedisNodes.Node> nodes, List<String> subjects) throws Exception {
    List<CompletableFuture<Decision>> all = new ArrayList<>();
    int i = 0;
    for (String subject : subjects) {
      RedisNodes.Node n = nodes.get(i++ % nodes.size());
      all.add(n.store.open(subject, "p", Map.of(), Audience.route("/"), "web-" + n.name));
    }
    List<Decision> out = new ArrayList<>();
    for (CompletableFuture<Decision> f : all) {
      Decision d = f.get(20, TimeUnit.SECONDS);
      d.durable().get(20, TimeUnit.SECONDS);
      out.add(d);
    }
    return out;
  }

  @Test
  void threeNodesRacingForOneShard_openExactlyItsShare_andTheRestAreUnavailable() throws Exception {
    // 32 in all: 2 for each of the 16 shards; every session of one subject is in the subject's shard.
    List<RedisNodes.Node> nodes = threeNodes(32);
    List<Decision> answers = openAll(nodes, java.util.Collections.nCopies(30, "alice"));
    List<Decision> allowed = answers.stream().filter(Decision::allowed).toList();
    assertThat(allowed).hasSize(2);
    assertThat(answers.stream().filter(d -> !d.allowed())).hasSize(28).allSatisfy(d -> {
      assertThat(d.verdict()).isEqualTo(Decision.Verdict.UNAVAILABLE);
      assertThat(d.detail()).isEqualTo("live session limit reached (32)");
    });
    assertThat(nodes.get(0).store.sessionsOf("alice").get(10, TimeUnit.SECONDS)).hasSize(2);

    // An ending frees its place, on any node.
    Decision revoked = nodes.get(2).store.revoke(allowed.get(0).status().sessionId(), "ops", "test")
        .get(10, TimeUnit.SECONDS);
    assertThat(revoked.allowed()).isTrue();
    assertThat(openAll(nodes, List.of("alice", "alice")).stream().filter(Decision::allowed)).hasSize(1);
  }

  @Test
  void manySubjectsOnThreeNodes_neverHoldMoreThanTheLimit() throws Exception {
    List<RedisNodes.Node> nodes = threeNodes(20);
    List<String> subjects = new ArrayList<>();
    for (int i = 0; i < 400; i++) subjects.add("user-" + i);
    List<Decision> answers = openAll(nodes, subjects);
    long allowed = answers.stream().filter(Decision::allowed).count();
    // 400 subjects cover every shard: each fills its share (two for four shards, one for the others).
    assertThat(allowed).isEqualTo(20);
    assertThat(answers.stream().filter(d -> !d.allowed()))
        .allSatisfy(d -> assertThat(d.verdict()).isEqualTo(Decision.Verdict.UNAVAILABLE));
  }

  @Test
  void aLimitBelowTheShardCountIsRefusedAtStart() {
    assertThatThrownBy(() -> RedisSessionStore.Settings.defaults().withMaxLiveSessions(15))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("max_live_sessions must be at least 16 with store: redis");
  }
}
