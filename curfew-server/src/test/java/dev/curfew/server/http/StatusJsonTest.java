package dev.curfew.server.http;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.curfew.core.Audience;
import dev.curfew.core.EndReason;
import dev.curfew.core.SessionAttributes;
import dev.curfew.core.SessionStatus;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

class StatusJsonTest {
  private static final long SEED = 0x5EED_17L;

  /**
   * A tenth of the cases have characters outside the Basic Multilingual Plane, which send the body
   * through Jackson; the rest are written byte by byte.
   */
  @Test
  void sameBytesAsTheMapThroughJackson() {
    Random random = new Random(SEED);
    for (int i = 0; i < 5_000; i++) {
      astral = random.nextInt(10) == 0;
      SessionStatus s = status(random);
      String token = random.nextInt(3) == 0 ? null : text(random);
      Map<String, Object> map = s.toMap();
      if (token != null) map.put("token", token);
      String expected = new String(JsonBodies.write(map), StandardCharsets.UTF_8);
      // Written in this thread's reused buffer, after whatever the case before left in it (a longer
      // body, or one abandoned to Jackson part way).
      String actual = StatusJson.buffer(s, token).toString(StandardCharsets.UTF_8);
      assertEquals(expected, actual, "seed " + SEED + ", case " + i);
    }
  }

  /** A broken surrogate: whatever Jackson makes of it (it refuses it), the fast path makes the same. */
  @Test
  void aBrokenSurrogateGoesThroughJackson() {
    Random random = new Random(SEED);
    astral = false;
    SessionStatus s = status(random);
    SessionStatus broken = new SessionStatus(s.sessionId(), "alice\ud800", s.policy(), s.policyVersion(), s.createdAtMs(),
        s.lastActivityAtMs(), s.idleExpiresAtMs(), s.absoluteExpiresAtMs(), s.warningAtMs(), s.extensionsUsed(),
        s.extensionsLeft(), s.serverTimeMs(), s.endReason(), s.endedAtMs(), s.attributes(), s.audience(), s.resumedFrom());
    Object expected;
    try {
      expected = new String(JsonBodies.write(broken.toMap()), StandardCharsets.UTF_8);
    } catch (RuntimeException e) {
      expected = e.getClass();
    }
    Object actual;
    try {
      actual = StatusJson.buffer(broken, null).toString(StandardCharsets.UTF_8);
    } catch (RuntimeException e) {
      actual = e.getClass();
    }
    assertEquals(expected, actual);
  }

  private static SessionStatus status(Random r) {
    long now = r.nextInt(4) == 0 ? r.nextLong() % 253_402_300_799_999L : 1_700_000_000_000L + r.nextInt(1_000_000_000);
    EndReason end = r.nextBoolean() ? null : EndReason.values()[r.nextInt(EndReason.values().length)];
    Map<String, Object> attributes = switch (r.nextInt(3)) {
      case 0 -> null;
      case 1 -> Map.of(SessionAttributes.PARENT_SESSION_ID, text(r));
      default -> Map.of("team", text(r));
    };
    List<String> places = new ArrayList<>();
    int n = 1 + r.nextInt(3);
    for (int k = 0; k < n; k++) places.add(r.nextBoolean() ? "app:a" + k : "route:/p" + r.nextInt(100));
    Audience audience = r.nextInt(5) == 0 ? Audience.CONSOLE : Audience.of(List.copyOf(new java.util.LinkedHashSet<>(places)));
    return new SessionStatus(text(r), text(r), text(r), r.nextInt(), now - r.nextInt(100_000), now,
        now + r.nextInt(1_000_000), now + r.nextInt(10_000_000), now + r.nextInt(500_000), r.nextInt(20),
        r.nextInt(20) - 5, now, end, now - r.nextInt(1000), attributes, audience,
        r.nextInt(4) == 0 ? text(r) : null);
  }

  /** Whether the current case's strings may hold surrogate pairs. */
  private static boolean astral;

  /**
   * Strings with the characters that escaping must get right: quotes, every control, non-ASCII of
   * two and three UTF-8 bytes, and (in {@link #astral} cases) surrogate pairs.
   */
  private static String text(Random r) {
    String[] pieces = {"a", "Z", "0", "\"", "\\", "/", "\n", "\t", "\b", "\f", "\r", "\u0000", "\u001f", "\u007f",
        "é", "\u0800", "\u2028", "\uffff", "cft_", "-", "_", " ", "<", "&", "\ud83d\ude00"};
    StringBuilder b = new StringBuilder();
    int len = r.nextInt(24);
    for (int i = 0; i < len; i++) {
      if (r.nextInt(8) == 0) {
        b.append((char) r.nextInt(0x20)); // any control
      } else {
        b.append(pieces[r.nextInt(astral ? pieces.length : pieces.length - 1)]);
      }
    }
    return b.toString();
  }
}
