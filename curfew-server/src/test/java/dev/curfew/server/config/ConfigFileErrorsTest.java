package dev.curfew.server.config;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A missing file and broken YAML are said plainly: the file, the line and column, no Java names. */
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
}
