package dev.curfew.core.contract;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.curfew.core.Audience;
import dev.curfew.core.ConcurrencyLimit;
import dev.curfew.core.Decision;
import dev.curfew.core.EndReason;
import dev.curfew.core.IdpLogout;
import dev.curfew.core.Policy;
import dev.curfew.core.Refusals;
import dev.curfew.core.SessionAttributes;
import dev.curfew.core.SessionStatus;
import dev.curfew.core.SessionStore;
import dev.curfew.core.Tokens;
import dev.curfew.core.audit.AuditRecord;
import dev.curfew.core.audit.RecordTypes;
import dev.curfew.core.audit.Times;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * What every {@link SessionStore} must do, run against each store by a subclass: every operation
 * and every refusal, with the FULL audit records compared field by field against one expectation,
 * so that the stores agree with the spec and with each other.
 *
 * <p>Stores decide on different clocks (the embedded store on a clock the test moves, the Redis
 * store on Redis's own), so instants are the one thing masked: every time in a record becomes
 * {@code <time>} and {@code lead_ms}/{@code lateness_ms} become {@code <ms>}; what ties them
 * together is checked on every record instead ({@link #checkRelations}: a deadline is the record's
 * time plus the timeout, a lead is the time left, a lateness is detection minus deadline). Session
 * ids become {@code S1, S2, ...} in order of first appearance, wherever they occur.
 *
 * <p>{@link #runSchedule} is the schedule property of {@code SessionEnginePropertiesTest} over the
 * store interface (no resurrection, never valid past a deadline, exactly one ending record per
 * session); each subclass runs it from its own jqwik property, with its own tries and a fixed seed.
 */
public abstract class SessionStoreContract {
  /** A store under test, its node's records, and its clock. */
  public interface Harness extends AutoCloseable {
    SessionStore store();

    /** Every record the store appended, in order. */
    List<AuditRecord> records();

    /** Lets {@code ms} pass on the store's clock; nothing else (a store whose scheduler runs by itself may act meanwhile). */
    void pass(long ms) throws Exception;

    /** Lets the store's deadline scheduler act on what is due now (a store whose scheduler runs by itself: nothing). */
    void runTimers();

    /** Makes the store's audit sink writable or not (a full disk, a lost database). */
    void auditWritable(boolean writable);
  }

  /** A store with {@code policies} (the first is the default), empty, its records empty or marked. */
  protected abstract Harness start(List<Policy> policies) throws Exception;

  // ---------------------------------------------------------------- policies

  protected static final Policy STANDARD = Policy.of("standard", Duration.ofSeconds(60), Duration.ofHours(1),
      Duration.ofSeconds(10), 1);
  protected static final Policy NO_EXTENSIONS = Policy.of("noext", Duration.ofSeconds(60), Duration.ofHours(1),
      Duration.ofSeconds(10), 0);
  /** The absolute deadline one second after the idle one. */
  protected static final Policy TIGHT = Policy.of("tight", Duration.ofSeconds(60), Duration.ofSeconds(61),
      Duration.ofSeconds(10), 3);
  /** Warns 500 ms after opening (or after activity). */
  protected static final Policy WARNS = Policy.of("warns", Duration.ofMillis(3_000), Duration.ofHours(1),
      Duration.ofMillis(2_500), 2);
  protected static final Policy SHORT = Policy.of("short", Duration.ofMillis(400), Duration.ofHours(1),
      Duration.ZERO, 0);
  protected static final Policy ABSOLUTE = Policy.of("absolute", Duration.ofMillis(900), Duration.ofMillis(1_000),
      Duration.ZERO, 0);
  /** Rotates every 300 ms; the rotation grace is min(5 s, 300 ms). */
  protected static final Policy ROTATES = new Policy("rotates", 1, Duration.ofSeconds(60), Duration.ofHours(1),
      Duration.ofSeconds(10), 1, Duration.ofMillis(300), List.of());
  protected static final Policy ONE_END_OLDEST = STANDARD.withVersion(1).withConcurrency(
      new ConcurrencyLimit(1, ConcurrencyLimit.WhenExceeded.END_OLDEST, ConcurrencyLimit.Scope.SUBJECT));
  protected static final Policy ONE_REFUSE_NEW = STANDARD.withVersion(1).withConcurrency(
      new ConcurrencyLimit(1, ConcurrencyLimit.WhenExceeded.REFUSE_NEW, ConcurrencyLimit.Scope.SUBJECT));

  protected static final Policy TWO_END_OLDEST = STANDARD.withVersion(1).withConcurrency(
      new ConcurrencyLimit(2, ConcurrencyLimit.WhenExceeded.END_OLDEST, ConcurrencyLimit.Scope.SUBJECT));

  private static final List<Policy> ALL = List.of(STANDARD, NO_EXTENSIONS, TIGHT, WARNS, SHORT, ABSOLUTE, ROTATES,
      rename(ONE_END_OLDEST, "one-end-oldest"), rename(ONE_REFUSE_NEW, "one-refuse-new"),
      rename(TWO_END_OLDEST, "two-end-oldest"));

  private static Policy rename(Policy p, String name) {
    return new Policy(name, 1, p.idleTimeout(), p.absoluteTimeout(), p.warnBefore(), p.maxExtensions(), p.renewEvery(),
        p.complyWith(), p.concurrency());
  }

  private static final Audience WEB = Audience.app("web");
  private static final String ACTOR = "key-1";

  protected Harness h;
  private int mark;

  @BeforeEach
  void startStore() throws Exception {
    h = start(ALL);
    mark = h.records().size();
  }

  @AfterEach
  void stopStore() throws Exception {
    if (h != null) h.close();
  }

  // ---------------------------------------------------------------- helpers

  protected static <T> T get(CompletableFuture<T> f) throws Exception {
    return f.get(30, TimeUnit.SECONDS);
  }

  /** An answer, once its records are durable. */
  protected static Decision done(CompletableFuture<Decision> f) throws Exception {
    Decision d = get(f);
    d.durable().get(30, TimeUnit.SECONDS);
    return d;
  }

  private Decision open(String subject, String policy) throws Exception {
    return done(h.store().open(subject, policy, Map.of("ip", "10.0.0.1"), WEB, ACTOR));
  }

  /** The records since the test began, normalised. */
  private List<Map<String, Object>> trail() {
    List<AuditRecord> all = h.records();
    List<AuditRecord> mine = new ArrayList<>(all.subList(mark, all.size()));
    mine.forEach(SessionStoreContract::checkRelations);
    return normalise(mine);
  }

  /** Waits until a record of {@code type} is in the trail, letting the store's scheduler act. */
  private void awaitRecord(String type) {
    await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(20)).until(() -> {
      h.runTimers();
      return h.records().subList(mark, h.records().size()).stream().anyMatch(r -> r.type().equals(type));
    });
  }

  /** An expected record: type, session alias (null: none), subject, policy, version, data. */
  private static Map<String, Object> rec(String type, String alias, String subject, String policy, int version,
      Map<String, Object> data) {
    Map<String, Object> m = new TreeMap<>();
    m.put("type", type);
    if (alias != null) {
      m.put("session_id", alias);
      m.put("subject", subject);
      m.put("policy", policy);
      m.put("policy_version", (long) version);
    }
    m.put("data", new TreeMap<>(data));
    return m;
  }

  private static final String T = "<time>";
  private static final String MS = "<ms>";

  /** {@code key, value, key, value, ...} as an ordered map (values may be null-free only). */
  private static Map<String, Object> data(Object... kv) {
    Map<String, Object> m = new LinkedHashMap<>();
    for (int i = 0; i < kv.length; i += 2) m.put((String) kv[i], kv[i + 1]);
    return m;
  }

  private static Map<String, Object> created(Policy p, Map<String, Object> attributes) {
    Map<String, Object> d = data("idle_timeout_ms", p.idleTimeoutMs(), "absolute_timeout_ms", p.absoluteTimeoutMs(),
        "warn_before_ms", p.warnBeforeMs(), "max_extensions", (long) p.maxExtensions(),
        "idle_expires_at", T, "absolute_expires_at", T, "attributes", attributes, "actor", ACTOR,
        "audience", List.of("app:web"));
    if (p.renewEvery() != null) d.put("renew_every_ms", p.renewEvery().toMillis());
    return d;
  }

  private static final Map<String, Object> IP = Map.of("ip", "10.0.0.1");

  /** Records with times masked and session ids aliased by order of first appearance. */
  static List<Map<String, Object>> normalise(List<AuditRecord> records) {
    Map<String, String> alias = new HashMap<>();
    for (AuditRecord r : records) {
      if (r.sessionId() != null) alias.computeIfAbsent(r.sessionId(), k -> "S" + (alias.size() + 1));
    }
    // Ids that appear only in data (a refused opening's live sessions, say) are aliased too.
    for (AuditRecord r : records) collectIds(withoutClaim(r.data()), alias);
    List<Map<String, Object>> out = new ArrayList<>();
    for (AuditRecord r : records) {
      Map<String, Object> m = new TreeMap<>();
      m.put("type", r.type());
      if (r.sessionId() != null) {
        m.put("session_id", alias.get(r.sessionId()));
        m.put("subject", r.subject());
        m.put("policy", r.policy());
        m.put("policy_version", (long) r.policyVersion());
      }
      m.put("data", mask(withoutClaim(r.data()), alias));
      out.add(m);
    }
    return out;
  }

  /**
   * A record's data without {@code claim}: the claim a store with several nodes writes a change
   * under (docs/distributed.md) names that store's pending entry, not the session's life.
   */
  private static Map<String, Object> withoutClaim(Map<String, Object> data) {
    if (!data.containsKey("claim")) return data;
    Map<String, Object> out = new java.util.LinkedHashMap<>(data);
    out.remove("claim");
    return out;
  }

  private static void collectIds(Object v, Map<String, String> alias) {
    if (v instanceof String s && s.startsWith("s_") && s.length() > 10) {
      alias.computeIfAbsent(s, k -> "S" + (alias.size() + 1));
    } else if (v instanceof Map<?, ?> m) {
      m.values().forEach(x -> collectIds(x, alias));
    } else if (v instanceof List<?> l) {
      l.forEach(x -> collectIds(x, alias));
    }
  }

  private static Map<String, Object> mask(Map<String, Object> data, Map<String, String> alias) {
    Map<String, Object> out = new TreeMap<>();
    data.forEach((k, v) -> {
      if (k.equals("lead_ms") || k.equals("lateness_ms")) {
        out.put(k, MS);
      } else {
        out.put(k, maskValue(v, alias));
      }
    });
    return out;
  }

  private static Object maskValue(Object v, Map<String, String> alias) {
    if (v instanceof String s) {
      if (alias.containsKey(s)) return alias.get(s);
      if (s.matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z")) return T;
      return s;
    }
    if (v instanceof Map<?, ?> m) {
      @SuppressWarnings("unchecked")
      Map<String, Object> mm = (Map<String, Object>) m;
      Map<String, Object> out = new TreeMap<>();
      mm.forEach((k, x) -> out.put(k, k.equals("attributes") ? x : maskValue(x, alias)));
      return out;
    }
    if (v instanceof List<?> l) {
      List<Object> out = new ArrayList<>();
      for (Object x : l) out.add(maskValue(x, alias));
      return out;
    }
    return v;
  }

  private static long t(AuditRecord r, String key) {
    return Times.parse((String) r.data().get(key));
  }

  /** What ties a record's instants together, the same in every store. */
  static void checkRelations(AuditRecord r) {
    Map<String, Object> d = r.data();
    switch (r.type()) {
      case RecordTypes.SESSION_CREATED -> {
        assertThat(t(r, "idle_expires_at")).as("created: idle deadline").isEqualTo(r.timeMs() + (long) d.get("idle_timeout_ms"));
        assertThat(t(r, "absolute_expires_at")).as("created: absolute deadline")
            .isEqualTo(r.timeMs() + (long) d.get("absolute_timeout_ms"));
      }
      case RecordTypes.WARNING_SENT -> assertThat((long) d.get("lead_ms")).as("warning: lead")
          .isEqualTo(t(r, "expires_at") - r.timeMs());
      case RecordTypes.EXPIRED -> {
        assertThat(t(r, "detected_at")).isEqualTo(r.timeMs());
        assertThat((long) d.get("lateness_ms")).isEqualTo(t(r, "detected_at") - t(r, "deadline"));
        assertThat((long) d.get("lateness_ms")).isGreaterThanOrEqualTo(0);
      }
      case RecordTypes.EXTENDED -> assertThat(t(r, "expires_at")).isLessThanOrEqualTo(t(r, "idle_expires_at"));
      case RecordTypes.ROTATED -> assertThat(t(r, "renewed_at")).isEqualTo(r.timeMs());
      case RecordTypes.POLICY_APPLIED -> assertThat(t(r, "expires_at"))
          .isEqualTo(Math.min(t(r, "idle_expires_at"), t(r, "absolute_expires_at")));
      default -> { }
    }
  }

  // ---------------------------------------------------------------- opening and checking

  @Test
  void open_check_touch_get() throws Exception {
    Decision d = open("alice", "standard");
    assertThat(d.verdict()).isEqualTo(Decision.Verdict.ALLOWED);
    assertThat(d.token()).isNotNull();
    SessionStatus s = d.status();
    assertThat(s.subject()).isEqualTo("alice");
    assertThat(s.policy()).isEqualTo("standard");
    assertThat(s.policyVersion()).isEqualTo(1);
    assertThat(s.idleExpiresAtMs() - s.createdAtMs()).isEqualTo(60_000);
    assertThat(s.absoluteExpiresAtMs() - s.createdAtMs()).isEqualTo(3_600_000);
    assertThat(s.warningAtMs()).isEqualTo(s.expiresAtMs() - 10_000);
    assertThat(s.extensionsLeft()).isEqualTo(1);
    assertThat(s.attributes()).isEqualTo(IP);
    assertThat(s.audience()).isEqualTo(WEB);

    Decision passive = done(h.store().check(d.token(), false));
    assertThat(passive.allowed()).isTrue();
    assertThat(passive.token()).isNull();
    assertThat(passive.status().lastActivityAtMs()).isEqualTo(s.createdAtMs());
    h.pass(50);
    Decision touched = done(h.store().check(d.token(), true));
    assertThat(touched.status().lastActivityAtMs()).isGreaterThanOrEqualTo(s.createdAtMs() + 50);
    assertThat(touched.status().idleExpiresAtMs()).isEqualTo(touched.status().lastActivityAtMs() + 60_000);
    assertThat(touched.status().absoluteExpiresAtMs()).isEqualTo(s.absoluteExpiresAtMs());
    // At an enforcement point of the session's audience: valid too.
    assertThat(done(h.store().check(d.token(), false, WEB)).allowed()).isTrue();

    Decision byId = done(h.store().get(s.sessionId()));
    assertThat(byId.allowed()).isTrue();
    assertThat(byId.status().sessionId()).isEqualTo(s.sessionId());
    assertThat(byId.status().lastActivityAtMs()).isEqualTo(touched.status().lastActivityAtMs());

    assertThat(trail()).containsExactly(rec(RecordTypes.SESSION_CREATED, "S1", "alice", "standard", 1,
        created(STANDARD, IP)));
  }

  @Test
  void open_refusesBadRequestsBeforeAnyIo() {
    SessionStore st = h.store();
    assertThatThrownBy(() -> st.open("", null, Map.of(), WEB, ACTOR))
        .isInstanceOf(IllegalArgumentException.class).hasMessage("subject must be 1-256 characters");
    assertThatThrownBy(() -> st.open("x".repeat(257), null, Map.of(), WEB, ACTOR))
        .isInstanceOf(IllegalArgumentException.class).hasMessage("subject must be 1-256 characters");
    assertThatThrownBy(() -> st.open("alice", "nope", Map.of(), WEB, ACTOR))
        .isInstanceOf(IllegalArgumentException.class).hasMessage("unknown policy \"nope\"");
    assertThatThrownBy(() -> st.open("alice", null, Map.of("curfew.x", 1L), WEB, ACTOR))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("reserved namespace");
    assertThatThrownBy(() -> st.open("alice", null, Map.of(), Audience.NOWHERE, ACTOR))
        .isInstanceOf(IllegalArgumentException.class).hasMessage("audience must name at least one place");
    assertThatThrownBy(() -> st.open("alice", null, Map.of(), WEB, " "))
        .isInstanceOf(IllegalArgumentException.class).hasMessage("actor must be 1-300 characters");
    assertThat(trail()).isEmpty();
  }

  @Test
  void unknownTokensAndIds_areRefusedWithoutRecords() throws Exception {
    for (String token : List.of("not-a-token", Tokens.newToken())) {
      for (Decision d : List.of(done(h.store().check(token, false)), done(h.store().check(token, true)),
          done(h.store().extend(token)), done(h.store().acknowledgeWarning(token)), done(h.store().logout(token)))) {
        assertThat(d.verdict()).isEqualTo(Decision.Verdict.ENDED);
        assertThat(d.reason()).isEqualTo(EndReason.UNKNOWN);
      }
    }
    String id = Tokens.newSessionId();
    assertThat(done(h.store().get(id)).verdict()).isEqualTo(Decision.Verdict.NOT_FOUND);
    assertThat(done(h.store().revoke(id, "admin", "x")).verdict()).isEqualTo(Decision.Verdict.NOT_FOUND);
    assertThat(get(h.store().sessionsOf("nobody"))).isEmpty();
    assertThat(trail()).isEmpty();
  }

  @Test
  void wrongAudience_isRefusedUntouchedAndRecordedOncePerSecond() throws Exception {
    Decision d = open("alice", "standard");
    Audience elsewhere = Audience.route("/admin");
    Decision refused = done(h.store().check(d.token(), true, elsewhere));
    assertThat(refused.verdict()).isEqualTo(Decision.Verdict.WRONG_AUDIENCE);
    assertThat(refused.detail()).isEqualTo("this session may be used at app:web, not at route:/admin");
    assertThat(refused.refusalReason()).isEqualTo("wrong_audience");
    Decision again = done(h.store().check(d.token(), true, elsewhere));
    assertThat(again.verdict()).isEqualTo(Decision.Verdict.WRONG_AUDIENCE);
    Decision still = done(h.store().check(d.token(), false));
    assertThat(still.allowed()).isTrue();
    assertThat(still.status().lastActivityAtMs()).as("untouched").isEqualTo(d.status().createdAtMs());

    assertThat(trail()).containsExactly(
        rec(RecordTypes.SESSION_CREATED, "S1", "alice", "standard", 1, created(STANDARD, IP)),
        rec(RecordTypes.REFUSED, "S1", "alice", "standard", 1,
            data("reason", "wrong_audience", "repeats", 0L, "used_at", List.of("route:/admin"))));
  }

  /** Refusals of an ended token: one record a second, the others counted in the next one's repeats. */
  @Test
  void refusals_areRecordedOnceASecond_withTheirRepeats() throws Exception {
    Decision d = open("alice", "standard");
    done(h.store().logout(d.token()));
    for (int i = 0; i < 3; i++) assertThat(done(h.store().check(d.token(), i % 2 == 0)).reason()).isEqualTo(EndReason.LOGGED_OUT);
    h.pass(1_000);
    assertThat(done(h.store().extend(d.token())).reason()).isEqualTo(EndReason.LOGGED_OUT);
    assertThat(trail()).containsExactly(
        rec(RecordTypes.SESSION_CREATED, "S1", "alice", "standard", 1, created(STANDARD, IP)),
        rec(RecordTypes.LOGGED_OUT, "S1", "alice", "standard", 1, Map.of()),
        rec(RecordTypes.REFUSED, "S1", "alice", "standard", 1, data("reason", "logged_out", "repeats", 0L)),
        rec(RecordTypes.REFUSED, "S1", "alice", "standard", 1, data("reason", "logged_out", "repeats", 2L)));
  }

  /** Without a writable audit log every change is refused as unavailable, and nothing is half done. */
  @Test
  void failClosed_whenTheAuditLogCannotBeWritten() throws Exception {
    Decision d = open("alice", "standard");
    String id = d.status().sessionId();
    h.auditWritable(false);
    try {
      for (Decision x : List.of(get(h.store().open("alice", null, Map.of(), WEB, ACTOR)), get(h.store().check(d.token(), true)),
          get(h.store().extend(d.token())), get(h.store().acknowledgeWarning(d.token())), get(h.store().logout(d.token())),
          get(h.store().get(id)), get(h.store().revoke(id, "admin", "x")))) {
        assertThat(x.verdict()).isEqualTo(Decision.Verdict.UNAVAILABLE);
        assertThat(x.detail()).isEqualTo("the audit log cannot be written");
      }
      assertThat(get(h.store().revokeSubject("alice", "admin", "x")).revoked()).isEqualTo(-1);
      assertThat(get(h.store().endIdpSessions(new IdpLogout("okta", null, "alice", "jti-3"))).revoked()).isEqualTo(-1);
      assertThat(get(h.store().changePolicy(STANDARD, false, "admin")).policy()).isNull();
    } finally {
      h.auditWritable(true);
    }
    Decision after = done(h.store().check(d.token(), false));
    assertThat(after.allowed()).isTrue();
    assertThat(after.status().lastActivityAtMs()).as("untouched").isEqualTo(d.status().createdAtMs());
    assertThat(after.status().extensionsUsed()).isZero();
    assertThat(trail()).containsExactly(
        rec(RecordTypes.SESSION_CREATED, "S1", "alice", "standard", 1, created(STANDARD, IP)));
  }

  // ---------------------------------------------------------------- extensions and warnings

  @Test
  void extend_isAllowedUntilTheCapThenRefused() throws Exception {
    Decision d = open("alice", "standard");
    h.pass(20);
    Decision extended = done(h.store().extend(d.token()));
    assertThat(extended.allowed()).isTrue();
    assertThat(extended.status().extensionsUsed()).isEqualTo(1);
    assertThat(extended.status().extensionsLeft()).isZero();
    assertThat(extended.status().idleExpiresAtMs()).isEqualTo(extended.status().lastActivityAtMs() + 60_000);
    Decision refused = done(h.store().extend(d.token()));
    assertThat(refused.verdict()).isEqualTo(Decision.Verdict.REFUSED);
    assertThat(refused.detail()).isEqualTo("no extensions left (1 used)");
    assertThat(refused.status().extensionsUsed()).isEqualTo(1);
    // Within the second: counted, not recorded.
    assertThat(done(h.store().extend(d.token())).verdict()).isEqualTo(Decision.Verdict.REFUSED);

    Decision none = open("bob", "noext");
    Decision refusedNone = done(h.store().extend(none.token()));
    assertThat(refusedNone.detail()).isEqualTo("the policy allows no extensions");

    assertThat(trail()).containsExactly(
        rec(RecordTypes.SESSION_CREATED, "S1", "alice", "standard", 1, created(STANDARD, IP)),
        rec(RecordTypes.EXTENDED, "S1", "alice", "standard", 1, data("previous_expires_at", T, "expires_at", T,
            "extensions_used", 1L, "idle_expires_at", T)),
        rec(RecordTypes.EXTENSION_REFUSED, "S1", "alice", "standard", 1,
            data("why", "no extensions left (1 used)", "repeats", 0L)),
        rec(RecordTypes.SESSION_CREATED, "S2", "bob", "noext", 1, created(NO_EXTENSIONS, IP)),
        rec(RecordTypes.EXTENSION_REFUSED, "S2", "bob", "noext", 1,
            data("why", "the policy allows no extensions", "repeats", 0L)));
    AuditRecord ext = h.records().stream().filter(r -> r.type().equals(RecordTypes.EXTENDED)).findFirst().orElseThrow();
    assertThat(t(ext, "previous_expires_at")).isEqualTo(d.status().idleExpiresAtMs());
    assertThat(t(ext, "idle_expires_at")).isEqualTo(ext.timeMs() + 60_000);
  }

  @Test
  void extend_isRefusedWhenTheAbsoluteDeadlineIsTheLimit() throws Exception {
    Decision d = open("alice", "tight");
    h.pass(1_100);
    // The idle deadline still comes first: this one is allowed, and takes it past the absolute one.
    assertThat(done(h.store().extend(d.token())).allowed()).isTrue();
    Decision refused = done(h.store().extend(d.token()));
    assertThat(refused.verdict()).isEqualTo(Decision.Verdict.REFUSED);
    assertThat(refused.detail()).isEqualTo(Refusals.extensionText(Refusals.ABSOLUTE_LIMIT, 3,
        d.status().absoluteExpiresAtMs()));
    assertThat(refused.detail()).isEqualTo("the absolute deadline " + Times.format(d.status().absoluteExpiresAtMs())
        + " is the limit");
    assertThat(trail()).containsExactly(
        rec(RecordTypes.SESSION_CREATED, "S1", "alice", "tight", 1, created(TIGHT, IP)),
        rec(RecordTypes.EXTENDED, "S1", "alice", "tight", 1, data("previous_expires_at", T, "expires_at", T,
            "extensions_used", 1L, "idle_expires_at", T)),
        rec(RecordTypes.EXTENSION_REFUSED, "S1", "alice", "tight", 1, data("why", refused.detail(), "repeats", 0L)));
  }

  @Test
  void warning_isSentAndAcknowledgedOnce() throws Exception {
    Decision d = open("alice", "warns");
    Decision early = done(h.store().acknowledgeWarning(d.token()));
    assertThat(early.verdict()).isEqualTo(Decision.Verdict.REFUSED);
    assertThat(early.detail()).isEqualTo(Refusals.NO_WARNING_SENT_TEXT);
    h.pass(600);
    awaitRecord(RecordTypes.WARNING_SENT);
    Decision ack = done(h.store().acknowledgeWarning(d.token()));
    assertThat(ack.allowed()).isTrue();
    h.pass(1_000);
    Decision again = done(h.store().acknowledgeWarning(d.token()));
    assertThat(again.verdict()).isEqualTo(Decision.Verdict.REFUSED);
    assertThat(again.detail()).isEqualTo(Refusals.WARNING_ALREADY_ACKNOWLEDGED_TEXT);

    assertThat(trail()).containsExactly(
        rec(RecordTypes.SESSION_CREATED, "S1", "alice", "warns", 1, created(WARNS, IP)),
        rec(RecordTypes.REFUSED, "S1", "alice", "warns", 1, data("reason", "no_warning_sent", "repeats", 0L)),
        rec(RecordTypes.WARNING_SENT, "S1", "alice", "warns", 1,
            data("expires_at", T, "lead_ms", MS, "delivered_to", 0L)),
        rec(RecordTypes.WARNING_ACKNOWLEDGED, "S1", "alice", "warns", 1, data("expires_at", T)),
        rec(RecordTypes.REFUSED, "S1", "alice", "warns", 1,
            data("reason", "warning_already_acknowledged", "repeats", 0L)));
    AuditRecord sent = h.records().stream().filter(r -> r.type().equals(RecordTypes.WARNING_SENT)).findFirst()
        .orElseThrow();
    assertThat(t(sent, "expires_at")).isEqualTo(d.status().expiresAtMs());
    assertThat(sent.timeMs()).isGreaterThanOrEqualTo(d.status().warningAtMs());
    AuditRecord acked = h.records().stream().filter(r -> r.type().equals(RecordTypes.WARNING_ACKNOWLEDGED))
        .findFirst().orElseThrow();
    assertThat(acked.data().get("expires_at")).isEqualTo(sent.data().get("expires_at"));
  }

  /** An extension moves the expiry, so the warning is due again, for the new one; an acknowledgement names the last. */
  @Test
  void warning_isSentAgainAfterAnExtension() throws Exception {
    Decision d = open("alice", "warns");
    h.pass(600);
    awaitRecord(RecordTypes.WARNING_SENT);
    Decision extended = done(h.store().extend(d.token()));
    assertThat(extended.allowed()).isTrue();
    h.pass(600); // the new warning is due 500 ms after the extension, the old expiry 2.4 s after it
    await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(20)).until(() -> {
      h.runTimers();
      return h.records().stream().filter(r -> r.type().equals(RecordTypes.WARNING_SENT)).count() == 2;
    });
    assertThat(done(h.store().acknowledgeWarning(d.token())).allowed()).isTrue();

    Map<String, Object> sent = data("expires_at", T, "lead_ms", MS, "delivered_to", 0L);
    assertThat(trail()).containsExactly(
        rec(RecordTypes.SESSION_CREATED, "S1", "alice", "warns", 1, created(WARNS, IP)),
        rec(RecordTypes.WARNING_SENT, "S1", "alice", "warns", 1, sent),
        rec(RecordTypes.EXTENDED, "S1", "alice", "warns", 1, data("previous_expires_at", T, "expires_at", T,
            "extensions_used", 1L, "idle_expires_at", T)),
        rec(RecordTypes.WARNING_SENT, "S1", "alice", "warns", 1, sent),
        rec(RecordTypes.WARNING_ACKNOWLEDGED, "S1", "alice", "warns", 1, data("expires_at", T)));
    List<AuditRecord> warnings = h.records().stream().filter(r -> r.type().equals(RecordTypes.WARNING_SENT)).toList();
    assertThat(t(warnings.get(1), "expires_at")).isEqualTo(extended.status().expiresAtMs());
    // Sent at its own instant (2.5 s before the new expiry), not when the old expiry comes (0.6 s before).
    assertThat((long) warnings.get(1).data().get("lead_ms")).isGreaterThan(1_500);
    AuditRecord acked = h.records().stream().filter(r -> r.type().equals(RecordTypes.WARNING_ACKNOWLEDGED))
        .findFirst().orElseThrow();
    assertThat(t(acked, "expires_at")).isEqualTo(extended.status().expiresAtMs());
  }

  // ---------------------------------------------------------------- endings

  @Test
  void logout_endsTheSessionAndItsTokenIsRefused() throws Exception {
    Decision d = open("alice", "standard");
    Decision out = done(h.store().logout(d.token()));
    assertThat(out.allowed()).isTrue();
    Decision after = done(h.store().check(d.token(), true));
    assertThat(after.verdict()).isEqualTo(Decision.Verdict.ENDED);
    assertThat(after.reason()).isEqualTo(EndReason.LOGGED_OUT);
    assertThat(done(h.store().check(d.token(), false)).reason()).isEqualTo(EndReason.LOGGED_OUT); // counted only
    Decision byId = done(h.store().get(d.status().sessionId()));
    assertThat(byId.verdict()).isEqualTo(Decision.Verdict.ENDED);
    assertThat(byId.status().endReason()).isEqualTo(EndReason.LOGGED_OUT);
    assertThat(done(h.store().logout(d.token())).reason()).isEqualTo(EndReason.LOGGED_OUT);

    assertThat(trail()).containsExactly(
        rec(RecordTypes.SESSION_CREATED, "S1", "alice", "standard", 1, created(STANDARD, IP)),
        rec(RecordTypes.LOGGED_OUT, "S1", "alice", "standard", 1, Map.of()),
        rec(RecordTypes.REFUSED, "S1", "alice", "standard", 1, data("reason", "logged_out", "repeats", 0L)));
  }

  @Test
  void revoke_revokeSubject_sessionsOf() throws Exception {
    Decision a = open("alice", "standard");
    Decision b1 = open("bob", "standard");
    h.pass(5);
    Decision b2 = open("bob", "noext");
    List<SessionStatus> bobs = get(h.store().sessionsOf("bob"));
    assertThat(bobs).extracting(SessionStatus::sessionId)
        .containsExactly(b1.status().sessionId(), b2.status().sessionId());

    Decision revoked = done(h.store().revoke(a.status().sessionId(), "security", "stolen laptop"));
    assertThat(revoked.allowed()).isTrue();
    Decision twice = done(h.store().revoke(a.status().sessionId(), "security", "again"));
    assertThat(twice.verdict()).isEqualTo(Decision.Verdict.ENDED);
    assertThat(twice.reason()).isEqualTo(EndReason.REVOKED);
    Decision check = done(h.store().check(a.token(), false));
    assertThat(check.reason()).isEqualTo(EndReason.REVOKED);

    var all = get(h.store().revokeSubject("bob", "admin", null));
    all.durable().get(30, TimeUnit.SECONDS);
    assertThat(all.revoked()).isEqualTo(2);
    assertThat(get(h.store().sessionsOf("bob"))).isEmpty();
    var none = get(h.store().revokeSubject("bob", "admin", null));
    none.durable().get(30, TimeUnit.SECONDS);
    assertThat(none.revoked()).isZero();

    List<Map<String, Object>> trail = trail();
    assertThat(trail.subList(0, 6)).containsExactly(
        rec(RecordTypes.SESSION_CREATED, "S1", "alice", "standard", 1, created(STANDARD, IP)),
        rec(RecordTypes.SESSION_CREATED, "S2", "bob", "standard", 1, created(STANDARD, IP)),
        rec(RecordTypes.SESSION_CREATED, "S3", "bob", "noext", 1, created(NO_EXTENSIONS, IP)),
        rec(RecordTypes.REVOKED, "S1", "alice", "standard", 1,
            data("actor", "security", "reason", "revoked", "reason_text", "stolen laptop")),
        rec(RecordTypes.REFUSED, "S1", "alice", "standard", 1, data("reason", "revoked", "repeats", 0L)),
        trail.get(5));
    // The subject's sessions end in no particular order across stores.
    assertThat(trail.subList(5, trail.size())).containsExactlyInAnyOrder(
        rec(RecordTypes.REVOKED, "S2", "bob", "standard", 1,
            data("actor", "admin", "reason", "revoked", "reason_text", "")),
        rec(RecordTypes.REVOKED, "S3", "bob", "noext", 1,
            data("actor", "admin", "reason", "revoked", "reason_text", "")));
  }

  @Test
  void children_areOpenedFromTheirParent_andEndWhenItsEndingEndsThem() throws Exception {
    Decision parent = open("alice", "standard");
    Decision other = open("alice", "standard");
    String parentId = parent.status().sessionId();
    Audience db = Audience.of("db:orders");
    SessionStore.ChildOpened first = get(h.store().openChild(parent.token(), "noext", db));
    assertThat(first.parent().allowed()).isTrue();
    Decision child = first.child();
    child.durable().get(30, TimeUnit.SECONDS);
    assertThat(child.allowed()).isTrue();
    assertThat(child.status().subject()).isEqualTo("alice");
    assertThat(child.status().policy()).isEqualTo("noext");
    assertThat(child.status().toMap()).containsEntry("parent_session_id", parentId);
    assertThat(SessionAttributes.callers(child.status().attributes())).isEmpty();
    assertThat(done(h.store().check(child.token(), true, db)).allowed()).isTrue();
    Decision second = get(h.store().openChild(parent.token(), null, db)).child();
    second.durable().get(30, TimeUnit.SECONDS);
    Decision otherChild = get(h.store().openChild(other.token(), null, db)).child();
    otherChild.durable().get(30, TimeUnit.SECONDS);

    // No caller can claim a parent through the attributes.
    assertThatThrownBy(() -> h.store().open("alice", null, Map.of(SessionAttributes.PARENT_SESSION_ID, parentId), WEB,
        ACTOR)).isInstanceOf(IllegalArgumentException.class);

    assertThat(done(h.store().logout(parent.token())).allowed()).isTrue();
    var ended = get(h.store().endChildren("alice", parentId, EndReason.LOGGED_OUT));
    ended.durable().get(30, TimeUnit.SECONDS);
    assertThat(ended.revoked()).isEqualTo(2);
    Decision refused = done(h.store().check(child.token(), false, db));
    assertThat(refused.verdict()).isEqualTo(Decision.Verdict.ENDED);
    assertThat(refused.reason()).isEqualTo(EndReason.PARENT_ENDED);
    assertThat(done(h.store().check(otherChild.token(), false, db)).allowed()).isTrue();
    // An ended parent mints no child.
    SessionStore.ChildOpened late = get(h.store().openChild(parent.token(), null, db));
    assertThat(late.parent().reason()).isEqualTo(EndReason.LOGGED_OUT);
    assertThat(late.child()).isNull();

    String text = "its parent session " + parentId + " ended (logged_out)";
    Map<String, Object> childCreated = created(NO_EXTENSIONS, Map.of());
    childCreated.put("actor", "holder:" + parentId);
    childCreated.put("audience", List.of("db:orders"));
    childCreated.put("parent_session_id", "S1");
    Map<String, Object> secondCreated = created(STANDARD, Map.of());
    secondCreated.put("actor", "holder:" + parentId);
    secondCreated.put("audience", List.of("db:orders"));
    secondCreated.put("parent_session_id", "S1");
    Map<String, Object> otherCreated = created(STANDARD, Map.of());
    otherCreated.put("actor", "holder:" + other.status().sessionId());
    otherCreated.put("audience", List.of("db:orders"));
    otherCreated.put("parent_session_id", "S2");
    List<Map<String, Object>> trail = trail();
    assertThat(trail.subList(0, 6)).containsExactly(
        rec(RecordTypes.SESSION_CREATED, "S1", "alice", "standard", 1, created(STANDARD, IP)),
        rec(RecordTypes.SESSION_CREATED, "S2", "alice", "standard", 1, created(STANDARD, IP)),
        rec(RecordTypes.SESSION_CREATED, "S3", "alice", "noext", 1, childCreated),
        rec(RecordTypes.SESSION_CREATED, "S4", "alice", "standard", 1, secondCreated),
        rec(RecordTypes.SESSION_CREATED, "S5", "alice", "standard", 1, otherCreated),
        rec(RecordTypes.LOGGED_OUT, "S1", "alice", "standard", 1, Map.of()));
    // The children end in no particular order across stores.
    assertThat(trail.subList(6, 8)).containsExactlyInAnyOrder(
        rec(RecordTypes.REVOKED, "S3", "alice", "noext", 1,
            data("actor", "curfew", "reason", "parent_ended", "reason_text", text)),
        rec(RecordTypes.REVOKED, "S4", "alice", "standard", 1,
            data("actor", "curfew", "reason", "parent_ended", "reason_text", text)));
    assertThat(trail.subList(8, trail.size())).containsExactly(
        rec(RecordTypes.REFUSED, "S3", "alice", "noext", 1, data("reason", "parent_ended", "repeats", 0L)),
        rec(RecordTypes.REFUSED, "S1", "alice", "standard", 1, data("reason", "logged_out", "repeats", 0L)));
  }

  @Test
  void revoke_takesOnlyTheReasonsOfARevocation() {
    assertThatThrownBy(() -> h.store().revoke("s_x", "a", "b", EndReason.IDLE_TIMEOUT))
        .isInstanceOf(IllegalArgumentException.class);
    assertThat(EndReason.LOGGED_OUT.endsChildren()).isTrue();
    assertThat(EndReason.REVOKED.endsChildren()).isTrue();
    assertThat(EndReason.IDLE_TIMEOUT.endsChildren()).isFalse();
    assertThat(EndReason.ABSOLUTE_TIMEOUT.endsChildren()).isFalse();
  }

  @Test
  void idleExpiry_byTheScheduler_thenTheTokenIsRefused() throws Exception {
    Decision d = open("alice", "short");
    h.pass(450);
    awaitRecord(RecordTypes.EXPIRED);
    Decision after = done(h.store().check(d.token(), true));
    assertThat(after.verdict()).isEqualTo(Decision.Verdict.ENDED);
    assertThat(after.reason()).isEqualTo(EndReason.IDLE_TIMEOUT);
    assertThat(get(h.store().sessionsOf("alice"))).isEmpty();

    assertThat(trail()).containsExactly(
        rec(RecordTypes.SESSION_CREATED, "S1", "alice", "short", 1, created(SHORT, IP)),
        rec(RecordTypes.EXPIRED, "S1", "alice", "short", 1, data("reason", "idle_timeout", "deadline", T,
            "detected_at", T, "lateness_ms", MS, "last_activity_at", T, "detected_by", "timer")),
        rec(RecordTypes.REFUSED, "S1", "alice", "short", 1, data("reason", "idle_timeout", "repeats", 0L)));
    AuditRecord expired = h.records().stream().filter(r -> r.type().equals(RecordTypes.EXPIRED)).findFirst()
        .orElseThrow();
    assertThat(t(expired, "deadline")).isEqualTo(d.status().idleExpiresAtMs());
    assertThat(t(expired, "last_activity_at")).isEqualTo(d.status().createdAtMs());
  }

  @Test
  void absoluteExpiry_evenWithActivity() throws Exception {
    Decision d = open("alice", "absolute");
    h.pass(500);
    Decision touched = done(h.store().check(d.token(), true));
    assertThat(touched.allowed()).isTrue();
    assertThat(touched.status().expiresAtMs()).isEqualTo(d.status().absoluteExpiresAtMs());
    h.pass(550);
    awaitRecord(RecordTypes.EXPIRED);
    assertThat(done(h.store().check(d.token(), false)).reason()).isEqualTo(EndReason.ABSOLUTE_TIMEOUT);
    assertThat(trail()).containsExactly(
        rec(RecordTypes.SESSION_CREATED, "S1", "alice", "absolute", 1, created(ABSOLUTE, IP)),
        rec(RecordTypes.EXPIRED, "S1", "alice", "absolute", 1, data("reason", "absolute_timeout", "deadline", T,
            "detected_at", T, "lateness_ms", MS, "last_activity_at", T, "detected_by", "timer")),
        rec(RecordTypes.REFUSED, "S1", "alice", "absolute", 1, data("reason", "absolute_timeout", "repeats", 0L)));
    AuditRecord expired = h.records().stream().filter(r -> r.type().equals(RecordTypes.EXPIRED)).findFirst()
        .orElseThrow();
    assertThat(t(expired, "deadline")).isEqualTo(d.status().absoluteExpiresAtMs());
    assertThat(t(expired, "last_activity_at")).isEqualTo(touched.status().lastActivityAtMs());
  }

  @Test
  void rotation_graceThenReplayEndsTheSession() throws Exception {
    Decision d = open("alice", "rotates");
    h.pass(350);
    Decision rotated = done(h.store().check(d.token(), true));
    assertThat(rotated.allowed()).isTrue();
    assertThat(rotated.token()).isNotNull().isNotEqualTo(d.token());
    // The previous token within its grace is handed the current one.
    Decision inGrace = done(h.store().check(d.token(), false));
    assertThat(inGrace.allowed()).isTrue();
    assertThat(inGrace.token()).isEqualTo(rotated.token());
    h.pass(350);
    Decision replayed = done(h.store().check(d.token(), false));
    assertThat(replayed.verdict()).isEqualTo(Decision.Verdict.ENDED);
    assertThat(replayed.reason()).isEqualTo(EndReason.REPLAYED);
    assertThat(done(h.store().check(rotated.token(), false)).reason()).isEqualTo(EndReason.REPLAYED);

    assertThat(trail()).containsExactly(
        rec(RecordTypes.SESSION_CREATED, "S1", "alice", "rotates", 1, created(ROTATES, IP)),
        rec(RecordTypes.ROTATED, "S1", "alice", "rotates", 1, data("renewed_at", T)),
        rec(RecordTypes.REVOKED, "S1", "alice", "rotates", 1, data("actor", "curfew", "reason", "replayed",
            "reason_text", "a rotated-out token was presented again")),
        rec(RecordTypes.REFUSED, "S1", "alice", "rotates", 1, data("reason", "replayed", "repeats", 0L)));
  }

  @Test
  void rotation_neverAtAPlaceWhoseClientCannotTakeANewToken() throws Exception {
    Audience places = Audience.of("app:web", "db:orders", "ssh:build-box", "mcp:/mcp");
    Decision d = done(h.store().open("alice", "rotates", Map.of("ip", "10.0.0.1"), places, ACTOR));
    long before = d.status().lastActivityAtMs();
    for (String at : List.of("db:orders", "ssh:build-box", "mcp:/mcp")) {
      h.pass(350); // past renew_every: the same touch at the app's place would rotate
      Decision touched = done(h.store().check(d.token(), true, Audience.of(at)));
      assertThat(touched.allowed()).as(at).isTrue();
      assertThat(touched.token()).as("a psql, ssh or agent client holds its token as a password: %s", at).isNull();
      assertThat(touched.status().lastActivityAtMs()).as("the touch itself counts: %s", at).isGreaterThan(before);
      before = touched.status().lastActivityAtMs();
    }
    Decision atTheApp = done(h.store().check(d.token(), true, Audience.of("app:web")));
    assertThat(atTheApp.token()).as("rotation goes on where a new token can be handed over").isNotNull();
    assertThat(trail()).extracting(r -> r.get("type")).containsExactly(RecordTypes.SESSION_CREATED, RecordTypes.ROTATED);
  }

  // ---------------------------------------------------------------- policies

  @Test
  void changePolicy_appliedToLiveSessions_shortensAndEnds() throws Exception {
    Decision a = open("alice", "standard");
    // Long enough for bob to outlive a change that walks every shard of a store over the network.
    h.pass(8_100);
    Decision b = open("bob", "standard");
    Policy shorter = Policy.of("standard", Duration.ofMillis(8_000), Duration.ofHours(1), Duration.ofMillis(500), 1);
    var change = get(h.store().changePolicy(shorter, true, "admin"));
    change.durable().get(30, TimeUnit.SECONDS);
    assertThat(change.policy().version()).isEqualTo(2);
    assertThat(change.appliedToLive()).isEqualTo(2);
    assertThat(done(h.store().check(a.token(), false)).reason()).isEqualTo(EndReason.IDLE_TIMEOUT);
    Decision bob = done(h.store().check(b.token(), false));
    assertThat(bob.allowed()).isTrue();
    assertThat(bob.status().policyVersion()).isEqualTo(2);
    assertThat(bob.status().idleExpiresAtMs()).isEqualTo(b.status().createdAtMs() + 8_000);

    Map<String, Object> changed = new LinkedHashMap<>(dev.curfew.core.SessionRecords.policyData(shorter.withVersion(2)));
    changed.put("actor", "admin");
    Map<String, Object> appliedValues = data("idle_timeout_ms", 8_000L, "absolute_timeout_ms", 3_600_000L,
        "warn_before_ms", 500L, "max_extensions", 1L, "previous_expires_at", T, "expires_at", T,
        "idle_expires_at", T, "absolute_expires_at", T);
    List<Map<String, Object>> trail = trail();
    assertThat(trail.subList(0, 3)).containsExactly(
        rec(RecordTypes.SESSION_CREATED, "S1", "alice", "standard", 1, created(STANDARD, IP)),
        rec(RecordTypes.SESSION_CREATED, "S2", "bob", "standard", 1, created(STANDARD, IP)),
        rec(RecordTypes.POLICY_CHANGED, null, null, null, 0, changed));
    // Sessions are visited in no particular order; alice's ending follows her application.
    assertThat(trail.subList(3, trail.size())).containsExactlyInAnyOrder(
        rec(RecordTypes.POLICY_APPLIED, "S1", "alice", "standard", 2, appliedValues),
        rec(RecordTypes.EXPIRED, "S1", "alice", "standard", 2, data("reason", "idle_timeout", "deadline", T,
            "detected_at", T, "lateness_ms", MS, "last_activity_at", T, "detected_by", "request")),
        rec(RecordTypes.POLICY_APPLIED, "S2", "bob", "standard", 2, appliedValues),
        rec(RecordTypes.REFUSED, "S1", "alice", "standard", 2, data("reason", "idle_timeout", "repeats", 0L)));
    int applied = trail.indexOf(rec(RecordTypes.POLICY_APPLIED, "S1", "alice", "standard", 2, appliedValues));
    assertThat(trail.get(applied + 1).get("type")).isEqualTo(RecordTypes.EXPIRED);
  }

  /**
   * A session whose deadline passed before the change is not live: it ends as it would have
   * (its own deadline and reason), and the new version is not applied to it nor counted.
   */
  @Test
  void changePolicy_doesNotApplyToASessionPastItsDeadline() throws Exception {
    Decision a = open("alice", "short");
    h.pass(450);
    Policy tighter = Policy.of("short", Duration.ofMillis(300), Duration.ofHours(1), Duration.ZERO, 0);
    var change = get(h.store().changePolicy(tighter, true, "admin"));
    change.durable().get(30, TimeUnit.SECONDS);
    assertThat(change.appliedToLive()).isZero();
    awaitRecord(RecordTypes.EXPIRED);
    assertThat(done(h.store().check(a.token(), false)).reason()).isEqualTo(EndReason.IDLE_TIMEOUT);

    List<AuditRecord> all = h.records().subList(mark, h.records().size());
    assertThat(all).extracting(AuditRecord::type).doesNotContain(RecordTypes.POLICY_APPLIED);
    List<AuditRecord> expired = all.stream().filter(r -> r.type().equals(RecordTypes.EXPIRED)).toList();
    assertThat(expired).hasSize(1);
    // Its own deadline, under the version it ran under (whoever found it: the scheduler or the change).
    assertThat(t(expired.get(0), "deadline")).isEqualTo(a.status().idleExpiresAtMs());
    assertThat(expired.get(0).policyVersion()).isEqualTo(1);
    assertThat(expired.get(0).data()).containsEntry("reason", "idle_timeout");
  }

  // ---------------------------------------------------------------- concurrency limits

  @Test
  void concurrencyLimit_endOldest_and_refuseNew() throws Exception {
    Decision first = open("carol", "one-end-oldest");
    Decision second = open("carol", "one-end-oldest");
    assertThat(second.allowed()).isTrue();
    assertThat(done(h.store().check(first.token(), false)).reason()).isEqualTo(EndReason.CONCURRENCY_LIMIT);

    Decision kept = open("dave", "one-refuse-new");
    Decision refused = done(h.store().open("dave", "one-refuse-new", Map.of("ip", "10.0.0.1"), WEB, ACTOR));
    assertThat(refused.verdict()).isEqualTo(Decision.Verdict.REFUSED);
    assertThat(refused.reason()).isEqualTo(EndReason.CONCURRENCY_LIMIT);
    assertThat(refused.token()).isNull();
    assertThat(done(h.store().check(kept.token(), false)).allowed()).isTrue();

    Policy endOldest = rename(ONE_END_OLDEST, "one-end-oldest");
    Policy refuseNew = rename(ONE_REFUSE_NEW, "one-refuse-new");
    Map<String, Object> createdEnd = created(endOldest, IP);
    Map<String, Object> createdRefuse = created(refuseNew, IP);
    assertThat(trail()).containsExactly(
        rec(RecordTypes.SESSION_CREATED, "S1", "carol", "one-end-oldest", 1, createdEnd),
        rec(RecordTypes.REVOKED, "S1", "carol", "one-end-oldest", 1, data("actor", "curfew",
            "reason", "concurrency_limit", "reason_text", ConcurrencyLimit.displacement(endOldest.concurrency()),
            "displaced_by", "S2")),
        rec(RecordTypes.SESSION_CREATED, "S2", "carol", "one-end-oldest", 1, createdEnd),
        rec(RecordTypes.REFUSED, "S1", "carol", "one-end-oldest", 1,
            data("reason", "concurrency_limit", "repeats", 0L)),
        rec(RecordTypes.SESSION_CREATED, "S3", "dave", "one-refuse-new", 1, createdRefuse),
        rec(RecordTypes.REFUSED, "S4", "dave", "one-refuse-new", 1, data("reason", "concurrency_limit",
            "max_sessions_per_subject", 1L, "limit_scope", "subject", "live_sessions", List.of("S3"),
            "actor", ACTOR, "audience", List.of("app:web"))));
  }

  /**
   * {@code POST /_curfew/connect} under {@code end_oldest}: the parent, always older than the child
   * it asks for, is never the one ended to make room. Before, it was, and its ending ended the new
   * child with it (parent_ended): one request signed the person out of everything.
   */
  @Test
  void concurrencyLimit_endOldest_neverEndsTheParentOfTheChildBeingOpened() throws Exception {
    Decision parent = open("gina", "standard");
    Audience db = Audience.of("db:orders");
    Decision first = get(h.store().openChild(parent.token(), "two-end-oldest", db)).child();
    first.durable().get(30, TimeUnit.SECONDS);
    assertThat(first.allowed()).isTrue();

    // Two live (the parent and the first child), the limit two: the first child makes room, not the parent.
    SessionStore.ChildOpened second = get(h.store().openChild(parent.token(), "two-end-oldest", db));
    second.child().durable().get(30, TimeUnit.SECONDS);
    assertThat(second.child().allowed()).isTrue();
    assertThat(done(h.store().check(parent.token(), false)).allowed()).as("the parent").isTrue();
    assertThat(done(h.store().check(first.token(), false, db)).reason()).isEqualTo(EndReason.CONCURRENCY_LIMIT);
    assertThat(done(h.store().check(second.child().token(), false, db)).allowed()).isTrue();

    // Limit one: only the parent could make room, so the child is refused and nothing ends.
    SessionStore.ChildOpened third = get(h.store().openChild(parent.token(), "one-end-oldest", db));
    assertThat(third.child().verdict()).isEqualTo(Decision.Verdict.REFUSED);
    assertThat(third.child().reason()).isEqualTo(EndReason.CONCURRENCY_LIMIT);
    assertThat(third.child().token()).isNull();
    assertThat(done(h.store().check(parent.token(), false)).allowed()).as("the parent").isTrue();
    assertThat(done(h.store().check(second.child().token(), false, db)).allowed()).as("the second child").isTrue();
  }

  // ---------------------------------------------------------------- what edges record

  @Test
  void idpLogout_endsMatchingSessions_andIsRecorded() throws Exception {
    Decision a = open("erin", "standard");
    open("frank", "standard");
    IdpLogout logout = new IdpLogout("okta", null, "erin", "jti-1");
    var r = get(h.store().endIdpSessions(logout));
    r.durable().get(30, TimeUnit.SECONDS);
    assertThat(r.revoked()).isEqualTo(1);
    assertThat(done(h.store().check(a.token(), false)).reason()).isEqualTo(EndReason.IDP_LOGOUT);
    get(h.store().recordIdpLogoutRefused(data("provider", "okta", "why", "bad signature")));
    IdpLogout nobody = new IdpLogout("okta", null, "nobody", "jti-4");
    var none = get(h.store().endIdpSessions(nobody));
    none.durable().get(30, TimeUnit.SECONDS);
    assertThat(none.revoked()).isZero();

    Map<String, Object> accepted = new LinkedHashMap<>(logout.auditData());
    accepted.putAll(data("outcome", "accepted", "ended", 1L, "session_ids", List.of("S1")));
    Map<String, Object> noneAccepted = new LinkedHashMap<>(nobody.auditData());
    noneAccepted.putAll(data("outcome", "accepted", "ended", 0L, "session_ids", List.of()));
    assertThat(trail()).containsExactly(
        rec(RecordTypes.SESSION_CREATED, "S1", "erin", "standard", 1, created(STANDARD, IP)),
        rec(RecordTypes.SESSION_CREATED, "S2", "frank", "standard", 1, created(STANDARD, IP)),
        rec(RecordTypes.REVOKED, "S1", "erin", "standard", 1, data("actor", "idp:okta", "reason", "idp_logout",
            "reason_text", "OpenID Connect back-channel logout, jti jti-1")),
        rec(RecordTypes.IDP_LOGOUT, null, null, null, 0, accepted),
        rec(RecordTypes.REFUSED, "S1", "erin", "standard", 1, data("reason", "idp_logout", "repeats", 0L)),
        rec(RecordTypes.IDP_LOGOUT, null, null, null, 0,
            data("provider", "okta", "why", "bad signature", "outcome", "refused")),
        rec(RecordTypes.IDP_LOGOUT, null, null, null, 0, noneAccepted));
  }

  /** By the provider's session id: any subject's session that carries it, and no other. */
  @Test
  void idpLogout_bySid_endsTheSessionThatCarriesIt() throws Exception {
    Map<String, Object> attrs = data("idp", "okta", "idp_sid", "sid-9");
    Decision a = done(h.store().open("hank", "standard", attrs, WEB, ACTOR));
    Decision other = done(h.store().open("hank", "standard", data("idp", "okta", "idp_sid", "sid-8"), WEB, ACTOR));
    IdpLogout logout = new IdpLogout("okta", "sid-9", null, "jti-2");
    var r = get(h.store().endIdpSessions(logout));
    r.durable().get(30, TimeUnit.SECONDS);
    assertThat(r.revoked()).isEqualTo(1);
    assertThat(done(h.store().check(a.token(), false)).reason()).isEqualTo(EndReason.IDP_LOGOUT);
    assertThat(done(h.store().check(other.token(), false)).allowed()).isTrue();

    Map<String, Object> accepted = new LinkedHashMap<>(logout.auditData());
    accepted.putAll(data("outcome", "accepted", "ended", 1L, "session_ids", List.of("S1")));
    Map<String, Object> created = created(STANDARD, attrs);
    Map<String, Object> createdOther = created(STANDARD, data("idp", "okta", "idp_sid", "sid-8"));
    assertThat(trail()).containsExactly(
        rec(RecordTypes.SESSION_CREATED, "S1", "hank", "standard", 1, created),
        rec(RecordTypes.SESSION_CREATED, "S2", "hank", "standard", 1, createdOther),
        rec(RecordTypes.REVOKED, "S1", "hank", "standard", 1, data("actor", "idp:okta", "reason", "idp_logout",
            "reason_text", "OpenID Connect back-channel logout, jti jti-2")),
        rec(RecordTypes.IDP_LOGOUT, null, null, null, 0, accepted),
        rec(RecordTypes.REFUSED, "S1", "hank", "standard", 1, data("reason", "idp_logout", "repeats", 0L)));
  }

  @Test
  void gatewayEvents_notifications_auditReads() throws Exception {
    Decision a = open("gina", "standard");
    String id = a.status().sessionId();
    get(h.store().recordGatewayEvent(id, RecordTypes.CONNECTION_OPENED, data("target", "db", "protocol", "postgres")));
    get(h.store().recordGatewayEvent(null, RecordTypes.CONNECTION_REFUSED, data("why", "unknown")));
    get(h.store().recordGatewayEvent(Tokens.newSessionId(), RecordTypes.CONNECTION_REFUSED, data("why", "gone")));
    assertThatThrownBy(() -> h.store().recordGatewayEvent(id, RecordTypes.REVOKED, Map.of()))
        .isInstanceOf(IllegalArgumentException.class).hasMessage("not a gateway record type: session.revoked");
    get(h.store().recordNotification(id, data("target", "https://app.example/hook", "outcome", "delivered")));
    get(h.store().recordNotification(Tokens.newSessionId(), data("outcome", "delivered")));
    get(h.store().recordAuditRead(data("actor", "auditor", "what", "query")));

    assertThat(trail()).containsExactly(
        rec(RecordTypes.SESSION_CREATED, "S1", "gina", "standard", 1, created(STANDARD, IP)),
        rec(RecordTypes.CONNECTION_OPENED, "S1", "gina", "standard", 1, data("target", "db", "protocol", "postgres")),
        rec(RecordTypes.CONNECTION_REFUSED, null, null, null, 0, data("why", "unknown")),
        rec(RecordTypes.CONNECTION_REFUSED, null, null, null, 0, data("why", "gone")),
        rec(RecordTypes.NOTIFIED, "S1", "gina", "standard", 1,
            data("target", "https://app.example/hook", "outcome", "delivered")),
        rec(RecordTypes.AUDIT_READ, null, null, null, 0, data("actor", "auditor", "what", "query")));
  }

  // ---------------------------------------------------------------- the schedule property

  /** What a schedule does: an operation on one of the opened sessions, or time passing. */
  public enum Kind { OPEN, CHECK, TOUCH, EXTEND, ACK, LOGOUT, REVOKE, REVOKE_SUBJECT, PASS }

  public record Step(Kind kind, int target, long ms) {}

  /**
   * The schedules' policy: short enough for a store on a real clock, and warning more than half
   * the idle timeout before, so that activity after a warning brings the next warning before the
   * old expiry (Deadlines#rearmAfterActivity).
   */
  protected static final Policy SCHEDULED = Policy.of("scheduled", Duration.ofMillis(400), Duration.ofMillis(1_500),
      Duration.ofMillis(250), 2);

  /** Random schedules whose waits add up to a few seconds. */
  protected static net.jqwik.api.Arbitrary<List<Step>> schedules(int minSteps, int maxSteps) {
    net.jqwik.api.Arbitrary<Step> step = net.jqwik.api.Combinators.combine(
        net.jqwik.api.Arbitraries.of(Kind.class),
        net.jqwik.api.Arbitraries.integers().between(0, 7),
        net.jqwik.api.Arbitraries.longs().between(0, 300))
        .as(Step::new);
    return step.list().ofMinSize(minSteps).ofMaxSize(maxSteps);
  }

  /**
   * One schedule against a fresh store: an ended session is never valid again, a valid session is
   * never past its deadline (on the store's own clock, {@link SessionStatus#serverTimeMs()}), its
   * absolute deadline never moves, and once every session is ended each has exactly one ending record.
   */
  protected void runSchedule(List<Step> steps) throws Exception {
    try (Harness hs = start(List.of(SCHEDULED))) {
      SessionStore st = hs.store();
      List<String> tokens = new ArrayList<>();
      Map<String, String> idOf = new HashMap<>();
      Map<String, Long> absoluteOf = new HashMap<>();
      Set<String> ended = new HashSet<>();
      for (Step s : steps) {
        String token = tokens.isEmpty() ? null : tokens.get(s.target() % tokens.size());
        String acted = token;
        Decision d = null;
        switch (s.kind()) {
          case OPEN -> {
            d = done(st.open("user" + s.target() % 3, null, Map.of()));
            tokens.add(d.token());
            idOf.put(d.token(), d.status().sessionId());
            absoluteOf.put(d.token(), d.status().absoluteExpiresAtMs());
            acted = d.token();
          }
          case CHECK -> d = token == null ? null : done(st.check(token, false));
          case TOUCH -> d = token == null ? null : done(st.check(token, true));
          case EXTEND -> d = token == null ? null : done(st.extend(token));
          case ACK -> d = token == null ? null : done(st.acknowledgeWarning(token));
          case LOGOUT -> d = token == null ? null : done(st.logout(token));
          case REVOKE -> {
            if (token != null) done(st.revoke(idOf.get(token), "admin", "test"));
          }
          case REVOKE_SUBJECT -> get(st.revokeSubject("user" + s.target() % 3, "admin", "test")).durable()
              .get(30, TimeUnit.SECONDS);
          case PASS -> {
            hs.pass(s.ms());
            if (s.target() % 2 == 0) hs.runTimers();
          }
        }
        if (d != null && acted != null) {
          if (ended.contains(acted)) {
            assertThat(d.verdict()).as("ended session answered valid").isEqualTo(Decision.Verdict.ENDED);
          }
          if (d.verdict() == Decision.Verdict.ALLOWED || d.verdict() == Decision.Verdict.REFUSED) {
            assertThat(d.status().expiresAtMs()).as("valid past its deadline").isGreaterThan(d.status().serverTimeMs());
            assertThat(d.status().absoluteExpiresAtMs()).isEqualTo(absoluteOf.get(acted));
          }
        }
        for (String t : tokens) {
          Decision now = done(st.check(t, false));
          if (now.verdict() == Decision.Verdict.ENDED) {
            ended.add(t);
          } else {
            assertThat(ended).as("resurrected").doesNotContain(t);
            assertThat(now.status().expiresAtMs()).isGreaterThan(now.status().serverTimeMs());
          }
        }
      }
      // End what lives, then every session has exactly one ending record (a store's scheduler may
      // still be writing one it claimed: wait for it, never accept two).
      for (int u = 0; u < 3; u++) get(st.revokeSubject("user" + u, "admin", "end")).durable().get(30, TimeUnit.SECONDS);
      for (String t : tokens) assertThat(done(st.check(t, false)).verdict()).isEqualTo(Decision.Verdict.ENDED);
      await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(20)).untilAsserted(() -> {
        hs.runTimers();
        Map<String, Integer> endings = new HashMap<>();
        for (AuditRecord r : hs.records()) {
          if (r.type().equals(RecordTypes.EXPIRED) || r.type().equals(RecordTypes.REVOKED)
              || r.type().equals(RecordTypes.LOGGED_OUT)) {
            endings.merge(r.sessionId(), 1, Integer::sum);
          }
        }
        for (String t : tokens) {
          assertThat(endings.getOrDefault(idOf.get(t), 0)).as("ending records of " + idOf.get(t)).isEqualTo(1);
        }
      });
    }
  }
}
