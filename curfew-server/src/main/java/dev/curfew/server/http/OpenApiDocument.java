package dev.curfew.server.http;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;

/**
 * The OpenAPI 3.1 document of the whole HTTP API: the API port, the gateway's {@code /_curfew/}
 * endpoints and the console. It is kept in the repository as YAML ({@link #RESOURCE}: readable in
 * review, its repeated parts written once as anchors) and served as JSON at {@code GET
 * /openapi.json}. OpenApiRoutesTest holds it to the routes the server registers, in both
 * directions; OpenApiDocumentTest has a validator written elsewhere check it.
 */
public final class OpenApiDocument {
  /** The classpath resource the document is kept in. */
  public static final String RESOURCE = "/openapi/curfew-openapi.yaml";

  private static final byte[] JSON = load();

  private OpenApiDocument() {}

  /** The document as JSON bytes (UTF-8), what {@code GET /openapi.json} answers. */
  public static byte[] json() {
    return JSON.clone();
  }

  /** The document as a tree. */
  public static JsonNode tree() {
    try {
      return JsonBodies.MAPPER.readTree(JSON);
    } catch (IOException e) {
      throw new UncheckedIOException("the OpenAPI document does not read back", e);
    }
  }

  private static byte[] load() {
    try (InputStream in = OpenApiDocument.class.getResourceAsStream(RESOURCE)) {
      if (in == null) throw new IllegalStateException("the OpenAPI document " + RESOURCE + " is not on the classpath");
      // SnakeYAML (Jackson's own YAML parser) expands the anchors, which Jackson's YAML reader does not.
      LoaderOptions options = new LoaderOptions();
      options.setAllowDuplicateKeys(false);
      options.setMaxAliasesForCollections(1000);
      Object doc = new Yaml(new SafeConstructor(options)).load(in);
      return JsonBodies.MAPPER.writeValueAsBytes(doc);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read the OpenAPI document " + RESOURCE, e);
    }
  }
}
