package dev.curfew.gateway.mcp;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.vertx.core.buffer.Buffer;
import java.util.ArrayList;
import java.util.List;

/**
 * The MCP gateway's readers of untrusted bytes, under Jazzer: what a client POSTs (JSON-RPC) and
 * what an upstream streams (server-sent events). An ordinary {@code mvn verify} replays the kept
 * inputs (McpParsersFuzzTestInputs) only; {@code mvn -Pfuzz verify} explores
 * ({@link GatewayMcpFuzzCampaignTest}). {@link JsonRpcFuzzTest} holds the fixed-seed properties.
 */
class McpParsersFuzzTest {
  private static final int MAX_EVENT_BYTES = 512;

  /** Every body is a message whose kind fits its fields, or a typed JSON-RPC error, never anything else. */
  @FuzzTest
  void jsonRpc_isAMessageOrATypedError(byte[] input) {
    JsonRpcFuzzTest.check(Buffer.buffer(input));
  }

  /**
   * The first byte chooses how the rest is cut. The events found (their raw bytes and data), and
   * whether the stream was refused for an event over the limit, do not depend on where the stream
   * was cut; each event's raw bytes are the stream's own, in order, with nothing skipped between
   * them, and none is over the limit.
   */
  @FuzzTest
  void sseEvents_doNotDependOnChunking(byte[] input) {
    if (input.length == 0) return;
    int chunk = 1 + (input[0] & 0xff) % 29;
    Buffer stream = Buffer.buffer(input).slice(1, input.length);
    Found whole = feed(List.of(stream));
    List<Buffer> pieces = new ArrayList<>();
    for (int at = 0; at < stream.length(); at += chunk) pieces.add(stream.slice(at, Math.min(stream.length(), at + chunk)));
    Found cut = feed(pieces);

    assertThat(cut.refused).as("refused, cut every %d bytes", chunk).isEqualTo(whole.refused);
    assertThat(cut.events).as("cut every %d bytes", chunk).isEqualTo(whole.events);
    assertThat(stream.toString(java.nio.charset.StandardCharsets.ISO_8859_1))
        .startsWith(whole.raw.toString(java.nio.charset.StandardCharsets.ISO_8859_1));
  }

  private record Found(List<String> events, Buffer raw, boolean refused) {}

  private static Found feed(List<Buffer> chunks) {
    List<String> events = new ArrayList<>();
    Buffer raw = Buffer.buffer();
    SseEvents sse = new SseEvents(MAX_EVENT_BYTES, (bytes, data) -> {
      assertThat(bytes.length()).isLessThanOrEqualTo(MAX_EVENT_BYTES);
      raw.appendBuffer(bytes);
      events.add(bytes.length() + ":" + data);
    });
    for (Buffer c : chunks) {
      if (!sse.feed(c)) return new Found(events, raw, true);
    }
    return new Found(events, raw, false);
  }
}
