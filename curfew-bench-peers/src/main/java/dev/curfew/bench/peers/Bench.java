package dev.curfew.bench.peers;

import java.time.Duration;
import java.util.List;

/** What every peer's run shares: sizes, durations and the sessions' timeouts. */
record Bench(RedisTarget redis, int sessions, List<Integer> threads, List<Integer> inFlight, int warmupSeconds,
    int seconds, String namespace) {
  /** Idle timeout of every session, Spring's and Curfew's: nothing expires during a run. */
  static final Duration IDLE = Duration.ofHours(1);

  static Bench from(Options o, String peer) {
    return new Bench(o.redis(), o.integer("sessions", 100_000), o.integers("threads", "8,16,32,64"),
        o.integers("in-flight", "64,128,256,512"), o.integer("warmup", 5), o.integer("duration", 20),
        o.string("namespace", "curfew-bench-peers") + ":" + peer);
  }

  /** Every key of the run starts with this. */
  String keyPrefix() {
    return namespace + ":";
  }

  String describe(boolean withInFlight) {
    return String.format("Redis %s, %,d sessions, threads %s%s, warm-up %d s, measured %d s, keys %s*",
        redis, sessions, threads, withInFlight ? ", in flight " + inFlight : "", warmupSeconds, seconds, keyPrefix());
  }
}
