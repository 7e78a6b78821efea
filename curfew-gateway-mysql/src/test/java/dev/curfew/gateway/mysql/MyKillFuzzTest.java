package dev.curfew.gateway.mysql;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.nio.charset.StandardCharsets;
import java.util.Locale;

/**
 * {@link MyKill} on untrusted statement texts (every COM_QUERY a client sends passes through it).
 * Invariants: it never throws; a text without the letters "kill" holds no KILL; a KILL it takes
 * names a canonical id (digits, no leading zero); and a taken KILL is taken the same with one more
 * semicolon on a line of its own (on the same line, it could follow a {@code --} that ends the text
 * and is a comment only there: the first exploration's finding, kept). An ordinary {@code mvn verify} replays the kept inputs (MyKillFuzzTestInputs)
 * only; {@code mvn -Pfuzz verify} explores ({@link GatewayMysqlFuzzCampaignTest}).
 */
class MyKillFuzzTest {

  @FuzzTest
  void read_neverThrows_andTakesOnlyACanonicalId(byte[] input) {
    String text = new String(input, StandardCharsets.UTF_8);
    MyKill k = MyKill.read(text);
    if (!text.toLowerCase(Locale.ROOT).contains("kill")) assertThat(k).isNull();
    if (k == null || k.refused() != null) return;
    assertThat(k.id()).matches("0|[1-9][0-9]*");
    assertThat(k.idValue()).isGreaterThanOrEqualTo(-1);
    assertThat(MyKill.read(text + "\n;")).as("with one more ';'").isEqualTo(k);
  }
}
