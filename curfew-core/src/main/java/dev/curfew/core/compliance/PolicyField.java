package dev.curfew.core.compliance;

import dev.curfew.core.Durations;
import dev.curfew.core.Policy;
import java.time.Duration;
import java.util.Arrays;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * A policy field a rule can test, by its YAML name. Durations compare in milliseconds (policies
 * hold whole milliseconds); {@code max_extensions} and {@code max_sessions_per_subject} compare as counts.
 */
public enum PolicyField {
  IDLE_TIMEOUT("idle_timeout", true),
  ABSOLUTE_TIMEOUT("absolute_timeout", true),
  WARN_BEFORE("warn_before", true),
  MAX_EXTENSIONS("max_extensions", false),
  RENEW_EVERY("renew_every", true),
  /** A count; unset when the policy puts no limit on a subject's concurrent sessions. */
  MAX_SESSIONS_PER_SUBJECT("max_sessions_per_subject", false);

  private final String key;
  private final boolean duration;

  PolicyField(String key, boolean duration) {
    this.key = key;
    this.duration = duration;
  }

  /** The YAML name: {@code idle_timeout}. */
  public String key() {
    return key;
  }

  public boolean isDuration() {
    return duration;
  }

  public static Optional<PolicyField> fromKey(String key) {
    return Arrays.stream(values()).filter(f -> f.key.equals(key)).findFirst();
  }

  /** The policy's value in milliseconds (or as a count); empty when the field is unset. */
  public OptionalLong read(Policy p) {
    switch (this) {
      case IDLE_TIMEOUT: return OptionalLong.of(p.idleTimeoutMs());
      case ABSOLUTE_TIMEOUT: return OptionalLong.of(p.absoluteTimeoutMs());
      case WARN_BEFORE: return OptionalLong.of(p.warnBeforeMs());
      case MAX_EXTENSIONS: return OptionalLong.of(p.maxExtensions());
      case MAX_SESSIONS_PER_SUBJECT:
        return p.concurrency().limited() ? OptionalLong.of(p.concurrency().maxSessionsPerSubject()) : OptionalLong.empty();
      default:
        return p.renewEvery() == null ? OptionalLong.empty() : OptionalLong.of(p.renewEvery().toMillis());
    }
  }

  /** Parses a limit written for this field: {@code 15m} for a duration, {@code 10} for a count. */
  long parseLimit(String text) {
    if (duration) {
      return Durations.parse(text).toMillis();
    }
    try {
      long n = Long.parseLong(text);
      if (n < 0) {
        throw new IllegalArgumentException(key + " limit < 0: " + text);
      }
      return n;
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("not a count for " + key + ": \"" + text + "\"");
    }
  }

  /** {@code 15m} for a duration in milliseconds, {@code 10} for a count. */
  public String format(long value) {
    return duration ? Durations.format(Duration.ofMillis(value)) : Long.toString(value);
  }

  /** The policy's value as people write it, or {@code -} when unset. */
  public String formatValue(Policy p) {
    OptionalLong v = read(p);
    return v.isPresent() ? format(v.getAsLong()) : "-";
  }
}
