package dev.curfew.store.embedded;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import dev.curfew.core.EngineMetrics;
import dev.curfew.core.ManualClock;
import dev.curfew.core.Policies;
import dev.curfew.core.Policy;
import dev.curfew.core.SessionEngine;
import dev.curfew.core.SessionEvents;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A stop (SIGTERM: {@link EmbeddedStore#close}) while the audit log cannot be written: the stop
 * must end, with an error, rather than wait for the disk forever.
 */
class StopWhileUnwritableTest {
  @TempDir Path parent;

  /**
   * The data directory removed under a running server (a temporary-files cleaner, a mistaken
   * {@code rm -rf}): the final snapshot's new token journal cannot be created, and the log retries
   * it. Before, the stop waited for that retry to succeed, for ever.
   */
  @Test
  void aStopAfterTheDataDirectoryWasRemoved_givesUpTheFinalSnapshotAndEnds() throws Exception {
    ManualClock clock = new ManualClock(Instant.parse("2026-12-04T15:00:00Z"));
    Path data = parent.resolve("data");
    EmbeddedStore store = EmbeddedStore.open(data, EmbeddedStore.Options.defaults().withClock(clock)
        .withSnapshotInterval(Duration.ofHours(1)).withVersion("test").withCloseTimeout(Duration.ofSeconds(3)), "node-1");
    Policy p = Policy.of("p", Duration.ofMinutes(15), Duration.ofHours(12), Duration.ofMinutes(2), 3);
    SessionEngine engine = new SessionEngine(clock, "node-1", new Policies(List.of(p), "p"), store.log(),
        SessionEvents.NONE, EngineMetrics.NONE, SessionEngine.Limits.defaults());
    store.recover(engine);
    engine.open("alice", "p", Map.of()).durable().join();
    store.stopWait(Duration.ofSeconds(1));

    deleteRecursively(data);
    long started = System.nanoTime();
    // 1 s for node.stopped and the snapshot, then the log's own close timeout (3 s here) for what it holds
    assertTimeoutPreemptively(Duration.ofSeconds(90), () -> assertThatThrownBy(store::close)
        .isInstanceOf(IOException.class).hasMessageStartingWith("snapshot abandoned: the audit log could not be written within"));
    assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(60)).isGreaterThanOrEqualTo(Duration.ofSeconds(3));
  }

  private static void deleteRecursively(Path dir) throws IOException {
    try (Stream<Path> paths = Files.walk(dir)) {
      for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) Files.delete(p);
    }
  }
}
