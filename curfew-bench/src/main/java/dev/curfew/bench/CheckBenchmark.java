package dev.curfew.bench;

import dev.curfew.core.Decision;
import dev.curfew.core.Policies;
import dev.curfew.core.Policy;
import dev.curfew.core.SessionEngine;
import dev.curfew.core.SystemClock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
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
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class CheckBenchmark {
  @Param({"1000000"})
  int sessions;

  SessionEngine engine;
  String[] tokens;

  @Setup
  public void setUp() {
    Policy p = Policy.of("bench", Duration.ofHours(1), Duration.ofHours(12), Duration.ofMinutes(2), 10);
    engine = new SessionEngine(new SystemClock(), "bench", new Policies(List.of(p), "bench"), new DiscardingSink(),
        null, null, SessionEngine.Limits.defaults());
    tokens = new String[sessions];
    for (int i = 0; i < sessions; i++) {
      tokens[i] = engine.open("user" + i, null, Map.of()).token();
    }
  }

  @Benchmark
  public Decision checkAndTouch() {
    return engine.check(tokens[ThreadLocalRandom.current().nextInt(tokens.length)], true);
  }

  @Benchmark
  public Decision checkPassive() {
    return engine.check(tokens[ThreadLocalRandom.current().nextInt(tokens.length)], false);
  }
}
