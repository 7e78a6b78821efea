package dev.curfew.bench.reliability;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * Mixed session traffic from worker threads: open, touch, passive status, extend, acknowledge a
 * warning, logout, revoke, and reads of sessions that ended (which must stay ended); sessions of a
 * short policy expire on their own. Each worker holds {@code livePerWorker} sessions: whatever ends
 * is replaced by a new one before anything else. Every answer goes through the {@link Judge}; every acknowledged
 * change goes into the sessions' {@link Tracked} ledger. Each worker owns its sessions, so one
 * session sees one request at a time.
 */
final class Traffic {
  /** A policy the server is configured with, as the harness needs to know it. */
  record PolicySpec(String name, long idleMs, long absoluteMs) {}

  /**
   * @param workers threads
   * @param livePerWorker each worker opens sessions while it has fewer live ones than this
   * @param opsPerSecond total pace (0: as fast as answers come)
   * @param keepEnded keep every ended session in the ledger (to check them after restarts); otherwise
   *     each worker keeps the last {@value #ENDED_KEPT} for reads that must find them ended
   */
  record Settings(int workers, int livePerWorker, double opsPerSecond, List<PolicySpec> policies, boolean keepEnded) {}

  enum Op { TOUCH, STATUS, EXTEND, ACK, LOGOUT, REVOKE, ENDED_READ }

  static final int ENDED_KEPT = 1000;

  private static final Op[] MIX = weighted(Map.of(Op.TOUCH, 42, Op.STATUS, 18, Op.EXTEND, 8, Op.ACK, 4,
      Op.LOGOUT, 5, Op.REVOKE, 5, Op.ENDED_READ, 8));

  private final Settings settings;
  private final Judge judge;
  private final List<Worker> workers = new ArrayList<>();
  private final Map<String, AtomicLong> acknowledged = new ConcurrentHashMap<>();
  private final AtomicLong failures = new AtomicLong();
  private final AtomicLong errors = new AtomicLong();
  private final long seed;
  private volatile boolean running;
  private volatile boolean fillOnly;
  private volatile Api api;

  Traffic(Settings settings, Judge judge, long seed) {
    this.settings = settings;
    this.judge = judge;
    this.seed = seed;
    for (int i = 0; i < settings.workers(); i++) workers.add(new Worker(i));
  }

  /** Starts the workers against {@code api}. */
  void start(Api target) {
    start(target, false);
  }

  /**
   * Starts the workers against {@code api}; with {@code fillOnly}, each only opens sessions, as
   * fast as answers come, until it holds {@code livePerWorker}, then stops (see {@link #awaitFilled}).
   */
  void start(Api target, boolean fillOnly) {
    this.api = target;
    this.fillOnly = fillOnly;
    running = true;
    for (Worker w : workers) {
      w.thread = new Thread(w::run, "traffic-" + w.index);
      w.thread.setDaemon(true);
      w.thread.start();
    }
  }

  /** Waits until every worker of a fill-only start has its sessions; false on timeout. */
  boolean awaitFilled(long timeoutMs) throws InterruptedException {
    long deadline = System.nanoTime() + timeoutMs * 1_000_000L;
    for (Worker w : workers) {
      long left = (deadline - System.nanoTime()) / 1_000_000L;
      if (left <= 0) return false;
      w.thread.join(left);
      if (w.thread.isAlive()) return false;
    }
    return true;
  }

  /** Stops the workers and waits for them (requests to a killed server fail at once). */
  void stop() throws InterruptedException {
    running = false;
    for (Worker w : workers) {
      if (w.thread != null) w.thread.join(30_000);
      if (w.thread != null && w.thread.isAlive()) throw new IllegalStateException(w.thread.getName() + " did not stop");
    }
  }

  /** Every tracked session: live ones, and the ended ones kept. */
  List<Tracked> ledger() {
    List<Tracked> all = new ArrayList<>();
    for (Worker w : workers) {
      all.addAll(w.active);
      all.addAll(w.retired);
    }
    return all;
  }

  int active() {
    int n = 0;
    for (Worker w : workers) n += w.active.size();
    return n;
  }

  /** Acknowledged operations by kind ({@code opened}, {@code touched}, ...). */
  Map<String, Long> acknowledged() {
    Map<String, Long> m = new java.util.TreeMap<>();
    acknowledged.forEach((k, v) -> m.put(k, v.get()));
    return m;
  }

