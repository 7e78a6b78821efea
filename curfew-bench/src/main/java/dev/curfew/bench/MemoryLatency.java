package dev.curfew.bench;

import java.util.SplittableRandom;

/**
 * What one dependent load from memory costs on this machine: the floor under a lookup at a million
 * sessions, where a check reads an index slot and then the session it names, each load waiting for
 * the one before.
 *
 * <p>An {@code int[]} of the given size holds one random cycle through all its 64-byte lines (the
 * first int of each line names the next line's), so every step of the chase is a load whose address
 * comes from the previous one: the processor can neither overlap them nor predict them. Prints the
 * nanoseconds a step over a few rounds.
 *
 * <p>Run with the heap fixed and touched first, so that the chase does not measure page faults, e.g.
 * {@code java -Xms2g -Xmx2g -XX:+AlwaysPreTouch -cp curfew-bench.jar dev.curfew.bench.MemoryLatency 400}
 * (megabytes; add {@code -XX:+UseTransparentHugePages} to compare huge pages).
 */
public final class MemoryLatency {
  private static final int INTS_PER_LINE = 16;

  public static void main(String[] args) {
    int megabytes = args.length > 0 ? Integer.parseInt(args[0]) : 400;
    int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 3;
    int steps = 20_000_000;
    if (megabytes < 1 || megabytes > 8191) throw new IllegalArgumentException("megabytes: 1 to 8191, not " + megabytes);
    int[] next = cycle((int) (megabytes * (1L << 20) / Integer.BYTES), new SplittableRandom(42));
    System.out.printf("%d MB, %,d lines, %,d dependent loads a round%n", megabytes, next.length / INTS_PER_LINE, steps);
    int at = 0;
    for (int round = 0; round < rounds; round++) {
      long t0 = System.nanoTime();
      for (int i = 0; i < steps; i++) at = next[at];
      long ns = System.nanoTime() - t0;
      System.out.printf("round %d: %.1f ns a load%n", round + 1, ns / (double) steps);
    }
    if (at < 0) System.out.println(at); // keeps the chase from being optimised away
  }

  /** An array whose lines form one random cycle: {@code next[line * 16]} is the next line's first index. */
  static int[] cycle(int ints, SplittableRandom random) {
    int lines = ints / INTS_PER_LINE;
    if (lines < 2) throw new IllegalArgumentException("too small: " + ints + " ints");
    int[] order = new int[lines];
    for (int i = 0; i < lines; i++) order[i] = i;
    for (int i = lines - 1; i > 0; i--) {
      int j = random.nextInt(i + 1);
      int t = order[i];
      order[i] = order[j];
      order[j] = t;
    }
    int[] next = new int[lines * INTS_PER_LINE];
    for (int i = 0; i < lines; i++) next[order[i] * INTS_PER_LINE] = order[(i + 1) % lines] * INTS_PER_LINE;
    return next;
  }
}
