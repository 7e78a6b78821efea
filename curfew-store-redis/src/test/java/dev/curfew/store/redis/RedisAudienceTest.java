package dev.curfew.store.redis;

import static dev.curfew.store.redis.RedisNodes.policy;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.curfew.core.Audience;
import dev.curfew.core.Deadlines;
import dev.curfew.core.Decision;
import dev.curfew.core.Policy;
import dev.curfew.core.Refusals;
import dev.curfew.core.SessionEngine;
import dev.curfew.core.SystemClock;
import dev.curfew.core.audit.AuditRecord;
import dev.curfew.core.audit.RecordTypes;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The Redis store enforces the same audience, refusal and policy-narrowing rules as the embedded
 * engine, inside its scripts; the scripts' copies of the rules are checked against the core's.
 * Needs Redis on 127.0.0.1:6379 (or -Dcurfew.test.redis=URI).
 */
class RedisAudienceTest {
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
  void wrongAudience_isRefusedUntouched_recordedAtMostOnceASecond_andTheSessionLivesOn() throws Exception {
    var a = redis.add("a", new SystemClock(), List.of(STANDARD));
    Decision opened = get(a.store.open("alice", null, Map.of(), Audience.route("/a"), "gateway:/a"));
    AuditRecord created = a.records(RecordTypes.SESSION_CREATED).get(0);
    assertThat(created.data()).containsEntry("actor", "gateway:/a").containsEntry("audience", List.of("route:/a"));
    assertThat(opened.status().toMap().get("audience")).isEqualTo(List.of("route:/a"));

    long started = System.currentTimeMillis();
    for (int i = 0; i < 50; i++) {
      Decision d = get(a.store.check(opened.token(), true, Audience.route("/b")));
      assertThat(d.verdict()).isEqualTo(Decision.Verdict.WRONG_AUDIENCE);
    }
    long seconds = (System.currentTimeMillis() - started) / 1000 + 1;
    List<AuditRecord> refused = a.records(RecordTypes.REFUSED);
    assertThat(refused).isNotEmpty().hasSizeLessThanOrEqualTo((int) seconds);
    assertThat(refused.get(0).data()).containsEntry("reason", "wrong_audience").containsEntry("used_at", List.of("route:/b"));
    long counted = refused.size() + refused.stream().mapToLong(r -> ((Number) r.data().get("repeats")).longValue()).sum();
    Decision passive = get(a.store.check(opened.token(), false, Audience.route("/a")));
    assertThat(passive.allowed()).isTrue();
    assertThat(passive.status().lastActivityAtMs()).as("not touched").isEqualTo(opened.status().createdAtMs());
    assertThat(counted).isLessThanOrEqualTo(50);
    // the holder's own endpoints are not a place
    assertThat(get(a.store.check(opened.token(), false)).allowed()).isTrue();
  }

  @Test
  void open_refusesReservedAttributes() throws Exception {
    var a = redis.add("a", new SystemClock(), List.of(STANDARD));
    assertThatThrownBy(() -> a.store.open("alice", null, Map.of("CURFEW_kind", "console"), Audience.route("/"), "web"))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("CURFEW_kind");
  }

  @Test
  void warningAck_onlyAfterAWarning_onceEach_andRefusalsAreBounded() throws Exception {
    // The warning comes 10 s after opening (Redis's clock decides, so this is real time): room for
    // the 30 refused rounds below on a loaded machine, and 10 s more to acknowledge it.
    Policy quick = policy("quick", 20_000, 3_600_000, 10_000, 0);
    var a = redis.add("a", new SystemClock(), List.of(quick));
    Decision opened = get(a.store.open("bob", null, Map.of(), Audience.app("web"), "web"));
    long started = System.currentTimeMillis();
    for (int i = 0; i < 30; i++) {
      assertThat(get(a.store.acknowledgeWarning(opened.token())).detail()).isEqualTo(Refusals.NO_WARNING_SENT_TEXT);
      assertThat(get(a.store.extend(opened.token())).verdict()).isEqualTo(Decision.Verdict.REFUSED);
    }
    long seconds = (System.currentTimeMillis() - started) / 1000 + 1;
    int refusals = a.records(RecordTypes.REFUSED).size() + a.records(RecordTypes.EXTENSION_REFUSED).size();
    assertThat(refusals).isBetween(1, (int) seconds);
    await().atMost(Duration.ofSeconds(30)).until(() -> !a.records(RecordTypes.WARNING_SENT).isEmpty());
    assertThat(get(a.store.acknowledgeWarning(opened.token())).allowed()).isTrue();
    Decision again = get(a.store.acknowledgeWarning(opened.token()));
    assertThat(again.verdict()).isEqualTo(Decision.Verdict.REFUSED);
    assertThat(again.detail()).isEqualTo(Refusals.WARNING_ALREADY_ACKNOWLEDGED_TEXT);
    assertThat(a.records(RecordTypes.WARNING_ACKNOWLEDGED)).hasSize(1);
    assertThat(a.records(RecordTypes.WARNING_ACKNOWLEDGED).get(0).data().get("expires_at"))
        .isEqualTo(a.records(RecordTypes.WARNING_SENT).get(0).data().get("expires_at"));
  }

