package dev.curfew.bench.reliability;

import java.nio.file.Path;
import java.util.List;

/** The command that runs the server (and its CLI) from this test's classpath, as a child JVM. */
final class ChildServer {
  static List<String> command() {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    return List.of(java, "-cp", System.getProperty("java.class.path"), "dev.curfew.server.cli.Main");
  }

  private ChildServer() {}
}
