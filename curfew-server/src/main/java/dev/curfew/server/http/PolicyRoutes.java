package dev.curfew.server.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.curfew.core.Durations;
import dev.curfew.core.ConcurrencyLimit;
import dev.curfew.core.Policy;
import dev.curfew.core.PolicyChange;
import dev.curfew.core.PolicyException;
import dev.curfew.core.SessionRules;
import dev.curfew.core.SessionStore;
import dev.curfew.core.compliance.Compliance;
import dev.curfew.core.compliance.ComplianceReport;
import dev.curfew.core.compliance.Presets;
import dev.curfew.core.compliance.RuleResult;
import dev.curfew.core.compliance.UnknownPresetException;
import dev.curfew.core.explain.Explainer;
import dev.curfew.core.explain.Explanation;
import dev.curfew.core.explain.TimelineSvg;
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
      "warn_before", "renew_every", "max_sessions_per_subject", "when_exceeded", "limit_scope", "resume_within_ms",
      "resume_within");

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
    java.util.concurrent.CompletableFuture<PolicyChange> answer;
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

  /** Most steps in the activity trace of {@code POST /v1/policies/explain}. */
  static final int MAX_TRACE_STEPS = 1000;

  /**
   * POST /v1/policies/explain: the timeline of one session under the policy in the body for the
   * activity trace {@code "activity": "0s,5m,9m:extend"} (the grammar of {@code curfew policy
   * explain --activity}), lived by the engine on a virtual clock: the events, the text the CLI
   * prints, and the SVG picture.
   */
  void explain(RoutingContext ctx) {
    ObjectNode body = JsonBodies.object(JsonBodies.bytes(ctx), false);
    String activity = JsonBodies.text(body, "activity", false, 32 * 1024);
    body.remove("activity");
    String name = JsonBodies.text(body, "name", false, 64);
    Policy p = parse(body, name == null ? "explained" : name);
    Explanation e;
    try {
      List<Explanation.TraceStep> trace = Explanation.parseTrace(activity);
      if (trace.size() > MAX_TRACE_STEPS) {
        throw new BadInput("\"activity\" has more than " + MAX_TRACE_STEPS + " steps");
      }
      e = Explainer.explain(p, trace);
    } catch (ArithmeticException tooFar) {
      throw new BadInput("\"activity\": an offset is too far in the future");
    } catch (IllegalArgumentException bad) {
      throw new BadInput("\"activity\": " + bad.getMessage());
    }
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("policy", SessionRules.policyData(p));
    List<Object> events = new ArrayList<>();
    for (Explanation.Event ev : e.events()) events.add(event(ev));
    out.put("events", events);
    out.put("end_offset_ms", e.endOffsetMs());
    out.put("end_reason", e.endReason());
    out.put("text", Explainer.text(e));
    out.put("svg", TimelineSvg.render(e));
    Reply.json(ctx, 200, out);
  }

  private static Map<String, Object> event(Explanation.Event ev) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("offset_ms", ev.offsetMs());
    m.put("type", ev.type());
    m.put("text", ev.text());
    // -1 in the core: not known at that event.
    m.put("expires_at_offset_ms", ev.expiresAtOffsetMs() < 0 ? null : ev.expiresAtOffsetMs());
    m.put("idle_deadline_offset_ms", ev.idleDeadlineOffsetMs() < 0 ? null : ev.idleDeadlineOffsetMs());
    m.put("absolute_deadline_offset_ms", ev.absoluteDeadlineOffsetMs() < 0 ? null : ev.absoluteDeadlineOffsetMs());
    m.put("extensions_left", ev.extensionsLeft() < 0 ? null : ev.extensionsLeft());
    return m;
  }

  private Map<String, Object> describe(Policy p) {
    Map<String, Object> m = SessionRules.policyData(p);
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
    for (String id : strings(body, "comply_with")) {
      try {
        Presets.require(id);
      } catch (UnknownPresetException e) {
        throw new BadInput("\"comply_with\": " + e.getMessage());
      }
    }
    try {
      return new Policy(name, 1,
          duration(body, "idle_timeout", true), duration(body, "absolute_timeout", true),
          orZero(duration(body, "warn_before", false)), count(body, "max_extensions"),
          duration(body, "renew_every", false), strings(body, "comply_with"),
          ConcurrencyLimit.of(optionalCount(body, "max_sessions_per_subject"),
              JsonBodies.text(body, "when_exceeded", false, 32), JsonBodies.text(body, "limit_scope", false, 32)),
          duration(body, "resume_within", false));
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
    Integer n = optionalCount(body, field);
    return n == null ? 0 : n;
  }

  private static Integer optionalCount(ObjectNode body, String field) {
    JsonNode n = body.get(field);
    if (n == null || n.isNull()) return null;
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
