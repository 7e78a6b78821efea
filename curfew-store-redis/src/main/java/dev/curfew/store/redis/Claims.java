package dev.curfew.store.redis;

import dev.curfew.core.Deadlines;
import dev.curfew.core.Policy;
import dev.curfew.core.SessionRecords;
import dev.curfew.core.audit.AuditRecord;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * The pending entries a script leaves with every change it makes to a session (one rule for all,
 * docs/distributed.md), and the records they stand for. An entry is a member of its shard's
 * {@code pending} set, scored by the end of its lease:
 *
 * <pre>
 * e|&lt;id&gt;                                           the session ended (its fields say how)
 * w|&lt;id&gt;|&lt;n&gt;|&lt;at&gt;|&lt;version&gt;|&lt;expires at&gt;             a warning sent
 * o|&lt;id&gt;|&lt;n&gt;|&lt;at&gt;|&lt;version&gt;|&lt;ie&gt;|&lt;ae&gt;|&lt;idle&gt;|&lt;abs&gt;|&lt;warn&gt;|&lt;maxext&gt;|&lt;renew&gt;|&lt;actor&gt;
 *                                                  the session opened (the actor last: free text)
 * x|&lt;id&gt;|&lt;n&gt;|&lt;at&gt;|&lt;previous&gt;|&lt;version&gt;|&lt;ie&gt;|&lt;ae&gt;|&lt;used&gt;  an extension
 * r|&lt;id&gt;|&lt;n&gt;|&lt;at&gt;|&lt;version&gt;                            a rotation
 * a|&lt;id&gt;|&lt;n&gt;|&lt;at&gt;|&lt;version&gt;|&lt;expires at&gt;             a warning acknowledged
 * p|&lt;id&gt;|&lt;n&gt;|&lt;at&gt;|&lt;previous&gt;|&lt;version&gt;|&lt;ie&gt;|&lt;ae&gt;|&lt;idle&gt;|&lt;abs&gt;|&lt;warn&gt;|&lt;maxext&gt;|&lt;renew&gt;
 *                                                  a new policy version applied
 * </pre>
 *
 * {@code <n>} is the session's change counter, so {@code <id>:<n>} ({@code <id>:end} for the
 * ending) names the change among every session and node: it is the record's {@code claim}. The
 * values are what the record needs beyond the session's subject and policy name, which never
 * change; the node that made the change and a node that takes the entry over after its lease build
 * the record from the entry alone, so both build the same record.
 */
final class Claims {
  private Claims() {}

  /** The claim of an ending: a session ends once. */
  static String endingClaim(String sessionId) {
    return sessionId + ":end";
  }

  /** The pending entry of an ending. */
  static String endingMember(String sessionId) {
    return "e|" + sessionId;
  }

  /** The claim an entry stands for ({@code <id>:<n>}, {@code <id>:end}); null for an entry of an older form. */
  static String claim(String member) {
    String[] p = member.split("\\|");
    if (p[0].equals("e")) return endingClaim(p[1]);
    if (p.length < 4 || (p[0].equals("w") && p.length < 6)) return null;
    return p[1] + ":" + p[2];
  }

  /**
   * The records of a change's entry (not an ending's), about the session {@code s} (its subject and
   * policy name), each carrying the entry's claim.
   *
   * @param deliveredTo the event streams a warning reached (a node taking a warning over reached none)
   */
  static List<AuditRecord> records(SessionRecords records, String member, Row s, long deliveredTo) {
    String[] p = member.split("\\|", member.startsWith("o|") ? 13 : -1);
    String claim = claim(member);
    if (p[0].equals("w") && claim == null) {
      // w|<id>|<expires at>|<claimed at>: written before changes had a counter
      return List.of(records.warningSent(s.about(), Long.parseLong(p[3]), Long.parseLong(p[2]), deliveredTo));
    }
    long at = Long.parseLong(p[3]);
    AuditRecord r = switch (p[0]) {
      case "w" -> records.warningSent(about(s, p[4]), at, Long.parseLong(p[5]), deliveredTo);
      case "x" -> {
        long ie = Long.parseLong(p[6]);
        yield records.extended(about(s, p[5]), at, Long.parseLong(p[4]), Deadlines.expiresAt(ie, Long.parseLong(p[7])),
            Integer.parseInt(p[8]), ie);
      }
      case "o" -> {
        Policy opened = values(s, p[4], p[7], p[8], p[9], p[10], p[11]);
        Map<String, Object> attributes = s.attributeMap();
        yield records.created(about(s, p[4]), at, opened, Long.parseLong(p[5]), Long.parseLong(p[6]), attributes,
            p[12].isEmpty() ? null : p[12], s.audience(), null);
      }
      case "r" -> records.rotated(about(s, p[4]), at);
      case "a" -> records.warningAcknowledged(about(s, p[4]), at, Long.parseLong(p[5]));
      case "p" -> {
        Policy effective = values(s, p[5], p[8], p[9], p[10], p[11], p[12]);
        yield records.policyApplied(about(s, p[5]), at, Long.parseLong(p[4]), Long.parseLong(p[6]),
            Long.parseLong(p[7]), effective);
      }
      default -> throw new IllegalArgumentException("not a change's entry: " + member);
    };
    return List.of(r.with("claim", claim));
  }

  /** The values a session runs under, as a policy of its name (the same as {@link Row#policyValues}). */
  private static Policy values(Row s, String version, String idle, String abs, String warn, String maxExtensions,
      String renew) {
    long renewMs = Long.parseLong(renew);
    return new Policy(s.policy(), Integer.parseInt(version), Duration.ofMillis(Long.parseLong(idle)),
        Duration.ofMillis(Long.parseLong(abs)), Duration.ofMillis(Long.parseLong(warn)), Integer.parseInt(maxExtensions),
        renewMs == 0 ? null : Duration.ofMillis(renewMs), List.of());
  }

  private static SessionRecords.About about(Row s, String version) {
    return new SessionRecords.About(s.id(), s.subject(), s.policy(), Integer.parseInt(version));
  }
}
