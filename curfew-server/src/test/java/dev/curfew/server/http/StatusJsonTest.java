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

  @Test
  void sameBytesAsTheMapThroughJackson() {
    Random random = new Random(SEED);
    for (int i = 0; i < 5_000; i++) {
      SessionStatus s = status(random);
      String token = random.nextInt(3) == 0 ? null : text(random);
      Map<String, Object> map = s.toMap();
      if (token != null) map.put("token", token);
      String expected = new String(JsonBodies.write(map), StandardCharsets.UTF_8);
      String actual = new String(StatusJson.write(s, token), StandardCharsets.UTF_8);
      assertEquals(expected, actual, "seed " + SEED + ", case " + i);
    }
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

  /** Strings with the characters that escaping must get right: quotes, controls, non-ASCII, surrogate pairs. */
  private static String text(Random r) {
    String[] pieces = {"a", "Z", "0", "\"", "\\", "/", "\n", "\t", "\u0000", "\u001f", "\u007f", "é", "\u2028",
        "\ud83d\ude00", "cft_", "-", "_", " ", "<", "&"};
    StringBuilder b = new StringBuilder();
    int len = r.nextInt(24);
    for (int i = 0; i < len; i++) b.append(pieces[r.nextInt(pieces.length)]);
    return b.toString();
  }
}