  /** Requests that got no answer (connection refused or reset: the server was down). */
  long failures() {
    return failures.get();
  }

  /** Answers no request of this traffic should get (5xx, 400, an unexpected status). */
  long errors() {
    return errors.get();
  }

  private void ack(String kind) {
    acknowledged.computeIfAbsent(kind, k -> new AtomicLong()).incrementAndGet();
  }

  private final class Worker {
    final int index;
    final Random random;
    final List<Tracked> active = new ArrayList<>();
    final List<Tracked> retired = new ArrayList<>();
    Thread thread;
    long n;
    long lastSweep = System.nanoTime();

    Worker(int index) {
      this.index = index;
      this.random = new Random(seed * 31 + index);
    }

    void run() {
      long intervalNanos = settings.opsPerSecond() <= 0 ? 0
          : (long) (1e9 * settings.workers() / settings.opsPerSecond());
      long next = System.nanoTime();
      while (running) {
        if (fillOnly) {
          if (active.size() >= settings.livePerWorker()) return;
          try {
            open();
          } catch (IOException e) {
            failures.incrementAndGet();
            LockSupport.parkNanos(5_000_000);
          } catch (InterruptedException e) {
            return;
          }
          continue;
        }
        try {
          step();
        } catch (IOException e) {
          failures.incrementAndGet();
          LockSupport.parkNanos(5_000_000); // the server is down; do not spin
        } catch (InterruptedException e) {
          return;
        }
        if (intervalNanos > 0) {
          next += intervalNanos;
          long wait = next - System.nanoTime();
          if (wait > 0) LockSupport.parkNanos(wait);
          else if (wait < -1_000_000_000L) next = System.nanoTime(); // fell behind: do not burst
        }
      }
    }

    /** Retires every session past its latest possible deadline, so that the population is refilled promptly. */
    void sweep() {
      long now = System.currentTimeMillis();
      for (int i = active.size() - 1; i >= 0; i--) {
        Tracked t = active.get(i);
        if (t.endKnownOrPossible() || now > t.upperDeadlineMs() + Judge.MARGIN_MS) retire(i);
      }
    }

    void step() throws IOException, InterruptedException {
      if (System.nanoTime() - lastSweep > 1_000_000_000L) {
        sweep();
        lastSweep = System.nanoTime();
      }
      Op op = MIX[random.nextInt(MIX.length)];
      if (active.size() < settings.livePerWorker()) { // hold the population: replace what ended first
        open();
        return;
      }
      if (op == Op.ENDED_READ) {
        if (!retired.isEmpty()) endedRead(retired.get(random.nextInt(retired.size())));
        return;
      }
      if (active.isEmpty()) return;
      int i = random.nextInt(active.size());
      Tracked t = active.get(i);
      long now = System.currentTimeMillis();
      if (t.endKnownOrPossible() || now > t.upperDeadlineMs() + Judge.MARGIN_MS) {
        retire(i);
        if (!t.endKnownOrPossible()) endedRead(t); // past its deadline: the server must say it ended
        return;
      }
      switch (op) {
        case TOUCH -> holder(t, "touched", () -> api.touch(t.token), 200, true);
        case STATUS -> holder(t, "read", () -> api.status(t.token), 200, false);
        case EXTEND -> extend(t);
        case ACK -> acknowledge(t);
        case LOGOUT -> end(t, "logged_out", () -> api.logout(t.token));
        case REVOKE -> end(t, "revoked", () -> api.revoke(t.sessionId));
        default -> throw new IllegalStateException(op.name());
      }
    }

    void retire(int i) {
      Tracked t = active.get(i);
      active.set(i, active.get(active.size() - 1));
      active.remove(active.size() - 1);
      if (settings.keepEnded() || retired.size() < ENDED_KEPT) retired.add(t);
      else retired.set(random.nextInt(ENDED_KEPT), t);
    }

    void open() throws IOException, InterruptedException {
      PolicySpec p = settings.policies().get(random.nextInt(settings.policies().size()));
      long sent = System.currentTimeMillis();
      Api.Answer a = api.open("w" + index + "-" + (n++), p.name());
      long answered = System.currentTimeMillis();
      if (a.status() != 201) {
        unexpected("open", a);
        return;
      }
      ack("opened");
      active.add(new Tracked(a.field("session_id"), a.field("token"), p.name(), p.idleMs(), p.absoluteMs(), sent, answered));
    }

