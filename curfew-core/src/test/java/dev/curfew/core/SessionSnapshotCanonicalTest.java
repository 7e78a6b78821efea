package dev.curfew.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.curfew.core.audit.CanonicalJson;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** {@link SessionSnapshot#writeCanonical} writes exactly what {@code CanonicalJson.write(toMap())} writes. */
class SessionSnapshotCanonicalTest {
  private static final long SEED = 0x5A4E_0412L;

  @Test
  void sameTextAsTheMapThroughCanonicalJson() {
    Random r = new Random(SEED);
    for (int i = 0; i < 5_000; i++) {
      SessionSnapshot s = snapshot(r);
      StringBuilder out = new StringBuilder();
      s.writeCanonical(out);
      assertThat(out.toString()).as("seed " + SEED + ", case " + i).isEqualTo(CanonicalJson.write(s.toMap()));
    }
  }

  @Test
  void aNumberBeyondWhatJsonReadsExactly_isRefusedAsTheMapWouldBe() {
    SessionSnapshot s = snapshot(new Random(SEED));
    SessionSnapshot big = new SessionSnapshot(s.sessionId(), s.subject(), s.policy(), s.createdAtMs(), s.attributes(),
        s.tokenHash(), s.previousTokenHash(), s.tokenIssuedAtMs(), s.lastActivityAtMs(), s.idleExpiresAtMs(),
        Long.MAX_VALUE, s.extensionsUsed(), s.warnedForMs(), s.endReason(), s.endedAtMs(), s.audience(),
        s.acknowledgedForMs(), s.resumedFrom(), s.resumedBy());
    assertThatThrownBy(() -> CanonicalJson.write(big.toMap())).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> big.writeCanonical(new StringBuilder())).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("2^53-1");
  }

  private static SessionSnapshot snapshot(Random r) {
    Policy p = Policy.of("p" + r.nextInt(100), Duration.ofMillis(60_001 + r.nextInt(3_600_000)), Duration.ofMillis(3_700_001 + r.nextInt(40_000_000)),
        Duration.ofMillis(r.nextInt(60_000)), r.nextInt(10)).withVersion(1 + r.nextInt(5));
    if (r.nextBoolean()) p = p.withResumeWithin(Duration.ofMillis(1 + r.nextInt(600_000)));
    if (r.nextBoolean()) {
      p = new Policy(p.name(), p.version(), p.idleTimeout(), p.absoluteTimeout(), p.warnBefore(), p.maxExtensions(),
          Duration.ofMillis(1 + r.nextInt(600_000)), p.complyWith(), p.concurrency(), p.resumeWithin());
    }
    long now = 1_700_000_000_000L + r.nextInt(1_000_000_000);
    EndReason end = r.nextBoolean() ? null : EndReason.values()[r.nextInt(EndReason.values().length)];
    List<String> places = new ArrayList<>();
    for (int k = 1 + r.nextInt(3); k > 0; k--) places.add("app:k" + r.nextInt(50));
    Audience audience = switch (r.nextInt(4)) {
      case 0 -> null;
      case 1 -> Audience.CONSOLE;
      default -> Audience.of(List.copyOf(new java.util.LinkedHashSet<>(places)));
    };
    return new SessionSnapshot(SessionId.format(r.nextLong(), r.nextLong()), text(r, 0), p, now - r.nextInt(100_000),
        attributes(r), r.nextBoolean() ? null : TokenHash.of(text(r, 1)), r.nextBoolean() ? null : TokenHash.of(text(r, 1)),
        now - r.nextInt(1000), now, now + r.nextInt(1_000_000), now + r.nextInt(10_000_000), r.nextInt(5),
        r.nextBoolean() ? Long.MIN_VALUE : now + r.nextInt(100_000), end, end == null ? 0 : now, audience,
        r.nextBoolean() ? Long.MIN_VALUE : now + r.nextInt(100_000), r.nextInt(3) == 0 ? text(r, 1) : null,
        r.nextInt(3) == 0 ? text(r, 1) : null);
  }

  /** Null, empty, or a few attributes of the kinds a session carries, nested too. */
  private static Map<String, Object> attributes(Random r) {
    if (r.nextInt(4) == 0) return null;
    Map<String, Object> m = new LinkedHashMap<>();
    for (int k = r.nextInt(4); k > 0; k--) {
      Object v = switch (r.nextInt(5)) {
        case 0 -> text(r, 0);
        case 1 -> (long) r.nextInt();
        case 2 -> r.nextBoolean();
        case 3 -> List.of(text(r, 0), (long) r.nextInt(10));
        default -> Map.of("z" + text(r, 1), text(r, 0), "a", (long) r.nextInt(100));
      };
      m.put(text(r, 1), v);
    }
    return m;
  }

  /** Text with what escaping must get right: quotes, controls, non-ASCII, a surrogate pair. */
  private static String text(Random r, int min) {
    String[] pieces = {"a", "Z", "0", "\"", "\\", "/", "\n", "\t", "\u0000", "\u001f", "é", "\u2028", "\ud83d\ude00", "_", " "};
    StringBuilder b = new StringBuilder();
    int len = min + r.nextInt(12);
    for (int i = 0; i < len; i++) b.append(pieces[r.nextInt(pieces.length)]);
    return b.toString();
  }
}
