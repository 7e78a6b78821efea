package dev.curfew.server.http;

import static org.assertj.core.api.Assertions.assertThat;

import dev.curfew.core.SessionEventSource;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

/** The fan-out as the protocol gateways' {@link SessionEventSource}: every event of a followed session. */
class SessionEventFanOutFollowTest {
  @Test
  void aFollowerGetsWarningsAndEndingsDecidedHereOrElsewhereUntilItUnsubscribes() {
    SessionEventFanOut fanOut = new SessionEventFanOut((id, event, data) -> 0);
    List<String> seen = new CopyOnWriteArrayList<>();
    SessionEventSource.Subscription sub = fanOut.follow("s_1", (id, event, data) -> {
      seen.add(id + ":" + event);
      return 1;
    });
    assertThat(fanOut.publish("s_1", "warning", Map.of("seconds_left", 60L))).isEqualTo(1); // counted as delivered
    fanOut.publish("s_2", "warning", Map.of());
    fanOut.remote().publish("s_1", "revoked", Map.of("reason", "revoked"));
    assertThat(seen).containsExactly("s_1:warning", "s_1:revoked");
    sub.close();
    sub.close();
    fanOut.publish("s_1", "expired", Map.of("reason", "idle_timeout"));
    assertThat(seen).hasSize(2);
  }

  @Test
  void aFailingFollowerDoesNotStopTheOthers() {
    SessionEventFanOut fanOut = new SessionEventFanOut((id, event, data) -> 0);
    List<String> seen = new CopyOnWriteArrayList<>();
    fanOut.follow("s_1", (id, event, data) -> {
      throw new IllegalStateException("a follower's bug");
    });
    fanOut.follow("s_1", (id, event, data) -> {
      seen.add(event);
      return 1;
    });
    fanOut.publish("s_1", "expired", Map.of("reason", "idle_timeout"));
    assertThat(seen).containsExactly("expired");
  }
}
