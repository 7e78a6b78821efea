package dev.curfew.server.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/** docs/api.md names every operation of the OpenAPI document as {@code `METHOD path`}. */
class ApiDocTest {
  private static final Path DOC = Path.of("..", "docs", "api.md");
  private static final Set<String> METHODS = Set.of("get", "put", "post", "delete", "options", "head", "patch", "trace");

  @Test
  void everyDocumentedOperationIsOnTheReferencePage() throws Exception {
    String page = Files.readString(DOC);
    Set<String> missing = new TreeSet<>();
    JsonNode paths = OpenApiDocument.tree().get("paths");
    paths.fields().forEachRemaining(p -> p.getValue().fieldNames().forEachRemaining(m -> {
      String op = "`" + m.toUpperCase(Locale.ROOT) + " " + p.getKey() + "`";
      if (METHODS.contains(m) && !page.contains(op)) missing.add(op);
    }));

    assertThat(missing).as("operations of %s that %s does not name", OpenApiDocument.RESOURCE, DOC).isEmpty();
  }
}
