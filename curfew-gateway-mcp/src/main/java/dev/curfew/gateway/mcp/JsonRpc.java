package dev.curfew.gateway.mcp;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.Json;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.Map;

/**
 * The JSON-RPC 2.0 messages an MCP client POSTs (MCP Streamable HTTP transport: one message per
 * POST; batches are refused, as MCP 2025-06-18 removed them). Parsing never throws anything but
 * {@link Invalid}, which carries the JSON-RPC error code to answer with.
 */
final class JsonRpc {
  /** JSON-RPC 2.0 section 5.1 error codes. */
  static final int PARSE_ERROR = -32700;
  static final int INVALID_REQUEST = -32600;
  static final int METHOD_NOT_FOUND = -32601;
  static final int INTERNAL_ERROR = -32603;
  /** spec/protocol-gateways.md: the session ended (apart from the SDKs' -32000 and -32001). */
  static final int SESSION_ENDED = -32050;

  private JsonRpc() {}

  /** One client message: a request (has an id), a notification (no id) or a response to the server. */
  record Message(Kind kind, Object id, String method, JsonObject json) {
    boolean isRequest() {
      return kind == Kind.REQUEST;
    }

    /** {@code params.name} of a {@code tools/call}, else null. */
    String toolName() {
      JsonObject params = json.getValue("params") instanceof JsonObject p ? p : null;
      return params == null || !(params.getValue("name") instanceof String s) ? null : s;
    }

    /** {@code params.arguments} as sent, encoded ({@code {}} when absent), for its digest. */
    String argumentsJson() {
      JsonObject params = json.getValue("params") instanceof JsonObject p ? p : null;
      Object args = params == null ? null : params.getValue("arguments");
      return args == null ? "{}" : Json.encode(args);
    }
  }

  enum Kind { REQUEST, NOTIFICATION, RESPONSE }

  /** A body that is not one well-formed JSON-RPC 2.0 message. */
  static final class Invalid extends Exception {
    final int code;
    final Object id;

    Invalid(int code, Object id, String message) {
      super(message, null, false, false);
      this.code = code;
      this.id = id;
    }
  }

  static Message parse(Buffer body) throws Invalid {
    Object value;
    try {
      value = Json.decodeValue(body);
    } catch (DecodeException | IllegalArgumentException | IllegalStateException e) {
      throw new Invalid(PARSE_ERROR, null, "the body is not JSON");
    } catch (RuntimeException e) {
      // Jackson's own limits (nesting depth, number length) surface as other runtime exceptions.
      throw new Invalid(PARSE_ERROR, null, "the body is not acceptable JSON");
    }
    if (value instanceof JsonArray) {
      throw new Invalid(INVALID_REQUEST, null, "batches are not accepted: send one JSON-RPC message per request");
    }
    if (!(value instanceof JsonObject o)) throw new Invalid(INVALID_REQUEST, null, "a JSON-RPC message is a JSON object");
    Object id = o.getValue("id");
    boolean hasId = o.containsKey("id");
    if (hasId && id != null && !(id instanceof String) && !(id instanceof Number)) {
      throw new Invalid(INVALID_REQUEST, null, "id must be a string or a number");
    }
    if (!"2.0".equals(o.getValue("jsonrpc"))) throw new Invalid(INVALID_REQUEST, id, "jsonrpc must be \"2.0\"");
    Object method = o.getValue("method");
    if (method == null) {
      if (!hasId || id == null) throw new Invalid(INVALID_REQUEST, null, "a message without a method is a response and needs an id");
      if (o.containsKey("result") == o.containsKey("error")) {
        throw new Invalid(INVALID_REQUEST, id, "a response has exactly one of result and error");
      }
      return new Message(Kind.RESPONSE, id, null, o);
    }
    if (!(method instanceof String m) || m.isEmpty()) throw new Invalid(INVALID_REQUEST, id, "method must be a non-empty string");
    Object params = o.getValue("params");
    if (params != null && !(params instanceof JsonObject) && !(params instanceof JsonArray)) {
      throw new Invalid(INVALID_REQUEST, id, "params must be an object or an array");
    }
    if (!hasId) return new Message(Kind.NOTIFICATION, null, m, o);
    if (id == null) throw new Invalid(INVALID_REQUEST, null, "a request id must not be null");
    return new Message(Kind.REQUEST, id, m, o);
  }

  /** {@code {"jsonrpc":"2.0","id":ID,"error":{"code":C,"message":M[,"data":D]}}}. */
  static Buffer error(Object id, int code, String message, Map<String, Object> data) {
    JsonObject error = new JsonObject().put("code", code).put("message", message);
    if (data != null) error.put("data", new JsonObject(new java.util.LinkedHashMap<>(data)));
    return new JsonObject().put("jsonrpc", "2.0").put("id", id).put("error", error).toBuffer();
  }

  /** A notification from the gateway itself. */
  static Buffer notification(String method, JsonObject params) {
    return new JsonObject().put("jsonrpc", "2.0").put("method", method).put("params", params).toBuffer();
  }
}
