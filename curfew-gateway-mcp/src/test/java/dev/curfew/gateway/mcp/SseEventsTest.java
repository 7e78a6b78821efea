package dev.curfew.gateway.mcp;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.buffer.Buffer;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class SseEventsTest {
  private static final int LIMIT = 64;

  private final List<String> delivered = new ArrayList<>();
  private final SseEvents events = new SseEvents(LIMIT, (raw, data) -> delivered.add(raw.toString()));

  /** An event of exactly {@code bytes} bytes, blank line included. */
  private static String event(int bytes) {
    String head = "data: ";
    return head + "x".repeat(bytes - head.length() - 2) + "\n\n";
  }

  @Test
  void anEventAtTheLimit_isDelivered() {
    assertThat(events.feed(Buffer.buffer(event(LIMIT)))).isTrue();
    assertThat(delivered).containsExactly(event(LIMIT));
  }

  @Test
  void anEventOverTheLimit_isRefused_evenWhenOneChunkCarriesItWhole() {
    assertThat(events.feed(Buffer.buffer(event(LIMIT + 1)))).isFalse();
    assertThat(delivered).isEmpty();
  }

  @Test
  void eventsBeforeAnOversizedOne_inTheSameChunk_areDelivered_andNothingAfterIt() {
    String chunk = event(10) + event(LIMIT + 1) + event(12);
    assertThat(events.feed(Buffer.buffer(chunk))).isFalse();
    assertThat(delivered).containsExactly(event(10));
  }

  @Test
  void manySmallEventsInOneChunk_passHoweverLongTheChunk() {
    String chunk = event(20).repeat(10);
    assertThat(events.feed(Buffer.buffer(chunk))).isTrue();
    assertThat(delivered).hasSize(10);
  }

  @Test
  void anUnfinishedEventOverTheLimit_isRefused() {
    assertThat(events.feed(Buffer.buffer("data: " + "y".repeat(LIMIT)))).isFalse();
    assertThat(delivered).isEmpty();
  }

  @Test
  void onceRefused_theStreamStaysRefused() {
    assertThat(events.feed(Buffer.buffer(event(LIMIT + 1)))).isFalse();
    assertThat(events.feed(Buffer.buffer(event(10)))).isFalse();
    assertThat(delivered).isEmpty();
  }
}
