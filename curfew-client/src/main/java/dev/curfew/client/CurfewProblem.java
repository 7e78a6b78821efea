package dev.curfew.client;

import java.time.Duration;
import java.util.Map;
import java.util.Optional;

/**
 * An answer of the Curfew server that is not a success: an RFC 9457 problem
 * ({@code application/problem+json}) with Curfew's {@code urn:curfew:problem:<slug>} types and,
 * where a session is concerned, its {@code reason} ({@code idle_timeout}, {@code revoked}, ...;
 * spec/http-api.md, "Conventions"). An answer in another form (a proxy's HTML page, the
 * back-channel logout's own error form) keeps its status and its body as the detail.
 */
public final class CurfewProblem extends RuntimeException {
  private static final String TYPE_PREFIX = "urn:curfew:problem:";

  private final String type;
  private final String title;
  private final int status;
  private final String detail;
  private final String reason;
  private final Map<String, Object> members;
  private final Duration retryAfter;

  CurfewProblem(String type, String title, int status, String detail, String reason, Map<String, Object> members) {
    this(type, title, status, detail, reason, members, null);
  }

  CurfewProblem(String type, String title, int status, String detail, String reason, Map<String, Object> members,
      Duration retryAfter) {
    super(status + " " + title + (detail == null ? "" : ": " + detail) + (reason == null ? "" : " (" + reason + ")"));
    this.type = type;
    this.title = title;
    this.status = status;
    this.detail = detail;
    this.reason = reason;
    this.members = Map.copyOf(members);
    this.retryAfter = retryAfter;
  }

  /** The problem type, {@code urn:curfew:problem:session-ended} for example; {@code about:blank} when the answer had none. */
  public String type() {
    return type;
  }

  /** The last part of a Curfew problem type ({@code session-ended}), or the whole type for another. */
  public String slug() {
    return type.startsWith(TYPE_PREFIX) ? type.substring(TYPE_PREFIX.length()) : type;
  }

  public String title() {
    return title;
  }

  /** The HTTP status of the answer. */
  public int status() {
    return status;
  }

  public String detail() {
    return detail;
  }

  /** Why the session is not valid ({@code idle_timeout}, {@code wrong_audience}, ...), when the problem concerns one. */
  public Optional<String> reason() {
    return Optional.ofNullable(reason);
  }

  /** Every member of the problem body, also the extension members ({@code scope}, ...). */
  public Map<String, Object> members() {
    return members;
  }

  /**
   * How long to wait before trying again, from the answer's {@code Retry-After} header (seconds or
   * an HTTP date; a 429 of a rate limit, a 503 carry it), when it had one.
   */
  public Optional<Duration> retryAfter() {
    return Optional.ofNullable(retryAfter);
  }
}
