package dev.curfew.core.audit;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.TreeSet;

/*
 * The figures of a period attestation (`curfew audit attest`), computed from the audit records
 * alone, so that anyone holding the records can compute them again:
 *
 *   records               records whose time is in [from, to) among the first tree_size records
 *   policies              per policy name: the versions sessions were opened under, and the
 *                         policy.changed records of the period (version, actor, time)
 *   sessions.opened       session.created records
 *   sessions.ended        per reason: session.expired by data.reason, session.revoked "revoked",
 *                         session.logged_out "logged_out", session.refused is not an end
 *   expiry_lateness_ms    over session.expired data.lateness_ms: count, p50, p99 (nearest rank:
 *                         the smallest value with at least p% of values at or below it), max
 *   warnings              session.warning_sent and session.warning_acknowledged records
 *   extensions            session.extended ("granted") and session.extension_refused ("refused")
 *   replays_refused       session.refused records (each counts its data.repeats more)
 *   revocations_by_actor  session.revoked per data.actor
 *   clock_steps           clock.stepped records: their seq and time
 *   anomalies             what an auditor should look at: an expiry detected more than 1000 ms
 *                         after its deadline, a log.repaired record (a torn write cut), a
 *                         clock.stepped record; each with seq, time and type (at most 1000 listed,
 *                         all counted)
 *
 * Everything is an integer, a string, a list or an object, so the canonical JSON of the figures
 * (RFC 8785) is one exact text: the verifier compares texts, field by field.
 */

/** Accumulates the figures of one period from record lines in seq order. Not thread-safe. */
public final class PeriodFigures {
  /** An expiry detected later than this after its deadline is listed as an anomaly. */
  public static final long LATE_EXPIRY_MS = 1000;
  /** At most this many anomalies are listed (all are counted). */
  public static final int MAX_ANOMALIES_LISTED = 1000;

  private final String from;
  private final String to;
  private long records;
  private final TreeMap<String, TreeSet<Long>> versionsByPolicy = new TreeMap<>();
  private final List<Object> policyChanges = new ArrayList<>();
  private long opened;
  private final TreeMap<String, Long> endedByReason = new TreeMap<>();
  private long[] lateness = new long[64];
  private int latenessCount;
  private long warningsSent;
  private long warningsAcknowledged;
  private long extensionsGranted;
  private long extensionsRefused;
  private long replaysRefused;
  private final TreeMap<String, Long> revocationsByActor = new TreeMap<>();
  private final List<Object> clockSteps = new ArrayList<>();
  private final List<Object> anomalies = new ArrayList<>();
  private long anomalyCount;

  /** @param fromMs inclusive, @param toMs exclusive: epoch milliseconds */
  public PeriodFigures(long fromMs, long toMs) {
    if (toMs <= fromMs) throw new IllegalArgumentException("the period's end is not after its start");
    this.from = Times.format(fromMs);
    this.to = Times.format(toMs);
  }

