package dev.curfew.core.schedule;

import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;
import java.util.LinkedHashSet;
import java.util.function.Consumer;

/** Placeholder with the wheel's API, replaced by the timing wheel branch. */
public final class TimerWheel<T extends Timer> {
  private final TreeMap<Long, LinkedHashSet<T>> byDeadline = new TreeMap<>();
  private long nowMs;
  private int size;

  public TimerWheel(long nowMs) {
    this.nowMs = nowMs;
  }

  public void schedule(T timer, long deadlineMs) {
    deschedule(timer);
    timer.deadlineMs = deadlineMs;
    timer.scheduled = true;
    byDeadline.computeIfAbsent(deadlineMs, k -> new LinkedHashSet<>()).add(timer);
    size++;
  }

  public void deschedule(T timer) {
    if (!timer.scheduled) return;
    LinkedHashSet<T> set = byDeadline.get(timer.deadlineMs);
    set.remove(timer);
    if (set.isEmpty()) byDeadline.remove(timer.deadlineMs);
    timer.scheduled = false;
    size--;
  }

  public int advance(long nowMs, Consumer<? super T> fired) {
    if (nowMs < this.nowMs) return 0;
    this.nowMs = nowMs;
    List<T> due = new ArrayList<>();
    while (!byDeadline.isEmpty() && byDeadline.firstKey() <= nowMs) {
      for (T t : byDeadline.pollFirstEntry().getValue()) {
        t.scheduled = false;
        size--;
        due.add(t);
      }
    }
    due.forEach(fired);
    return due.size();
  }

  public long nextDeadlineMs() {
    return byDeadline.isEmpty() ? Long.MAX_VALUE : byDeadline.firstKey();
  }

  public int size() {
    return size;
  }

  public long nowMs() {
    return nowMs;
  }

  public void checkInvariants() {}
}
