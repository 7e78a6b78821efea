package dev.curfew.bench.reliability;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The server's GC log ({@code -Xlog:gc:file=...:uptime}): the heap after each collection, which
 * is how the soak tells a flat heap from a leak without stopping the server to look.
 */
final class GcLog {
  private static final Pattern LINE = Pattern.compile(
      "^\\[(\\d+\\.\\d+)s\\].*GC\\(\\d+\\) (Pause [A-Za-z]+(?: \\([^)]*\\))*).* (\\d+)([KMG])->(\\d+)([KMG])\\((\\d+)([KMG])\\)");

  /** One collection: when (JVM uptime), what kind, heap after it in MiB. */
  record Collection(double uptimeSeconds, String kind, double afterMiB) {
    boolean full() {
      return kind.startsWith("Pause Full");
    }
  }

  static List<Collection> read(Path file) throws IOException {
    List<Collection> out = new ArrayList<>();
    if (!Files.exists(file)) return out;
    for (String line : Files.readAllLines(file)) {
      Matcher m = LINE.matcher(line);
      if (m.find()) out.add(new Collection(Double.parseDouble(m.group(1)), m.group(2), mib(m.group(5), m.group(6))));
    }
    return out;
  }

  private static double mib(String n, String unit) {
    double v = Double.parseDouble(n);
    return switch (unit) {
      case "K" -> v / 1024;
      case "G" -> v * 1024;
      default -> v;
    };
  }

  private GcLog() {}
}
