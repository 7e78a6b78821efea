package dev.curfew.store.embedded;

import dev.curfew.core.Clock;
import dev.curfew.core.Policy;
import dev.curfew.core.SessionEngine;
import dev.curfew.core.SessionSnapshot;
import dev.curfew.core.audit.CanonicalJson;
import dev.curfew.core.audit.Json;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Writes {@code snapshot.json}: every session the engine holds (live and still-remembered ended
 * ones) and every policy version, as of log size {@code seq}, so that recovery replays only the
 * records from {@code seq} on and the token journal generations from {@code tokens_gen} on.
 *
 * <p>Order of one snapshot, and why: (1) start a token journal generation and read the log size
 * {@code seq} at the same point of the append order, so records from {@code seq} on have their
 * bindings in the new generation; (2) copy the engine's sessions (each under its lock: any change
 * seen was appended before the copy, so it is at a seq the copy may already reflect, and replay of
 * such records is idempotent); (3) wait until everything appended so far is durable, so the
 * snapshot never shows a change whose record a crash could still lose; (4) write a temporary file,
 * force it, rename it over {@code snapshot.json} atomically, force the directory; (5) only then
 * delete the older token generations.
 */
final class Snapshotter {
  static final String FILE = "snapshot.json";
  /** Snapshot file format version, bumped on incompatible changes. */
  static final long FORMAT = 1;

  private final Path dataDir;
  private final FileAuditLog log;
  private final Clock clock;
  private final String node;

  /** A snapshot read back. */
  record Snapshot(long seq, long tokensGeneration, long timeMs, List<Policy> policies, List<SessionSnapshot> sessions) {
    static final Snapshot NONE = new Snapshot(0, 0, 0, List.of(), List.of());
  }

  Snapshotter(Path dataDir, FileAuditLog log, Clock clock, String node) {
    this.dataDir = dataDir;
    this.log = log;
    this.clock = clock;
    this.node = node;
  }

  /** Takes one snapshot of {@code engine}; returns its seq. Serialized: one snapshot at a time. */
  long take(SessionEngine engine) throws IOException {
    return take(engine, null);
  }

  /**
   * As {@link #take(SessionEngine)}, abandoned with an {@link IOException} if the audit log has not
   * made everything before it durable within {@code maxWait} (null: no limit), as in an outage that
   * does not end (a full or vanished disk): the previous snapshot stays, and the log is replayed
   * from it at the next start.
   */
  synchronized long take(SessionEngine engine, Duration maxWait) throws IOException {
    FileAuditLog.Mark mark = log.startTokenGeneration();
    List<SessionSnapshot> sessions = engine.snapshot();
    List<Policy> policies = engine.policies().allVersions();
    long timeMs = clock.millis();
    try {
      if (maxWait == null) {
        log.sync().join();
      } else {
        log.sync().get(maxWait.toNanos(), TimeUnit.NANOSECONDS);
      }
    } catch (CompletionException | ExecutionException e) {
      throw new IOException("snapshot abandoned: the audit log failed", e.getCause());
    } catch (TimeoutException e) {
      throw new IOException("snapshot abandoned: the audit log could not be written within " + maxWait.toMillis() + " ms");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("snapshot abandoned: interrupted while the audit log was written", e);
    }
    write(mark, timeMs, policies, sessions);
    log.deleteTokenGenerationsBefore(mark.tokenGeneration());
    return mark.seq();
  }

