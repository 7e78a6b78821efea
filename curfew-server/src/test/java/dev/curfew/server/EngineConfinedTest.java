package dev.curfew.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The in-memory engine stays behind the {@code SessionStore} interface: no module's main sources
 * name {@code SessionEngine} but the core's and the embedded store's (which builds it), and the
 * benchmarks' (which measure it in process). The server, the gateways and the Redis store must stand
 * on the interface alone, so that every store serves every edge.
 */
class EngineConfinedTest {
  private static final Set<String> ALLOWED = Set.of("curfew-core", "curfew-store-embedded", "curfew-bench",
      "curfew-bench-peers");
  private static final Pattern ENGINE = Pattern.compile("\\bSessionEngine\\b");

  @Test
  void noMainSourceOutsideCoreAndTheEmbeddedStoreNamesTheEngine() throws IOException {
    Path root = repositoryRoot();
    List<String> modules = new ArrayList<>();
    List<String> found = new ArrayList<>();
    try (Stream<Path> dirs = Files.list(root)) {
      for (Path module : dirs.filter(d -> Files.isDirectory(d.resolve("src/main/java"))).toList()) {
        String name = module.getFileName().toString();
        if (ALLOWED.contains(name)) continue;
        modules.add(name);
        try (Stream<Path> files = Files.walk(module.resolve("src/main/java"))) {
          files.filter(f -> f.toString().endsWith(".java")).forEach(f -> {
            try {
              List<String> lines = Files.readAllLines(f);
              for (int i = 0; i < lines.size(); i++) {
                if (ENGINE.matcher(lines.get(i)).find()) found.add(root.relativize(f) + ":" + (i + 1) + ": " + lines.get(i).strip());
              }
            } catch (IOException e) {
              throw new UncheckedIOException(e);
            }
          });
        }
      }
    }
    // The scan must have looked where the engine would come back.
    assertThat(modules).contains("curfew-server", "curfew-store-redis", "curfew-gateway-common", "curfew-gateway-mcp");
    assertThat(found).as("main sources that name SessionEngine (use SessionStore, SessionRules)").isEmpty();
  }

  /** The directory of the parent pom, from this module's directory (where the tests run). */
  private static Path repositoryRoot() {
    Path p = Path.of("").toAbsolutePath();
    while (p != null && !Files.isDirectory(p.resolve("curfew-core"))) p = p.getParent();
    assertThat(p).as("the repository root above " + Path.of("").toAbsolutePath()).isNotNull();
    return p;
  }
}
