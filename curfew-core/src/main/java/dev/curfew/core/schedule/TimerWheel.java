/*
 * A hierarchical hashed timing wheel with 1 ms ticks.
 *
 * Source: G. Varghese and T. Lauck, "Hashed and Hierarchical Timing Wheels: Data Structures for
 * the Efficient Implementation of a Timer Facility", SOSP 1987 (extended in IEEE/ACM Transactions
 * on Networking, 1997), scheme 7 (hierarchical wheels). Kafka's TimingWheel (the timer behind its
 * request purgatory) and Caffeine's TimerWheel (variable expiration) belong to the same family. The
 * code below is written for Curfew from the paper's idea, not taken from either.
 *
 * The idea. A priority queue (a heap, as in DelayQueue or ScheduledThreadPoolExecutor) pays
 * O(log n) to insert and remove, and at a million sessions that are touched on every request
 * most of those operations are moves of a deadline that will never fire. A timing wheel trades
 * exact order for O(1): like the hands of a clock, time is split into digits, and a timer is
 * hashed into a bucket by one digit of its deadline. Only when time reaches a bucket are its
 * timers looked at again.
 *
 * Structure. A deadline is a non-negative long of epoch milliseconds, read as eleven 6-bit
 * digits (66 bits cover all 63). Level i has 64 buckets, one per value of digit i, so a bucket at
 * level i spans 64^i ms:
 *
 *   level 0: 1 ms buckets        (the level spans 64 ms)
 *   level 1: 64 ms buckets       (4.1 s)
 *   level 2: 4.1 s buckets       (4.4 min)
 *   level 3: 4.4 min buckets     (4.7 h)
 *   level 4: 4.7 h buckets       (12.4 days)
 *   level 5: 12.4 day buckets    (795 days)
 *   levels 6..10: the rest of the long, so Long.MAX_VALUE ("never") needs no overflow list.
 *
 * A timer whose deadline is later than now sits at the level of the most significant digit in
 * which its deadline differs from now, in the bucket named by its own digit there. So every
 * timer at level i agrees with now on all digits above i and has a larger digit i than now, and
 * a timer's level and bucket follow from its deadline and now alone (checkInvariants relies on
 * that). Timers whose deadline is already <= now wait in a "due" list for the next advance.
 *
 * Advancing. The next instant at which anything can happen is the start of the first occupied
 * bucket of the lowest occupied level (every lower-level deadline precedes every higher-level
 * bucket). A 64-bit occupancy mask per level and one mask of occupied levels find it in
 * O(levels) with numberOfTrailingZeros, so advance jumps straight there: empty spans cost nothing,
 * and a jump of days costs what the timers in it cost, not one step per millisecond. At that
 * instant the bucket is emptied and each timer in it either is due (its deadline equals now) or
 * is re-hashed against the new now, which puts it at a strictly lower level. A level-0 bucket
 * holds a single millisecond, so every timer fires exactly at its deadline: never before, and
 * never after the advance that reaches it. A timer is re-hashed at most once per level it
 * descends through; a 30 minute deadline usually three times (levels 3, 2, 1 to 0), more only
 * when it was scheduled just before a carry into a higher digit.
 *
 * Cost: schedule, reschedule and deschedule O(1) (unlink, one xor, one
 * numberOfLeadingZeros, link); advance O(fired + cascaded + LEVELS per visited bucket).
 */
package dev.curfew.core.schedule;

import java.util.Objects;
import java.util.function.Consumer;

/**
 * Fires timers at their deadlines, exact to the millisecond. Single-threaded: callers
 * synchronize. Times are epoch milliseconds and must not be negative.
 *
 * <h2>Callbacks</h2>
 * {@link #advance} first collects every due timer (deadline &lt;= the new now) and moves the
 * wheel's now forward; then, for each collected timer in turn, deschedules it and calls the
 * callback. A collected timer stays scheduled until its own turn, so a callback may:
 * <ul>
 *   <li>deschedule another collected timer: that one is not fired;</li>
 *   <li>reschedule any timer, including the one being fired, to a deadline later than now: it is
 *       not fired in this advance;</li>
 *   <li>schedule any timer at a deadline &lt;= now: like any such timer it fires at the
 *       <em>next</em> advance, never in the current one, so a callback cannot loop forever.</li>
 * </ul>
 * If a callback throws, the timers not yet fired stay scheduled and fire at the next advance.
 * Calling {@code advance} from a callback is an error.
 */
public final class TimerWheel<T extends Timer> {
  static final int BITS_PER_LEVEL = 6;
  static final int BUCKETS_PER_LEVEL = 1 << BITS_PER_LEVEL; // 64: a level's occupancy is one long
  static final int LEVELS = 11; // 11 * 6 = 66 bits >= the 63 bits of a non-negative long

