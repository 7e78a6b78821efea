package dev.curfew.core.schedule;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.LongRange;
import net.jqwik.api.constraints.Size;

/** Staggered wheels fire exactly the timers a plain model says are due, whatever the shard offsets. */
class StaggeredWheelsTest {
  static final class T extends Timer {
    final int id;

    T(int id) {
      this.id = id;
    }
  }

  @Property(tries = 300, seed = "20261128")
  void firesExactlyTheDueTimers(
      @ForAll @LongRange(min = 0, max = 4_000_000_000_000L) long startMs,
      @ForAll @IntRange(min = 1, max = 16) int shards,
      @ForAll @Size(max = 200) List<@IntRange(min = 0, max = 10_000) Integer> ops) {
    StaggeredWheels<T> wheels = new StaggeredWheels<>(startMs, shards, 4_096, t -> t.id * 31);
    List<T> timers = new ArrayList<>();
    for (int i = 0; i < 20; i++) timers.add(new T(i));
    Map<T, Long> model = new HashMap<>();
    long now = startMs;
    for (int op : ops) {
      T t = timers.get(op % timers.size());
      switch (op % 4) {
        case 0, 1 -> {
          long deadline = now + (op * 37L) % 600_000; // up to 10 minutes ahead
          wheels.schedule(t, deadline);
          model.put(t, deadline);
          assertThat(wheels.deadlineMs(t)).isEqualTo(deadline);
        }
        case 2 -> {
          wheels.deschedule(t);
          model.remove(t);
        }
        default -> {
          now += (op * 13L) % 70_000;
          Set<T> fired = new HashSet<>();
          wheels.advance(now, fired::add);
          Set<T> due = new HashSet<>();
          for (Map.Entry<T, Long> e : model.entrySet()) if (e.getValue() <= now) due.add(e.getKey());
          assertThat(fired).isEqualTo(due);
          due.forEach(model::remove);
        }
      }
      assertThat(wheels.size()).isEqualTo(model.size());
      long min = model.values().stream().mapToLong(Long::longValue).min().orElse(Long.MAX_VALUE);
      assertThat(wheels.nextDeadlineMs()).isLessThanOrEqualTo(min);
      wheels.checkInvariants();
    }
  }
}
