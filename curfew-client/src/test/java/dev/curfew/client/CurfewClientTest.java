package dev.curfew.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Every call of the client against a real {@code curfew serve}, its answers read back as typed values. */
class CurfewClientTest {
  static final String APP_KEY = "app-scoped-key-for-client-tests-42";
  static final String CONFIG = """
      default_policy: default
      policies:
        default:
          idle_timeout: 15m
          absolute_timeout: 12h
          warn_before: 2m
          max_extensions: 2
        strict:
          idle_timeout: 5m
          absolute_timeout: 30m
          warn_before: 1m
          max_extensions: 0
      api_keys:
        - name: app
          key_env: CURFEW_TEST_APP_KEY
          scopes: [app]
        - name: gw
          key_env: CURFEW_TEST_GATEWAY_KEY
          scopes: [app, gateway]
          audience: ["route:/", "db:orders"]
      """;
  static final String GATEWAY_KEY = "gateway-scoped-key-for-client-tests-7";
  /** Each test its own subject, so that counts of a subject's sessions are the test's own. */
  static final AtomicInteger SUBJECTS = new AtomicInteger();

  @TempDir static Path dir;
  static CurfewServerProcess server;
  static CurfewClient admin;
  static CurfewClient app;

  @BeforeAll
  static void start() throws Exception {
    server = CurfewServerProcess.start(dir, CONFIG, Map.of("CURFEW_TEST_APP_KEY", APP_KEY, "CURFEW_TEST_GATEWAY_KEY", GATEWAY_KEY));
    admin = CurfewClient.builder(server.uri()).apiKey(CurfewServerProcess.ADMIN_KEY).build();
    app = CurfewClient.builder(server.uri()).apiKey(APP_KEY).build();
  }

  @AfterAll
  static void stop() throws Exception {
    if (server != null) server.close();
  }

  static String subject() {
    return "user-" + SUBJECTS.incrementAndGet();
  }

  @Test
  void anOpenedSessionIsFollowedExtendedAndLoggedOutByItsHolder() {
    String alice = subject();
    CreatedSession created = app.openSession(SessionRequest.of(alice).withAttributes(Map.of("ip", "10.0.0.7")));
    assertThat(created.token()).hasSizeGreaterThanOrEqualTo(43); // 256 bits, base64url
    assertThat(created.toString()).doesNotContain(created.token());
    SessionStatus opened = created.status();
    assertThat(opened.subject()).isEqualTo(alice);
    assertThat(opened.policy()).isEqualTo("default");
    assertThat(opened.sessionId()).startsWith("s_");
    assertThat(opened.expiresAt()).isEqualTo(opened.idleExpiresAt());
    assertThat(Duration.between(opened.lastActivityAt(), opened.idleExpiresAt())).isEqualTo(Duration.ofMinutes(15));
    assertThat(Duration.between(opened.warningAt(), opened.expiresAt())).isEqualTo(Duration.ofMinutes(2));
    assertThat(opened.audience()).containsExactly("app:app");

    HolderSession holder = admin.session(created.token());
    SessionStatus status = holder.status();
    assertThat(status.sessionId()).isEqualTo(opened.sessionId());
    assertThat(status.lastActivityAt()).isEqualTo(opened.lastActivityAt()); // passive
    assertThat(holder.activity().lastActivityAt()).isAfterOrEqualTo(opened.lastActivityAt());

    SessionStatus extended = holder.extend();
    assertThat(extended.extensionsUsed()).isEqualTo(1);
    assertThat(extended.extensionsLeft()).isEqualTo(1);

    CurfewProblem noWarning = problem(holder::acknowledgeWarning);
    assertThat(noWarning.status()).isEqualTo(409);
    assertThat(noWarning.slug()).isEqualTo("warning-ack-refused");

    holder.logout();
    CurfewProblem ended = problem(holder::status);
    assertThat(ended.status()).isEqualTo(401);
    assertThat(ended.type()).isEqualTo("urn:curfew:problem:session-ended");
    assertThat(ended.title()).isEqualTo("Session not valid");
    assertThat(ended.reason()).hasValue("logged_out");
  }

  @Test
  void anExtensionThePolicyForbidsIsATypedProblemWithItsReason() {
    CreatedSession s = app.openSession(SessionRequest.of(subject()).withPolicy("strict"));
    assertThat(s.status().extensionsLeft()).isZero();
    CurfewProblem refused = problem(() -> app.session(s.token()).extend());
    assertThat(refused.status()).isEqualTo(409);
    assertThat(refused.slug()).isEqualTo("extension-refused");
    assertThat(refused.reason()).hasValue("extension_refused");
    assertThat(refused.detail()).isNotBlank();
  }

