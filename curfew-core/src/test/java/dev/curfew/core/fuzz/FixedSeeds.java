package dev.curfew.core.fuzz;

import java.io.IOException;
import java.lang.reflect.Method;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import net.jqwik.api.Property;

/**
 * jqwik draws a new seed for every run of a property without one, so CI would pass or fail by
 * luck, and jqwik 1.9 has no setting for a default seed: every {@code @Property} names its own
 * ({@code seed = "..."}). A failure prints that seed; running the same test again replays it.
 */
public final class FixedSeeds {
  private FixedSeeds() {}

  /** Every {@code @Property} method of the compiled test classes under {@code testClasses} without a seed, as CLASS#METHOD. */
  public static List<String> propertiesWithoutSeed(Path testClasses) throws IOException {
    List<String> out = new ArrayList<>();
    try (Stream<Path> s = Files.walk(testClasses)) {
      for (Path p : s.filter(f -> f.getFileName().toString().endsWith(".class")).sorted().toList()) {
        String name = testClasses.relativize(p).toString().replace('/', '.').replaceAll("\\.class$", "");
        Class<?> c;
        try {
          c = Class.forName(name, false, FixedSeeds.class.getClassLoader());
        } catch (ClassNotFoundException | LinkageError e) {
          throw new IllegalStateException(name, e);
        }
        for (Method m : c.getDeclaredMethods()) {
          Property property = m.getAnnotation(Property.class);
          if (property != null && property.seed().equals(Property.SEED_NOT_SET)) out.add(name + "#" + m.getName());
        }
      }
    }
    out.sort(null);
    return out;
  }
}
