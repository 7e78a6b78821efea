package dev.curfew.core.fuzz;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.io.IOException;
import java.lang.reflect.Method;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * Exploration, never part of the ordinary build (the {@code fuzz} profile runs it): a bounded
 * coverage-guided run of every {@code @FuzzTest} of a module: each target in its own
 * child JVM (Jazzer fuzzes one test per JVM) with {@code JAZZER_FUZZ=1} for a fixed time. The
 * corpus Jazzer grows goes to the module's {@code .cifuzz-corpus/} (not kept); a finding is written
 * to the target's inputs directory under {@code src/test/resources}, where the ordinary test run
 * replays it from then on. The time per target is the system property {@code curfew.fuzz.seconds}
 * (0: no fuzzing, only the kept inputs run).
 */
public final class FuzzCampaign {
  public static final String SECONDS_PROPERTY = "curfew.fuzz.seconds";

  /** One target's outcome. */
  public record Outcome(String target, int exit, String output) {
    public boolean passed() {
      return exit == 0;
    }
  }

  private FuzzCampaign() {}

  /** Seconds per target from {@value #SECONDS_PROPERTY} (default {@code defaultSeconds}). */
  public static int secondsPerTarget(int defaultSeconds) {
    return Integer.parseInt(System.getProperty(SECONDS_PROPERTY, Integer.toString(defaultSeconds)).trim());
  }

  /**
   * The campaign of one module, as {@code mvn -Pfuzz verify} runs it: every target of the test
   * classes in the working directory, {@value #SECONDS_PROPERTY} each (default 60), every target
   * to its end even after a finding, so that one run saves every finding. Returns one line per
   * target; throws an AssertionError naming every target that found something.
   */
  public static List<String> exploreModule(int minTargets) throws Exception {
    List<String> targets = targets(Path.of("target/test-classes"));
    if (targets.size() < minTargets) {
      throw new AssertionError("fuzz targets found: " + targets.size() + ", expected at least " + minTargets);
    }
    int seconds = secondsPerTarget(60);
    List<String> lines = new ArrayList<>();
    if (seconds <= 0) return lines; // only the kept inputs (they ran as ordinary tests)
    StringBuilder findings = new StringBuilder();
    for (Outcome o : fuzzAll(targets, seconds, Path.of("").toAbsolutePath(), parallelism())) {
      lines.add(o.target() + ": " + summary(o));
      System.out.println(lines.get(lines.size() - 1));
      if (!o.passed() || !o.output().contains("Done ")) {
        findings.append(System.lineSeparator()).append("== ").append(o.target())
            .append(" found something (the input is in its inputs directory under src/test/resources):")
            .append(System.lineSeparator()).append(o.output());
      }
    }
    if (findings.length() > 0) throw new AssertionError(findings.toString());
    return lines;
  }

  /** Every {@code @FuzzTest} method of the compiled test classes under {@code testClasses}, as CLASS#METHOD(PARAMETERS). */
  public static List<String> targets(Path testClasses) throws IOException {
    List<String> out = new ArrayList<>();
    try (Stream<Path> s = Files.walk(testClasses)) {
      for (Path p : s.filter(f -> f.getFileName().toString().endsWith("FuzzTest.class")).sorted().toList()) {
        String name = testClasses.relativize(p).toString().replace('/', '.').replaceAll("\\.class$", "");
        Class<?> c;
        try {
          c = Class.forName(name, false, FuzzCampaign.class.getClassLoader());
        } catch (ClassNotFoundException e) {
          throw new IllegalStateException(name, e);
        }
        for (Method m : c.getDeclaredMethods()) {
          if (m.isAnnotationPresent(FuzzTest.class)) {
            out.add(name + "#" + m.getName() + "(" + String.join(", ",
                Stream.of(m.getParameterTypes()).map(Class::getTypeName).toList()) + ")");
          }
        }
      }
    }
    out.sort(null);
    return out;
  }

  /** Fuzzes {@code target} for {@code seconds} in a child JVM with this JVM's classpath, in {@code moduleDir}. */
  public static Outcome fuzz(String target, int seconds, Path moduleDir) throws IOException, InterruptedException {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    ProcessBuilder pb = new ProcessBuilder(java, "-Xmx768m", "-cp", System.getProperty("java.class.path"),
        FuzzMain.class.getName(), target).directory(moduleDir.toFile()).redirectErrorStream(true);
    pb.environment().put("JAZZER_FUZZ", "1");
    pb.environment().put("JAZZER_MAX_DURATION", seconds + "s");
    // Coverage of every Curfew class, also those the module gets from a jar (the core, for the server's targets).
    pb.environment().put("JAZZER_INSTRUMENTATION_INCLUDES", "dev.curfew.**");
    Process p = pb.start();
    byte[] out = p.getInputStream().readAllBytes();
    if (!p.waitFor(seconds + 120L, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      return new Outcome(target, -1, "did not finish within " + (seconds + 120) + " s");
    }
    return new Outcome(target, p.exitValue(), new String(out, StandardCharsets.UTF_8));
  }

  /**
   * Fuzzes every target, {@code parallel} child JVMs at a time (each fuzzes on one core), and
   * returns the outcomes in the order of {@code targets}.
   */
  public static List<Outcome> fuzzAll(List<String> targets, int seconds, Path moduleDir, int parallel)
      throws InterruptedException, java.util.concurrent.ExecutionException {
    java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(Math.max(1, parallel));
    try {
      List<java.util.concurrent.Future<Outcome>> futures = new ArrayList<>();
      for (String t : targets) futures.add(pool.submit(() -> fuzz(t, seconds, moduleDir)));
      List<Outcome> out = new ArrayList<>();
      for (java.util.concurrent.Future<Outcome> f : futures) out.add(f.get());
      return out;
    } finally {
      pool.shutdownNow();
    }
  }

  /** Child JVMs at a time: one per core. */
  public static int parallelism() {
    return Math.max(1, Runtime.getRuntime().availableProcessors());
  }

  /** The libFuzzer closing line ("Done N runs in S second(s)"), or the last line. */
  public static String summary(Outcome o) {
    String[] lines = o.output().split("\n");
    for (int i = lines.length - 1; i >= 0; i--) {
      if (lines[i].startsWith("Done ")) return lines[i].trim();
    }
    return lines.length == 0 ? "" : lines[lines.length - 1].trim();
  }
}