  private void write(FileAuditLog.Mark mark, long timeMs, List<Policy> policies, List<SessionSnapshot> sessions)
      throws IOException {
    Path tmp = dataDir.resolve(FILE + ".tmp");
    try {
      writeTemporary(tmp, mark, timeMs, policies, sessions);
    } catch (IOException | RuntimeException e) {
      // a full disk: the part written goes (it would hold the space the log needs); snapshot.json
      // was never touched, so the previous snapshot stays whole
      try {
        Files.deleteIfExists(tmp);
      } catch (IOException again) {
        e.addSuppressed(again);
      }
      throw e;
    }
    Files.move(tmp, dataDir.resolve(FILE), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    PrivateFiles.forceDirectory(dataDir);
  }

  private void writeTemporary(Path tmp, FileAuditLog.Mark mark, long timeMs, List<Policy> policies,
      List<SessionSnapshot> sessions) throws IOException {
    try (FileChannel ch = PrivateFiles.createTruncate(tmp)) {
      OutputStream out = new BufferedOutputStream(Channels.newOutputStream(ch), 1 << 16);
      Map<String, Object> head = new LinkedHashMap<>();
      head.put("format", FORMAT);
      head.put("node", node);
      head.put("seq", mark.seq());
      head.put("time_ms", timeMs);
      head.put("tokens_gen", mark.tokenGeneration());
      List<Object> policyMaps = new ArrayList<>();
      for (Policy p : policies) policyMaps.add(toMap(p));
      head.put("policies", policyMaps);
      String headJson = CanonicalJson.write(head);
      // {"format":..,"policies":[..],"seq":..,...} then the sessions array, one per line, streamed
      out.write(headJson.substring(0, headJson.length() - 1).getBytes(StandardCharsets.UTF_8));
      out.write(",\"sessions\":[\n".getBytes(StandardCharsets.UTF_8));
      // One builder for every session, encoded straight into the buffer: no map, no string per session.
      java.io.Writer text = new java.io.OutputStreamWriter(out, StandardCharsets.UTF_8);
      StringBuilder line = new StringBuilder(1024);
      char[] chars = new char[1024];
      for (int i = 0; i < sessions.size(); i++) {
        line.setLength(0);
        if (i > 0) line.append(",\n");
        sessions.get(i).writeCanonical(line);
        if (chars.length < line.length()) chars = new char[line.length() * 2];
        line.getChars(0, line.length(), chars, 0);
        text.write(chars, 0, line.length());
      }
      text.write("\n]}\n");
      text.flush();
      ch.force(true);
    }
  }

  /** The last durable snapshot, if any. */
  @SuppressWarnings("unchecked")
  static Optional<Snapshot> read(Path dataDir) throws IOException {
    Path file = dataDir.resolve(FILE);
    if (!Files.exists(file)) return Optional.empty();
    Map<String, Object> m;
    try {
      m = Json.parseObject(Files.readString(file, StandardCharsets.UTF_8));
    } catch (IllegalArgumentException e) {
      // written atomically, so a bad file is damage, not a crash: refuse rather than lose sessions
      throw new IOException(file + " is not a valid snapshot: " + e.getMessage(), e);
    }
    if (!Long.valueOf(FORMAT).equals(m.get("format"))) {
      throw new IOException(file + " has snapshot format " + m.get("format") + ", this version reads " + FORMAT);
    }
    List<Policy> policies = new ArrayList<>();
    for (Object p : (List<Object>) m.get("policies")) policies.add(policyFrom((Map<String, Object>) p));
    List<SessionSnapshot> sessions = new ArrayList<>();
    for (Object s : (List<Object>) m.get("sessions")) sessions.add(SessionSnapshot.fromMap((Map<String, Object>) s));
    return Optional.of(new Snapshot(((Number) m.get("seq")).longValue(), ((Number) m.get("tokens_gen")).longValue(),
        ((Number) m.get("time_ms")).longValue(), policies, sessions));
  }

  static Map<String, Object> toMap(Policy p) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("policy", p.name());
    m.put("policy_version", (long) p.version());
    m.put("idle_timeout_ms", p.idleTimeoutMs());
    m.put("absolute_timeout_ms", p.absoluteTimeoutMs());
    m.put("warn_before_ms", p.warnBeforeMs());
    m.put("max_extensions", (long) p.maxExtensions());
    m.put("renew_every_ms", p.renewEvery() == null ? null : p.renewEvery().toMillis());
    m.put("comply_with", p.complyWith());
    p.concurrency().putFields(m);
    if (p.resumeWithin() != null) m.put("resume_within_ms", p.resumeWithinMs());
    return m;
  }

  @SuppressWarnings("unchecked")
  static Policy policyFrom(Map<String, Object> m) {
    Object renew = m.get("renew_every_ms");
    Object comply = m.get("comply_with");
    Object resume = m.get("resume_within_ms");
    return new Policy((String) m.get("policy"), ((Number) m.get("policy_version")).intValue(),
        Duration.ofMillis(((Number) m.get("idle_timeout_ms")).longValue()),
        Duration.ofMillis(((Number) m.get("absolute_timeout_ms")).longValue()),
        Duration.ofMillis(((Number) m.get("warn_before_ms")).longValue()),
        ((Number) m.get("max_extensions")).intValue(),
        renew == null ? null : Duration.ofMillis(((Number) renew).longValue()),
        comply == null ? List.of() : (List<String>) comply, dev.curfew.core.ConcurrencyLimit.fromFields(m),
        resume == null ? null : Duration.ofMillis(((Number) resume).longValue()));
  }
}
