package dev.curfew.store.redis;

import dev.curfew.core.Audience;
import dev.curfew.core.Deadlines;
import dev.curfew.core.EndReason;
import dev.curfew.core.Policy;
import java.time.Duration;
import java.util.List;
import dev.curfew.core.SessionRecords;
import dev.curfew.core.SessionStatus;
import dev.curfew.core.audit.Json;
import io.vertx.redis.client.Response;
import java.util.Map;

/**
 * One session as a script returned it: the fields of {@code common.lua}'s list F, in its order.
 * Times are Redis's, in epoch milliseconds.
 */
record Row(
    String id,
    String subject,
    String policy,
    int policyVersion,
    long idleMs,
    long absoluteMs,
    long warnMs,
    int maxExtensions,
    long renewMs,
    long createdAt,
    long lastActivityAt,
    long idleExpiresAt,
    long absoluteExpiresAt,
    int extensionsUsed,
    long tokenIssuedAt,
    String endReason,
    long endedAt,
    String attributes,
    String revokedBy,
    String reasonText,
    long deadline,
    String detectedBy,
    Audience audience,
    long warnedFor,
    String displacedBy) {

  static final int FIELDS = 29;

  /** The row of session {@code id} from {@code r[offset] .. r[offset + FIELDS - 1]}. */
  static Row of(String id, Response r, int offset) {
    return new Row(id,
        text(r, offset), text(r, offset + 1), (int) num(r, offset + 2), num(r, offset + 3), num(r, offset + 4),
        num(r, offset + 5), (int) num(r, offset + 6), num(r, offset + 7), num(r, offset + 8), num(r, offset + 9),
        num(r, offset + 10), num(r, offset + 11), (int) num(r, offset + 12),
        // 13, 14: the token hashes, which never leave this class
        num(r, offset + 15), text(r, offset + 16), num(r, offset + 17),
        text(r, offset + 19),
        // 20, 21: when a refusal was last recorded, and the repeats since
        text(r, offset + 22), text(r, offset + 23), num(r, offset + 24), text(r, offset + 25),
        // 26: where the session may be used (a session written before audiences: nowhere)
        Audience.fromWire(text(r, offset + 26)),
        // 18: the expires_at the last warning was sent for (0: none); 27: the one last acknowledged
        num(r, offset + 18),
        // 28: the session that displaced this one (reason concurrency_limit)
        text(r, offset + 28));
  }

  /**
   * The row of live session {@code id} from the fields of {@code check.lua}'s list L, which a live
   * session's status needs: F without the previous token, the ending's fields, the refusal counts
   * and the acknowledged warning, which are empty or unused while it is live (the script answers
   * only for a session that has not ended).
   */
  static Row ofLive(String id, Response r) {
    return new Row(id,
        text(r, 0), text(r, 1), (int) num(r, 2), num(r, 3), num(r, 4),
        num(r, 5), (int) num(r, 6), num(r, 7), num(r, 8), num(r, 9),
        num(r, 10), num(r, 11), (int) num(r, 12),
        // 13: the token hash
        num(r, 14), text(r, 15), 0,
        text(r, 17),
        "", "", 0, "",
        Audience.fromWire(text(r, 18)),
        num(r, 16),
        "");
  }

  private static String text(Response r, int i) {
    if (i >= r.size()) return "";
    Response x = r.get(i);
    return x == null ? "" : x.toString();
  }

  private static long num(Response r, int i) {
    String s = text(r, i);
    return s.isEmpty() ? 0 : Long.parseLong(s);
  }

  long expiresAt() {
    return Deadlines.expiresAt(idleExpiresAt, absoluteExpiresAt);
  }

  /** Whom the session's audit records are about. */
  SessionRecords.About about() {
    return new SessionRecords.About(id, subject, policy, policyVersion);
  }

  boolean ended() {
    return !endReason.isEmpty();
  }

  EndReason reason() {
    return ended() ? EndReason.fromWire(endReason) : null;
  }

  Map<String, Object> attributeMap() {
    return attributes.isEmpty() ? Map.of() : Json.parseObject(attributes);
  }

  /** The values the session runs under, as a policy of its name and version. */
  Policy policyValues() {
    return new Policy(policy, policyVersion, Duration.ofMillis(idleMs), Duration.ofMillis(absoluteMs),
        Duration.ofMillis(warnMs), maxExtensions, renewMs == 0 ? null : Duration.ofMillis(renewMs), List.of());
  }

  SessionStatus status(long nowMs) {
    return new SessionStatus(id, subject, policy, policyVersion, createdAt, lastActivityAt, idleExpiresAt,
        absoluteExpiresAt, Deadlines.warningAt(expiresAt(), warnMs), extensionsUsed, Math.max(0, maxExtensions - extensionsUsed), nowMs,
        reason(), ended() ? endedAt : 0, attributeMap(), audience);
  }
}
