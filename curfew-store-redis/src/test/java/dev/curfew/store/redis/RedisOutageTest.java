package dev.curfew.store.redis;

import static dev.curfew.store.redis.RedisNodes.policy;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import dev.curfew.core.Decision;
import dev.curfew.core.Policy;
import dev.curfew.core.StoreUnavailable;
import dev.curfew.core.SystemClock;
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
}
