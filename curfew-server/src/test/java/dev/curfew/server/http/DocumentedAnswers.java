package dev.curfew.server.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.networknt.schema.Error;
import com.networknt.schema.InputFormat;
import com.networknt.schema.Schema;
import com.networknt.schema.SchemaLocation;
import com.networknt.schema.SchemaRegistry;
import com.networknt.schema.dialect.Dialects;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Holds a real answer to the OpenAPI document: its status must be one its operation documents (a
 * success explicitly, an error at least by its range or as the default problem), its media type one
 * the response lists, and its JSON body valid against the response's schema, checked by networknt's
 * JSON Schema validator with the OpenAPI 3.1 dialect (a validator written elsewhere).
 */
public final class DocumentedAnswers {
  private static final String DOCUMENT_URI = "https://curfew.invalid/openapi.json";

  private final JsonNode doc;
  private final SchemaRegistry schemas;

  /** @param doc the document as the server serves it */
  public DocumentedAnswers(JsonNode doc) {
    this.doc = doc;
    this.schemas = SchemaRegistry.withDialect(Dialects.getOpenApi31(), b -> b.schemas(Map.of(DOCUMENT_URI, doc.toString())));
  }

  /** What is wrong with an answer, by the document; empty when nothing is. */
  public List<String> problems(String method, String path, int status, String contentType, String body) {
    List<String> out = new ArrayList<>();
    String template = template(path);
    if (template == null) return List.of("no documented path matches " + path);
    JsonNode op = doc.get("paths").get(template).get(method.toLowerCase(Locale.ROOT));
    if (op == null) return List.of(method + " " + template + " is not documented");
    String pointer = "/paths/" + escape(template) + "/" + method.toLowerCase(Locale.ROOT) + "/responses/";
    // The status itself, else its range (4XX), else the default, which documents errors only.
    String key = null;
    for (String k : List.of(Integer.toString(status), status / 100 + "XX", "default")) {
      if (op.get("responses").has(k) && (status >= 400 || !k.equals("default"))) {
        key = k;
        break;
      }
    }
    if (key == null) return List.of(status + " is not documented for " + method + " " + template);
    JsonNode response = op.get("responses").get(key);
    pointer += key;
    if (response.has("$ref")) {
      pointer = response.get("$ref").asText().substring(1);
      response = doc.at(pointer);
    }
    if (body.isEmpty()) {
      if (response.has("content") && status != 204) out.add(status + " documents a body, and none came");
      return out;
    }
    if (!response.has("content")) return List.of(status + " documents no body, and one came");
    String mediaType = contentType == null ? "" : contentType.split(";")[0].trim();
    if (!response.get("content").has(mediaType)) {
      return List.of("the media type " + contentType + " is not among " + response.get("content").properties());
    }
    if (!mediaType.endsWith("json")) return out; // text: its schema is a string
    Schema schema = schemas.getSchema(SchemaLocation.of(DOCUMENT_URI + "#" + pointer + "/content/"
        + escape(mediaType) + "/schema"));
    for (Error e : schema.validate(body, InputFormat.JSON)) {
      out.add(e.toString());
    }
    return out;
  }

  /** The documented path that {@code path} (query and all) is an instance of; a literal segment wins over a parameter. */
  String template(String path) {
    String bare = path.split("\\?")[0];
    String best = null;
    int bestParams = Integer.MAX_VALUE;
    for (Iterator<String> it = doc.get("paths").fieldNames(); it.hasNext(); ) {
      String t = it.next();
      String regex = Pattern.quote(t).replaceAll("\\{[^}]+}", "\\\\E[^/]+\\\\Q");
      int params = t.split("\\{", -1).length - 1;
      if (bare.matches(regex) && params < bestParams) {
        best = t;
        bestParams = params;
      }
    }
    return best;
  }

  private static String escape(String pointerToken) {
    return pointerToken.replace("~", "~0").replace("/", "~1");
  }
}