  /** Takes one record line (canonical JSON); records outside the period are skipped. */
  public void accept(String line) {
    Map<String, Object> r = Json.parseObject(line);
    String time = (String) r.get("time");
    if (time.compareTo(from) < 0 || time.compareTo(to) >= 0) return; // the format sorts as it compares
    records++;
    String type = String.valueOf(r.get("type"));
    Map<?, ?> data = r.get("data") instanceof Map<?, ?> m ? m : Map.of();
    long seq = (Long) r.get("seq");
    switch (type) {
      case RecordTypes.SESSION_CREATED -> {
        opened++;
        if (r.get("policy") instanceof String p && r.get("policy_version") instanceof Long v) {
          versionsByPolicy.computeIfAbsent(p, k -> new TreeSet<>()).add(v);
        }
      }
      case RecordTypes.POLICY_CHANGED -> policyChanges.add(ordered("name", data.get("name"), "version", data.get("version"),
          "actor", data.get("actor"), "time", time, "seq", seq));
      case RecordTypes.EXPIRED -> expired(seq, time, data);
      case RecordTypes.REVOKED -> {
        endedByReason.merge("revoked", 1L, Long::sum);
        revocationsByActor.merge(String.valueOf(data.get("actor")), 1L, Long::sum);
      }
      case RecordTypes.LOGGED_OUT -> endedByReason.merge("logged_out", 1L, Long::sum);
      case RecordTypes.WARNING_SENT -> warningsSent++;
      case RecordTypes.WARNING_ACKNOWLEDGED -> warningsAcknowledged++;
      case RecordTypes.EXTENDED -> extensionsGranted++;
      case RecordTypes.EXTENSION_REFUSED -> extensionsRefused++;
      case RecordTypes.REFUSED -> replaysRefused += 1 + (data.get("repeats") instanceof Long n ? n : 0);
      case RecordTypes.CLOCK_STEPPED -> {
        clockSteps.add(ordered("seq", seq, "time", time));
        anomaly(seq, time, type, "the wall clock was stepped");
      }
      case RecordTypes.LOG_REPAIRED -> anomaly(seq, time, type, "a torn last line was cut from the log on restart");
      default -> { }
    }
  }

  private void expired(long seq, String time, Map<?, ?> data) {
    endedByReason.merge(String.valueOf(data.get("reason")), 1L, Long::sum);
    if (!(data.get("lateness_ms") instanceof Long late)) return;
    if (latenessCount == lateness.length) lateness = Arrays.copyOf(lateness, lateness.length * 2);
    lateness[latenessCount++] = late;
    if (late > LATE_EXPIRY_MS) {
      anomaly(seq, time, RecordTypes.EXPIRED, "detected " + late + " ms after its deadline");
    }
  }

  private void anomaly(long seq, String time, String type, String what) {
    anomalyCount++;
    if (anomalies.size() < MAX_ANOMALIES_LISTED) anomalies.add(ordered("seq", seq, "time", time, "type", type, "what", what));
  }

  /** The figures, as a JSON value (maps, lists, strings and longs): what the attestation states. */
  public Map<String, Object> figures() {
    Map<String, Object> f = new LinkedHashMap<>();
    f.put("records", records);
    Map<String, Object> policies = new TreeMap<>();
    versionsByPolicy.forEach((name, versions) -> policies.put(name, List.copyOf(versions)));
    f.put("policies", ordered("versions_in_use", policies, "changes", List.copyOf(policyChanges)));
    f.put("sessions", ordered("opened", opened, "ended", new TreeMap<>(endedByReason)));
    f.put("expiry_lateness_ms", lateness());
    f.put("warnings", ordered("sent", warningsSent, "acknowledged", warningsAcknowledged));
    f.put("extensions", ordered("granted", extensionsGranted, "refused", extensionsRefused));
    f.put("replays_refused", replaysRefused);
    f.put("revocations_by_actor", new TreeMap<>(revocationsByActor));
    f.put("clock_steps", List.copyOf(clockSteps));
    f.put("anomalies", ordered("count", anomalyCount, "listed", List.copyOf(anomalies)));
    return f;
  }

  private Map<String, Object> lateness() {
    long[] sorted = Arrays.copyOf(lateness, latenessCount);
    Arrays.sort(sorted);
    if (sorted.length == 0) return ordered("count", 0L);
    return ordered("count", (long) sorted.length, "p50", nearestRank(sorted, 50), "p99", nearestRank(sorted, 99),
        "max", sorted[sorted.length - 1]);
  }

  /** The smallest value with at least {@code percent}% of the values at or below it. */
  static long nearestRank(long[] sorted, int percent) {
    int rank = (int) Math.ceil(percent / 100.0 * sorted.length);
    return sorted[Math.max(rank, 1) - 1];
  }

  private static Map<String, Object> ordered(Object... keyValues) {
    Map<String, Object> m = new LinkedHashMap<>();
    for (int i = 0; i < keyValues.length; i += 2) {
      m.put((String) keyValues[i], Objects.requireNonNullElse(keyValues[i + 1], "unknown"));
    }
    return m;
  }
}
