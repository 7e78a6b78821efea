package dev.curfew.core;

import java.util.Map;
import java.util.Objects;

/**
 * A request to open a session, checked: what every store checks before any I/O, in one place.
 *
 * @param policy the current version of the named policy (the default one when none was named)
 * @param attributes an immutable copy of the caller's notes
 */
public record OpenRequest(String subject, Policy policy, Map<String, Object> attributes, Audience audience,
    String actor) {
  /** The longest subject. */
  public static final int MAX_SUBJECT_LENGTH = 256;
  /** The longest actor. */
  public static final int MAX_ACTOR_LENGTH = 300;

  public OpenRequest {
    Objects.requireNonNull(policy, "policy");
  }

  /**
   * Checks an opening and resolves its policy; IllegalArgumentException (or {@link
   * SessionAttributes#check}'s) names the first thing wrong.
   *
   * @param policyName null: the default policy
   * @param attributes the caller's notes (null: none); none in the reserved namespace
   * @param audience where the session may be used: at least one place
   * @param actor who opens it: an API key's name, {@code console}, {@code gateway:ROUTE}
   */
  public static OpenRequest of(Policies policies, String subject, String policyName, Map<String, Object> attributes,
      Audience audience, String actor) {
    if (subject == null || subject.isBlank() || subject.length() > MAX_SUBJECT_LENGTH) {
      throw new IllegalArgumentException("subject must be 1-" + MAX_SUBJECT_LENGTH + " characters");
    }
    String name = policyName == null ? policies.defaultName() : policyName;
    Policy policy = policies.current(name)
        .orElseThrow(() -> new IllegalArgumentException("unknown policy \"" + name + "\""));
    Map<String, Object> attrs = attributes == null ? Map.of() : Map.copyOf(attributes);
    SessionAttributes.check(attrs);
    Objects.requireNonNull(audience, "audience");
    if (audience.isEmpty()) throw new IllegalArgumentException("audience must name at least one place");
    if (actor == null || actor.isBlank() || actor.length() > MAX_ACTOR_LENGTH) {
      throw new IllegalArgumentException("actor must be 1-" + MAX_ACTOR_LENGTH + " characters");
    }
    return new OpenRequest(subject, policy, attrs, audience, actor);
  }

  /**
   * A child session of {@code parentSessionId}, for the same subject under the target's policy
   * ({@code POST /_curfew/connect}, spec/protocol-gateways.md): the parent is kept as the reserved
   * attribute {@link SessionAttributes#PARENT_SESSION_ID}, which no caller can set, and recorded as
   * {@code parent_session_id}.
   */
  public static OpenRequest child(Policies policies, String parentSessionId, String subject, String policyName,
      Audience audience, String actor) {
    if (parentSessionId == null || !parentSessionId.matches("s_[A-Za-z0-9_-]{1,60}")) {
      throw new IllegalArgumentException("parent must be a session id");
    }
    OpenRequest checked = of(policies, subject, policyName, Map.of(), audience, actor);
    return new OpenRequest(subject, checked.policy(), Map.of(SessionAttributes.PARENT_SESSION_ID, parentSessionId),
        audience, actor);
  }

  /** The session this one is minted from, or null. */
  public String parentSessionId() {
    return SessionAttributes.parentOf(attributes);
  }
}