  @Test
  void applyToLive_neverLoosensASessionStillOnAnOlderTighterVersion() throws Exception {
    var a = redis.add("a", new SystemClock(), List.of(STANDARD));
    Decision opened = get(a.store.open("carol", null, Map.of()));
    assertThatThrownBy(() -> a.store.changePolicy(policy("standard", 60_000, 3_600_000, 10_000, 50), true, "admin"))
        .hasMessageContaining("max_extensions");
    a.store.changePolicy(policy("standard", 60_000, 3_600_000, 10_000, 50), false, "admin").get(30, TimeUnit.SECONDS);
    a.store.changePolicy(policy("standard", 30_000, 3_600_000, 10_000, 40), true, "admin").get(30, TimeUnit.SECONDS);
    Decision now = get(a.store.check(opened.token(), false));
    assertThat(now.status().policyVersion()).isEqualTo(3);
    assertThat(now.status().extensionsLeft()).isEqualTo(2);
    AuditRecord applied = a.records(RecordTypes.POLICY_APPLIED).get(0);
    assertThat(applied.data()).containsEntry("max_extensions", 2L).containsEntry("idle_timeout_ms", 30_000L);
  }

  /** common.lua's narrow and admits against Policy#narrowedBy and Audience#admits, on random inputs (fixed seed). */
  @Test
  void scriptRules_agreeWithTheCore() throws Exception {
    Redis client = Redis.createClient(redis.vertx, RedisNodes.options(RedisNodes.URI));
    try {
      String harness = Scripts.prelude() + Scripts.resource("common.lua") + "\n"
          + "if ARGV[1] == 'narrow' then\n"
          + "  local s = {ver = '1', idle = ARGV[2], abs = ARGV[3], warn = ARGV[4], maxext = ARGV[5], renew = ARGV[6]}\n"
          + "  narrow(s, {ver = '2', idle = ARGV[7], abs = ARGV[8], warn = ARGV[9], maxext = ARGV[10], renew = ARGV[11]})\n"
          + "  return {s.idle, s.abs, s.warn, s.maxext, s.renew}\n"
          + "end\n"
          + "if admits(ARGV[2], ARGV[3]) then return 1 end\nreturn 0\n";
      long seed = 20261126L;
      Random random = new Random(seed);
      for (int i = 0; i < 300; i++) {
        Policy p = randomPolicy(random);
        Policy n = randomPolicy(random).withVersion(2);
        Policy expected = p.narrowedBy(n);
        Response r = RedisNodes.get(client.send(eval(harness, "narrow", ms(p.idleTimeout()), ms(p.absoluteTimeout()),
            ms(p.warnBefore()), Integer.toString(p.maxExtensions()), ms(p.renewEvery()), ms(n.idleTimeout()),
            ms(n.absoluteTimeout()), ms(n.warnBefore()), Integer.toString(n.maxExtensions()), ms(n.renewEvery()))));
        assertThat(List.of(r.get(0).toString(), r.get(1).toString(), r.get(2).toString(), r.get(3).toString(),
            r.get(4).toString()))
            .as("seed %d, case %d: %s narrowed by %s", seed, i, p, n)
            .containsExactly(ms(expected.idleTimeout()), ms(expected.absoluteTimeout()), ms(expected.warnBefore()),
                Integer.toString(expected.maxExtensions()), ms(expected.renewEvery()));

        Audience have = randomAudience(random);
        Audience at = randomAudience(random);
        Response admitted = RedisNodes.get(client.send(eval(harness, "admits", have.wire(), at.wire())));
        assertThat(admitted.toInteger() == 1).as("seed %d, case %d: %s at %s", seed, i, have, at)
            .isEqualTo(have.admits(at));
      }
    } finally {
      client.close();
    }
  }

