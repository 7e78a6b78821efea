package dev.curfew.server.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.swagger.v3.parser.OpenAPIV3Parser;
import io.swagger.v3.parser.core.models.ParseOptions;
import io.swagger.v3.parser.core.models.SwaggerParseResult;
import java.net.http.HttpResponse;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The document served at {@code GET /openapi.json} by a real server, read by swagger-parser (a
 * validator written elsewhere) as OpenAPI 3.1: no message, every reference resolved.
 */
class OpenApiDocumentTest {
  private static ApiFixture api;

  @BeforeAll
  static void start() {
    api = new ApiFixture();
  }

  @AfterAll
  static void stop() throws Exception {
    api.close();
  }

  @Test
  void theServerServesTheDocumentWithoutAKey() {
    HttpResponse<String> r = api.call("GET", "/openapi.json", null);

    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.headers().firstValue("Content-Type")).hasValue("application/json; charset=utf-8");
    assertThat(r.headers().firstValue("Cache-Control")).hasValue("no-store");
    assertThat(ApiFixture.json(r)).isEqualTo(OpenApiDocument.tree());
    assertThat(api.call("HEAD", "/openapi.json", null).statusCode()).isEqualTo(200);
  }

  @Test
  void theServedDocumentIsValidOpenApi31() {
    String served = api.call("GET", "/openapi.json", null).body();

    SwaggerParseResult result = parse(served);

    assertThat(result.getMessages()).as("what swagger-parser found wrong").isEmpty();
    assertThat(result.getOpenAPI().getOpenapi()).isEqualTo("3.1.0");
    assertThat(result.getOpenAPI().getPaths()).containsKeys("/v1/session", "/v1/sessions", "/v1/introspect",
        "/v1/backchannel-logout/{provider}", "/_curfew/session/events", "/console/api/me");
    assertThat(result.getOpenAPI().getComponents().getSecuritySchemes())
        .containsKeys("apiKey", "apiKeyBasic", "sessionToken", "sessionCookie", "consoleCookie");
  }

  @Test
  void theValidatorFindsADocumentBroken() {
    // The check above can fail: the same validator on a copy with a dangling reference and an
    // operation without responses reports both.
    ObjectNode broken = (ObjectNode) OpenApiDocument.tree();
    ObjectNode post = (ObjectNode) broken.at("/paths/~1v1~1sessions/post");
    post.remove("responses");
    ObjectNode get = (ObjectNode) broken.at("/paths/~1v1~1session/get/responses/200/content/application~1json/schema");
    get.put("$ref", "#/components/schemas/NoSuchSchema");

    List<String> messages = parse(broken.toString()).getMessages();

    assertThat(messages).anyMatch(m -> m.contains("responses"));
    assertThat(messages).anyMatch(m -> m.contains("NoSuchSchema"));
  }

  @Test
  void everyOperationHasAUniqueIdAndASummary() {
    JsonNode doc = OpenApiDocument.tree();
    java.util.Set<String> ids = new java.util.HashSet<>();
    doc.get("paths").fields().forEachRemaining(p -> p.getValue().fields().forEachRemaining(op -> {
      if (!op.getValue().has("responses")) return; // parameters, servers, extensions
      String where = op.getKey().toUpperCase(java.util.Locale.ROOT) + " " + p.getKey();
      assertThat(ids.add(op.getValue().path("operationId").asText())).as("operationId of %s is unique", where).isTrue();
      assertThat(op.getValue().path("summary").asText()).as("summary of %s", where).isNotBlank();
    }));
  }

  private static SwaggerParseResult parse(String document) {
    ParseOptions options = new ParseOptions();
    options.setResolve(true);
    return new OpenAPIV3Parser().readContents(document, null, options);
  }
}
