package dev.curfew.client;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * What {@code POST /v1/sessions} takes: the subject, and optionally a policy (else the default
 * policy), attributes (outside Curfew's reserved namespace) and an audience (else the key's own).
 */
public record SessionRequest(String subject, String policy, Map<String, String> attributes, List<String> audience) {
  public SessionRequest {
    Objects.requireNonNull(subject, "subject");
    attributes = attributes == null ? Map.of() : Map.copyOf(attributes);
    audience = audience == null ? null : List.copyOf(audience);
  }

  public static SessionRequest of(String subject) {
    return new SessionRequest(subject, null, null, null);
  }

  public SessionRequest withPolicy(String name) {
    return new SessionRequest(subject, name, attributes, audience);
  }

  public SessionRequest withAttributes(Map<String, String> values) {
    return new SessionRequest(subject, policy, values, audience);
  }

  public SessionRequest withAudience(List<String> places) {
    return new SessionRequest(subject, policy, attributes, places);
  }

  Map<String, Object> body() {
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("subject", subject);
    if (policy != null) body.put("policy", policy);
    if (!attributes.isEmpty()) body.put("attributes", attributes);
    if (audience != null) body.put("audience", audience);
    return body;
  }
}
