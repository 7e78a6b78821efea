package dev.curfew.bench.reliability;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class GcLogTest {
  @TempDir Path dir;

  @Test
  void readsTheHeapAfterEachCollection_andGroupsYoungOnesByMinute() throws Exception {
    Path log = dir.resolve("gc.log");
    Files.write(log, List.of(
        "[0.012s][info][gc] Using G1",
        "[10.500s][info][gc] GC(0) Pause Young (Normal) (G1 Evacuation Pause) 51M->12M(1024M) 4.321ms",
        "[20.000s][info][gc] GC(1) Pause Full (System.gc()) 40M->34M(1024M) 85.100ms",
        "[70.250s][info][gc] GC(2) Pause Young (Concurrent Start) (G1 Humongous Allocation) 900K->600K(1024M) 1.000ms",
        "[75.000s][info][gc] GC(3) Pause Young (Normal) (G1 Evacuation Pause) 2G->1G(4G) 9.000ms",
        "[80.000s][info][gc] GC(3) Concurrent Mark Cycle 12.345ms"));
    List<GcLog.Collection> all = GcLog.read(log);
    assertThat(all).extracting(GcLog.Collection::afterMiB).containsExactly(12.0, 34.0, 600 / 1024.0, 1024.0);
    assertThat(all.get(1).full()).isTrue();
    assertThat(all.get(0).full()).isFalse();
    List<Soak.HeapMinute> minutes = Soak.heapByMinute(all, 20.0, 120);
    assertThat(minutes).containsExactly(new Soak.HeapMinute(1, 2, 600 / 1024.0, 1024.0));
  }
}
