package dev.curfew.store.redis;

import static dev.curfew.store.redis.RedisNodes.policy;
import static org.assertj.core.api.Assertions.assertThat;

import dev.curfew.core.Audience;
import dev.curfew.core.Decision;
import dev.curfew.core.Policy;
import dev.curfew.core.SystemClock;
import dev.curfew.core.SessionStatus;
import dev.curfew.core.Tokens;
import io.vertx.core.Future;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.RedisConnection;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import io.vertx.redis.client.impl.RequestImpl;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Concurrent checks gathered into {@code check.lua} calls get the decisions they get one at a time,
 * and a gathered batch is one script call. Needs Redis on 127.0.0.1:6379 (or -Dcurfew.test.redis=URI).
 */
class RedisCheckBatchesTest {
  private static final Policy STANDARD = policy("standard", 60_000, 3_600_000, 10_000, 2);
  // renew_every 1 s: a check 1.1 s after the opening is a rotation (rotate_due).
  private static final Policy ROTATING = Policy.builder("rotating").idleTimeout(Duration.ofMinutes(5))
      .absoluteTimeout(Duration.ofHours(1)).warnBefore(Duration.ZERO).renewEvery(Duration.ofMillis(1_000)).build();

  private final RedisNodes redis = new RedisNodes();
  /** The check.lua calls the node sent: the number of checks in each, and their keys. */
  private final List<List<String>> checkCalls = new CopyOnWriteArrayList<>();

  @AfterEach
  void close() throws Exception {
    redis.close();
  }

  /** What a decision says, to compare two decisions of the same kind of case. */
  record Shape(Decision.Verdict verdict, String reason, boolean newToken, String subject, boolean touched) {
  }

  /** One check to make: a token, whether it touches, where it is used, and what it should be. */
  record Case(String kind, String token, boolean touch, Audience usedAt, long openedAt) {
  }

  /**
   * {@code check.lua} reads only the fields a live session's status needs (Row.ofLive); the status
   * it answers with is the one the whole row gives ({@code get}, through session.lua), for a session
   * with attributes, an audience and two extensions used.
   */
  @Test
  void theFastPathsStatus_isTheWholeRowsStatus() throws Exception {
    redis.wrapClient = this::counting;
    var a = redis.add("a", new SystemClock(), List.of(STANDARD), RedisSessionStore.Settings.defaults());
    Decision opened = RedisAudienceTest.get(a.store.open("fields", "standard",
        Map.of("department", "finance", "ticket", 4711), Audience.route("/a"), "gateway:/a"));
    RedisAudienceTest.get(a.store.extend(opened.token()));
    RedisAudienceTest.get(a.store.extend(opened.token()));
    RedisAudienceTest.get(a.store.acknowledgeWarning(opened.token()));
    for (boolean touch : new boolean[] {false, true}) {
      checkCalls.clear();
      Decision fast = RedisAudienceTest.get(a.store.check(opened.token(), touch, Audience.route("/a")));
      assertThat(checkCalls).as("answered by check.lua").hasSize(1);
      Decision whole = RedisAudienceTest.get(a.store.get(opened.status().sessionId()));
      assertThat(fast.verdict()).isEqualTo(Decision.Verdict.ALLOWED);
      assertThat(fast.status()).usingRecursiveComparison().ignoringFields("serverTimeMs").isEqualTo(whole.status());
      assertThat(fast.status().extensionsUsed()).isEqualTo(2); // apart from the policy version (1)
      assertThat(fast.status().attributes()).containsEntry("department", "finance");
    }
  }

  @Test
  void concurrentChecks_acrossShards_decideAsOneAtATime() throws Exception {
    concurrentChecksDecideAsOneAtATime(true);
  }

  @Test
  void concurrentChecks_perShard_decideAsOneAtATime_oneShardACall() throws Exception {
    concurrentChecksDecideAsOneAtATime(false);
    String sha = sha();
    for (List<String> keys : checkCalls) {
      String tag = keys.get(0).substring(0, keys.get(0).indexOf('}') + 1);
      assertThat(keys).as("a call of " + sha + " holds one shard's keys").allMatch(k -> k.startsWith(tag));
    }
  }