  @Test
  void aTokenNeverIssuedIsUnknown() {
    CurfewProblem unknown = problem(() -> app.session("not-a-token").status());
    assertThat(unknown.status()).isEqualTo(401);
    assertThat(unknown.reason()).hasValue("unknown");
  }

  @Test
  void backendsReadSessionsByIdAndSubject_andRevokeThem() {
    String bob = subject();
    CreatedSession first = app.openSession(SessionRequest.of(bob));
    CreatedSession second = app.openSession(SessionRequest.of(bob));

    assertThat(admin.sessionById(first.status().sessionId()).subject()).isEqualTo(bob);
    assertThat(admin.liveSessions(bob)).extracting(SessionStatus::sessionId)
        .containsExactlyInAnyOrder(first.status().sessionId(), second.status().sessionId());
    assertThat(app.subjectSessions(bob)).extracting(SessionStatus::sessionId)
        .containsExactly(first.status().sessionId(), second.status().sessionId());

    admin.revokeSession(first.status().sessionId(), "left the company");
    CurfewProblem gone = problem(() -> admin.sessionById(first.status().sessionId()));
    assertThat(gone.status()).isEqualTo(410);
    assertThat(gone.slug()).isEqualTo("session-gone");
    assertThat(gone.reason()).hasValue("revoked");
    assertThat(admin.audit(AuditQuery.all().sessionId(first.status().sessionId()).type("session.revoked")).records())
        .singleElement().satisfies(r -> assertThat(r.line()).contains("left the company"));

    assertThat(admin.revokeSubject(bob, null)).isEqualTo(1);
    assertThat(problem(() -> app.session(second.token()).status()).reason()).hasValue("revoked");
    CurfewProblem missing = problem(() -> admin.sessionById("s_never"));
    assertThat(missing.status()).isEqualTo(404);
    assertThat(missing.slug()).isEqualTo("not-found");
  }

  @Test
  void introspectionAndTokenRevocationFollowRfc7662And7009() {
    CreatedSession s = app.openSession(SessionRequest.of(subject()));
    Introspection live = app.introspect(s.token());
    assertThat(live.active()).isTrue();
    assertThat(live.sid()).isEqualTo(s.status().sessionId());
    assertThat(live.sub()).isEqualTo(s.status().subject());
    assertThat(live.exp()).isEqualTo(s.status().expiresAt().getEpochSecond());
    assertThat(live.status()).map(SessionStatus::sessionId).hasValue(s.status().sessionId());

    app.revokeToken(s.token());
    app.revokeToken(s.token()); // 200 whether or not the token was live
    assertThat(app.introspect(s.token())).isEqualTo(new Introspection(false, null, null, null, null, Optional.empty()));
  }

  @Test
  void gatewaysCheckWithOrWithoutActivity_andForwardAuthNamesTheSession() {
    CurfewClient gateway = CurfewClient.builder(server.uri()).apiKey(GATEWAY_KEY).build();
    CreatedSession s = gateway.openSession(SessionRequest.of(subject()).withAudience(List.of("route:/")));
    SessionStatus passive = gateway.check(s.token(), false, "route:/");
    assertThat(passive.lastActivityAt()).isEqualTo(s.status().lastActivityAt());
    assertThat(gateway.check(s.token(), true, "route:/").sessionId()).isEqualTo(s.status().sessionId());

    ForwardAuth ok = app.forwardAuth(s.token(), "route:/", true);
    assertThat(ok.subject()).isEqualTo(s.status().subject());
    assertThat(ok.sessionId()).isEqualTo(s.status().sessionId());
    assertThat(ok.expiresAt()).isNotNull();

    CurfewProblem elsewhere = problem(() -> gateway.check(s.token(), false, "db:orders"));
    assertThat(elsewhere.status()).isEqualTo(403);
    assertThat(elsewhere.reason()).hasValue("wrong_audience");
    CurfewProblem notAllowed = problem(() -> gateway.check(s.token(), false, "app:other"));
    assertThat(notAllowed.slug()).isEqualTo("audience-not-allowed");
    assertThat(problem(() -> gateway.check("dead", true, "route:/")).reason()).hasValue("unknown");
  }

