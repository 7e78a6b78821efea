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
 * The data of the warnings and endings the timers publish: a follower that reads it gets what it
 * always got; nothing is built for a publication nobody reads.
 */
class TimerEventDataTest {
  private static final Instant START = Instant.parse("2026-12-04T21:00:00.000Z");
  private static final Policy POLICY = Policy.of("p", Duration.ofSeconds(60), Duration.ofMinutes(10), Duration.ofSeconds(20), 3);

  private record Published(String event, Map<String, Object> data) {}

  private final SimulatedTime time = new SimulatedTime(START);
  private final List<Published> published = new ArrayList<>();
  private final SessionEngine engine = new SessionEngine(new SystemClock(time, SystemClock.DEFAULT_STEP_THRESHOLD_MS),
      "node-1", new Policies(List.of(POLICY), "p"), new MemoryAuditSink(),
      (id, event, data) -> {
        published.add(new Published(event, data));
        return 0;
      }, EngineMetrics.NONE, SessionEngine.Limits.defaults());

  private void passTo(long ms) {
    time.advance(Duration.ofMillis(ms - (time.wallMillis() - START.toEpochMilli())));
    engine.advanceTimers();
  }

  private Published only(String event) {
    List<Published> found = published.stream().filter(p -> p.event().equals(event)).toList();
    assertThat(found).hasSize(1);
    return found.get(0);
  }

  @Test
  void aFollowerReadingTheWarningAndTheEnding_getsTheirData() {
    engine.open("alice", null, Map.of());
    passTo(40_000);
    Map<String, Object> warning = new LinkedHashMap<>(only("warning").data());
    assertThat(warning).isEqualTo(SessionEvents.warningData(START.toEpochMilli() + 60_000, START.toEpochMilli() + 40_000))
        .containsEntry("expires_at", "2026-12-04T21:01:00.000Z").containsEntry("seconds_left", 20L);
    passTo(60_000);
    Map<String, Object> expired = new LinkedHashMap<>(only("expired").data());
    assertThat(expired).isEqualTo(SessionEvents.endedData(EndReason.IDLE_TIMEOUT, START.toEpochMilli() + 60_000))
        .containsEntry("reason", "idle_timeout").containsEntry("expired_at", "2026-12-04T21:01:00.000Z");
  }

  @Test
  void nobodyReadsThem_nothingIsBuilt() {
    engine.open("alice", null, Map.of());
    passTo(40_000);
    passTo(60_000);
    assertThat(((LazyMap) only("warning").data()).wasBuilt()).isFalse();
    assertThat(((LazyMap) only("expired").data()).wasBuilt()).isFalse();
  }
}