    /** A holder request; its answer is judged; one that may count as activity moves the session's last contact. */
    void holder(Tracked t, String kind, Call call, int okStatus, boolean activity) throws IOException, InterruptedException {
      Api.Answer a = activity ? call(t, call) : call.send();
      long now = System.currentTimeMillis();
      if (a.status() == okStatus) {
        ack(kind);
        judge.answer(t, true, null, now, kind);
      } else if (a.status() == 401) {
        judge.answer(t, false, a.reason(), now, kind);
      } else {
        unexpected(kind, a);
      }
    }

    /** A warning acknowledgement: 204 for a warning that was sent, 409 when there is none to acknowledge (a live session). */
    void acknowledge(Tracked t) throws IOException, InterruptedException {
      Api.Answer a = api.acknowledgeWarning(t.token);
      long now = System.currentTimeMillis();
      switch (a.status()) {
        case 204 -> {
          ack("warning_acknowledged");
          judge.answer(t, true, null, now, "warning_acknowledged");
        }
        case 409 -> {
          ack("warning_ack_refused");
          judge.answer(t, true, null, now, "warning_ack refused");
        }
        case 401 -> judge.answer(t, false, a.reason(), now, "warning_acknowledged");
        default -> unexpected("warning_acknowledged", a);
      }
    }

    void extend(Tracked t) throws IOException, InterruptedException {
      long sent = System.currentTimeMillis();
      Api.Answer a = call(t, () -> api.extend(t.token));
      long now = System.currentTimeMillis();
      switch (a.status()) {
        case 200 -> {
          ack("extended");
          t.extensionsAcknowledged++;
          t.durableActivitySentMs = sent; // durable: session.extended holds the new idle deadline
          judge.answer(t, true, null, now, "extend");
        }
        case 409 -> {
          ack("extension_refused");
          judge.answer(t, true, null, now, "extend refused");
        }
        case 401 -> judge.answer(t, false, a.reason(), now, "extend");
        default -> unexpected("extend", a);
      }
    }

    void end(Tracked t, String reason, Call call) throws IOException, InterruptedException {
      t.possibleEnd = reason; // until answered: the server may carry it out and die before answering
      Api.Answer a = call.send();
      long now = System.currentTimeMillis();
      if (a.status() == 204) {
        ack(reason);
        t.acknowledgedEnd = reason;
        t.possibleEnd = null;
        t.observedEnd = t.observedEnd == null ? reason : t.observedEnd;
      } else if (a.status() == 401 || a.status() == 410) {
        t.possibleEnd = null;
        judge.answer(t, false, a.reason(), now, reason);
      } else {
        t.possibleEnd = null;
        unexpected(reason, a);
      }
    }

    void endedRead(Tracked t) throws IOException, InterruptedException {
      Api.Answer a = api.status(t.token); // passive: not activity
      long now = System.currentTimeMillis();
      if (a.status() == 200) {
        ack("read");
        judge.answer(t, true, null, now, "read after end");
      } else if (a.status() == 401) {
        ack("read_ended");
        judge.answer(t, false, a.reason(), now, "read after end");
      } else {
        unexpected("read after end", a);
      }
    }

    /** Sends a request that may count as activity; whatever happens, the session's last contact is when it ended. */
    Api.Answer call(Tracked t, Call call) throws IOException, InterruptedException {
      try {
        return call.send();
      } finally {
        t.lastContactMs = Math.max(t.lastContactMs, System.currentTimeMillis());
      }
    }

    void unexpected(String kind, Api.Answer a) {
      errors.incrementAndGet();
      judge.violation("error", null, kind + " answered " + a.status() + ": " + a.body());
    }
  }

  @FunctionalInterface
  interface Call {
    Api.Answer send() throws IOException, InterruptedException;
  }

  private static Op[] weighted(Map<Op, Integer> weights) {
    List<Op> out = new ArrayList<>();
    for (Op op : Op.values()) {
      for (int i = 0; i < weights.getOrDefault(op, 0); i++) out.add(op);
    }
    return out.toArray(new Op[0]);
  }
}
