package dev.curfew.store.embedded;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.curfew.core.AuditSink.TokenBinding;
import dev.curfew.core.TokenHash;
import dev.curfew.core.audit.CanonicalJson;
import dev.curfew.core.audit.Json;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** A token journal line is the binding's canonical JSON, as the map through {@code CanonicalJson} wrote it, and reads back. */
class TokenJournalLineTest {
  private static final long SEED = 0x70CE_2026L;

  @Test
  void sameBytesAsTheMapThroughCanonicalJson_andReadsBack() {
    Random r = new Random(SEED);
    String[] parts = {"s_", "a", "Z", "0", "\"", "\\", "\n", "\u0002", "é", "\uD83D\uDE00"};
    for (int i = 0; i < 2_000; i++) {
      StringBuilder id = new StringBuilder();
      for (int k = 1 + r.nextInt(8); k > 0; k--) id.append(parts[r.nextInt(parts.length)]);
      long issued = r.nextBoolean() ? r.nextLong() >>> 11 : r.nextInt(1000) - 500;
      TokenBinding b = new TokenBinding(id.toString(), TokenHash.of("t" + r.nextLong()), issued);
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("session_id", b.sessionId());
      m.put("token_sha256", b.tokenHash().toHex());
      m.put("issued_at_ms", b.issuedAtMs());
      String line = new String(TokenJournal.line(b), StandardCharsets.UTF_8);
      assertThat(line).as("seed " + SEED + ", case " + i).isEqualTo(CanonicalJson.write(m) + "\n");
      assertThat(Json.parseObject(line.substring(0, line.length() - 1))).as("case " + i).isEqualTo(m);
    }
  }

  @Test
  void aTimeBeyondWhatJsonReadsExactly_isRefused() {
    TokenBinding b = new TokenBinding("s_1", TokenHash.of("t"), CanonicalJson.MAX_SAFE_INTEGER + 1);
    assertThatThrownBy(() -> TokenJournal.line(b)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("2^53-1");
  }
}
