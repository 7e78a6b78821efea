package dev.curfew.server.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import org.junit.jupiter.api.Test;

class OneLineLogsTest {
  private final OneLineLogs format = new OneLineLogs();

  @Test
  void anEvent_isOneLine_withTimeLevelLoggerAndMessage() {
    LogRecord r = new LogRecord(Level.WARNING, "witness {0} did not cosign");
    r.setParameters(new Object[] {"http://127.0.0.1:9"});
    r.setLoggerName("dev.curfew.server.witness.WitnessClient");
    r.setMillis(1_764_950_400_123L);
    assertThat(format.format(r)).isEqualTo("2025-12-05T16:00:00.123Z WARNING dev.curfew.server.witness.WitnessClient:"
        + " witness http://127.0.0.1:9 did not cosign" + System.lineSeparator());
  }

  @Test
  void anExceptionWithACause_andLineBreaksInTheMessage_stayOnTheLine() {
    LogRecord r = new LogRecord(Level.SEVERE, "checkpoint failed:\nretrying");
    r.setThrown(new UncheckedIOException("cannot write", new IOException("No space left on device")));
    String line = format.format(r);
    assertThat(line).endsWith(System.lineSeparator());
    assertThat(line.strip()).doesNotContain("\n").doesNotContain("\r")
        .contains("checkpoint failed:\\nretrying")
        .contains(" | java.io.UncheckedIOException: cannot write")
        .contains(" | caused by java.io.IOException: No space left on device")
        .contains(" | at dev.curfew.server.cli.OneLineLogsTest.");
  }
}
