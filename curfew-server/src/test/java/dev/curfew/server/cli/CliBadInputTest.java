package dev.curfew.server.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A path or a port a command cannot use is one line on stderr and an exit status, never a Java
 * stack trace (picocli prints one for any exception the handler passes on).
 */
class CliBadInputTest {
  @TempDir Path dir;

  private static CliRun run(String... args) {
    return CliRun.of(args);
  }

  @Test
  void aDataDirectoryThatIsAFile_isOneLineAndBadInput() throws Exception {
    Path file = Files.writeString(dir.resolve("afile"), "not a directory\n");
    CliRun r = run("logout-keys", "rotate", "--data", file.toString());
    assertThat(r.err()).as("no stack trace").doesNotContain("\tat ").doesNotContain("Exception");
    assertThat(r.err()).startsWith("curfew: ").contains(file.toString());
    assertThat(r.exit()).isEqualTo(Main.EXIT_BAD_INPUT);
  }

  @Test
  void aPortOutOfRange_isBadInput_andNothingIsWritten() {
    Path data = dir.resolve("data");
    CliRun r = run("serve", "--port", "70000", "--data", data.toString());
    assertThat(r.exit()).isEqualTo(Main.EXIT_BAD_INPUT);
    assertThat(r.err()).isEqualTo("curfew: --port: must be 0-65535 (0: any free port), not 70000" + System.lineSeparator());
    assertThat(data).as("nothing created").doesNotExist();
  }

  @Test
  void anEmptyPath_isBadInput_notTheCurrentDirectory() {
    // "$DATA" of an unset variable: it would have put a data directory's files where the command ran.
    for (String[] args : new String[][] {{"audit", "verify", "--data", " "},
        {"logout-keys", "rotate", "--data", ""}, {"serve", "--data", ""}}) {
      CliRun r = run(args);
      assertThat(r.exit()).as(String.join(" ", args)).isEqualTo(Main.EXIT_BAD_INPUT);
      assertThat(r.err()).as(String.join(" ", args)).startsWith("curfew: ").contains("--data").contains("empty path")
          .doesNotContain("\tat ");
    }
  }
}