  /**
   * The deadline rules the scripts run (Deadlines#lua, through common.lua's wrappers over a
   * session's fields) against Deadlines' Java methods, on random inputs (fixed seed), ties included.
   */
  @Test
  void deadlineRules_agreeWithTheCore() throws Exception {
    Redis client = Redis.createClient(redis.vertx, RedisNodes.URI);
    try {
      String harness = Scripts.prelude() + Scripts.resource("common.lua") + "\n"
          + "local s = {ie = ARGV[1], ae = ARGV[2], warn = ARGV[3], wf = ARGV[4]}\n"
          + "local due = 0\nif warning_due(s) then due = 1 end\n"
          + "local rearm = 0\nif rearm_after_activity(tonumber(ARGV[5]), tonumber(s.wf), next_event(s)) then rearm = 1 end\n"
          + "return {tostring(expires(s)), timeout_reason(s), due, tostring(next_event(s)),"
          + " tostring(warning_at(expires(s), num(s, 'warn'))), rearm}\n";
      long seed = 20261204L;
      Random random = new Random(seed);
      for (int i = 0; i < 300; i++) {
        long base = 1_700_000_000_000L;
        long ie = base + random.nextInt(100_000);
        long ae = random.nextInt(5) == 0 ? ie : base + random.nextInt(100_000);
        long warn = random.nextInt(3) == 0 ? 0 : random.nextInt(50_000);
        long expires = Math.min(ie, ae);
        // wf: none sent (''), sent for the current expiry, or for an earlier one
        int w = random.nextInt(3);
        String wf = w == 0 ? "" : Long.toString(w == 1 ? expires : expires - 1 - random.nextInt(10_000));
        long warnedFor = wf.isEmpty() ? Long.MIN_VALUE : Long.parseLong(wf);
        // the expiry before activity moved it: the warned one (or not), before or after the new next event
        long previous = random.nextBoolean() && !wf.isEmpty() ? warnedFor : expires - random.nextInt(60_000);
        Response r = RedisNodes.get(client.send(eval(harness, Long.toString(ie), Long.toString(ae),
            Long.toString(warn), wf, Long.toString(previous))));
        assertThat(List.of(r.get(0).toString(), r.get(1).toString(), r.get(2).toString(), r.get(3).toString(),
            r.get(4).toString(), r.get(5).toString()))
            .as("seed %d, case %d: ie %d ae %d warn %d wf '%s' previous %d", seed, i, ie, ae, warn, wf, previous)
            .containsExactly(Long.toString(Deadlines.expiresAt(ie, ae)), Deadlines.timeoutReason(ie, ae).wire(),
                Deadlines.warningDue(expires, warn, warnedFor) ? "1" : "0",
                Long.toString(Deadlines.nextEventAt(ie, ae, warn, warnedFor)),
                Long.toString(Deadlines.warningAt(expires, warn)),
                Deadlines.rearmAfterActivity(previous, warnedFor, Deadlines.nextEventAt(ie, ae, warn, warnedFor)) ? "1" : "0");
      }
    } finally {
      client.close();
    }
  }

  private static Request eval(String script, String... args) {
    Request r = Request.cmd(Command.EVAL).arg(script).arg(0);
    for (String a : args) r.arg(a);
    return r;
  }

  private static String ms(Duration d) {
    return d == null ? "0" : Long.toString(d.toMillis());
  }

  private static Policy randomPolicy(Random r) {
    long idle = 1_000 + r.nextInt(600_000);
    long absolute = idle + r.nextInt(3_600_000);
    long warn = r.nextInt((int) idle);
    Duration renew = r.nextInt(3) == 0 ? null : Duration.ofMillis(1 + r.nextInt(900_000));
    return new Policy("p", 1, Duration.ofMillis(idle), Duration.ofMillis(absolute), Duration.ofMillis(warn),
        r.nextInt(20), renew, List.of());
  }

  private static Audience randomAudience(Random r) {
    String[] places = {"route:/", "route:/a", "app:web", "app:billing", "db:orders", "console", "mcp:/mcp"};
    List<String> out = new ArrayList<>();
    int n = 1 + r.nextInt(3);
    for (int i = 0; i < n; i++) out.add(places[r.nextInt(places.length)]);
    return Audience.of(out);
  }
}
