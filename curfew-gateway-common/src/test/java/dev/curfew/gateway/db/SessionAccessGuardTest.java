package dev.curfew.gateway.db;

import static org.assertj.core.api.Assertions.assertThat;

import dev.curfew.core.Audience;
import dev.curfew.core.EngineMetrics;
import dev.curfew.core.ManualClock;
import dev.curfew.core.MemoryAuditSink;
import dev.curfew.core.Policies;
import dev.curfew.core.Policy;
import dev.curfew.core.SessionEngine;
import dev.curfew.core.SessionEvents;
import dev.curfew.core.SessionStore;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/**
 * What a database login tells the {@link LoginGuard}: a guess (unknown or malformed token, a live
 * token under another user name) is a failure of the address; a token that was issued (ended,
 * for another place, admitted) is not. An address the guard refuses is turned away before its
 * token is looked at. The engine runs on a clock moved by hand.
 */
class SessionAccessGuardTest {
  private final ManualClock clock = new ManualClock(Instant.parse("2026-12-03T00:00:00Z"));
  private final SessionEngine engine = new SessionEngine(clock, "node-1",
      new Policies(List.of(Policy.of("default", Duration.ofMinutes(15), Duration.ofHours(8), Duration.ofMinutes(1), 0)),
          "default"), new MemoryAuditSink(), SessionEvents.NONE, EngineMetrics.NONE, SessionEngine.Limits.defaults());
  private final DatabaseTarget target = new DatabaseTarget("orders", "127.0.0.1", 0, "127.0.0.1", 5432, null, "postgres",
      null, null, PassiveStatements.of(List.of()), DatabaseTarget.AuditStatements.OFF, null);

  /** Remembers the failures it is told; refuses the addresses in {@link #refusing}. */
  private static final class Recording implements LoginGuard {
    final List<String> failures = new ArrayList<>();
    final List<String> asked = new ArrayList<>();
    final List<String> refusing = new ArrayList<>();

    @Override
    public CompletableFuture<Refusal> admit(String clientAddress) {
      asked.add(clientAddress);
      return CompletableFuture.completedFuture(refusing.contains(clientAddress)
          ? new Refusal("failed_checks_per_address", 20_000, "too many") : null);
    }

    @Override
    public void failed(String clientAddress) {
      failures.add(clientAddress);
    }
  }

  private final Recording guard = new Recording();
  private final SessionAccess access = new SessionAccess(SessionStore.of(engine), target, guard);

  private String open(String subject, String audience) {
    return engine.open(subject, "default", Map.of(), Audience.of(audience), "portal").token();
  }

  private SessionAccess.Login login(String token, String user, String address) {
    return access.login(token, user, address).join();
  }

  @Test
  void unknownAndMalformedTokensAndAnotherUserName_areFailuresOfTheAddress() {
    assertThat(login("cft_" + "x".repeat(43), "ann", "10.0.0.1").why()).isEqualTo("unknown");
    assertThat(login("hunter2", "ann", "10.0.0.1").why()).isEqualTo("unknown");
    assertThat(login(open("ann", "db:orders"), "mallory", "10.0.0.2").why()).isEqualTo(SessionAccess.WRONG_SUBJECT);
    assertThat(guard.failures).containsExactly("10.0.0.1", "10.0.0.1", "10.0.0.2");
    assertThat(guard.asked).containsExactly("10.0.0.1", "10.0.0.1", "10.0.0.2");
  }

  @Test
  void anEndedSession_anotherPlace_andAnAdmittedLogin_areNoFailures() {
    String idle = open("ann", "db:orders");
    String web = open("ann", "app:web");
    String live = open("ann", "db:orders");
    clock.advance(Duration.ofMinutes(10));
    engine.check(live, true);
    engine.check(web, true);
    clock.advance(Duration.ofMinutes(10)); // idle is past its 15 min idle timeout, live and web are not
    engine.advanceTimers();
    assertThat(login(idle, "ann", "10.0.0.1").why()).isEqualTo("idle_timeout");
    assertThat(login(web, "ann", "10.0.0.1").why()).isEqualTo("wrong_audience");
    assertThat(login(live, "ann", "10.0.0.1").admitted()).isTrue();
    assertThat(guard.failures).isEmpty();
  }

  @Test
  void anAddressTheGuardRefuses_isTurnedAwayBeforeItsTokenIsLookedAt_evenARightOne() {
    String live = open("ann", "db:orders");
    long lastActivity = engine.check(live, false).status().lastActivityAtMs();
    guard.refusing.add("10.0.0.9");
    clock.advance(Duration.ofMinutes(1));
    SessionAccess.Login refused = login(live, "ann", "10.0.0.9");
    assertThat(refused.why()).isEqualTo(LoginGuard.RATE_LIMITED);
    assertThat(refused.limited().limit()).isEqualTo("failed_checks_per_address");
    assertThat(refused.limited().retryAfterSeconds()).isEqualTo(20);
    assertThat(refused.sessionId()).isNull();
    assertThat(login("cft_" + "y".repeat(43), "ann", "10.0.0.9").why()).as("not even a guess is looked at")
        .isEqualTo(LoginGuard.RATE_LIMITED);
    assertThat(guard.failures).isEmpty();
    assertThat(engine.check(live, false).status().lastActivityAtMs()).as("not touched")
        .isEqualTo(lastActivity);
    assertThat(login(live, "ann", "10.0.0.10").admitted()).as("another address is not affected").isTrue();
  }
}
