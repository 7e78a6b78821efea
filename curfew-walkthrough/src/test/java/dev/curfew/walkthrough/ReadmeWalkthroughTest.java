package dev.curfew.walkthrough;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The README's walkthrough ("Five minutes with curl" and the policy commands after it), run as a new
 * user would: the YAML block is written to the file the text names, every shell block is run in
 * order by one bash in an empty directory, with {@code ./curfew} being the repository's launcher,
 * and each command followed by {@code # ...} comment lines must print what they show, where
 * {@code ...} stands for what differs from run to run (ids, tokens, times). A block after the
 * comment {@code <!-- walkthrough: not run (why) -->} is skipped (the witness runs on another
 * machine). Every command must succeed except those the README says fail: {@code policy check}
 * (exit 1, said in the text) and the {@code wait} for the stopped server (its status is SIGTERM's).
 *
 * <p>Needs bash and curl, port 8080 free (the README's port), and the jar that curfew-server packages
 * before this module's tests (the launcher builds it when it is missing or older than the sources).
 * The walkthrough waits for the demo session's idle timeout, so this takes about 80 seconds.
 */
class ReadmeWalkthroughTest {
  private static final Path REPO = Path.of("..").toAbsolutePath().normalize();
  private static final Pattern SECTION = Pattern.compile("(?ms)^## Five minutes with curl\\n(.*?)(?=^## )");
  private static final Pattern BLOCK = Pattern.compile("(?ms)(<!-- walkthrough: not run[^>]*-->\\s*)?^```(\\w+)\\n(.*?)^```");
  private static final Pattern FILE_NAMED = Pattern.compile("`([\\w.-]+\\.yaml)`");
  private static final Pattern OUTPUT = Pattern.compile("(?ms)^@@out (\\d+)\\n(.*?)\\n?@@end \\1$");
  private static final List<String> MAY_FAIL = List.of(
      "./curfew policy check walkthrough.yaml --against pci-dss-4.0,nist-800-63b-aal2,wcag-2.2", "wait");

  @TempDir Path dir;

  /** A command of a shell block and the output its comment lines show (null: none shown). */
  record Step(String command, String expected) {}

  @Test
  void everyCommandOfTheWalkthroughWorksAndPrintsWhatTheReadmeShows() throws Exception {
    try (ServerSocket probe = new ServerSocket(8080)) {
      // free: the walkthrough's server may take it
    } catch (IOException e) {
      throw new AssertionError("port 8080, the README's, is taken: the walkthrough cannot run here", e);
    }
    List<Step> steps = steps(Files.readString(REPO.resolve("README.md")));
    assertThat(steps).as("commands found in the walkthrough").hasSizeGreaterThan(10);
    Path launcher = dir.resolve("curfew");
    Files.writeString(launcher, "#!/usr/bin/env bash\nexec \"" + REPO.resolve("curfew") + "\" \"$@\"\n");
    Files.setPosixFilePermissions(launcher, PosixFilePermissions.fromString("rwxr-xr-x"));

    StringBuilder script = new StringBuilder("trap 'echo \"$BASH_COMMAND\" >> failed-commands' ERR\n");
    for (int i = 0; i < steps.size(); i++) {
      Step s = steps.get(i);
      if (s.expected() == null) {
        script.append(s.command()).append('\n');
      } else {
        script.append("echo '@@out ").append(i).append("'\n").append(s.command()).append("\necho; echo '@@end ")
            .append(i).append("'\n");
      }
    }
    Files.writeString(dir.resolve("walkthrough.sh"), script);
    Path out = dir.resolve("out.txt");
    Process bash = new ProcessBuilder("bash", "walkthrough.sh").directory(dir.toFile())
        .redirectErrorStream(true).redirectOutput(out.toFile()).start();
    boolean ended = bash.waitFor(5, TimeUnit.MINUTES);
    if (!ended) {
      // The server it started must not outlive the test and keep port 8080.
      bash.descendants().forEach(ProcessHandle::destroyForcibly);
      bash.destroyForcibly();
    }
    String printed = Files.readString(out, StandardCharsets.UTF_8);
    assertThat(ended).as("the walkthrough ended within 5 minutes; it printed:\n%s", printed).isTrue();

    Map<Integer, String> outputs = new LinkedHashMap<>();
    Matcher m = OUTPUT.matcher(printed);
    while (m.find()) outputs.put(Integer.parseInt(m.group(1)), m.group(2).strip());
    List<String> mismatches = new ArrayList<>();
    for (int i = 0; i < steps.size(); i++) {
      Step s = steps.get(i);
      if (s.expected() == null) continue;
      String actual = outputs.get(i);
      if (actual == null || !template(s.expected()).matcher(actual).matches()) {
        mismatches.add(s.command() + "\n  README: " + s.expected() + "\n  printed: " + actual);
      }
    }
    assertThat(mismatches).as("commands whose output differs from the README's; the whole run:\n%s", printed).isEmpty();
    assertThat(printed).as("no library notices in what a new user sees").doesNotContain("SLF4J:");
    Path failed = dir.resolve("failed-commands");
    List<String> failures = Files.exists(failed) ? Files.readAllLines(failed) : List.of();
    assertThat(failures).as("commands that failed; the whole run:\n%s", printed).isSubsetOf(MAY_FAIL);
    assertThat(failures).as("policy check fails the demo policy, as the README says").contains(MAY_FAIL.get(0));
  }

  /** The walkthrough's commands in order; its YAML block is written to the file the text before it names. */
  private List<Step> steps(String readme) throws IOException {
    Matcher section = SECTION.matcher(readme);
    assertThat(section.find()).as("the README has its walkthrough").isTrue();
    String text = section.group(1);
    List<Step> steps = new ArrayList<>();
    Matcher b = BLOCK.matcher(text);
    int prose = 0;
    while (b.find()) {
      String before = text.substring(prose, b.start());
      prose = b.end();
      if (b.group(1) != null) continue;
      if (b.group(2).equals("yaml")) {
        Matcher named = FILE_NAMED.matcher(before);
        String file = null;
        while (named.find()) file = named.group(1);
        assertThat(file).as("the file the YAML block goes in, named before it").isNotNull();
        Files.writeString(dir.resolve(file), b.group(3));
      } else if (b.group(2).equals("sh")) {
        steps.addAll(commands(b.group(3)));
      }
    }
    return steps;
  }

  /** A block's commands (continued lines joined), each with the comment lines right after it. */
  static List<Step> commands(String block) {
    List<Step> steps = new ArrayList<>();
    String[] lines = block.split("\n");
    for (int i = 0; i < lines.length; i++) {
      StringBuilder command = new StringBuilder(lines[i]);
      while (lines[i].endsWith("\\") && i + 1 < lines.length) command.append('\n').append(lines[++i]);
      StringBuilder expected = null;
      while (i + 1 < lines.length && lines[i + 1].startsWith("# ")) {
        expected = expected == null ? new StringBuilder() : expected.append('\n');
        expected.append(lines[++i].substring(2));
      }
      steps.add(new Step(command.toString(), expected == null ? null : expected.toString()));
    }
    return steps;
  }

  /** The README's shown output as a pattern: {@code ...} is anything, the rest literal. */
  static Pattern template(String shown) {
    StringBuilder regex = new StringBuilder();
    String[] parts = shown.split("\\.\\.\\.", -1);
    for (int i = 0; i < parts.length; i++) {
      if (i > 0) regex.append(".*?");
      regex.append(Pattern.quote(parts[i]));
    }
    return Pattern.compile(regex.toString(), Pattern.DOTALL);
  }
}
