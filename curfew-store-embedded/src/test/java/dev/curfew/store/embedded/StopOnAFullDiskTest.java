package dev.curfew.store.embedded;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.curfew.core.EngineMetrics;
import dev.curfew.core.ManualClock;
import dev.curfew.core.Policies;
import dev.curfew.core.Policy;
import dev.curfew.core.SessionEngine;
import dev.curfew.core.SessionEvents;
import dev.curfew.core.fs.SmallTmpfs;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A stop on a full disk fails more than once: {@code node.stopped} or the final snapshot cannot be
 * written, and neither can the final checkpoint of the records before it. The operator must read
 * the first failure, the one that says what the stop could not keep; the later ones ride along as
 * suppressed.
 */
class StopOnAFullDiskTest {
  @TempDir Path parent;

  @Test
  void theFirstFailureOfAStopIsTheOneThrown_theCheckpointsFailureIsSuppressedUnderIt() throws Exception {
    ManualClock clock = new ManualClock(Instant.parse("2026-12-05T19:00:00Z"));
    try (SmallTmpfs fs = SmallTmpfs.mount(parent, 4L << 20)) {
      Path data = fs.dir().resolve("data");
      EmbeddedStore store = EmbeddedStore.open(data, EmbeddedStore.Options.defaults().withClock(clock)
          .withSnapshotInterval(Duration.ofHours(1)).withVersion("test").withCloseTimeout(Duration.ofSeconds(2)), "node-1");
      Policy p = Policy.of("p", Duration.ofMinutes(15), Duration.ofHours(12), Duration.ofMinutes(2), 3);
      SessionEngine engine = new SessionEngine(clock, "node-1", new Policies(List.of(p), "p"), store.log(),
          SessionEvents.NONE, EngineMetrics.NONE, SessionEngine.Limits.defaults());
      store.recover(engine);
      // records the periodic checkpoint has not signed yet: the stop's final checkpoint must sign them
      for (int i = 0; i < 20; i++) engine.open("user-" + i, "p", Map.of()).durable().join();
      store.stopWait(Duration.ofSeconds(1));

      fs.fill();
      IOException thrown = catchThrowableOfType(store::close, IOException.class);

      assertThat(thrown).as("the stop fails").isNotNull();
      // node.stopped may still fit in the log's last page; the final snapshot's file cannot
      assertThat(stackOf(thrown)).as("the first failure: node.stopped or the final snapshot")
          .containsAnyOf("node.stopped abandoned", "Snapshotter.write");
      assertThat(thrown).as("not the final checkpoint's").hasMessageNotContaining("Merkle tree");
      assertThat(thrown.getSuppressed()).as("the final checkpoint's failure, kept under it")
          .anySatisfy(s -> assertThat(s).hasMessageStartingWith("cannot force the Merkle tree"));
      fs.free();
    }
  }

  private static String stackOf(Throwable t) {
    java.io.StringWriter out = new java.io.StringWriter();
    t.printStackTrace(new java.io.PrintWriter(out));
    return out.toString();
  }
}
