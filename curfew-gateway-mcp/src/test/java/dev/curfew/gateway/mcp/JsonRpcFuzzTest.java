package dev.curfew.gateway.mcp;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.buffer.Buffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/**
 * Replayed fuzzing (fixed seeds) of what a client can POST and what an upstream can stream: the
 * JSON-RPC parser answers every input with a message or a typed {@link JsonRpc.Invalid}, never
 * anything else, and the SSE framer finds the same events however the bytes are cut.
 */
class JsonRpcFuzzTest {
  private static final List<String> PIECES = List.of("{", "}", "[", "]", ",", ":", "\"jsonrpc\"", "\"2.0\"", "\"id\"",
      "\"method\"", "\"params\"", "\"result\"", "\"error\"", "1", "-1e999", "null", "true", "\"tools/call\"", "\"\\u0000\"",
      "\"\\ud800\"", "{}", "[]", " ", "\"name\"", "\"arguments\"", "0.5", "99999999999999999999999");

  @Provide
  Arbitrary<String> jsonish() {
    return Arbitraries.of(PIECES).list().ofMaxSize(40).map(l -> String.join("", l));
  }

  @Property(tries = 2000, seed = "20261203")
  void everyBodyIsAMessageOrATypedError(@ForAll("jsonish") String text) {
    check(Buffer.buffer(text));
  }

  @Property(tries = 1000, seed = "20261204")
  void everyByteStringIsAMessageOrATypedError(@ForAll byte[] bytes) {
    check(Buffer.buffer(bytes));
  }

  @Property(tries = 500, seed = "20261205")
  void wellFormedMessagesParseToWhatTheySay(@ForAll("messages") String[] m) {
    String body = "{\"jsonrpc\":\"2.0\"" + (m[0] == null ? "" : ",\"id\":" + m[0]) + ",\"method\":\"" + m[1] + "\"}";
    try {
      JsonRpc.Message parsed = JsonRpc.parse(Buffer.buffer(body));
      assertThat(parsed.method()).isEqualTo(m[1]);
      assertThat(parsed.kind()).isEqualTo(m[0] == null ? JsonRpc.Kind.NOTIFICATION : JsonRpc.Kind.REQUEST);
    } catch (JsonRpc.Invalid e) {
      throw new AssertionError(body + ": " + e.getMessage());
    }
  }

  @Provide
  Arbitrary<String[]> messages() {
    Arbitrary<String> id = Arbitraries.oneOf(Arbitraries.integers().map(String::valueOf),
        Arbitraries.strings().alpha().ofMaxLength(8).map(s -> "\"" + s + "\""), Arbitraries.just(null));
    Arbitrary<String> method = Arbitraries.strings().alpha().withChars('/', '_').ofMinLength(1).ofMaxLength(20);
    return Combinators.combine(id, method).as((i, mm) -> new String[] {i, mm});
  }

  /** The parser's invariant on one body: a message whose kind fits its fields, or a typed JSON-RPC error. */
  static void check(Buffer body) {
    try {
      JsonRpc.Message m = JsonRpc.parse(body);
      if (m.kind() == JsonRpc.Kind.REQUEST) assertThat(m.id()).isNotNull();
      if (m.kind() != JsonRpc.Kind.RESPONSE) assertThat(m.method()).isNotEmpty();
      m.toolName();
      m.argumentsJson();
    } catch (JsonRpc.Invalid e) {
      assertThat(e.code).isIn(JsonRpc.PARSE_ERROR, JsonRpc.INVALID_REQUEST);
    }
  }

  @Property(tries = 500, seed = "20261206")
  void sseEventsAreFoundWholeHoweverTheStreamIsCut(@ForAll("cuts") List<Integer> cuts) {
    String stream = "event: message\ndata: {\"a\":1}\n\n: comment\r\ndata: x\r\ndata:y\r\n\r\nid: 7\rdata: z\r\r";
    byte[] bytes = stream.getBytes(StandardCharsets.UTF_8);
    List<String> raws = new ArrayList<>();
    List<String> datas = new ArrayList<>();
    SseEvents events = new SseEvents(1 << 16, (raw, data) -> {
      raws.add(raw.toString());
      datas.add(data);
    });
    int at = 0;
    for (int c : cuts) {
      int end = Math.min(bytes.length, at + c);
      events.feed(Buffer.buffer(java.util.Arrays.copyOfRange(bytes, at, end)));
      at = end;
    }
    events.feed(Buffer.buffer(java.util.Arrays.copyOfRange(bytes, at, bytes.length)));
    events.feed(Buffer.buffer("\n")); // a final CR waits for a possible LF: an LF settles it
    assertThat(datas).containsExactly("{\"a\":1}", "x\ny", "z");
    assertThat(String.join("", raws)).isEqualTo(stream + "\n");
  }

  @Provide
  Arbitrary<List<Integer>> cuts() {
    return Arbitraries.integers().between(0, 12).list().ofMaxSize(20);
  }
}
