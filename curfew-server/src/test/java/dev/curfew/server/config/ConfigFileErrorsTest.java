package dev.curfew.server.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.io.TempDir;

/**
 * A missing file and broken YAML are said plainly: the file, the line and column, no Java names; an
 * impossible value names its key once and its durations in their natural unit.
 */
class ConfigFileErrorsTest {
  private static final String BAD_INDENT = "default_policy: demo\npolicies:\n  demo:\n    idle_timeout: 60s\n   absolute_timeout: 10m\n";

  @TempDir Path dir;

  @Test
  void aMissingFileIsNamedOnceAndSaidMissing() {
    Path missing = dir.resolve("walkthrough.yaml");
    for (Runnable load : new Runnable[] {() -> CurfewConfig.load(missing), () -> PolicyFile.load(missing)}) {
      assertThatThrownBy(load::run).isInstanceOf(ConfigException.class)
          .hasMessageContaining(missing + ": no such file")
          .satisfies(e -> org.assertj.core.api.Assertions.assertThat(e.getMessage().split(java.util.regex.Pattern.quote(missing.toString()), -1))
              .as("the path appears once in %s", e.getMessage()).hasSize(2));
    }
  }

  @Test
  void brokenYamlSaysWhereWithoutJavaNames() throws Exception {
    Path bad = dir.resolve("bad.yaml");
    Files.writeString(bad, BAD_INDENT);
    for (Runnable load : new Runnable[] {() -> CurfewConfig.load(bad), () -> PolicyFile.load(bad)}) {
      assertThatThrownBy(load::run).isInstanceOf(ConfigException.class)
          .hasMessageContaining("line 5, column 4")
          .hasMessageNotContaining("StringReader")
          .hasMessageNotContaining("[Source")
          .hasMessageNotContaining("'reader'")
          .hasMessageNotContaining("\n");
    }
  }

  /** A key given twice is said with its line, not silently read as the last one. */
  @Test
  void aKeyGivenTwiceIsAnErrorWithItsLine() throws Exception {
    Path twice = dir.resolve("twice.yaml");
    Files.writeString(twice, "policies:\n  demo:\n    idle_timeout: 10m\n    absolute_timeout: 1h\n    idle_timeout: 20m\n");
    for (Runnable load : new Runnable[] {() -> CurfewConfig.load(twice), () -> PolicyFile.load(twice)}) {
      assertThatThrownBy(load::run).isInstanceOf(ConfigException.class)
          .hasMessageContaining("line 5")
          .hasMessageContaining("idle_timeout")
          .hasMessageContaining("given twice")
          .hasMessageNotContaining("Duplicate field");
    }
  }

  /**
   * Each error is "key: what is wrong": the key's own name does not come back in the sentence
   * ("policies.demo.renew_every: renew_every must be ..." said it twice), and durations read as they
   * are written in the file (15m, 0.1ms), never as ISO-8601 (PT15M).
   */
  @ParameterizedTest(name = "{0}")
  @CsvSource(delimiter = '|', value = {
      "idle_timeout: 20m|policies.demo.idle_timeout: 20m is longer than absolute_timeout (15m)",
      "idle_timeout: 0s|policies.demo.idle_timeout: must be more than 0s",
      "warn_before: 10m|policies.demo.warn_before: 10m must be shorter than idle_timeout (10m)",
      "renew_every: 1000d|policies.demo.renew_every: 1000d is longer than the longest timeout (400d)",
      "renew_every: PT0.0001S|policies.demo.renew_every: must be a whole number of milliseconds, not 0.1ms",
      "idle_timeout: PT0.5001S|policies.demo.idle_timeout: must be a whole number of milliseconds, not 500.1ms",
      "absolute_timeout: 1000d|policies.demo.absolute_timeout: 1000d is longer than the longest timeout (400d)",
      "resume_within: 25h|policies.demo.resume_within: 25h is longer than 1d (an ended session is remembered for a day)",
      "when_exceeded: end_oldest|policies.demo.when_exceeded: needs max_sessions_per_subject",
      "limit_scope: subject|policies.demo.limit_scope: needs max_sessions_per_subject",
      "max_sessions_per_subject: 2; when_exceeded: nope|policies.demo.when_exceeded: must be refuse_new or end_oldest, not \"nope\"",
      "max_sessions_per_subject: 2; limit_scope: nope|policies.demo.limit_scope: must be subject or audience, not \"nope\"",
  })
  void aPolicyErrorNamesItsKeyOnce_withDurationsInTheirNaturalUnit(String lines, String expected) {
    java.util.Map<String, String> keys = new java.util.LinkedHashMap<>();
    keys.put("idle_timeout", "10m");
    keys.put("absolute_timeout", "15m");
    for (String line : lines.split("; ")) keys.put(line.substring(0, line.indexOf(':')), line.substring(line.indexOf(':') + 2));
    StringBuilder yaml = new StringBuilder("policies:\n  demo:\n");
    keys.forEach((k, v) -> yaml.append("    ").append(k).append(": ").append(v).append('\n'));

    ConfigException e = catchThrowableOfType(ConfigException.class, () -> CurfewConfig.parse(yaml.toString(), false));

    assertThat(e).as("%s", yaml).isNotNull();
    assertThat(e.getMessage()).isEqualTo(expected);
    assertThat(e.getMessage()).doesNotContainPattern("\\bPT[0-9.]+[SMHD]\\b");
    String[] words = e.getMessage().split("[^A-Za-z_]+");
    for (int i = 1; i < words.length; i++) {
      assertThat(words[i]).as("a word said twice in a row in %s", e.getMessage()).isNotEqualTo(words[i - 1]);
    }
    String key = e.getMessage().substring(0, e.getMessage().indexOf(':'));
    String name = key.substring(key.lastIndexOf('.') + 1);
    assertThat(e.getMessage().split(Pattern.quote(name), -1)).as("%s named once in %s", name, e.getMessage()).hasSize(2);
  }
}
