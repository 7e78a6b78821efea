package dev.curfew.gateway.mysql;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** How the gateway reads a client's KILL ({@link MyKill}): what it takes, what it refuses, what is no KILL at all. */
class MyKillTest {

  @Test
  void theFormsStandardClientsSend_areTaken() {
    assertThat(MyKill.read("KILL QUERY 25")).isEqualTo(new MyKill(true, "25", null)); // CLI Ctrl-C, Connector/J cancel
    assertThat(MyKill.read("KILL 25")).isEqualTo(new MyKill(false, "25", null)); // CLI second Ctrl-C, Connector/J abort
    assertThat(MyKill.read("KILL /*!50000 QUERY */ 25")).isEqualTo(new MyKill(true, "25", null)); // Connector/ODBC
    assertThat(MyKill.read("kill query 25;")).isEqualTo(new MyKill(true, "25", null));
    assertThat(MyKill.read("  KILL\tCONNECTION\n 0025 ; ;")).isEqualTo(new MyKill(false, "25", null));
    assertThat(MyKill.read("/* why */ KILL HARD QUERY -- the default\n 7 # done")).isEqualTo(new MyKill(true, "7", null));
    assertThat(MyKill.read("KILL/**/QUERY/**/7")).isEqualTo(new MyKill(true, "7", null));
    assertThat(MyKill.read("/*M!100000 KILL */ QUERY 7")).isEqualTo(new MyKill(true, "7", null));
    assertThat(MyKill.read("KILL 0")).isEqualTo(new MyKill(false, "0", null));
  }

  @Test
  void theIdAsANumber() {
    assertThat(MyKill.read("KILL 2147483647").idValue()).isEqualTo(2147483647L);
    assertThat(MyKill.read("KILL 99999999999999999999999").idValue()).isEqualTo(-1);
  }

  @ParameterizedTest
  @ValueSource(strings = {
      "KILL USER alice", "KILL CONNECTION USER alice", "KILL QUERY ID 5", "KILL SOFT 5", "KILL SOFT QUERY 5", "KILL 1+2",
      "KILL (5)", "KILL CONNECTION_ID()", "KILL @id", "KILL '5'", "KILL 0x5", "KILL", "KILL QUERY", "KILL 5 6",
      "SELECT 1; KILL 5", "KILL 5; SELECT 1", "DO 1 /*!50000 ; KILL 5 */", "BEGIN NOT ATOMIC KILL QUERY 5; END",
      "CREATE PROCEDURE p() KILL 5", "SELECT 'a\\' ; KILL 5 -- '", "SELECT \"a\\\" ; KILL 5 -- \"",
      "SELECT 1 /*!99999 ; KILL 5 */",
      // Inside a string with backslash escapes, a bare KILL without them (NO_BACKSLASH_ESCAPES): read both ways.
      "SELECT 'a\\'' , 'KILL 5'"})
  void everyOtherTextHoldingAKill_isRefused(String text) {
    MyKill k = MyKill.read(text);
    assertThat(k).as(text).isNotNull();
    assertThat(k.refused()).as(text).isNotNull();
  }

  @ParameterizedTest
  @ValueSource(strings = {
      "SELECT 1", "SELECT 'KILL QUERY 5'", "SELECT \"kill 5\"", "SELECT `kill` FROM t", "SELECT t.kill FROM t",
      "SELECT t . kill FROM t", "SET @kill = 5", "SELECT @@kill", "SELECT 1 -- KILL 5", "SELECT 1 # KILL 5",
      "SELECT 1 /* KILL 5 */", "SELECT skill, kills, killer FROM t", "SELECT 'it''s KILL 5'",
      "SHOW PROCESSLIST", ""})
  void textsWithoutAKill_areNotKills(String text) {
    assertThat(MyKill.read(text)).as(text).isNull();
  }
}
