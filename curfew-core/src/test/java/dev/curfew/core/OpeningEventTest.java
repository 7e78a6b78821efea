package dev.curfew.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The {@code status} event of an opening: a follower that reads its data gets the session's status,
 * as it always did; the engine builds that data only when somebody reads it.
 */
class OpeningEventTest {
  private static final Policy POLICY = Policy.of("p", Duration.ofSeconds(60), Duration.ofMinutes(10), Duration.ofSeconds(20), 3);

  private record Published(String sessionId, String event, Map<String, Object> data) {}

  private final SimulatedTime time = new SimulatedTime(Instant.parse("2026-12-04T20:00:00.000Z"));
  private final List<Published> published = new ArrayList<>();
  private final SessionEngine engine = new SessionEngine(new SystemClock(time, SystemClock.DEFAULT_STEP_THRESHOLD_MS),
      "node-1", new Policies(List.of(POLICY), "p"), new MemoryAuditSink(),
      (id, event, data) -> {
        published.add(new Published(id, event, data));
        return 0;
      }, EngineMetrics.NONE, SessionEngine.Limits.defaults());

  @Test
  void aFollowerThatReadsTheData_getsTheStatusOfTheNewSession() {
    Decision d = engine.open("alice", null, Map.of("team", "ops"));
    assertThat(published).hasSize(1);
    Published p = published.get(0);
    assertThat(p.sessionId()).isEqualTo(d.status().sessionId());
    assertThat(p.event()).isEqualTo("status");
    assertThat(new LinkedHashMap<>(p.data())).isEqualTo(d.status().toMap());
    assertThat(p.data().get("subject")).isEqualTo("alice");
    assertThat(p.data()).containsKey("idle_expires_at").hasSize(d.status().toMap().size());
  }

  @Test
  void nobodyReadsIt_nothingIsBuilt() {
    engine.open("alice", null, Map.of());
    assertThat(((LazyMap) published.get(0).data()).wasBuilt()).isFalse();
  }

  @Test
  void theDataCannotBeChangedByOneFollowerForTheNext() {
    engine.open("alice", null, Map.of());
    Map<String, Object> data = published.get(0).data();
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> data.put("subject", "mallory"))
        .isInstanceOf(UnsupportedOperationException.class);
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> data.entrySet().clear())
        .isInstanceOf(UnsupportedOperationException.class);
  }
}
