package dev.curfew.gateway.ssh;

import static org.assertj.core.api.Assertions.assertThat;

import dev.curfew.core.Audience;
import dev.curfew.core.Decision;
import dev.curfew.core.MemoryAuditSink;
import dev.curfew.core.ManualClock;
import dev.curfew.core.Policies;
import dev.curfew.core.SessionEngine;
import dev.curfew.core.SessionStore;
import java.lang.reflect.Proxy;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The gateway's pieces on their own: the login name, the words, the gate's coalescing, recordings. */
class SshGatewayPartsTest {
  @TempDir Path dir;

  @Test
  void theTargetIsWhatFollowsTheLastAt() {
    assertThat(TargetLogin.parse("alice@build-box")).contains(new TargetLogin("alice", "build-box"));
    assertThat(TargetLogin.parse("alice@example.com@build-box")).contains(new TargetLogin("alice@example.com", "build-box"));
    assertThat(TargetLogin.parse("alice")).isEmpty();
    assertThat(TargetLogin.parse("@build-box")).isEmpty();
    assertThat(TargetLogin.parse("alice@")).isEmpty();
    assertThat(TargetLogin.parse("a".repeat(TargetLogin.MAX_LENGTH) + "@x")).isEmpty();
  }

  @Test
  void theWarningStandsOnItsOwnLineWithABellAndTheTimeLeft() {
    long at = java.time.Instant.parse("2026-01-01T14:32:05Z").toEpochMilli();
    assertThat(TerminalText.warning(at, 60, false)).isEqualTo(
        "\r\n\u0007curfew: this session ends at 14:32:05Z (idle timeout) in 60 s; any keystroke keeps it open\r\n");
    assertThat(TerminalText.warning(at, 5, true)).contains("(absolute timeout) in 5 s; it cannot be extended");
    assertThat(TerminalText.endLine("revoked")).isEqualTo("\r\n\u0007curfew: session ended (revoked)\r\n");
  }

  /** A store whose check answers only when the test says so, counting calls. */
  static final class HeldStore {
    final List<CompletableFuture<Decision>> calls = new ArrayList<>();
    final List<Boolean> touches = new ArrayList<>();
    final List<Object> places = new ArrayList<>();
    final SessionStore store = (SessionStore) Proxy.newProxyInstance(SessionStore.class.getClassLoader(),
        new Class<?>[] {SessionStore.class}, (p, m, args) -> {
          if (!m.getName().equals("check")) throw new UnsupportedOperationException(m.getName());
          CompletableFuture<Decision> f = new CompletableFuture<>();
          synchronized (this) {
            calls.add(f);
            touches.add((Boolean) args[1]);
            places.add(args.length > 2 ? args[2] : "no place");
          }
          return f;
        });
  }

  @Test
  void batchesArrivingWhileACheckIsInFlightShareTheNextOneNeverTheEarlierAnswer() {
    HeldStore held = new HeldStore();
    ActivityGate gate = new ActivityGate(held.store, "cft_x", Audience.of("ssh:build-box"));
    CompletableFuture<Decision> first = gate.check(false);
    CompletableFuture<Decision> second = gate.check(true);
    CompletableFuture<Decision> third = gate.check(true);
    assertThat(held.calls).hasSize(1); // one in flight
    Decision a = new Decision(Decision.Verdict.ALLOWED, null, null, "a", null, CompletableFuture.completedFuture(null));
    Decision b = new Decision(Decision.Verdict.ALLOWED, null, null, "b", null, CompletableFuture.completedFuture(null));
    held.calls.get(0).complete(a);
    assertThat(first).isCompletedWithValue(a);
    assertThat(second).isNotDone(); // arrived after the first call started: waits for its own answer
    assertThat(held.calls).hasSize(2);
    assertThat(held.touches).containsExactly(false, true); // the shared call touches: one of its batches did
    held.calls.get(1).complete(b);
    assertThat(second).isCompletedWithValue(b);
    assertThat(third).isCompletedWithValue(b);
    gate.check(false);
    assertThat(held.calls).hasSize(3); // idle again: the next batch starts its own call
    // Every call, touching or not, is made at the target's place: the store enforces the audience.
    assertThat(held.places).containsOnly(Audience.of("ssh:build-box"));
  }

  @Test
  void aRecordingIsAsciicastWithMultiByteCharactersCutAcrossReadsKeptWhole() throws Exception {
    Path file = dir.resolve("r").resolve("c-1.cast");
    Recording r = Recording.start(file, 120, 40, "xterm-256color", 1_767_225_600_000L, 0);
    byte[] euro = "€ ok\n".getBytes(StandardCharsets.UTF_8); // € is three bytes
    r.output(new byte[] {euro[0], euro[1]}, 1_500_000_000L);
    r.output(java.util.Arrays.copyOfRange(euro, 2, euro.length), 2_000_000_000L);
    String sha = r.finish();
    List<String> lines = Files.readAllLines(file);
    assertThat(lines.get(0)).isEqualTo(
        "{\"env\":{\"TERM\":\"xterm-256color\"},\"height\":40,\"timestamp\":1767225600,\"version\":2,\"width\":120}");
    assertThat(lines.subList(1, lines.size())).containsExactly("[2.000000,\"o\",\"€ ok\\n\"]");
    assertThat(sha).isEqualTo(java.util.HexFormat.of().formatHex(
        java.security.MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(file))));
    assertThat(r.finish()).isEqualTo(sha);
  }

  @Test
  void aRecordingOfATerminalWithoutASizeSays80x24AndResizesAreRecordedAsResizeEvents() throws Exception {
    Path file = dir.resolve("r").resolve("c-2.cast");
    Recording r = Recording.start(file, 0, 0, "xterm", 1_767_225_600_000L, 0); // ssh -tt from a script: 0x0
    r.output("a".getBytes(StandardCharsets.UTF_8), 1_000_000_000L);
    r.resize(132, 43, 1_250_000_000L);
    r.resize(0, 0, 1_500_000_000L);
    r.finish();
    List<String> lines = Files.readAllLines(file);
    assertThat(lines.get(0)).contains("\"height\":24").contains("\"width\":80");
    assertThat(lines.subList(1, lines.size())).containsExactly("[1.000000,\"o\",\"a\"]",
        "[1.250000,\"r\",\"132x43\"]", "[1.500000,\"r\",\"80x24\"]");
  }

  @Test
  void gatewayEventsAreRecordedWithTheSessionOnlyThoseTypes() throws Exception {
    MemoryAuditSink audit = new MemoryAuditSink();
    SessionEngine engine = new SessionEngine(new ManualClock(java.time.Instant.parse("2026-01-01T00:00:00Z")), "n", new Policies(
        List.of(GatewayFixture.OPS), "ops"), audit, null, null, null);
    String id = engine.open("alice", "ops", Map.of()).status().sessionId();
    engine.recordGatewayEvent(id, "connection.opened", Map.of("target", "build-box")).get();
    engine.recordGatewayEvent(null, "connection.refused", Map.of("why", "revoked")).get();
    var opened = audit.records().get(audit.records().size() - 2);
    assertThat(opened.sessionId()).isEqualTo(id);
    assertThat(opened.subject()).isEqualTo("alice");
    assertThat(audit.records().get(audit.records().size() - 1).sessionId()).isNull();
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> engine.recordGatewayEvent(id, "session.revoked", Map.of()))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("not a gateway record type");
  }
}