  /** Bits of now that a level-i bucket shares with now: all digits above i. */
  private static final long[] ABOVE_LEVEL_MASKS = new long[LEVELS];

  static {
    for (int level = 0; level < LEVELS; level++) {
      int bitsBelow = (level + 1) * BITS_PER_LEVEL;
      ABOVE_LEVEL_MASKS[level] = bitsBelow >= Long.SIZE ? 0L : -1L << bitsBelow;
    }
  }

  /**
   * Made on first use: most of the 704 are never needed (the high levels hold nothing), and an
   * engine keeps hundreds of wheels ({@link StaggeredWheels}).
   */
  private final Bucket[] buckets = new Bucket[LEVELS * BUCKETS_PER_LEVEL];
  /** Bit d of {@code occupiedDigits[i]} is set iff the bucket of level i, digit d is non-empty. */
  private final long[] occupiedDigits = new long[LEVELS];
  /** Bit i is set iff {@code occupiedDigits[i] != 0}. */
  private int occupiedLevels;
  /** Scheduled at a deadline <= nowMs: fire at the next advance. */
  private final Bucket due = new Bucket(Bucket.DUE);
  /** Collected by the running advance, not yet fired. Empty outside advance. */
  private final Bucket firing = new Bucket(Bucket.FIRING);
  /** Lower bounds of the deadlines in {@code due} and {@code firing}; MAX_VALUE when empty. */
  private long dueMinMs = Long.MAX_VALUE;
  private long firingMinMs = Long.MAX_VALUE;
  private long nowMs;
  private int size;
  private boolean advancing;
  /** Timers re-hashed to a lower level by cascades since construction: the wheel's own work in advance. */
  private long rehashed;

  public TimerWheel(long nowMs) {
    if (nowMs < 0) {
      throw new IllegalArgumentException("nowMs < 0: " + nowMs);
    }
    this.nowMs = nowMs;
  }

  /** The wheel's time: the latest {@code nowMs} given to the constructor or to advance. */
  public long nowMs() {
    return nowMs;
  }

  /** How many timers cascades have moved to a lower level so far (not counting those they found due). */
  long rehashed() {
    return rehashed;
  }

  /** How many timers are scheduled, due ones included. */
  public int size() {
    return size;
  }

  /**
   * Schedules {@code timer} at {@code deadlineMs}, or moves it there if it is already scheduled.
   * A deadline <= {@link #nowMs()} fires at the next advance.
   */
  public void schedule(T timer, long deadlineMs) {
    Objects.requireNonNull(timer, "timer");
    if (deadlineMs < 0) {
      throw new IllegalArgumentException("deadlineMs < 0: " + deadlineMs);
    }
    if (timer.isScheduled()) {
      unlink(timer);
    } else if (size == Integer.MAX_VALUE) {
      throw new IllegalStateException("size at its limit: " + size);
    } else {
      size++;
    }
    timer.deadlineMs = deadlineMs;
    link(timer);
  }

  /** Removes {@code timer} from the wheel; does nothing if it is not scheduled. */
  public void deschedule(T timer) {
    Objects.requireNonNull(timer, "timer");
    if (timer.isScheduled()) {
      unlink(timer);
      size--;
    }
  }

  /**
   * Moves time to {@code nowMs} and fires every timer whose deadline is <= it, none other; see
   * the class comment for what callbacks may do. A {@code nowMs} earlier than {@link #nowMs()}
   * is ignored (the clock stepped back): nothing changes and nothing fires.
   *
   * @return how many timers were fired
   */
  public int advance(long nowMs, Consumer<? super T> fired) {
    Objects.requireNonNull(fired, "fired");
    if (advancing) {
      throw new IllegalStateException("advance called from a fired callback");
    }
    if (nowMs < this.nowMs) {
      return 0;
    }
    collect(nowMs);
    return fire(fired);
  }

  /**
   * A lower bound of the earliest deadline scheduled, or {@link Long#MAX_VALUE} when empty. Exact
   * when that timer is within 64 ms of now; otherwise the start of its bucket.
   */
  public long nextDeadlineMs() {
    long pendingMs = Math.min(dueMinMs, firingMinMs);
    if (occupiedLevels == 0) {
      return pendingMs;
    }
    int level = Integer.numberOfTrailingZeros(occupiedLevels);
    int digit = Long.numberOfTrailingZeros(occupiedDigits[level]);
    return Math.min(pendingMs, bucketStartMs(level, digit));
  }

