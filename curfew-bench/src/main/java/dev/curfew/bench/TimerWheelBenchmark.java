package dev.curfew.bench;

import dev.curfew.core.schedule.Timer;
import dev.curfew.core.schedule.TimerWheel;
import java.util.ArrayDeque;
import java.util.SplittableRandom;
import java.util.concurrent.DelayQueue;
import java.util.concurrent.Delayed;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * The session deadline scheduler's candidates with 1,000,000 pending timers.
 *
 * <ul>
 *   <li>{@code *_scheduleFire}: one op schedules a timer at a uniformly random deadline within the
 *       next {@value #WINDOW_MS} ms, moves (virtual) time by 1 ms and fires what is due, about one
 *       timer per op, so the population stays near 1,000,000. The wheel and DelayQueue run on
 *       virtual time in the benchmark thread. ScheduledThreadPoolExecutor cannot take virtual
 *       time, so {@code stpe_scheduleFireNow} schedules a task with delay 0 into the same
 *       1,000,000 far-future tasks and waits until its worker thread has run it: that figure
 *       includes a thread hand-off, which is what STPE costs when used as a timer.</li>
 *   <li>{@code *_reschedule}: the "touch" of a session; one op moves a random one of the pending
 *       timers to now + 30 min (time does not move). DelayQueue must remove and re-insert (its
 *       remove is a linear scan); STPE cancels (removeOnCancelPolicy: O(log n)) and schedules
 *       anew.</li>
 * </ul>
 *
 * The wheel is single-threaded; {@code wheel_rescheduleLocked} adds the uncontended lock that a
 * caller sharing it must take, since DelayQueue and STPE pay for theirs inside every call.
 * {@code baseline_pickRandomTimer} measures only picking and reading a random timer: the cache
 * miss every reschedule pays before the scheduler does any work (in the server, the session was
 * just read by the request, so that miss is not the scheduler's).
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class TimerWheelBenchmark {
  static final int PENDING = 1_000_000;
  static final long WINDOW_MS = 1_000_000; // 16.7 min: with 1 ms per op about one timer fires per op
  static final long IDLE_MS = 30 * 60_000; // the touch moves a deadline to now + 30 min
  static final long START_MS = 1_760_000_000_000L;

  static final class WheelTimer extends Timer {}

  /** A DelayQueue element on a virtual clock, so that the benchmark decides when it is due. */
  static final class DelayedTimer implements Delayed {
    final VirtualClock clock;
    long deadlineMs;

    DelayedTimer(VirtualClock clock) {
      this.clock = clock;
    }

    @Override
    public long getDelay(TimeUnit unit) {
      return unit.convert(deadlineMs - clock.nowMs, TimeUnit.MILLISECONDS);
    }

    @Override
    public int compareTo(Delayed other) {
      return Long.compare(deadlineMs, ((DelayedTimer) other).deadlineMs);
    }
  }

  static final class VirtualClock {
    long nowMs = START_MS;
  }

  @State(Scope.Thread)
  public static class WheelState {
    final SplittableRandom random = new SplittableRandom(42);
    final ArrayDeque<WheelTimer> free = new ArrayDeque<>();
    final Consumer<WheelTimer> recycle = free::push;
    final ReentrantLock lock = new ReentrantLock();
    TimerWheel<WheelTimer> wheel;
    WheelTimer[] timers;
    long nowMs = START_MS;

    @Setup(Level.Trial)
    public void fill() {
      wheel = new TimerWheel<>(nowMs);
      timers = new WheelTimer[PENDING];
      for (int i = 0; i < PENDING; i++) {
        timers[i] = new WheelTimer();
        wheel.schedule(timers[i], nowMs + 1 + random.nextLong(WINDOW_MS));
      }
    }

    WheelTimer take() {
      WheelTimer timer = free.poll();
      return timer != null ? timer : new WheelTimer();
    }
  }

  @State(Scope.Thread)
  public static class DelayQueueState {
    final SplittableRandom random = new SplittableRandom(42);
    final VirtualClock clock = new VirtualClock();
    final ArrayDeque<DelayedTimer> free = new ArrayDeque<>();
    final DelayQueue<DelayedTimer> queue = new DelayQueue<>();
    DelayedTimer[] timers;

    @Setup(Level.Trial)
    public void fill() {
      timers = new DelayedTimer[PENDING];
      for (int i = 0; i < PENDING; i++) {
        timers[i] = new DelayedTimer(clock);
        timers[i].deadlineMs = clock.nowMs + 1 + random.nextLong(WINDOW_MS);
        queue.offer(timers[i]);
      }
    }

    DelayedTimer take() {
      DelayedTimer timer = free.poll();
      return timer != null ? timer : new DelayedTimer(clock);
    }
  }

  @State(Scope.Thread)
  public static class StpeState {
    final SplittableRandom random = new SplittableRandom(42);
    final AtomicLong ran = new AtomicLong();
    final Runnable task = ran::incrementAndGet;
    ScheduledThreadPoolExecutor executor;
    ScheduledFuture<?>[] futures;

    @Setup(Level.Trial)
    public void fill() {
      executor = new ScheduledThreadPoolExecutor(1);
      executor.setRemoveOnCancelPolicy(true);
      futures = new ScheduledFuture<?>[PENDING];
      for (int i = 0; i < PENDING; i++) {
        // an hour or more ahead: none of them runs during a trial
        futures[i] = executor.schedule(task, IDLE_MS * 2 + random.nextLong(WINDOW_MS),
            TimeUnit.MILLISECONDS);
      }
    }

    @TearDown(Level.Trial)
    public void stop() {
      executor.shutdownNow();
    }
  }

  @Benchmark
  public int wheel_scheduleFire(WheelState s) {
    s.nowMs++;
    s.wheel.schedule(s.take(), s.nowMs + 1 + s.random.nextLong(WINDOW_MS));
    return s.wheel.advance(s.nowMs, s.recycle);
  }

  @Benchmark
  public int delayQueue_scheduleFire(DelayQueueState s) {
    s.clock.nowMs++;
    DelayedTimer timer = s.take();
    timer.deadlineMs = s.clock.nowMs + 1 + s.random.nextLong(WINDOW_MS);
    s.queue.offer(timer);
    int fired = 0;
    for (DelayedTimer due = s.queue.poll(); due != null; due = s.queue.poll()) {
      s.free.push(due);
      fired++;
    }
    return fired;
  }

  @Benchmark
  public long stpe_scheduleFireNow(StpeState s) {
    long before = s.ran.get();
    s.executor.schedule(s.task, 0, TimeUnit.NANOSECONDS);
    long after;
    while ((after = s.ran.get()) == before) {
      Thread.onSpinWait();
    }
    return after;
  }

  /** Control: the cost of picking a random one of 1,000,000 timers and reading it (cache miss). */
  @Benchmark
  public long baseline_pickRandomTimer(WheelState s) {
    return s.timers[s.random.nextInt(PENDING)].deadlineMs();
  }

  @Benchmark
  public WheelTimer wheel_reschedule(WheelState s) {
    WheelTimer timer = s.timers[s.random.nextInt(PENDING)];
    s.wheel.schedule(timer, s.nowMs + IDLE_MS);
    return timer;
  }

  @Benchmark
  public WheelTimer wheel_rescheduleLocked(WheelState s) {
    WheelTimer timer = s.timers[s.random.nextInt(PENDING)];
    s.lock.lock();
    try {
      s.wheel.schedule(timer, s.nowMs + IDLE_MS);
    } finally {
      s.lock.unlock();
    }
    return timer;
  }

  @Benchmark
  public DelayedTimer delayQueue_reschedule(DelayQueueState s) {
    DelayedTimer timer = s.timers[s.random.nextInt(PENDING)];
    s.queue.remove(timer);
    timer.deadlineMs = s.clock.nowMs + IDLE_MS;
    s.queue.offer(timer);
    return timer;
  }

  @Benchmark
  public ScheduledFuture<?> stpe_reschedule(StpeState s) {
    int i = s.random.nextInt(PENDING);
    s.futures[i].cancel(false);
    s.futures[i] = s.executor.schedule(s.task, IDLE_MS, TimeUnit.MILLISECONDS);
    return s.futures[i];
  }
}
