package dev.curfew.server.gateway;

import dev.curfew.core.EndReason;
import dev.curfew.gateway.mcp.McpGateway;
import dev.curfew.server.http.Problem;
import io.vertx.core.http.HttpServerResponse;

/** The MCP routes' refusals as the server's problem documents, the same words as every other 401, 403 and 5xx. */
final class McpProblems implements McpGateway.Refusals {
  @Override
  public void sessionEnded(HttpServerResponse response, EndReason reason) {
    Problem.sessionEnded(reason).send(response);
  }

  @Override
  public void wrongAudience(HttpServerResponse response, String detail) {
    Problem.wrongAudience(detail).send(response);
  }

  @Override
  public void problem(HttpServerResponse response, int status, String slug, String title, String detail) {
    Problem.of(status, slug, title, detail).send(response);
  }
}
