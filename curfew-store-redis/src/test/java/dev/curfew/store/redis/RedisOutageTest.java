package dev.curfew.store.redis;

import static dev.curfew.store.redis.RedisNodes.policy;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;
import static org.awaitility.Awaitility.await;

import dev.curfew.core.Decision;
import dev.curfew.core.Policy;
import dev.curfew.core.StoreUnavailable;
import dev.curfew.core.SystemClock;
import dev.curfew.core.audit.RecordTypes;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A node over a private Redis that is stopped, paused or refuses writes: every operation fails
 * closed as {@code UNAVAILABLE} (or {@link StoreUnavailable} where the answer is a list), and its
 * detail says what happened as far as the node can know it.
 */
class RedisOutageTest {
  private static final Policy STANDARD = policy("standard", 60_000, 3_600_000, 10_000, 2);
  /** Short, so that a paused Redis costs the test little. */
  private static final RedisSessionStore.Settings SETTINGS = RedisSessionStore.Settings.defaults()
      .withTimeout(Duration.ofMillis(700));

  @TempDir Path dir;
  private RedisProcess server;
  private RedisNodes redis;

  @AfterEach
  void close() throws Exception {
    if (server != null) server.resume();
    if (redis != null) redis.close();
    if (server != null) server.close();
  }

  private RedisNodes.Node node() throws Exception {
    server = new RedisProcess(dir);
    redis = new RedisNodes(server.uri());
    return redis.add("a", new SystemClock(), List.of(STANDARD), SETTINGS);
  }

  private static Decision get(CompletableFuture<Decision> f) throws Exception {
    return f.get(30, TimeUnit.SECONDS);
  }

  private static Throwable failureOf(CompletableFuture<?> f) {
    return catchThrowable(() -> f.get(30, TimeUnit.SECONDS));
  }

  @Test
  void listingASubjectsSessionsWhileRedisIsStopped_failsAsUnavailable() throws Exception {
    var a = node();
    get(a.store.open("bob", null, Map.of()));
    server.stop();

    Throwable f = failureOf(a.store.sessionsOf("bob"));
    assertThat(StoreUnavailable.in(f)).as("%s", f).isNotNull();
    assertThat(StoreUnavailable.in(f).getMessage()).isEqualTo("the session store (Redis) cannot be reached");
  }

  @Test
  void listingASubjectsSessionsWhileRedisIsPaused_failsAsUnavailableAfterTheTimeout() throws Exception {
    var a = node();
    get(a.store.open("bob", null, Map.of()));
    server.pause();

    Throwable f = failureOf(a.store.sessionsOf("bob"));
    assertThat(StoreUnavailable.in(f)).as("%s", f).isNotNull();
    assertThat(StoreUnavailable.in(f).getMessage()).isEqualTo("no answer from the session store (Redis) within 700 ms");
  }

  @Test
  void aChangeWithoutAnAnswerInTime_saysItMayStillTakeEffect_andItDoes() throws Exception {
    var a = node();
    Decision opened = get(a.store.open("bob", null, Map.of()));
    String id = opened.status().sessionId();
    server.pause();

    Decision extended = get(a.store.extend(opened.token()));
    assertThat(extended.verdict()).isEqualTo(Decision.Verdict.UNAVAILABLE);
    assertThat(extended.detail())
        .isEqualTo("no answer from the session store (Redis) within 700 ms; the change may still take effect");
    // A read changes nothing, nor does a check without a touch: no such clause.
    assertThat(get(a.store.get(id)).detail()).isEqualTo("no answer from the session store (Redis) within 700 ms");
    assertThat(get(a.store.check(opened.token(), false)).detail())
        .isEqualTo("no answer from the session store (Redis) within 700 ms");
    assertThat(get(a.store.check(opened.token(), true)).detail())
        .isEqualTo("no answer from the session store (Redis) within 700 ms; the change may still take effect");

    // Redis runs what it was sent once it resumes: the extension answered 503 took effect, and its
    // pending entry gets its record once the lease runs out.
    server.resume();
    await().atMost(Duration.ofSeconds(30)).until(() -> get(a.store.get(id)).status().extensionsUsed() == 1);
    await().atMost(Duration.ofSeconds(30)).until(() -> !a.records(RecordTypes.EXTENDED).isEmpty());
  }

  @Test
  void aRefusedConnection_saysTheStoreCannotBeReached() throws Exception {
    var a = node();
    Decision opened = get(a.store.open("bob", null, Map.of()));
    server.stop();

    assertThat(get(a.store.extend(opened.token())).detail()).isEqualTo("the session store (Redis) cannot be reached");
    assertThat(get(a.store.open("carol", null, Map.of())).detail()).isEqualTo("the session store (Redis) cannot be reached");
  }

  @Test
  void anErrorFromRedis_isNamedNotCalledUnreachable() throws Exception {
    var a = node();
    Decision opened = get(a.store.open("bob", null, Map.of()));
    assertThat(server.cli("config", "set", "maxmemory", "1")).contains("OK");

    Decision refused = get(a.store.open("carol", null, Map.of()));
    assertThat(refused.verdict()).isEqualTo(Decision.Verdict.UNAVAILABLE);
    assertThat(refused.detail()).isEqualTo("the session store (Redis) answered with an error (OOM)");
    assertThat(get(a.store.extend(opened.token())).detail())
        .isEqualTo("the session store (Redis) answered with an error (OOM)");
    server.cli("config", "set", "maxmemory", "0");
  }

  @Test
  void aPolicyVersionWithoutAnAnswerInTime_failsAsUnavailableSayingItMayStillTakeEffect_andItDoes() throws Exception {
    var a = node();
    server.pause();

    Throwable f = failureOf(a.store.changePolicy(policy("standard", 30_000, 3_600_000, 10_000, 2), false, "admin"));
    assertThat(StoreUnavailable.in(f)).as("%s", f).isNotNull();
    assertThat(StoreUnavailable.in(f).getMessage())
        .isEqualTo("no answer from the session store (Redis) within 700 ms; the change may still take effect");

    // Once Redis resumes, the version is there, and its policy.changed is recorded after the lease.
    server.resume();
    await().atMost(Duration.ofSeconds(30))
        .until(() -> a.store.policies().current("standard").orElseThrow().version() == 2);
    await().atMost(Duration.ofSeconds(30)).until(() -> a.records(RecordTypes.POLICY_CHANGED).stream()
        .anyMatch(r -> "policy:standard:2".equals(r.data().get("claim"))));
  }
}