  /** Moves the due list and every timer with a deadline <= targetMs to the firing list. */
  private void collect(long targetMs) {
    moveAll(due, firing);
    firingMinMs = Math.min(firingMinMs, dueMinMs);
    dueMinMs = Long.MAX_VALUE;
    while (occupiedLevels != 0) {
      int level = Integer.numberOfTrailingZeros(occupiedLevels);
      int digit = Long.numberOfTrailingZeros(occupiedDigits[level]);
      long startMs = bucketStartMs(level, digit);
      if (startMs > targetMs) {
        break;
      }
      nowMs = startMs;
      cascade(level, digit);
    }
    nowMs = targetMs;
  }

  /** Empties the bucket that starts at nowMs: due timers to firing, the rest to lower levels. */
  private void cascade(int level, int digit) {
    Bucket bucket = buckets[level * BUCKETS_PER_LEVEL + digit];
    Timer timer = bucket.next;
    bucket.next = bucket;
    bucket.prev = bucket;
    markEmpty(level, digit);
    while (timer != bucket) {
      Timer next = timer.next;
      if (timer.deadlineMs <= nowMs) {
        append(firing, timer);
        firingMinMs = Math.min(firingMinMs, timer.deadlineMs);
      } else {
        link(timer);
        rehashed++;
      }
      timer = next;
    }
  }

  @SuppressWarnings("unchecked") // only T instances are ever linked besides the private buckets
  private int fire(Consumer<? super T> fired) {
    advancing = true;
    int count = 0;
    try {
      for (Timer timer = firing.next; timer != firing; timer = firing.next) {
        unlink(timer);
        size--;
        count++;
        fired.accept((T) timer);
      }
    } finally {
      advancing = false;
      moveAll(firing, due); // left over only if a callback threw: they fire at the next advance
      dueMinMs = Math.min(dueMinMs, firingMinMs);
      firingMinMs = Long.MAX_VALUE;
    }
    return count;
  }

  /** Links an unlinked timer where its deadline and nowMs say it belongs. */
  private void link(Timer timer) {
    long deadlineMs = timer.deadlineMs;
    if (deadlineMs <= nowMs) {
      append(due, timer);
      dueMinMs = Math.min(dueMinMs, deadlineMs);
      return;
    }
    int level = levelOf(deadlineMs, nowMs);
    int digit = digitOf(deadlineMs, level);
    int index = level * BUCKETS_PER_LEVEL + digit;
    Bucket bucket = buckets[index];
    if (bucket == null) {
      bucket = new Bucket(index);
      buckets[index] = bucket;
    }
    if (bucket.next == bucket) {
      occupiedDigits[level] |= 1L << digit;
      occupiedLevels |= 1 << level;
    }
    append(bucket, timer);
  }

  /** Unlinks a linked timer, keeping the occupancy masks and list bounds true. */
  private void unlink(Timer timer) {
    Timer prev = timer.prev;
    Timer next = timer.next;
    prev.next = next;
    next.prev = prev;
    timer.prev = null;
    timer.next = null;
    if (prev == next) { // only the list's sentinel is left
      onEmptied((Bucket) prev);
    }
  }

  private void onEmptied(Bucket bucket) {
    if (bucket == due) {
      dueMinMs = Long.MAX_VALUE;
    } else if (bucket == firing) {
      firingMinMs = Long.MAX_VALUE;
    } else {
      markEmpty(bucket.index / BUCKETS_PER_LEVEL, bucket.index % BUCKETS_PER_LEVEL);
    }
  }

  private void markEmpty(int level, int digit) {
    occupiedDigits[level] &= ~(1L << digit);
    if (occupiedDigits[level] == 0) {
      occupiedLevels &= ~(1 << level);
    }
  }

  private long bucketStartMs(int level, int digit) {
    return (nowMs & ABOVE_LEVEL_MASKS[level]) | ((long) digit << (level * BITS_PER_LEVEL));
  }

  /** The level of the most significant digit in which deadlineMs differs from nowMs. */
  static int levelOf(long deadlineMs, long nowMs) {
    return (63 - Long.numberOfLeadingZeros(deadlineMs ^ nowMs)) / BITS_PER_LEVEL;
  }

  static int digitOf(long ms, int level) {
    return (int) (ms >>> (level * BITS_PER_LEVEL)) & (BUCKETS_PER_LEVEL - 1);
  }

  private static void append(Bucket list, Timer timer) {
    Timer tail = list.prev;
    timer.prev = tail;
    timer.next = list;
    tail.next = timer;
    list.prev = timer;
  }

