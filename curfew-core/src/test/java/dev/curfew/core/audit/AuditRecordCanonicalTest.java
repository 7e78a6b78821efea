package dev.curfew.core.audit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** {@link AuditRecord#canonicalLine} writes exactly the bytes of {@code CanonicalJson.write(toMap(seq, time))}. */
class AuditRecordCanonicalTest {
  private static final long SEED = 0xA0D1_7EC0L;

  @Test
  void sameBytesAsTheMapThroughCanonicalJson() {
    Random r = new Random(SEED);
    for (int i = 0; i < 5_000; i++) {
      AuditRecord rec = record(r);
      long seq = r.nextInt(3) == 0 ? r.nextInt(10) : (r.nextLong() >>> 12);
      long time = 1_700_000_000_000L + r.nextInt(1_000_000_000);
      byte[] expected = CanonicalJson.write(rec.toMap(seq, time)).getBytes(StandardCharsets.UTF_8);
      assertThat(new String(rec.canonicalLine(seq, time), StandardCharsets.UTF_8)).as("seed " + SEED + ", case " + i)
          .isEqualTo(new String(expected, StandardCharsets.UTF_8));
    }
  }

  @Test
  void whatTheMapRefuses_theLineRefusesToo() {
    AuditRecord rec = AuditRecord.builder("session.created", 1L, "n").put("x", 1.5).build();
    assertThatThrownBy(() -> rec.canonicalLine(1, 1)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("java.lang.Double");
    AuditRecord ok = AuditRecord.builder("session.created", 1L, "n").build();
    assertThatThrownBy(() -> ok.canonicalLine(CanonicalJson.MAX_SAFE_INTEGER + 1, 1))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("2^53-1");
    AuditRecord lone = AuditRecord.builder("session.created", 1L, "n").session("s", "a\uD800b", null, 0).build();
    assertThatThrownBy(() -> lone.canonicalLine(1, 1)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("lone surrogate");
    Map<Object, Object> badKey = new LinkedHashMap<>();
    badKey.put(7L, "x");
    AuditRecord key = AuditRecord.builder("session.created", 1L, "n").put("m", badKey).build();
    assertThatThrownBy(() -> key.canonicalLine(1, 1)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("not a string");
  }

  private static AuditRecord record(Random r) {
    AuditRecord.Builder b = AuditRecord.builder(text(r, 1), r.nextLong(), text(r, 1));
    if (r.nextInt(4) != 0) {
      b.session(r.nextBoolean() ? text(r, 1) : null, r.nextBoolean() ? text(r, 0) : null,
          r.nextBoolean() ? text(r, 1) : null, r.nextInt(3) - 1 + r.nextInt(4));
    }
    for (int k = r.nextInt(12); k > 0; k--) b.put(text(r, 1), value(r, 2));
    if (r.nextBoolean()) b.putTime("idle_expires_at", 1_700_000_000_000L + r.nextInt());
    return b.build();
  }

  private static Object value(Random r, int depth) {
    switch (r.nextInt(depth > 0 ? 7 : 5)) {
      case 0: return text(r, 0);
      case 1: return r.nextLong() >> 12;
      case 2: return r.nextBoolean();
      case 3: return null;
      case 4: return (long) r.nextInt(100);
      case 5: {
        List<Object> l = new ArrayList<>();
        for (int k = r.nextInt(4); k > 0; k--) l.add(value(r, depth - 1));
        return l;
      }
      default: {
        Map<String, Object> m = new LinkedHashMap<>();
        for (int k = r.nextInt(5); k > 0; k--) m.put(text(r, 0), value(r, depth - 1));
        return m;
      }
    }
  }

  /** Text with what canonical JSON treats specially: quotes, backslashes, controls, astral pairs, keys that sort apart. */
  private static String text(Random r, int min) {
    String[] parts = {"a", "Z", "_", "é", "\"", "\\", "\n", "\u0001", "\u001f", "\uD83D\uDE00", "\u00ff", "time", "data", "\u20ac"};
    StringBuilder s = new StringBuilder();
    for (int k = min + r.nextInt(6); k > 0; k--) s.append(parts[r.nextInt(parts.length)]);
    return s.toString();
  }
}
