package dev.curfew.server.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.curfew.core.Durations;
import dev.curfew.core.Policy;
import dev.curfew.core.PolicyException;
import dev.curfew.core.SessionEngine;
import dev.curfew.core.SessionStore;
import dev.curfew.core.compliance.Compliance;
import dev.curfew.core.compliance.ComplianceReport;
import dev.curfew.core.compliance.Presets;
import dev.curfew.core.compliance.RuleResult;
import dev.curfew.server.http.JsonBodies.BadInput;
import io.vertx.ext.web.RoutingContext;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The policy endpoints: read policies with their compliance result, create a new version (audited
 * as {@code policy.changed}, optionally applied to live sessions, which may only shorten deadlines),
 * and check a policy against compliance presets. A policy in JSON uses the YAML names with {@code
 * _ms} durations ({@code idle_timeout_ms}); the duration strings of the YAML ({@code "15m"}) are
 * accepted too, under the YAML names.
 */
final class PolicyRoutes {
  private static final Set<String> POLICY_FIELDS = Set.of("name", "idle_timeout_ms", "absolute_timeout_ms",
      "warn_before_ms", "max_extensions", "renew_every_ms", "comply_with", "idle_timeout", "absolute_timeout",
      "warn_before", "renew_every");

  private final SessionStore engine;
  private final Reply reply;

  PolicyRoutes(SessionStore engine, Reply reply) {
    this.engine = engine;
    this.reply = reply;
  }

  /** GET /v1/policies. */
  void list(RoutingContext ctx) {
    List<Object> out = new ArrayList<>();
    for (Policy p : engine.policies().all()) out.add(describe(p));
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("default_policy", engine.policies().defaultName());
    body.put("policies", out);
    Reply.json(ctx, 200, body);
  }

  /** GET /v1/policies/{name}. */
  void get(RoutingContext ctx) {
    String name = ctx.pathParam("name");
    Policy p = engine.policies().current(name).orElse(null);
    if (p == null) {
      Reply.problem(ctx, Problem.of(404, "policy-not-found", "Policy not found", "no policy named \"" + name + "\""));
      return;
    }
    Reply.json(ctx, 200, describe(p));
  }

  /** PUT /v1/policies/{name}: a new version. */
  void put(RoutingContext ctx) {
    String name = ctx.pathParam("name");
    ObjectNode body = JsonBodies.object(JsonBodies.bytes(ctx), false);
    boolean applyToLive = JsonBodies.bool(body, "apply_to_live", false);
    body.remove("apply_to_live");
    Policy values = parse(body, name);
    if (!values.complyWith().isEmpty()) {
      ComplianceReport report = Compliance.check(values);
      if (!report.passed()) {
        RuleResult r = report.failures().get(0);
        throw new BadInput("the policy fails " + r.preset() + " rule " + r.rule() + " that it declares in comply_with ("
            + r.citation() + ")");
      }
    }
    java.util.concurrent.CompletableFuture<SessionEngine.PolicyChange> answer;
    try {
      answer = engine.changePolicy(values, applyToLive, ctx.get(BackendRoutes.ACTOR));
    } catch (IllegalArgumentException e) {
      throw new BadInput(e.getMessage());
    }
    Reply.when(ctx, answer, change -> {
      if (change.policy() == null) {
        Reply.problem(ctx, Problem.unavailable("the session store or the audit log cannot be written"));
        return;
      }
      reply.afterDurable(ctx, change.durable(), () -> {
        Map<String, Object> out = describe(change.policy());
        out.put("applied_to_live", change.appliedToLive());
        Reply.json(ctx, 200, out);
      });
    });
  }

  /** POST /v1/policies/check: the compliance report of the policy in the body. */
  void check(RoutingContext ctx) {
    ObjectNode body = JsonBodies.object(JsonBodies.bytes(ctx), false);
    List<String> against = strings(body, "against");
    body.remove("against");
    String name = JsonBodies.text(body, "name", false, 64);
    Policy p = parse(body, name == null ? "checked" : name);
    if (against.isEmpty() && p.complyWith().isEmpty()) {
      throw new BadInput("name presets in \"against\" or in the policy's \"comply_with\" (known: "
          + String.join(", ", Presets.ids()) + ")");
    }
    ComplianceReport report;
    try {
      report = Compliance.check(p, against);
    } catch (IllegalArgumentException e) {
      throw new BadInput(e.getMessage());
    }
    Reply.json(ctx, 200, report.toMap());
  }

  private Map<String, Object> describe(Policy p) {
    Map<String, Object> m = SessionEngine.policyData(p);
    if (!p.complyWith().isEmpty()) {
      m.put("compliance", Compliance.check(p).toMap());
    }
    return m;
  }

  /** A policy from a JSON body; errors name the field. */
  static Policy parse(ObjectNode body, String name) {
    JsonBodies.onlyFields(body, POLICY_FIELDS);
    String bodyName = JsonBodies.text(body, "name", false, 64);
    if (bodyName != null && !bodyName.equals(name)) {
      throw new BadInput("\"name\" is \"" + bodyName + "\" but the path names \"" + name + "\"");
    }
    try {
      return new Policy(name, 1,
          duration(body, "idle_timeout", true), duration(body, "absolute_timeout", true),
          orZero(duration(body, "warn_before", false)), count(body, "max_extensions"),
          duration(body, "renew_every", false), strings(body, "comply_with"));
    } catch (PolicyException e) {
      throw new BadInput("\"" + e.key() + "\": " + e.getMessage());
    }
  }

  private static Duration orZero(Duration d) {
    return d == null ? Duration.ZERO : d;
  }

  private static Duration duration(ObjectNode body, String field, boolean required) {
    JsonNode ms = body.get(field + "_ms");
    JsonNode text = body.get(field);
    if (ms != null && text != null) throw new BadInput("give \"" + field + "_ms\" or \"" + field + "\", not both");
    if (ms != null && !ms.isNull()) {
      if (!ms.isIntegralNumber() || !ms.canConvertToLong() || ms.longValue() < 0) {
        throw new BadInput("\"" + field + "_ms\" must be a whole number of milliseconds");
      }
      return Duration.ofMillis(ms.longValue());
    }
    if (text != null && !text.isNull()) {
      if (!text.isTextual()) throw new BadInput("\"" + field + "\" must be a duration string like \"15m\"");
      try {
        return Durations.parse(text.textValue());
      } catch (IllegalArgumentException e) {
        throw new BadInput("\"" + field + "\": " + e.getMessage());
      }
    }
    if (required) throw new BadInput("\"" + field + "_ms\" is required");
    return null;
  }

  private static int count(ObjectNode body, String field) {
    JsonNode n = body.get(field);
    if (n == null || n.isNull()) return 0;
    if (!n.isIntegralNumber() || !n.canConvertToInt()) throw new BadInput("\"" + field + "\" must be a whole number");
    return n.intValue();
  }

  private static List<String> strings(ObjectNode body, String field) {
    JsonNode n = body.get(field);
    List<String> out = new ArrayList<>();
    if (n == null || n.isNull()) return out;
    if (!n.isArray()) throw new BadInput("\"" + field + "\" must be a list of strings");
    if (n.size() > 32) throw new BadInput("\"" + field + "\" has more than 32 entries");
    for (JsonNode e : n) {
      if (!e.isTextual()) throw new BadInput("\"" + field + "\" must be a list of strings");
      out.add(e.textValue());
    }
    return out;
  }
}