  private String sha() {
    return redis.nodes.get(0).store.scripts.check.sha;
  }

  private void concurrentChecksDecideAsOneAtATime(boolean acrossShards) throws Exception {
    redis.wrapClient = this::counting;
    var a = redis.add("a", new SystemClock(), List.of(STANDARD, ROTATING),
        RedisSessionStore.Settings.defaults().withChecksAcrossShards(acrossShards));
    List<Case> oneAtATime = cases(a, "s");
    List<Case> together = cases(a, "c");
    Thread.sleep(1_100); // the rotating sessions are due for rotation now

    List<Shape> expected = new ArrayList<>();
    for (Case c : oneAtATime) expected.add(shape(c, RedisAudienceTest.get(a.store.check(c.token(), c.touch(), c.usedAt()))));
    checkCalls.clear();
    List<CompletableFuture<Decision>> answers = new ArrayList<>();
    for (Case c : together) answers.add(a.store.check(c.token(), c.touch(), c.usedAt()));
    List<Shape> actual = new ArrayList<>();
    for (int i = 0; i < together.size(); i++) actual.add(shape(together.get(i), RedisAudienceTest.get(answers.get(i))));

    assertThat(actual).isEqualTo(expected);
    // And each is what its case asks for, so that both runs are not wrong alike.
    for (int i = 0; i < together.size(); i++) {
      Shape s = actual.get(i);
      switch (together.get(i).kind()) {
        case "live", "untouched" -> assertThat(s.verdict()).isEqualTo(Decision.Verdict.ALLOWED);
        case "elsewhere" -> assertThat(s.verdict()).isEqualTo(Decision.Verdict.WRONG_AUDIENCE);
        case "unknown", "malformed" -> assertThat(s.reason()).isEqualTo("unknown");
        case "loggedOut" -> assertThat(s.reason()).isEqualTo("logged_out");
        case "rotating" -> assertThat(s.newToken()).isTrue();
        default -> throw new IllegalStateException(together.get(i).kind());
      }
    }
    assertThat(actual.stream().filter(Shape::touched).count()).isGreaterThan(0);
    // A touch sets each session's idle deadline from its own policy's timeout, though the two
    // policies' sessions were answered in the same calls (check.lua works each one out once a call).
    for (int i = 0; i < together.size(); i++) {
      SessionStatus st = RedisAudienceTest.get(answers.get(i)).status();
      if (!actual.get(i).touched() || st == null) continue;
      long idle = together.get(i).kind().equals("rotating") ? ROTATING.idleTimeoutMs() : STANDARD.idleTimeoutMs();
      assertThat(st.idleExpiresAtMs()).as(together.get(i).kind()).isEqualTo(st.lastActivityAtMs() + idle);
    }
    // Gathered: fewer calls than checks, every well-formed token in exactly one of them.
    long wellFormed = together.stream().filter(c -> Tokens.wellFormed(c.token())).count();
    assertThat(checkCalls.stream().mapToInt(List::size).sum()).isEqualTo((int) wellFormed);
    assertThat(checkCalls.size()).isLessThan((int) wellFormed);
  }

  /** Sessions of several subjects (so several shards) in every state a check meets. */
  private List<Case> cases(RedisNodes.Node a, String tag) throws Exception {
    List<Case> cases = new ArrayList<>();
    for (int i = 0; i < 8; i++) {
      String subject = tag + "-user-" + i;
      Decision d = RedisAudienceTest.get(a.store.open(subject, "standard", Map.of(), Audience.route("/a"), "gateway:/a"));
      long opened = d.status().createdAtMs();
      cases.add(new Case("live", d.token(), true, Audience.route("/a"), opened));
      cases.add(new Case("elsewhere", d.token(), true, Audience.route("/b"), opened));
      // A session of its own: calls under way at once may reach Redis in either order.
      Decision quiet = RedisAudienceTest.get(a.store.open(subject + "-quiet", "standard", Map.of(), Audience.route("/a"),
          "gateway:/a"));
      cases.add(new Case("untouched", quiet.token(), false, Audience.route("/a"), quiet.status().createdAtMs()));
      cases.add(new Case("live", d.token(), true, null, opened));
      Decision out = RedisAudienceTest.get(a.store.open(subject + "-out", "standard", Map.of()));
      RedisAudienceTest.get(a.store.logout(out.token()));
      cases.add(new Case("loggedOut", out.token(), true, null, 0));
      cases.add(new Case("unknown", Tokens.newToken(), true, null, 0));
      if (i % 2 == 0) {
        Decision r = RedisAudienceTest.get(a.store.open(subject + "-rot", "rotating", Map.of()));
        cases.add(new Case("rotating", r.token(), true, null, r.status().createdAtMs()));
      }
    }
    cases.add(new Case("malformed", "not a token", true, null, 0));
    return cases;
  }

