package dev.curfew.core;

/** A policy value that cannot be: {@link #key()} names the offending field (YAML name). */
public final class PolicyException extends IllegalArgumentException {
  private final String key;

  public PolicyException(String key, String message) {
    super(message);
    this.key = key;
  }

  public String key() {
    return key;
  }
}
