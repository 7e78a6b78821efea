package dev.curfew.server.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.curfew.server.config.CurfewConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class PolicyCommandTest {
  @TempDir Path dir;

  private static CliRun run(String... args) {
    return CliRun.of(args);
  }

  private Path policy(String name, String idle) throws Exception {
    Path f = dir.resolve(name + ".yaml");
    Files.writeString(f, "idle_timeout: " + idle + "\nabsolute_timeout: 12h\nwarn_before: 2m\nmax_extensions: 10\n"
        + "comply_with: [pci-dss-4.0]\n");
    return f;
  }

  @Test
  void check_passesAtTheLimitAndFailsOneMillisecondOver() throws Exception {
    assertThat(run("policy", "check", policy("at", "15m").toString()).exit()).isZero();
    CliRun over = run("policy", "check", policy("over", "900001ms").toString());
    assertThat(over.exit()).isEqualTo(1);
    assertThat(over.out()).contains("fail", "PCI DSS v4.0.1 req. 8.2.8");
  }

  @Test
  void check_againstOverridesDeclaredPresets_andJsonHasCitations() throws Exception {
    CliRun r = run("policy", "check", policy("p", "15m").toString(), "--against", "psd2-rts,hipaa", "--format", "json");
    assertThat(r.exit()).isEqualTo(1);
    assertThat(r.out()).contains("\"id\" : \"psd2-rts\"", "Commission Delegated Regulation (EU) 2018/389 Art. 4(3)(d)", "\"status\" : \"fail\"");
  }

  @Test
  void checkAndExplain_readAFileOfSeveralPolicies_thatNamesNoDefault() throws Exception {
    // Only serve needs a default policy; the design tools refused such a file with serve's rule
    // ("default_policy: several policies are defined: name the default one").
    Path f = dir.resolve("several.yaml");
    Files.writeString(f, "policies:\n"
        + "  a: {idle_timeout: 15m, absolute_timeout: 12h, warn_before: 2m, comply_with: [pci-dss-4.0]}\n"
        + "  b: {idle_timeout: 30m, absolute_timeout: 12h, warn_before: 2m, comply_with: [pci-dss-4.0]}\n");
    CliRun check = run("policy", "check", f.toString(), "--format", "json");
    assertThat(check.exit()).as(check.err()).isEqualTo(1); // b fails PCI DSS: every policy is reported
    assertThat(check.out()).contains("\"policy\" : \"a\"", "\"policy\" : \"b\"");
    CliRun explain = run("policy", "explain", f.toString(), "--policy", "b");
    assertThat(explain.exit()).as(explain.err()).isZero();
    assertThat(explain.out()).contains("30m");
    CliRun which = run("policy", "explain", f.toString());
    assertThat(which.exit()).isEqualTo(2);
    assertThat(which.err()).contains("--policy", "[a, b]");
    // serve still needs to know which one is the default
    assertThatThrownBy(() -> CurfewConfig.parse("policies: {a: {idle_timeout: 15m, absolute_timeout: 12h},"
        + " b: {idle_timeout: 10m, absolute_timeout: 12h}}"))
        .hasMessage("default_policy: several policies are defined: name the default one");
  }

  @Test
  void check_badInputExitsTwoNamingTheKey() throws Exception {
    Path bad = dir.resolve("bad.yaml");
    Files.writeString(bad, "idle_timeout: 2h\nabsolute_timeout: 1h\n");
    CliRun r = run("policy", "check", bad.toString(), "--against", "pci-dss-4.0");
    assertThat(r.exit()).isEqualTo(2);
    assertThat(r.err()).contains("idle_timeout");
    assertThat(run("policy", "check", policy("p", "15m").toString(), "--against", "nope").exit()).isEqualTo(2);
    assertThat(run("policy", "check", dir.resolve("missing.yaml").toString()).exit()).isEqualTo(2);
  }

  @Test
  void explain_printsTheTimeline() throws Exception {
    CliRun r = run("policy", "explain", policy("p", "15m").toString(), "--activity", "0s,5m");
    assertThat(r.exit()).isZero();
    assertThat(r.out()).contains("+18m", "warning", "+20m", "idle_timeout");
    assertThat(run("policy", "explain", policy("p", "15m").toString(), "--format", "svg").out()).startsWith("<svg");
    assertThat(run("policy", "explain", policy("p", "15m").toString(), "--activity", "5m,1m").exit()).isEqualTo(2);
  }

  @Test
  void everyCommandHasHelp() {
    for (String[] cmd : new String[][] {{"--help"}, {"policy", "--help"}, {"policy", "check", "--help"}, {"policy", "explain", "--help"}}) {
      CliRun r = run(cmd);
      assertThat(r.exit()).as(String.join(" ", cmd)).isZero();
      assertThat(r.out()).contains("Usage:");
    }
  }

  /**
   * A command's list of subcommands shows the first line of each one's description: that line must
   * be a whole sentence ("policy --help" cut "check" and "explain" mid-sentence).
   */
  @Test
  void everySubcommandIsListedWithAWholeSentence() {
    java.util.List<String> cut = new java.util.ArrayList<>();
    java.util.ArrayDeque<CommandLine> todo = new java.util.ArrayDeque<>(java.util.List.of(Main.commandLine()));
    while (!todo.isEmpty()) {
      CommandLine c = todo.pop();
      for (CommandLine sub : c.getSubcommands().values()) {
        todo.push(sub);
        String[] header = sub.getCommandSpec().usageMessage().header();
        String[] description = sub.getCommandSpec().usageMessage().description();
        String first = header.length > 0 ? header[0] : description.length > 0 ? description[0] : "";
        if (!first.strip().matches("(?s).*[.)!?:]$")) cut.add(sub.getCommandSpec().qualifiedName() + ": " + first);
      }
    }
    assertThat(cut).as("commands listed with a sentence cut short").isEmpty();
  }

  /** Issue 20: an offset whose milliseconds overflow was an ArithmeticException with a stack trace. */
  @Test
  void explain_refusesOffsetsBeyondTheLongestDuration_exitTwo() throws Exception {
    for (String trace : new String[] {"0s,999999999999d", "PT2562047788015215H", "0s,365251d:extend"}) {
      CliRun r = run("policy", "explain", policy("p", "15m").toString(), "--activity", trace);
      assertThat(r.exit()).as(trace + ": " + r.err()).isEqualTo(2);
      assertThat(r.err()).as(trace).startsWith("curfew: ").contains("longer than").doesNotContain("Exception", "\tat ");
    }
  }
}