  @Test
  void keysAreCheckedAndScopesNamed() {
    CurfewClient keyless = CurfewClient.builder(server.uri()).build();
    CurfewProblem noKey = problem(() -> keyless.openSession(SessionRequest.of("x")));
    assertThat(noKey.status()).isEqualTo(401);
    assertThat(noKey.slug()).isEqualTo("api-key-required");
    assertThat(noKey.reason()).isEmpty();

    CurfewProblem scope = problem(() -> app.policies());
    assertThat(scope.status()).isEqualTo(403);
    assertThat(scope.slug()).isEqualTo("insufficient-scope");
    assertThat(scope.members()).containsEntry("scope", "admin");

    CurfewProblem badInput = problem(() -> app.openSession(SessionRequest.of("x").withPolicy("no-such-policy")));
    assertThat(badInput.status()).isEqualTo(400);
  }

  @Test
  void policiesAreReadChangedCheckedAndExplained() {
    PolicyList all = admin.policies();
    assertThat(all.defaultPolicy()).isEqualTo("default");
    assertThat(all.policies()).extracting(PolicyInfo::name).contains("default", "strict");

    PolicyInfo strict = admin.policy("strict");
    assertThat(strict.idleTimeout()).isEqualTo(Duration.ofMinutes(5));
    assertThat(strict.absoluteTimeout()).isEqualTo(Duration.ofMinutes(30));
    assertThat(strict.warnBefore()).isEqualTo(Duration.ofMinutes(1));
    assertThat(strict.maxExtensions()).isZero();
    assertThat(problem(() -> admin.policy("nope")).slug()).isEqualTo("policy-not-found");

    Map<String, Object> shorter = Map.of("idle_timeout", "10m", "absolute_timeout", "8h", "warn_before", "1m", "max_extensions", 1);
    PolicyInfo changed = admin.putPolicy("changing", shorter, false);
    assertThat(changed.version()).isEqualTo(1);
    assertThat(changed.idleTimeout()).isEqualTo(Duration.ofMinutes(10));
    assertThat(admin.putPolicy("changing", Map.of("idle_timeout", "5m", "absolute_timeout", "8h", "warn_before", "1m",
        "max_extensions", 1), true).version()).isEqualTo(2);

    ComplianceReport pass = admin.checkPolicy(shorter, List.of("pci-dss-4.0"));
    assertThat(pass.status()).isEqualTo("pass");
    assertThat(pass.presets()).singleElement().satisfies(p -> {
      assertThat(p.id()).isEqualTo("pci-dss-4.0");
      assertThat(p.rules()).isNotEmpty();
    });
    ComplianceReport fail = admin.checkPolicy(Map.of("idle_timeout", "30m", "absolute_timeout", "8h"), List.of("pci-dss-4.0"));
    assertThat(fail.status()).isEqualTo("fail");

    PolicyExplanation lived = admin.explainPolicy(shorter, "0s,5m");
    assertThat(lived.endReason()).isEqualTo("idle_timeout");
    assertThat(lived.end()).isEqualTo(Duration.ofMinutes(15));
    assertThat(lived.events()).isNotEmpty();
    assertThat(lived.svg()).startsWith("<svg");
  }

  @Test
  void theAuditTrailIsReadPagedAndProved() throws Exception {
    CreatedSession s = app.openSession(SessionRequest.of(subject()));
    app.session(s.token()).logout();
    AuditPage records = admin.audit(AuditQuery.all().sessionId(s.status().sessionId()));
    assertThat(records.records()).extracting(AuditRecord::type).contains("session.created", "session.logged_out");
    AuditRecord created = records.records().get(0);
    assertThat(created.sessionId()).isEqualTo(s.status().sessionId());
    assertThat(created.data()).containsEntry("idle_timeout_ms", 900_000L);
    assertThat(created.line()).startsWith("{").contains("\"seq\":" + created.seq());
    assertThat(rawAudit("/v1/audit?session_id=" + s.status().sessionId())).as("the line as the server keeps it")
        .contains(created.line());

    AuditPage first = admin.audit(AuditQuery.all().limit(1));
    assertThat(first.records()).hasSize(1);
    assertThat(first.next()).isPresent();
    AuditPage second = admin.audit(AuditQuery.all().limit(1).after(first.next().getAsLong()));
    assertThat(second.records().get(0).seq()).isGreaterThan(first.records().get(0).seq());
    assertThatThrownBy(() -> AuditQuery.all().limit(1001)).hasMessageContaining("1001");

    String checkpoint = await("a signed checkpoint").atMost(Duration.ofSeconds(30)).ignoreExceptions()
        .until(admin::checkpoint, c -> !c.isBlank());
    assertThat(checkpoint.lines().findFirst()).isPresent();
    long treeSize = Long.parseLong(checkpoint.lines().skip(1).findFirst().orElseThrow());
    String bundle = await("the session in a checkpoint").atMost(Duration.ofSeconds(30)).ignoreExceptions()
        .until(() -> admin.evidence(s.status().sessionId()), b -> b.contains("session.logged_out"));
    assertThat(bundle).contains("\"inclusion_proof\"", s.status().sessionId());
    ConsistencyProof proof = admin.consistency(1, treeSize);
    assertThat(proof.fromSize()).isEqualTo(1);
    assertThat(proof.toSize()).isEqualTo(treeSize);
    CurfewProblem beyond = problem(() -> admin.consistency(1, treeSize + 1_000_000));
    assertThat(beyond.status()).isEqualTo(404);
  }

