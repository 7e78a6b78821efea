package dev.curfew.bench;

import dev.curfew.core.Decision;
import dev.curfew.core.Policies;
import dev.curfew.core.Policy;
import dev.curfew.core.SessionEngine;
import dev.curfew.core.SystemClock;
import dev.curfew.core.Tokens;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * In-process check-and-touch: {@link SessionEngine#check(String, boolean)} with touch on a random
 * live session among {@code sessions}, on the system clock. Includes hashing the presented token
 * (SHA-256), the index lookup, the deadline comparison and the touch.
 *
 * <p>The token a real request presents was just parsed from the request, so it is in cache. The
 * {@code checkAndTouch} and {@code checkPassive} methods therefore take tokens from a ring of
 * {@value #RING} strings refilled, when it runs out, from the tokens of random sessions kept as
 * bytes in one array: the refill (its {@value #RING} independent loads, issued together before any
 * copy, and the string copies) is inside the measurement, amortised over the ring. The {@code ...FromArray}
 * methods take a random element of a {@code String[]} as before, which adds two dependent cache
 * misses of the benchmark's own (the array slot, then the string and its bytes) at a million sessions.
 *
 * <p>The fork's heap is fixed and touched before the run ({@code -Xms4g -Xmx4g -XX:+AlwaysPreTouch}):
 * with a growing heap, the kernel's first-touch faults of new heap pages took about a fifth of the
 * samples and halved the score (docs/benchmarks.md, check and touch); a server that has run a while
 * has its heap touched already. {@code -jvmArgsAppend} on the command line replaces these.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(jvmArgsAppend = {"-Xms4g", "-Xmx4g", "-XX:+AlwaysPreTouch"})
public class CheckBenchmark {
  @Param({"1000000"})
  int sessions;

  static final int RING = 256;

  SessionEngine engine;
  String[] tokens;
  /** The tokens' ASCII bytes, {@link Tokens#TOKEN_LENGTH} per session. */
  byte[] tokenBytes;

  @Setup
  public void setUp() {
    Policy p = Policy.of("bench", Duration.ofHours(1), Duration.ofHours(12), Duration.ofMinutes(2), 10);
    engine = new SessionEngine(new SystemClock(), "bench", new Policies(List.of(p), "bench"), new DiscardingSink(),
        null, null, SessionEngine.Limits.defaults());
    tokens = new String[sessions];
    tokenBytes = new byte[sessions * Tokens.TOKEN_LENGTH];
    for (int i = 0; i < sessions; i++) {
      tokens[i] = engine.open("user" + i, null, Map.of()).token();
      byte[] b = tokens[i].getBytes(StandardCharsets.US_ASCII);
      System.arraycopy(b, 0, tokenBytes, i * Tokens.TOKEN_LENGTH, Tokens.TOKEN_LENGTH);
    }
  }

  /** Each thread's ring of tokens of random sessions, as requests that were just parsed present them. */
  @State(Scope.Thread)
  public static class Presented {
    final String[] ring = new String[RING];
    int next = RING;
    byte[] tokenBytes;
    int sessions;

    @Setup
    public void setUp(CheckBenchmark b) {
      tokenBytes = b.tokenBytes;
      sessions = b.sessions;
    }

    final int[] picked = new int[RING];
    /** What the refill's first pass read, kept so that the JIT cannot drop those loads. */
    int touched;

    String token() {
      if (next == RING) refill();
      return ring[next++];
    }

    /**
     * Two passes: the first reads the first and last byte of each picked token (independent loads,
     * which the processor overlaps), the second copies them, now in cache, into strings. One pass
     * that copies as it goes waited for each token's miss in turn inside the copy: about a ninth of
     * the benchmark's samples at a million sessions (docs/benchmarks.md, check and touch).
     */
    private void refill() {
      ThreadLocalRandom rnd = ThreadLocalRandom.current();
      int sum = 0;
      for (int k = 0; k < RING; k++) {
        int at = rnd.nextInt(sessions) * Tokens.TOKEN_LENGTH;
        picked[k] = at;
        sum += tokenBytes[at] + tokenBytes[at + Tokens.TOKEN_LENGTH - 1];
      }
      touched += sum;
      for (int k = 0; k < RING; k++) {
        ring[k] = new String(tokenBytes, picked[k], Tokens.TOKEN_LENGTH, StandardCharsets.ISO_8859_1);
      }
      next = 0;
    }
  }

  @Benchmark
  public Decision checkAndTouch(Presented p) {
    return engine.check(p.token(), true);
  }

  @Benchmark
  public Decision checkPassive(Presented p) {
    return engine.check(p.token(), false);
  }

  @Benchmark
  public Decision checkAndTouchFromArray() {
    return engine.check(tokens[ThreadLocalRandom.current().nextInt(tokens.length)], true);
  }

  @Benchmark
  public Decision checkPassiveFromArray() {
    return engine.check(tokens[ThreadLocalRandom.current().nextInt(tokens.length)], false);
  }
}