  private static Shape shape(Case c, Decision d) {
    boolean touched = d.status() != null && d.status().lastActivityAtMs() > c.openedAt();
    return new Shape(d.verdict(), d.reason() == null ? null : d.reason().wire(), d.token() != null,
        d.status() == null ? null : d.status().subject().substring(1), touched); // less the tag (s or c)
  }

  @Test
  void aBatchIsOneScriptCall_andEveryCheckInItIsTouched() throws Exception {
    redis.wrapClient = this::counting;
    var a = redis.add("a", new SystemClock(), List.of(STANDARD),
        RedisSessionStore.Settings.defaults().withChecksAcrossShards(true));
    List<Decision> opened = new ArrayList<>();
    for (int i = 0; i < 60; i++) opened.add(RedisAudienceTest.get(a.store.open("batch-" + i, null, Map.of())));
    long before = opened.stream().mapToLong(d -> d.status().lastActivityAtMs()).max().orElseThrow();
    Thread.sleep(5);
    checkCalls.clear();
    List<CompletableFuture<Decision>> answers = new ArrayList<>();
    for (Decision d : opened) answers.add(a.store.check(d.token(), true));
    Set<Long> instants = new HashSet<>();
    for (CompletableFuture<Decision> f : answers) {
      Decision d = RedisAudienceTest.get(f);
      assertThat(d.allowed()).isTrue();
      assertThat(d.status().lastActivityAtMs()).isGreaterThan(before);
      instants.add(d.status().lastActivityAtMs());
    }
    assertThat(checkCalls.stream().mapToInt(List::size).sum()).isEqualTo(60);
    assertThat(checkCalls.size()).as("calls for 60 checks: %s", checkCalls.stream().map(List::size).toList())
        .isLessThanOrEqualTo(RedisSessionStore.CHECKS_IN_FLIGHT + 60 / 2);
    assertThat(checkCalls.stream().mapToInt(List::size).max().orElseThrow()).isGreaterThan(1);
    // One call reads Redis's TIME once: its checks share their instant, so there are no more instants than calls.
    assertThat(instants.size()).isLessThanOrEqualTo(checkCalls.size());
    // Each touch is in Redis: a fresh read by id (session.lua) sees it.
    for (Decision d : opened) {
      Decision now = RedisAudienceTest.get(a.store.get(d.status().sessionId()));
      assertThat(now.status().lastActivityAtMs()).isGreaterThan(before);
    }
  }

  /** A client that notes the keys of every check.lua call the node sends, then sends it. */
  private Redis counting(Redis inner) {
    return new Redis() {
      @Override
      public Future<RedisConnection> connect() {
        return inner.connect();
      }

      @Override
      public Future<Void> close() {
        return inner.close();
      }

      @Override
      public Future<Response> send(Request request) {
        if (request.command() == Command.EVALSHA && request instanceof RequestImpl r) {
          List<byte[]> args = r.getArgs();
          String sha = new String(args.get(0), StandardCharsets.UTF_8);
          if (!redis.nodes.isEmpty() && sha.equals(sha())) {
            int n = Integer.parseInt(new String(args.get(1), StandardCharsets.UTF_8));
            List<String> keys = new ArrayList<>(n);
            for (int i = 0; i < n; i++) keys.add(new String(args.get(2 + i), StandardCharsets.UTF_8));
            checkCalls.add(keys);
          }
        }
        return inner.send(request);
      }

      @Override
      public Future<List<Response>> batch(List<Request> requests) {
        return inner.batch(requests);
      }
    };
  }
}