  /** Appends all of {@code from}'s timers to {@code to}, leaving {@code from} empty. */
  private static void moveAll(Bucket from, Bucket to) {
    if (from.next == from) {
      return;
    }
    Timer first = from.next;
    Timer last = from.prev;
    Timer tail = to.prev;
    tail.next = first;
    first.prev = tail;
    last.next = to;
    to.prev = last;
    from.next = from;
    from.prev = from;
  }

  /**
   * Checks every structural invariant and throws {@link IllegalStateException} saying which one
   * fails: links, each timer's bucket against its deadline and level, no timer left in the wheel
   * whose deadline has passed, occupancy masks, list bounds and size. O(size + buckets).
   */
  public void checkInvariants() {
    long linked = 0;
    for (int level = 0; level < LEVELS; level++) {
      linked += checkLevel(level);
    }
    linked += checkPending(due, "due");
    linked += checkPending(firing, "firing");
    if (!advancing && firing.next != firing) {
      throw new IllegalStateException("firing list not empty outside advance");
    }
    if (linked != size) {
      throw new IllegalStateException("size " + size + " != linked timers " + linked);
    }
  }

  private long checkLevel(int level) {
    long linked = 0;
    for (int digit = 0; digit < BUCKETS_PER_LEVEL; digit++) {
      Bucket bucket = buckets[level * BUCKETS_PER_LEVEL + digit];
      long count = bucket == null ? 0 : checkLinks(bucket, "level " + level + " bucket " + digit);
      boolean marked = (occupiedDigits[level] & (1L << digit)) != 0;
      if (marked != (count > 0)) {
        throw new IllegalStateException("level " + level + " bucket " + digit + " has " + count
            + " timers but its occupancy bit is " + marked);
      }
      for (Timer t = bucket == null ? null : bucket.next; t != bucket; t = t.next) {
        checkPlacement(t, level, digit);
      }
      linked += count;
    }
    boolean levelMarked = (occupiedLevels & (1 << level)) != 0;
    if (levelMarked != (occupiedDigits[level] != 0)) {
      throw new IllegalStateException("level " + level + " occupancy bit is " + levelMarked
          + " but its bucket mask is " + Long.toHexString(occupiedDigits[level]));
    }
    return linked;
  }

  private void checkPlacement(Timer t, int level, int digit) {
    if (t.deadlineMs <= nowMs) {
      throw new IllegalStateException("timer with deadlineMs " + t.deadlineMs + " <= nowMs "
          + nowMs + " left unfired at level " + level + " bucket " + digit);
    }
    int wantLevel = levelOf(t.deadlineMs, nowMs);
    int wantDigit = digitOf(t.deadlineMs, wantLevel);
    if (wantLevel != level || wantDigit != digit) {
      throw new IllegalStateException("timer with deadlineMs " + t.deadlineMs + " at nowMs "
          + nowMs + " belongs at level " + wantLevel + " bucket " + wantDigit
          + " but sits at level " + level + " bucket " + digit);
    }
  }

  private long checkPending(Bucket list, String name) {
    long count = checkLinks(list, name + " list");
    long boundMs = list == due ? dueMinMs : firingMinMs;
    if (count == 0 && boundMs != Long.MAX_VALUE) {
      throw new IllegalStateException(name + " list is empty but its bound is " + boundMs);
    }
    for (Timer t = list.next; t != list; t = t.next) {
      if (t.deadlineMs > nowMs || t.deadlineMs < boundMs) {
        throw new IllegalStateException("timer with deadlineMs " + t.deadlineMs + " in the "
            + name + " list, which must hold deadlines in [" + boundMs + ", nowMs " + nowMs + "]");
      }
    }
    return count;
  }

  /** Counts a circular list's timers, checking both links of each and guarding against cycles. */
  private long checkLinks(Bucket list, String name) {
    long count = 0;
    Timer prev = list;
    for (Timer t = list.next; t != list; t = t.next) {
      if (t == null || t instanceof Bucket) {
        throw new IllegalStateException(name + ": broken next link after " + count + " timers");
      }
      if (t.prev != prev) {
        throw new IllegalStateException(name + ": prev link of timer " + count + " is wrong");
      }
      if (++count > size) {
        throw new IllegalStateException(name + ": more timers linked than size " + size);
      }
      prev = t;
    }
    if (list.prev != prev) {
      throw new IllegalStateException(name + ": sentinel's prev is not the last timer");
    }
    return count;
  }

  /** A list's sentinel: an empty bucket links to itself. */
  private static final class Bucket extends Timer {
    static final int DUE = -1;
    static final int FIRING = -2;

    /** level * BUCKETS_PER_LEVEL + digit, or DUE or FIRING. */
    final int index;

    Bucket(int index) {
      this.index = index;
      prev = this;
      next = this;
    }
  }
}
