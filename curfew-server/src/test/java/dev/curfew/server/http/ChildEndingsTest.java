package dev.curfew.server.http;

import static org.assertj.core.api.Assertions.assertThat;

import dev.curfew.core.Audience;
import dev.curfew.core.Decision;
import dev.curfew.core.EndReason;
import dev.curfew.core.EngineMetrics;
import dev.curfew.core.ManualClock;
import dev.curfew.core.MemoryAuditSink;
import dev.curfew.core.Policies;
import dev.curfew.core.Policy;
import dev.curfew.core.SessionEngine;
import dev.curfew.core.SessionStore;
import io.vertx.core.Vertx;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Which endings of a parent end its children, on a manual clock. */
class ChildEndingsTest {
  private final Vertx vertx = Vertx.vertx();
  private final ManualClock clock = new ManualClock(Instant.parse("2026-12-04T08:00:00Z"));
  private final MemoryAuditSink sink = new MemoryAuditSink();
  private final List<Runnable> endings = new CopyOnWriteArrayList<>();
  private final SessionStore store;
  private final ChildEndings children;

  ChildEndingsTest() {
    Policy web = Policy.of("web", Duration.ofMinutes(1), Duration.ofHours(1), Duration.ofSeconds(10), 3);
    Policy db = Policy.of("db", Duration.ofMinutes(30), Duration.ofHours(8), Duration.ofMinutes(1), 3);
    store = SessionStore.of(new SessionEngine(clock, "node-1", new Policies(List.of(web, db), "web"), sink,
        (id, event, data) -> {
          endings.add(() -> childrenOf(id, event, data));
          return 0;
        }, EngineMetrics.NONE, SessionEngine.Limits.defaults()));
    children = new ChildEndings(vertx, store);
  }

  private void childrenOf(String id, String event, Map<String, Object> data) {
    if (dev.curfew.server.http.EventHub.ENDING_EVENTS.contains(event)) children.sessionEnded(id, event, data);
  }

  @AfterEach
  void close() {
    vertx.close();
  }

  @Test
  void aLogoutEndsTheChildren_anExpiryDoesNot() throws Exception {
    Decision expiring = store.open("alice", "web", Map.of(), Audience.route("/"), "gateway:/").join();
    Decision child = store.openChild(expiring.token(), "db", Audience.of("db:orders")).join().child();
    assertThat(child.allowed()).isTrue();
    clock.advance(Duration.ofMinutes(2)); // the parent's idle deadline passes; the child's (30 min) does not
    assertThat(store.check(expiring.token(), false).join().reason()).isEqualTo(EndReason.IDLE_TIMEOUT);
    deliverEndings();
    Decision loggingOut = store.open("alice", "web", Map.of(), Audience.route("/"), "gateway:/").join();
    Decision second = store.openChild(loggingOut.token(), "db", Audience.of("db:orders")).join().child();
    store.logout(loggingOut.token()).join();
    deliverEndings();
    Awaitility.await().atMost(Duration.ofSeconds(30))
        .until(() -> store.check(second.token(), false).join().reason() == EndReason.PARENT_ENDED);
    // The expiry asked for nothing: the first child lives on.
    assertThat(store.check(child.token(), false).join().allowed()).isTrue();
  }

  private void deliverEndings() {
    List<Runnable> now = List.copyOf(endings);
    endings.clear();
    now.forEach(Runnable::run);
  }
}