  @Test
  void theEventStreamTellsTheHolderWhenTheSessionEnds() throws Exception {
    CreatedSession s = app.openSession(SessionRequest.of(subject()));
    try (SessionEventStream events = app.session(s.token()).events()) {
      SessionEvent first = events.next().orElseThrow();
      assertThat(first.name()).isEqualTo("status");
      assertThat(first.data()).containsEntry("session_id", s.status().sessionId());
      CompletableFuture<Optional<SessionEvent>> ending = CompletableFuture.supplyAsync(() -> {
        for (Optional<SessionEvent> e = events.next(); ; e = events.next()) {
          if (e.isEmpty() || e.get().ending()) return e;
        }
      });
      admin.revokeSession(s.status().sessionId());
      Optional<SessionEvent> end = ending.get(30, TimeUnit.SECONDS);
      assertThat(end).map(SessionEvent::name).hasValue("revoked");
    }
  }

  @Test
  void aRelayPassesAnswersOnUnchanged_andOnlyHolderCalls() {
    CreatedSession s = app.openSession(SessionRequest.of(subject()));
    HolderSession.RawAnswer ok = app.session(s.token()).relay("GET", "");
    assertThat(ok.status()).isEqualTo(200);
    assertThat(ok.contentType()).startsWith("application/json");
    assertThat(ok.body()).contains(s.status().sessionId());
    assertThat(app.session(s.token()).relay("DELETE", "").status()).isEqualTo(204);
    HolderSession.RawAnswer ended = app.session(s.token()).relay("POST", "/extend");
    assertThat(ended.status()).isEqualTo(401);
    assertThat(ended.contentType()).startsWith("application/problem+json");
    assertThatThrownBy(() -> app.session(s.token()).relay("GET", "/../sessions")).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void operationsEndpointsAnswer() {
    assertThat(app.healthy()).isTrue();
    Readiness ready = app.readiness();
    assertThat(ready.ready()).isTrue();
    assertThat(ready.notWritable()).isEmpty();
    assertThat(app.openApi()).contains("\"openapi\"");
    assertThat(admin.metrics()).contains("curfew_live_sessions");
  }

  @Test
  void aServerThatCannotBeReachedIsAnIoFailureNotAProblem() throws Exception {
    int closed;
    try (java.net.ServerSocket s = new java.net.ServerSocket(0)) {
      closed = s.getLocalPort();
    }
    CurfewClient nowhere = CurfewClient.builder(java.net.URI.create("http://127.0.0.1:" + closed)).apiKey("k").build();
    assertThatThrownBy(() -> nowhere.sessionById("s_x")).isInstanceOf(java.io.UncheckedIOException.class)
        .hasMessageContaining("GET /v1/sessions/s_x");
  }

  static String rawAudit(String path) throws Exception {
    return java.net.http.HttpClient.newHttpClient().send(java.net.http.HttpRequest.newBuilder(server.uri().resolve(path))
        .header("Authorization", "Bearer " + CurfewServerProcess.ADMIN_KEY).build(),
        java.net.http.HttpResponse.BodyHandlers.ofString()).body();
  }

  static CurfewProblem problem(Runnable call) {
    try {
      call.run();
    } catch (CurfewProblem p) {
      return p;
    }
    throw new AssertionError("no problem thrown");
  }
}
