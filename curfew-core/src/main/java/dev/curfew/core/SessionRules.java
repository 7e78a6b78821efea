package dev.curfew.core;

import java.util.Map;

/**
 * What every {@link SessionStore} holds a session to, apart from any store: the limits on what an
 * opening may carry (checked before any I/O by {@link OpenRequest}); the records are built by
 * {@link SessionRecords}, refusals worded by {@link Refusals}. Edges (the API, the console, the gateways) read the limits
 * from here, never from a store's implementation.
 */
public final class SessionRules {
  /** The longest subject ({@link OpenRequest}). */
  public static final int MAX_SUBJECT_LENGTH = OpenRequest.MAX_SUBJECT_LENGTH;
  /** Most attributes a session may carry ({@link SessionAttributes}). */
  public static final int MAX_ATTRIBUTES = SessionAttributes.MAX_ATTRIBUTES;
  /** How long an ended session is remembered by default, so that its token is refused with a reason. */
  public static final long DEFAULT_ENDED_RETENTION_MS = 24 * 3_600_000L;
  /** The actor of sessions the embedding program opens itself. */
  public static final String LOCAL_ACTOR = "local";

  private SessionRules() {}

  /** A policy's values as audit data: {@code name}, {@code version} and the {@code *_ms} fields. */
  public static Map<String, Object> policyData(Policy p) {
    return SessionRecords.policyData(p);
  }
}
